import { and, asc, eq, gt, lte, sql, type SQL } from 'drizzle-orm';
import { jsonColumn, unnestArray, unnestColumn, type UnnestType } from '../unnest.js';
import { sharedMomentIso, type AuditChain, type TrailProblem } from '../audit-chain.js';
import { queryRows, type Db } from '../client.js';
import { runPrepared, type PreparedStatement } from '../prepared.js';
import { pipelineStatements } from '../pipeline.js';
import { ticketEvents, tickets, type NewTicket, type TicketEvent, type TicketEventType, type TicketState } from '../schema/index.js';
import { legacyMaxIds } from './audit-legacy.js';
import { ticketChangeColumns, type TicketChange } from './tickets.repository.js';

/** One accepted event of one ticket, as a workflow decided it; the repository gives it its place in the chain. */
export interface EventChange {
  ticketId: number;
  type: TicketEventType;
  fromState: TicketState | null;
  toState: TicketState;
  actorUserId: number | null;
  actor: string;
  at: Date;
  payload: Record<string, unknown>;
}

/** The last link of a ticket's trail, as the ticket records it (`audit_seq`, `audit_hash`). */
export interface ChainTail {
  seq: number;
  hash: string | null;
}

/** What one accepted event writes on its ticket: the columns every event sets, and those some set. */
export type TransitionValues = TicketChange &
  Partial<Pick<NewTicket, 'acknowledgedAt' | 'rectifiedAt' | 'closedAt' | 'dueProvisional' | 'extensionRequest' | 'extensionsGranted'>>;

/**
 * One event of one ticket in one statement: the ticket's new values and its new tail, and the
 * event, inserted only when the ticket's tail is still the one it was chained to. Columns an event
 * does not set are passed as null and kept (`extension_request` has a flag, as it may be cleared).
 */
const transitionStatement: PreparedStatement = {
  name: 'ticket_events_transition',
  text: `with t as (
           update tickets set state = $3, version = $4, updated_at = $5::timestamptz, unit_id = $6, due_at = $7::timestamptz,
             escalation_level = $8, rejections = $9, next_action_at = $10::timestamptz,
             acknowledged_at = coalesce($11::timestamptz, acknowledged_at), rectified_at = coalesce($12::timestamptz, rectified_at),
             closed_at = coalesce($13::timestamptz, closed_at), due_provisional = coalesce($14::boolean, due_provisional),
             extension_request = case when $15::boolean then $16::jsonb else extension_request end,
             extensions_granted = coalesce($17::int, extensions_granted), audit_seq = $18::int, audit_hash = $19::text
           where id = $1 and audit_seq = $2
           returning id)
         insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, payload, prev_hash, hash, chain_version)
         select t.id, $18::int, $20::text, $21::text, $22::text, $23::int, $24::text, $25::timestamptz, $26::jsonb, $27::text, $19::text, $28::smallint
         from t
         returning id`,
};

/** What is wrong with one ticket's trail. */
export interface TicketTrailProblem {
  ticketId: number;
  number: string;
  seq: number | null;
  problem: TrailProblem;
}

// Rows per insert; each column is one array parameter (unnest), so this bounds only the statement's size.
const CHUNK = 5000;
// The first statement of a persist with more events than CHUNK.
const FIRST_CHUNK = 1000;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The only writer of `ticket_events`. Every event (a person's, the sweep's escalations, the
 * issuance of imported tickets) goes through `persist`, which chains it to the ticket's recorded
 * tail and moves that tail (`tickets.audit_seq`, `audit_hash`) in the same transaction.
 */
export function createTicketEventsRepository({ db, chain }: { db: Db; chain: AuditChain }) {
  /**
   * `persist` of one person's event: the caller holds the ticket's row lock and read its tail with
   * it, so the ticket's update, its tail and the event go in one statement instead of four.
   */
  async function persistTransition(changes: EventChange[], { tail, values }: { tail: ChainTail; values: TransitionValues }, tx: Db): Promise<TicketEvent> {
    const [change] = changes;
    if (!change || changes.length !== 1) throw new Error('persist: a transition writes exactly one event');
    const seq = tail.seq + 1;
    const { hash, chainVersion } = chain.link({ ticketId: change.ticketId }, tail.hash, { ...change, seq });
    const iso = (at: Date | null | undefined) => at?.toISOString() ?? null;
    const [row] = await runPrepared<{ id: number | string }>(transitionStatement, [
      change.ticketId,
      tail.seq,
      values.state,
      values.version,
      values.updatedAt.toISOString(),
      values.unitId,
      values.dueAt.toISOString(),
      values.escalationLevel,
      values.rejections,
      iso(values.nextActionAt),
      iso(values.acknowledgedAt),
      iso(values.rectifiedAt),
      iso(values.closedAt),
      values.dueProvisional ?? null,
      values.extensionRequest !== undefined,
      values.extensionRequest === undefined || values.extensionRequest === null ? null : JSON.stringify(values.extensionRequest),
      values.extensionsGranted ?? null,
      seq,
      hash,
      change.type,
      change.fromState,
      change.toState,
      change.actorUserId,
      change.actor,
      change.at.toISOString(),
      JSON.stringify(change.payload),
      tail.hash,
      chainVersion,
    ], tx);
    // No row: the ticket's tail moved since the caller read it (or the ticket is gone); nothing was written.
    if (!row) throw new Error(`ticket ${change.ticketId}: its audit tail is no longer seq ${tail.seq}`);
    // bigserial comes back from the pg driver as a string.
    return { ...change, seq, prevHash: tail.hash, hash, chainVersion, id: Number(row.id) };
  }

  const repository = {
    /**
     * Appends the events, in order (several for one ticket chain one after another), and moves each
     * ticket's tail to its last event: one statement per chunk of events. The caller holds the
     * tickets' row locks (or has just inserted them), so no `seq` can be taken twice, and the unique
     * key would refuse it anyway. `tails`: the tickets' recorded tails as the caller read them under
     * those locks, which spares reading them again; a stale one fails on that key. `transition`: one
     * event of one ticket, with the ticket's new values and the tail read with its lock, written in
     * one statement. `values`: for many events, each ticket's new values (the TicketChange columns,
     * as its last event leaves it), written with its tail, so the ticket gets one new row version
     * instead of two; given, it names every ticket of `changes`.
     */
    async persist(
      {
        changes,
        tails,
        transition,
        values,
      }: {
        changes: EventChange[];
        tails?: ReadonlyMap<number, { seq: number; hash: string | null }>;
        transition?: { tail: ChainTail; values: TransitionValues };
        values?: ReadonlyMap<number, TicketChange>;
      },
      tx: Db,
    ): Promise<TicketEvent[]> {
      if (transition) return [await persistTransition(changes, transition, tx)];
      if (changes.length === 0) return [];
      const valuesOf = (ticketId: number): TicketChange => {
        const found = values?.get(ticketId);
        if (!found) throw new Error(`persist: no new values for ticket ${ticketId}`);
        const other = Object.keys(found).find((key) => !ticketChangeColumns.has(key));
        if (other) throw new Error(`persist does not write ${other} for many events`);
        return found;
      };
      const ids = [...new Set(changes.map((c) => c.ticketId))];
      const tailOf = new Map<number, { seq: number; hash: string | null }>();
      for (const id of ids) {
        const tail = tails?.get(id);
        if (tail) tailOf.set(id, tail);
      }
      for (const part of chunks(ids.filter((id) => !tailOf.has(id)))) {
        const rows = await tx
          .select({ id: tickets.id, seq: tickets.auditSeq, hash: tickets.auditHash })
          .from(tickets)
          .where(sql`${tickets.id} = any(${sql.param(part)}::int[])`);
        for (const row of rows) tailOf.set(row.id, { seq: row.seq, hash: row.hash });
      }
      // Chains a chunk's events to their tickets' tails, in order (a ticket's next event follows its last).
      const link = (part: EventChange[]): TicketEvent[] =>
        part.map((change) => {
          const tail = tailOf.get(change.ticketId);
          if (!tail) throw new Error(`ticket ${change.ticketId} does not exist`);
          // The id is the database's, filled in below; the hash is the link's, once the row has its seq.
          // Fields named one by one: V8 copies `{ ...change, seq, … }` on a slow path, some µs an event.
          const row: TicketEvent = {
            ticketId: change.ticketId,
            type: change.type,
            fromState: change.fromState,
            toState: change.toState,
            actorUserId: change.actorUserId,
            actor: change.actor,
            at: change.at,
            payload: change.payload,
            seq: tail.seq + 1,
            prevHash: tail.hash,
            hash: '',
            chainVersion: 0,
            id: 0,
          };
          const { hash, chainVersion } = chain.link({ ticketId: change.ticketId }, tail.hash, row);
          row.hash = hash;
          row.chainVersion = chainVersion;
          tailOf.set(change.ticketId, { seq: row.seq, hash });
          return row;
        });

      const isoOf = sharedMomentIso();
      const statementOf = (part: TicketEvent[]): SQL => {
        // One array parameter per column (unnest), rather than twelve parameters per event; a value
        // every event of the chunk shares (an escalation's type, actor, moment) is sent once.
        const column = (value: (row: TicketEvent) => string | number | null, type: UnnestType) => unnestArray(part, value, type);
        // The tail of each ticket as this chunk leaves it: its last event here.
        const moved = [...new Map(part.map((r) => [r.ticketId, r])).values()];
        const next = values ? moved.map((r) => ({ id: r.ticketId, seq: r.seq, hash: r.hash, values: valuesOf(r.ticketId) })) : [];
        const nextColumn = (value: (row: (typeof next)[number]) => string | number | null, type: UnnestType) => unnestArray(next, value, type);
        const [updatedIso, dueIso, nextIso] = [sharedMomentIso(), sharedMomentIso(), sharedMomentIso()];
        const tailed = values
          ? sql`update ${tickets} set audit_seq = v.seq, audit_hash = v.hash, state = v.state, version = v.version, updated_at = v.updated_at, unit_id = v.unit_id,
                  due_at = v.due_at, escalation_level = v.escalation_level, rejections = v.rejections, next_action_at = v.next_action_at
                from unnest(${nextColumn((r) => r.id, 'int')}, ${nextColumn((r) => r.seq, 'int')}, ${nextColumn((r) => r.hash, 'text')},
                            ${nextColumn((r) => r.values.state, 'text')}, ${nextColumn((r) => r.values.version, 'int')}, ${nextColumn((r) => updatedIso(r.values.updatedAt), 'timestamptz')},
                            ${nextColumn((r) => r.values.unitId, 'int')}, ${nextColumn((r) => dueIso(r.values.dueAt), 'timestamptz')},
                            ${nextColumn((r) => r.values.escalationLevel, 'int')}, ${nextColumn((r) => r.values.rejections, 'int')},
                            ${nextColumn((r) => (r.values.nextActionAt ? nextIso(r.values.nextActionAt) : null), 'timestamptz')})
                  as v(id, seq, hash, state, version, updated_at, unit_id, due_at, escalation_level, rejections, next_action_at)
                where ${tickets.id} = v.id`
          : sql`update ${tickets} set audit_seq = v.seq, audit_hash = v.hash
                from unnest(${unnestColumn(moved, (r) => r.ticketId)}::int[], ${unnestColumn(moved, (r) => r.seq)}::int[], ${unnestColumn(moved, (r) => r.hash)}::text[]) as v(id, seq, hash)
                where ${tickets.id} = v.id`;
        return sql`with appended as (
                insert into ${ticketEvents} (ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, payload, prev_hash, hash, chain_version)
                select r.ticket_id, r.seq, r.type, r.from_state, r.to_state, r.actor_user_id, r.actor, r.at, r.payload::jsonb, r.prev_hash, r.hash, r.chain_version
                from rows from (unnest(${column((r) => r.ticketId, 'int')}, ${column((r) => r.seq, 'int')}, ${column((r) => r.type, 'text')}, ${column((r) => r.fromState, 'text')},
                            ${column((r) => r.toState, 'text')}, ${column((r) => r.actorUserId, 'int')}, ${column((r) => r.actor, 'text')},
                            ${column((r) => isoOf(r.at), 'timestamptz')}, ${column((r) => r.prevHash, 'text')}, ${column((r) => r.hash, 'text')},
                            ${column((r) => r.chainVersion, 'smallint')}),
                            json_array_elements(${jsonColumn(part, (r) => JSON.stringify(r.payload))}::json))
                  as r(ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, prev_hash, hash, chain_version, payload)
                returning id, ticket_id, seq
              ), tailed as (${tailed})
              select id, ticket_id, seq from appended`;
      };

      const rows: TicketEvent[] = [];
      // A first, smaller statement: the database starts on it after linking 1,000 events rather than
      // 5,000, and links the next full chunk while it writes.
      const parts = changes.length > CHUNK ? [changes.slice(0, FIRST_CHUNK), ...chunks(changes.slice(FIRST_CHUNK))] : [changes];
      // Each chunk is linked while the database writes the one before (db/pipeline.ts).
      await pipelineStatements(parts, {
        build: (part) => {
          const linked = link(part);
          return { linked, statement: statementOf(linked) };
        },
        run: async ({ linked, statement }) => ({ linked, inserted: await queryRows<{ id: number | string; ticket_id: number; seq: number }>(statement, tx) }),
        done: ({ linked, inserted }) => {
          // A ticket's events in one chunk are few and consecutive: find each by ticket, then seq.
          const byTicket = new Map<number, TicketEvent[]>();
          for (const row of linked) {
            const same = byTicket.get(row.ticketId);
            if (same) same.push(row);
            else byTicket.set(row.ticketId, [row]);
            rows.push(row);
          }
          // bigserial comes back from the pg driver as a string.
          for (const { id, ticket_id, seq } of inserted) {
            const row = byTicket.get(ticket_id)?.find((r) => r.seq === seq);
            if (row) row.id = Number(id);
          }
        },
      });
      return rows;
    },

    async listForTicket({ ticketId }: { ticketId: number }, tx: Db = db): Promise<TicketEvent[]> {
      return tx.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticketId)).orderBy(asc(ticketEvents.seq));
    },

    /**
     * Checks every ticket against its trail, a batch of tickets at a time: the chain (each link,
     * keyed), the tail the ticket records (deleted last events, or all of them) and the ticket's
     * state against its last event. Lists up to `limit` problems, the first of each ticket's kinds.
     */
    async verify(
      { ticketsPerBatch = 1000, limit = 1000 }: { ticketsPerBatch?: number; limit?: number } = {},
      tx: Db = db,
    ): Promise<{ checkedEvents: number; checkedTickets: number; problems: TicketTrailProblem[]; totalProblems: number }> {
      const legacyMaxId = (await legacyMaxIds(tx)).ticketEvents;
      const problems: TicketTrailProblem[] = [];
      let totalProblems = 0;
      let afterId = 0;
      let checkedEvents = 0;
      let checkedTickets = 0;
      for (;;) {
        const owners = await tx
          .select({ id: tickets.id, number: tickets.number, state: tickets.state, auditSeq: tickets.auditSeq, auditHash: tickets.auditHash })
          .from(tickets)
          .where(gt(tickets.id, afterId))
          .orderBy(asc(tickets.id))
          .limit(ticketsPerBatch);
        const lastId = owners.at(-1)?.id;
        if (lastId === undefined) return { checkedEvents, checkedTickets, problems, totalProblems };
        const rows = await tx
          .select()
          .from(ticketEvents)
          .where(and(gt(ticketEvents.ticketId, afterId), lte(ticketEvents.ticketId, lastId)))
          .orderBy(asc(ticketEvents.ticketId), asc(ticketEvents.seq));
        const trailOf = new Map<number, TicketEvent[]>();
        for (const row of rows) {
          const trail = trailOf.get(row.ticketId);
          if (trail) trail.push(row);
          else trailOf.set(row.ticketId, [row]);
        }
        checkedEvents += rows.length;
        checkedTickets += owners.length;
        for (const owner of owners) {
          const found = chain.check({ ticketId: owner.id }, owner, trailOf.get(owner.id) ?? [], legacyMaxId);
          totalProblems += found.length;
          for (const { seq, problem } of found) if (problems.length < limit) problems.push({ ticketId: owner.id, number: owner.number, seq, problem });
        }
        afterId = lastId;
      }
    },

    /** `verify` in short: the counts and the first problem found, if any. */
    async verifyChains(options: { ticketsPerBatch?: number } = {}, tx: Db = db): Promise<{ checkedEvents: number; checkedTickets: number; firstBreak?: { ticketId: number; seq: number | null; problem: TrailProblem } }> {
      const { checkedEvents, checkedTickets, problems } = await repository.verify({ ...options, limit: 1 }, tx);
      const [first] = problems;
      return { checkedEvents, checkedTickets, ...(first ? { firstBreak: { ticketId: first.ticketId, seq: first.seq, problem: first.problem } } : {}) };
    },
  };
  return repository;
}

export type TicketEventsRepository = ReturnType<typeof createTicketEventsRepository>;
