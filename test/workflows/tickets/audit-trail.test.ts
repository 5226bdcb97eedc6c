import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketEvents, type TicketEvent } from '../../../db/schema/index.js';
import { createAuditChain } from '../../../db/audit-chain.js';
import { loadAuditKey } from '../../../server/audit-key.js';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../../helpers/fixtures.js';

/**
 * The audit trail is append-only in the database itself, and hash-chained so that a change made behind
 * the trigger's back (by someone who can disable it) is found by `verifyChains`. Runs on PGlite and,
 * with DATABASE_URL, on PostgreSQL.
 */

let t: TestApp;
let ids: { verified: number; acknowledged: number; rectified: number };

/** The error a refused query carries, wherever the driver put the database's message. */
async function refusal(query: Promise<unknown>): Promise<string> {
  const outcome = await query.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome === undefined) throw new Error('the database accepted the query');
  const messages: string[] = [];
  for (let error: unknown = outcome; error instanceof Error; error = error.cause) messages.push(error.message);
  return messages.join(' / ');
}

const db = () => t.services.db;
const withoutTrigger = async (change: () => Promise<unknown>) => {
  await db().execute(sql`alter table ticket_events disable trigger ticket_events_no_update_delete`);
  try {
    await change();
  } finally {
    await db().execute(sql`alter table ticket_events enable trigger ticket_events_no_update_delete`);
  }
};

async function row(ticketId: number, seq: number): Promise<TicketEvent> {
  const [found] = await db().select().from(ticketEvents).where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.seq, seq)));
  if (!found) throw new Error(`no event ${seq} of ticket ${ticketId}`);
  return found;
}

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  const { tokens } = await seedOrganisation(t);
  const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
  const issued = await issueFindings(t, inspection.id, [
    { unitCode: 'YY-WJW', targetName: '健康益阳' },
    { unitCode: 'YY-JTJ', targetName: '益阳交通' },
    { unitCode: 'AH-GL', targetName: '古楼乡政务' },
  ]);
  const [verified, acknowledged, rectified] = issued.tickets.map((ticket) => ticket.id);
  if (!verified || !acknowledged || !rectified) throw new Error('issuance returned too few tickets');
  ids = { verified, acknowledged, rectified };
  const steps: [string, number, Record<string, unknown>][] = [
    ['wjw-off', verified, { type: 'ACKNOWLEDGE', comment: '已收到' }],
    ['wjw-off', verified, { type: 'SUBMIT_RECTIFICATION', feedback: '已安排专人回复留言', evidence: ['https://example.gov.cn/a'] }],
    ['gov-sup', verified, { type: 'REJECT', reason: '回复不完整' }],
    ['wjw-off', verified, { type: 'SUBMIT_RECTIFICATION', feedback: '已全部回复' }],
    ['gov-sup', verified, { type: 'VERIFY', comment: '核验通过' }],
    ['jtj-off', acknowledged, { type: 'ACKNOWLEDGE' }],
    ['gl-off', rectified, { type: 'ACKNOWLEDGE' }],
    ['gl-off', rectified, { type: 'SUBMIT_RECTIFICATION', feedback: '已更新栏目' }],
  ];
  for (const [who, ticketId, body] of steps) {
    const response = await t.request(tokens[who] ?? '', 'POST', `/api/tickets/${ticketId}/events`, body);
    if (response.statusCode !== 200) throw new Error(`${who} ${JSON.stringify(body)}: ${response.body}`);
  }
  await t.services.ticketWorkflow.apply({ ticketId: acknowledged, sender: { kind: 'system' }, input: { type: 'ESCALATE' } });
});
afterAll(() => t.close());

describe('ticket_events is append-only in the database', () => {
  it('refuses UPDATE', async () => {
    const before = await row(ids.verified, 2);
    expect(await refusal(db().execute(sql`update ticket_events set actor = 'mallory' where ticket_id = ${ids.verified} and seq = 2`))).toMatch(/append-only/);
    expect(await refusal(db().update(ticketEvents).set({ payload: { feedback: '改过的反馈' } }).where(eq(ticketEvents.ticketId, ids.verified)))).toMatch(/append-only/);
    expect(await row(ids.verified, 2)).toEqual(before);
  });

  it('refuses DELETE', async () => {
    expect(await refusal(db().execute(sql`delete from ticket_events where ticket_id = ${ids.acknowledged} and seq = 2`))).toMatch(/append-only/);
    expect(await refusal(db().delete(ticketEvents))).toMatch(/append-only/);
    expect((await t.services.ticketEvents.listForTicket({ ticketId: ids.acknowledged })).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('refuses TRUNCATE', async () => {
    expect(await refusal(db().execute(sql`truncate ticket_events cascade`))).toMatch(/append-only/);
    expect((await t.services.ticketEvents.listForTicket({ ticketId: ids.verified })).length).toBe(6);
  });
});

describe('verifyChains', () => {
  it('passes on a real history, counting every event of every ticket', async () => {
    const [{ n } = { n: -1 }] = await db().select({ n: sql<number>`count(*)::int` }).from(ticketEvents);
    expect(n).toBe(6 + 3 + 3);
    expect(await t.services.ticketEvents.verifyChains()).toEqual({ checkedEvents: 12, checkedTickets: 3 });
    // Small batches walk the same chains.
    expect(await t.services.ticketEvents.verifyChains({ ticketsPerBatch: 1 })).toEqual({ checkedEvents: 12, checkedTickets: 3 });
  });

  it('reports a payload rewritten behind the trigger’s back as a hash mismatch at that row', async () => {
    const original = await row(ids.verified, 3);
    await withoutTrigger(() =>
      db().update(ticketEvents).set({ payload: { ...original.payload, reason: '（已删除）' } }).where(eq(ticketEvents.id, original.id)),
    );
    try {
      expect((await t.services.ticketEvents.verifyChains()).firstBreak).toEqual({ ticketId: ids.verified, seq: 3, problem: 'hash_mismatch' });
    } finally {
      await withoutTrigger(() => db().update(ticketEvents).set({ payload: original.payload }).where(eq(ticketEvents.id, original.id)));
    }
    expect((await t.services.ticketEvents.verifyChains()).firstBreak).toBeUndefined();
  });

  it('reports the first break of all: the lowest ticket, the earliest row', async () => {
    const later = await row(ids.rectified, 3);
    const earlier = await row(ids.acknowledged, 2);
    const actor = (e: TicketEvent, name: string) => db().update(ticketEvents).set({ actor: name }).where(eq(ticketEvents.id, e.id));
    await withoutTrigger(async () => {
      await actor(later, 'mallory');
      await actor(earlier, 'mallory');
    });
    try {
      expect((await t.services.ticketEvents.verifyChains({ ticketsPerBatch: 1 })).firstBreak).toEqual({ ticketId: ids.acknowledged, seq: 2, problem: 'hash_mismatch' });
    } finally {
      await withoutTrigger(async () => {
        await actor(later, later.actor);
        await actor(earlier, earlier.actor);
      });
    }
  });

  it('reports a deleted middle row as a gap at the row after it', async () => {
    const removed = await row(ids.rectified, 2);
    expect(removed.type).toBe('ACKNOWLEDGE'); // no email refers to it
    await withoutTrigger(() => db().delete(ticketEvents).where(eq(ticketEvents.id, removed.id)));
    try {
      expect((await t.services.ticketEvents.verifyChains()).firstBreak).toEqual({ ticketId: ids.rectified, seq: 3, problem: 'seq_gap' });
    } finally {
      await db().insert(ticketEvents).values(removed);
    }
    expect((await t.services.ticketEvents.verifyChains()).firstBreak).toBeUndefined();
  });

  it('catches a row rewritten together with its own hash: the next row no longer links to it', async () => {
    const rewritten = await row(ids.verified, 2);
    const payload = { ...rewritten.payload, feedback: '从未提交过的反馈' };
    // Rewritten by someone who has the audit key as well: the row itself checks out, the link after it does not.
    const { id: _id, prevHash, hash: _hash, ...content } = rewritten;
    const forged = createAuditChain(loadAuditKey({ dataDir: t.db.dataDir })).link({ ticketId: rewritten.ticketId }, prevHash, { ...content, payload }).hash;
    await withoutTrigger(() => db().update(ticketEvents).set({ payload, hash: forged }).where(eq(ticketEvents.id, rewritten.id)));
    try {
      expect((await t.services.ticketEvents.verifyChains()).firstBreak).toEqual({ ticketId: ids.verified, seq: 3, problem: 'prev_hash_mismatch' });
    } finally {
      await withoutTrigger(() => db().update(ticketEvents).set({ payload: rewritten.payload, hash: rewritten.hash }).where(eq(ticketEvents.id, rewritten.id)));
    }
    expect((await t.services.ticketEvents.verifyChains()).firstBreak).toBeUndefined();
  });
});
