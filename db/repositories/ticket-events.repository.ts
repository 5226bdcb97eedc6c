import { and, asc, desc, eq, gt, lte } from 'drizzle-orm';
import { chainHash, findChainBreak, type ChainBreak } from '../../workflows/audit-chain.js';
import type { Db } from '../client.js';
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
