import { and, asc, desc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { chainHash, findChainBreak, type ChainBreak } from '../../workflows/audit-chain.js';
import { queryRows, type Db } from '../client.js';
import { ticketEvents, type TicketEvent, type TicketEventType, type TicketState } from '../schema/index.js';

export interface AppendEvent {
  ticketId: number;
  type: TicketEventType;
  fromState: TicketState | null;
  toState: TicketState;
  actorUserId: number | null;
  actor: string;
  at: Date;
  payload: Record<string, unknown>;
}

export function createTicketEventsRepository({ db }: { db: Db }) {
  return {
    /**
     * Appends the next event of a ticket, chained to the previous one.
     * The caller holds the ticket's row lock, so `seq` cannot be taken twice (and the unique key would refuse it).
     */
    async append(event: AppendEvent, tx: Db): Promise<TicketEvent> {
      const [last] = await tx
        .select({ seq: ticketEvents.seq, hash: ticketEvents.hash })
        .from(ticketEvents)
        .where(eq(ticketEvents.ticketId, event.ticketId))
        .orderBy(desc(ticketEvents.seq))
        .limit(1);
      const seq = (last?.seq ?? 0) + 1;
      const prevHash = last?.hash ?? null;
      const hash = chainHash(prevHash, { ...event, seq });
      const [row] = await tx.insert(ticketEvents).values({ ...event, seq, prevHash, hash }).returning();
      if (!row) throw new Error('insert into ticket_events returned nothing');
      return row;
    },

    /**
     * `append` for many tickets at once, one event each: the last rows of all of them in one query,
     * the new rows in one insert per chunk. The caller holds the tickets' row locks.
     */
    async appendMany(batch: AppendEvent[], tx: Db): Promise<TicketEvent[]> {
      if (batch.length === 0) return [];
      const ids = batch.map((e) => e.ticketId);
      if (new Set(ids).size !== ids.length) throw new Error('appendMany takes one event per ticket');
      const lasts = await tx
        .selectDistinctOn([ticketEvents.ticketId], { ticketId: ticketEvents.ticketId, seq: ticketEvents.seq, hash: ticketEvents.hash })
        .from(ticketEvents)
        .where(inArray(ticketEvents.ticketId, ids))
        .orderBy(ticketEvents.ticketId, desc(ticketEvents.seq));
      const lastOf = new Map(lasts.map((row) => [row.ticketId, row]));
      const rows = batch.map((event) => {
        const last = lastOf.get(event.ticketId);
        const seq = (last?.seq ?? 0) + 1;
        const prevHash = last?.hash ?? null;
        return { ...event, seq, prevHash, hash: chainHash(prevHash, { ...event, seq }) };
      });
      // One array parameter per column (unnest), rather than eleven parameters per event.
      const column = (value: (row: (typeof rows)[number]) => string | number | null) => sql`${sql.param(rows.map(value))}`;
      const inserted = await queryRows<{ id: number | string; ticket_id: number; seq: number }>(
        tx,
        sql`insert into ${ticketEvents} (ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, payload, prev_hash, hash)
            select r.ticket_id, r.seq, r.type, r.from_state, r.to_state, r.actor_user_id, r.actor, r.at, r.payload::jsonb, r.prev_hash, r.hash
            from unnest(${column((r) => r.ticketId)}::int[], ${column((r) => r.seq)}::int[], ${column((r) => r.type)}::text[], ${column((r) => r.fromState)}::text[],
                        ${column((r) => r.toState)}::text[], ${column((r) => r.actorUserId)}::int[], ${column((r) => r.actor)}::text[],
                        ${column((r) => r.at.toISOString())}::timestamptz[], ${column((r) => JSON.stringify(r.payload))}::text[],
                        ${column((r) => r.prevHash)}::text[], ${column((r) => r.hash)}::text[])
              as r(ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, payload, prev_hash, hash)
            returning id, ticket_id, seq`,
      );
      // bigserial comes back from the pg driver as a string.
      const idOf = new Map(inserted.map((row) => [row.ticket_id, Number(row.id)]));
      return rows.map((row) => ({ ...row, id: idOf.get(row.ticketId) ?? 0 }));
    },

    async listForTicket({ ticketId }: { ticketId: number }, tx: Db = db): Promise<TicketEvent[]> {
      return tx.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticketId)).orderBy(asc(ticketEvents.seq));
    },

    /** Walks every ticket's chain, a batch of tickets at a time; returns the first break found. */
    async verifyChains(
      { ticketsPerBatch = 1000 }: { ticketsPerBatch?: number } = {},
      tx: Db = db,
    ): Promise<{ checkedEvents: number; checkedTickets: number; firstBreak?: ChainBreak }> {
      let afterId = 0;
      let checkedEvents = 0;
      let checkedTickets = 0;
      for (;;) {
        const ids = await tx
          .selectDistinct({ id: ticketEvents.ticketId })
          .from(ticketEvents)
          .where(gt(ticketEvents.ticketId, afterId))
          .orderBy(asc(ticketEvents.ticketId))
          .limit(ticketsPerBatch);
        const lastId = ids.at(-1)?.id;
        if (lastId === undefined) return { checkedEvents, checkedTickets };
        const rows = await tx
          .select()
          .from(ticketEvents)
          .where(and(gt(ticketEvents.ticketId, afterId), lte(ticketEvents.ticketId, lastId)))
          .orderBy(asc(ticketEvents.ticketId), asc(ticketEvents.seq));
        let start = 0;
        for (let i = 1; i <= rows.length; i++) {
          if (i < rows.length && rows[i]?.ticketId === rows[start]?.ticketId) continue;
          const chain = rows.slice(start, i);
          checkedTickets++;
          checkedEvents += chain.length;
          const firstBreak = findChainBreak(chain);
          if (firstBreak) return { checkedEvents, checkedTickets, firstBreak };
          start = i;
        }
        afterId = lastId;
      }
    },
  };
}

export type TicketEventsRepository = ReturnType<typeof createTicketEventsRepository>;
