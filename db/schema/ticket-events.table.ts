import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { ticketEventTypes } from '../../core/ticket-states.js';
import { tickets, ticketStates } from './tickets.table.js';
import { trailColumns } from './trail.columns.js';

export { ticketEventTypes, type TicketEventType } from '../../core/ticket-states.js';

const stateList = ticketStates.map((s) => `'${s}'`).join(', ');

/**
 * The append-only audit trail. A trigger (migration 0001) refuses UPDATE and DELETE;
 * `hash` chains each row to the previous row of the same ticket. Only ticket-events.repository.ts writes it.
 */
export const ticketEvents = pgTable(
  'ticket_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'restrict' }),
    seq: integer('seq').notNull(),
    type: text('type', { enum: ticketEventTypes }).notNull(),
    fromState: text('from_state', { enum: ticketStates }),
    toState: text('to_state', { enum: ticketStates }).notNull(),
    ...trailColumns(),
  },
  (t) => [
    unique('ticket_events_ticket_seq_key').on(t.ticketId, t.seq),
    check('ticket_events_seq_check', sql`${t.seq} >= 1`),
    check('ticket_events_type_check', sql.raw(`type in (${ticketEventTypes.map((type) => `'${type}'`).join(', ')})`)),
    check('ticket_events_to_state_check', sql.raw(`to_state in (${stateList})`)),
    check('ticket_events_hash_check', sql`${t.hash} ~ '^[0-9a-f]{64}$'`),
    check('ticket_events_chain_version_check', sql`${t.chainVersion} in (1, 2)`),
    index('ticket_events_actor_idx').on(t.actorUserId),
  ],
);

export type TicketEvent = typeof ticketEvents.$inferSelect;
export type NewTicketEvent = typeof ticketEvents.$inferInsert;
