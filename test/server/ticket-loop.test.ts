import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const send = (who: string, body: Record<string, unknown>) => t.request(tokens[who] ?? '', 'POST', `/api/tickets/${ticketId}/events`, body);

describe('the ticket loop over HTTP', () => {
  it('issues a ticket numbered after the inspection, due at the end of the deadline day in Shanghai', async () => {
    const response = await t.request(tokens['wjw-off'] ?? '', 'GET', `/api/tickets/${ticketId}`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.ticket).toMatchObject({
      number: '2021-2-001',
      state: 'issued',
      unitCode: 'YY-WJW',
      dueAt: '2021-06-25T15:59:59.999Z',
      overdue: false,
      escalationLevel: 0,
      rejections: 0,
      version: 1,
      target: { kind: 'new_media', platform: 'wechat_subscription', name: '健康益阳' },
      problems: [{ code: 'poor_interaction', label: '互动回应差' }],
    });
    expect(body.allowedEvents).toEqual(['ACKNOWLEDGE', 'REQUEST_EXTENSION']);
    expect(body.events).toMatchObject([{ seq: 1, type: 'ISSUE', from: null, to: 'issued' }]);
    expect(body.notifications).toMatchObject([{ kind: 'issued', to: ['wjw@yiyang.test'], status: 'pending' }]);
    expect(body.notifications[0].subject).toContain('【整改通知】2021-2-001 健康益阳');
  });

  it('goes issued → acknowledged → rectified → (rejected) → rectified → verified', async () => {
    expect((await send('wjw-off', { type: 'ACKNOWLEDGE', expectedVersion: 1, comment: '已收到' })).statusCode).toBe(200);
    const submitted = await send('wjw-off', { type: 'SUBMIT_RECTIFICATION', expectedVersion: 2, feedback: '已安排专人回复留言', evidence: ['https://example.gov.cn/a'], rectifiedOn: '2021-06-20' });
    expect(submitted.statusCode).toBe(200);
    expect(submitted.json().ticket).toMatchObject({ state: 'rectified', version: 3 });
    const rejected = await send('gov-sup', { type: 'REJECT', reason: '回复不完整' });
    expect(rejected.json().ticket).toMatchObject({ state: 'acknowledged', rejections: 1, version: 4 });
    expect((await send('wjw-off', { type: 'SUBMIT_RECTIFICATION', feedback: '已全部回复' })).statusCode).toBe(200);
    const verified = await send('gov-sup', { type: 'VERIFY', comment: '核验通过' });
    expect(verified.statusCode).toBe(200);
    expect(verified.json().ticket).toMatchObject({ state: 'verified', version: 6 });

    const detail = (await t.request(tokens['gov-sup'] ?? '', 'GET', `/api/tickets/${ticketId}`)).json();
    expect(detail.events.map((e: { type: string }) => e.type)).toEqual(['ISSUE', 'ACKNOWLEDGE', 'SUBMIT_RECTIFICATION', 'REJECT', 'SUBMIT_RECTIFICATION', 'VERIFY']);
    expect(detail.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // Submissions reach the office in its daily digest (the sweep), not as emails of their own.
    expect(detail.notifications.map((n: { kind: string }) => n.kind)).toEqual(['issued', 'rejected', 'verified']);
    expect(detail.notifications[1].to).toEqual(['wjw@yiyang.test']);
    expect(detail.allowedEvents).toEqual([]);
  });

  it('answers 409 with the current state and allowed events when the ticket was already verified', async () => {
    const response = await send('gov-sup', { type: 'VERIFY' });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'tickets.transition_not_allowed', state: 'verified', allowedEvents: [] });
  });
});
