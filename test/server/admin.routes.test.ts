import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickets } from '../../db/schema/index.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;
let ticketId: number;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
  const issued = await issueFindings(t, inspection.id, [{ unitCode: 'YY-WJW', targetName: '健康益阳' }]);
  ticketId = issued.tickets[0]?.id ?? 0;
});
afterAll(() => t.close());

describe('POST /api/admin/sweep', () => {
  it('runs the sweep at the server clock and answers the counts (past due: no reminder, level 1)', async () => {
    // Level 1 falls due at 00:00 on 06-29 and goes out at 09:00, the inspection's office hours.
    t.clock.set('2021-06-29T09:00:00+08:00');
    const response = await t.app.inject({ method: 'POST', url: '/api/admin/sweep', headers: { authorization: `Bearer ${tokens.admin}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      at: '2021-06-29T01:00:00.000Z',
      reminders: 0,
      escalations: 1,
      verifyReminders: 0,
      examined: 1,
      provisional: 0,
      failed: 0,
    });
    const detail = (await t.request(tokens.admin ?? '', 'GET', `/api/tickets/${ticketId}`)).json();
    expect(detail.ticket.escalationLevel).toBe(1);
    expect(detail.notifications.map((n: { kind: string }) => n.kind)).toEqual(['issued', 'escalation']);
  });

  it('adds nothing when called again at the same moment', async () => {
    const response = await t.request(tokens.admin ?? '', 'POST', '/api/admin/sweep', {});
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ reminders: 0, escalations: 0, verifyReminders: 0, examined: 0 });
  });

  it('refuses a moment in the body, naming the field (replaying a moment is `rectify sweep --now`)', async () => {
    const response = await t.request(tokens.admin ?? '', 'POST', '/api/admin/sweep', { now: '2021-07-20T00:00:00+08:00' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'request.validation_failed', errors: [{ field: 'now' }] });
  });

  it('is for administrators only', async () => {
    expect((await t.request(tokens['gov-sup'] ?? '', 'POST', '/api/admin/sweep', {})).statusCode).toBe(403);
    expect((await t.request(tokens['wjw-off'] ?? '', 'POST', '/api/admin/sweep', {})).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/admin/sweep' })).statusCode).toBe(401);
  });
});

describe('POST /api/admin/audit/verify', () => {
  it('answers the trails intact, the sweep’s escalations included', async () => {
    const response = await t.request(tokens.admin ?? '', 'POST', '/api/admin/audit/verify');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ intact: true, checkedTickets: 1, problems: [], totalProblems: 0 });
    expect(response.json().checkedTicketEvents).toBeGreaterThanOrEqual(2);
  });

  it('names the ticket whose state was changed without an event', async () => {
    const [ticket] = await t.services.db.select().from(tickets).where(eq(tickets.id, ticketId));
    await t.services.db.update(tickets).set({ state: 'verified' }).where(eq(tickets.id, ticketId));
    try {
      const response = await t.request(tokens.admin ?? '', 'POST', '/api/admin/audit/verify');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        intact: false,
        totalProblems: 1,
        problems: [{ trail: 'ticket', id: ticketId, number: ticket?.number, seq: ticket?.auditSeq, problem: 'state_mismatch' }],
      });
    } finally {
      await t.services.db.update(tickets).set({ state: ticket?.state ?? 'issued' }).where(eq(tickets.id, ticketId));
    }
  });

  it('is for administrators only', async () => {
    const response = await t.request(tokens['gov-sup'] ?? '', 'POST', '/api/admin/audit/verify');
    expect(response.statusCode).toBe(403);
  });
});
