import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { notifications, ticketEvents, tickets } from '../../db/schema/index.js';
import { AppError } from '../../core/errors.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { onPostgres } from '../helpers/test-database.js';

/**
 * Races and locks (PostgreSQL only: PGlite runs one statement at a time, so no race can show there),
 * and atomicity: a refused or failed event leaves no trace (both databases).
 */

let t: TestApp;
let tokens: Record<string, string>;
let inspectionId: number;
let targetCounter = 0;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  inspectionId = (await createInspection(t, tokens['gov-sup'] ?? '')).id;
});
afterAll(() => t.close());

const send = (username: string, ticketId: number, body: Record<string, unknown>) =>
  t.request(tokens[username] ?? '', 'POST', `/api/tickets/${ticketId}/events`, body);

async function issue(unitCode = 'YY-WJW'): Promise<number> {
  const { tickets: issued } = await issueFindings(t, inspectionId, [{ unitCode, targetName: `并发检查对象-${++targetCounter}` }]);
  const id = issued[0]?.id;
  if (!id) throw new Error('no ticket issued');
  return id;
}

async function expectOk(response: Awaited<ReturnType<typeof send>>) {
  if (response.statusCode !== 200) throw new Error(`expected 200, got ${response.statusCode}: ${response.body}`);
}

/** Everything an event could have written about a ticket. */
async function traceOf(ticketId: number) {
  const [row] = await t.services.db.select().from(tickets).where(eq(tickets.id, ticketId));
  const events = await t.services.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticketId));
  const mails = await t.services.db.select({ id: notifications.id }).from(notifications).where(eq(notifications.ticketId, ticketId));
  return { row, events: events.length, mails: mails.length };
}

/**
 * Resolves once `count` sessions of this database wait for a lock: not after a time, but when the
 * server says the requests have queued.
 */
async function lockWaiters(count: number, failure: string): Promise<void> {
  for (let i = 0; ; i++) {
    const [row] = await queryRows<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      t.services.db,
    );
    if ((row?.n ?? 0) >= count) return;
    if (i > 500) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe.runIf(onPostgres)('simultaneous events on PostgreSQL', () => {
  it('lets exactly one of 20 simultaneous ACKNOWLEDGEs win; the other 19 answer 409', async () => {
    const id = await issue();
    const before = await traceOf(id);
    const responses = await Promise.all(Array.from({ length: 20 }, () => send('wjw-off', id, { type: 'ACKNOWLEDGE' })));
    expect(tally(responses.map((r) => r.statusCode))).toEqual({ 200: 1, 409: 19 });
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      expect(response.json()).toMatchObject({ code: 'tickets.transition_not_allowed', state: 'acknowledged', version: 2 });
    }
    const after = await traceOf(id);
    expect(after.events).toBe(before.events + 1);
    expect(after.mails).toBe(before.mails);
    expect(after.row).toMatchObject({ state: 'acknowledged', version: 2 });
  });

  it('lets exactly one of 20 simultaneous SUBMIT_RECTIFICATIONs with the same expectedVersion win; 19 are version conflicts', async () => {
    const id = await issue();
    await expectOk(await send('wjw-off', id, { type: 'ACKNOWLEDGE' }));
    const before = await traceOf(id);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send('wjw-off', id, { type: 'SUBMIT_RECTIFICATION', expectedVersion: 2, feedback: `第 ${i + 1} 份书面反馈` })),
    );
    expect(tally(responses.map((r) => r.statusCode))).toEqual({ 200: 1, 409: 19 });
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      expect(response.json()).toMatchObject({ code: 'tickets.version_conflict', state: 'rectified', version: 3 });
    }
    const after = await traceOf(id);
    expect(after.events).toBe(before.events + 1);
    // A submission reaches the office in its daily digest, not in an email of its own.
    expect(after.mails).toBe(before.mails);
    expect(after.row).toMatchObject({ state: 'rectified', version: 3 });
    const winner = responses.findIndex((r) => r.statusCode === 200);
    const trail = await t.services.ticketEvents.listForTicket({ ticketId: id });
    expect(trail.at(-1)?.payload).toMatchObject({ feedback: `第 ${winner + 1} 份书面反馈` });
  });

  it('lets exactly one of 20 different conflicting events from different people win', async () => {
    const id = await issue();
    await expectOk(await send('wjw-off', id, { type: 'ACKNOWLEDGE' }));
    await expectOk(await send('wjw-off', id, { type: 'SUBMIT_RECTIFICATION', feedback: '已整改' }));
    const before = await traceOf(id);
    const bodies: [string, Record<string, unknown>][] = [
      ['gov-sup', { type: 'VERIFY', expectedVersion: 3 }],
      ['gov-sup', { type: 'REJECT', expectedVersion: 3, reason: '不完整' }],
      ['admin', { type: 'WITHDRAW', expectedVersion: 3, reason: '撤销' }],
      ['admin', { type: 'REASSIGN', expectedVersion: 3, reason: '转办', unitCode: 'YY-JTJ' }],
      ['gov-sup', { type: 'EXTEND_DEADLINE', expectedVersion: 3, reason: '延期', dueAt: '2021-07-30' }],
    ];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const [who, body] = bodies[i % bodies.length] ?? ['admin', {}];
        return send(who, id, body);
      }),
    );
    expect(tally(responses.map((r) => r.statusCode))).toEqual({ 200: 1, 409: 19 });
    const after = await traceOf(id);
    expect(after.events).toBe(before.events + 1);
    // A reassignment also tells the old unit it need not report: two emails; every other decision one.
    const winner = bodies[responses.findIndex((r) => r.statusCode === 200) % bodies.length]?.[1].type;
    expect(after.mails).toBe(before.mails + (winner === 'REASSIGN' ? 2 : 1));
    expect(after.row?.version).toBe(4);
    const detail = (await t.request(tokens.admin ?? '', 'GET', `/api/tickets/${id}`)).json();
    expect(detail.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await t.services.ticketEvents.verifyChains()).firstBreak).toBeUndefined();
  });

  it('answers 409, not 404, to the events that queued behind a REASSIGN that won', async () => {
    const id = await issue();
    await expectOk(await send('wjw-off', id, { type: 'ACKNOWLEDGE' }));
    await expectOk(await send('wjw-off', id, { type: 'SUBMIT_RECTIFICATION', feedback: '已整改' }));
    const [adminUser] = await queryRows<{ id: number }>(sql`select id from users where username = 'admin'`, t.services.db);
    const admin = await t.services.users.findViewer({ id: adminUser?.id ?? 0 });
    if (!admin) throw new Error('no admin viewer');
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let reassigned = () => {};
    const written = new Promise<void>((resolve) => (reassigned = resolve));
    // The REASSIGN is written through the workflow and held uncommitted while the others queue behind it.
    const winner = t.services.db.transaction(async (tx) => {
      await t.services.ticketWorkflow.applyWithin({
        ticketId: id,
        sender: { kind: 'user', viewer: admin },
        input: { type: 'REASSIGN', reason: '转办', unitCode: 'YY-JTJ' },
      }, tx);
      reassigned();
      await held;
    });
    try {
      await written;
      const waiting = Promise.all([
        send('gov-sup', id, { type: 'VERIFY', expectedVersion: 3 }),
        send('gov-sup', id, { type: 'REJECT', expectedVersion: 3, reason: '不完整' }),
        send('gov-sup', id, { type: 'EXTEND_DEADLINE', expectedVersion: 3, reason: '延期', dueAt: '2021-07-30' }),
        send('admin', id, { type: 'WITHDRAW', expectedVersion: 3, reason: '撤销' }),
      ]);
      await lockWaiters(4, 'the four events never queued behind the REASSIGN');
      release();
      await winner;
      const responses = await waiting;
      expect(responses.map((r) => r.statusCode)).toEqual([409, 409, 409, 409]);
      for (const response of responses) expect(response.json()).toMatchObject({ code: 'tickets.version_conflict', version: 4 });
      // A reassigned ticket starts again at issued, with the new unit.
      expect((await traceOf(id)).row).toMatchObject({ version: 4, state: 'issued' });
    } finally {
      release();
      await winner.catch(() => {});
    }
  });

  it('does not hold up an event on one ticket while another ticket is locked', async () => {
    const a = await issue();
    const b = await issue();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let lockTaken = () => {};
    const locked = new Promise<void>((resolve) => (lockTaken = resolve));
    const holder = t.services.db.transaction(async (tx) => {
      await t.services.tickets.lock({ id: a }, tx);
      lockTaken();
      await held;
    });
    try {
      await locked;
      let aAnswered = false;
      const onA = send('wjw-off', a, { type: 'ACKNOWLEDGE' }).then((response) => {
        aAnswered = true;
        return response;
      });
      await lockWaiters(1, 'the event on ticket A never waited for its row lock');

      const onB = await send('wjw-off', b, { type: 'ACKNOWLEDGE' });
      expect(onB.statusCode).toBe(200);
      expect(aAnswered).toBe(false);
      expect((await traceOf(a)).row).toMatchObject({ state: 'issued', version: 1 });

      release();
      await holder;
      const answer = await onA;
      expect(answer.statusCode).toBe(200);
      expect(answer.json().ticket).toMatchObject({ state: 'acknowledged', version: 2 });
    } finally {
      release();
      await holder.catch(() => {});
    }
  });
});

describe('a refused or failed event writes nothing', () => {
  it('leaves the ticket row, its audit trail and its outbox as they were after every kind of refusal', async () => {
    const id = await issue();
    const before = await traceOf(id);
    const refusals: [string, Record<string, unknown>, number][] = [
      ['gov-sup', { type: 'VERIFY' }, 409],
      ['wjw-off', { type: 'ACKNOWLEDGE', expectedVersion: 2 }, 409],
      ['gov-off', { type: 'ACKNOWLEDGE' }, 403],
      ['wjw-sup', { type: 'ESCALATE' }, 403],
      ['gov-sup', { type: 'EXTEND_DEADLINE', reason: '延期', dueAt: '2021-06-01' }, 422],
      ['gov-sup', { type: 'REASSIGN', reason: '转办', unitCode: 'NOPE' }, 422],
      ['gov-sup', { type: 'REASSIGN', reason: '转办', unitCode: 'YY-WJW' }, 422],
      ['gov-sup', { type: 'WITHDRAW', reason: '  ' }, 400],
      ['wjw-off', { type: 'ACKNOWLEDGE', colour: 'red' }, 400],
      ['jtj-off', { type: 'ACKNOWLEDGE' }, 404],
    ];
    for (const [who, body, status] of refusals) {
      const response = await send(who, id, body);
      expect(response.statusCode, `${who} ${JSON.stringify(body)}: ${response.body}`).toBe(status);
      expect(await traceOf(id), `${who} ${JSON.stringify(body)}`).toEqual(before);
    }
  });

  it('writes nothing when the sweep escalates past the maximum level', async () => {
    const id = await issue();
    for (let level = 1; level <= 3; level++) {
      await t.services.ticketWorkflow.apply({ ticketId: id, sender: { kind: 'system' }, input: { type: 'ESCALATE' } });
    }
    const before = await traceOf(id);
    expect(before.row).toMatchObject({ escalationLevel: 3, version: 4 });
    const refused = await t.services.ticketWorkflow
      .apply({ ticketId: id, sender: { kind: 'system' }, input: { type: 'ESCALATE' } })
      .then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 409, code: 'tickets.escalation_limit' });
    expect(await traceOf(id)).toEqual(before);
  });

  it('rolls back the ticket update and the audit row when the outbox write fails in the same transaction', async () => {
    const id = await issue();
    await expectOk(await send('wjw-off', id, { type: 'ACKNOWLEDGE' }));
    const before = await traceOf(id);
    // The real database refuses this ticket's next email, after the ticket row and the audit row were written.
    await t.services.db.execute(
      sql.raw(`create function refuse_mail_for_test() returns trigger language plpgsql as $$ begin raise exception 'mail refused for the test'; end; $$`),
    );
    await t.services.db.execute(
      sql.raw(`create trigger refuse_mail_for_test before insert on notifications for each row when (new.ticket_id = ${id}) execute function refuse_mail_for_test()`),
    );
    try {
      const response = await send('gov-sup', id, { type: 'EXTEND_DEADLINE', dueAt: '2030-06-28', reason: '需协调技术服务单位' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toMatchObject({ code: 'internal' });
      expect(await traceOf(id)).toEqual(before);
    } finally {
      await t.services.db.execute(sql.raw('drop trigger refuse_mail_for_test on notifications'));
      await t.services.db.execute(sql.raw('drop function refuse_mail_for_test()'));
    }
    const retried = await send('gov-sup', id, { type: 'EXTEND_DEADLINE', expectedVersion: 2, dueAt: '2030-06-28', reason: '需协调技术服务单位' });
    expect(retried.statusCode).toBe(200);
    const after = await traceOf(id);
    expect(after.events).toBe(before.events + 1);
    expect(after.mails).toBe(before.mails + 1);
  });
});
