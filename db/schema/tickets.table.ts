import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { ticketStates } from '../../core/ticket-states.js';
import { findings } from './findings.table.js';
import { inspections } from './inspections.table.js';
import { units } from './units.table.js';

export { openTicketStates, ticketStates, type TicketState } from '../../core/ticket-states.js';

/** A unit's pending 申请延期: `until` a date (end of that day in Shanghai), `requestedAt` an instant. */
export interface ExtensionRequest {
  until: string;
  reason: string;
  requestedAt: string;
}

export const tickets = pgTable(
  'tickets',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique(),
    inspectionId: integer('inspection_id')
      .notNull()
      .references(() => inspections.id, { onDelete: 'restrict' }),
    findingId: integer('finding_id')
      .notNull()
      .unique()
      .references(() => findings.id, { onDelete: 'restrict' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'restrict' }),
    state: text('state', { enum: ticketStates }).notNull().default('issued'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    // True when the due time was computed past the published holiday calendar.
    dueProvisional: boolean('due_provisional').notNull().default(false),
    escalationLevel: integer('escalation_level').notNull().default(0),
    rejections: integer('rejections').notNull().default(0),
    extensionRequest: jsonb('extension_request').$type<ExtensionRequest>(),
    // Extensions granted on the unit's request (APPROVE_EXTENSION), counted against policy.maxExtensions.
    extensionsGranted: integer('extensions_granted').notNull().default(0),
    version: integer('version').notNull().default(1),
    // When the sweep must next look at this ticket (reminder, escalation, verification reminder); null: nothing pending.
    nextActionAt: timestamp('next_action_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    rectifiedAt: timestamp('rectified_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    // The tail of the ticket's audit trail, written with each event in the same transaction
    // (ticket-events.repository.ts): deleting the last events, or all of them, leaves it behind.
    auditSeq: integer('audit_seq').notNull().default(0),
    auditHash: text('audit_hash'),
  },
  (t) => [
    check('tickets_state_check', sql`${t.state} in ('issued', 'acknowledged', 'rectified', 'verified', 'withdrawn')`),
    check('tickets_escalation_level_check', sql`${t.escalationLevel} between 0 and 10`),
    check('tickets_rejections_check', sql`${t.rejections} >= 0`),
    check('tickets_extensions_granted_check', sql`${t.extensionsGranted} >= 0`),
    check('tickets_version_check', sql`${t.version} >= 1`),
    check('tickets_audit_seq_check', sql`${t.auditSeq} >= 0`),
    index('tickets_unit_state_due_idx').on(t.unitId, t.state, t.dueAt, t.id),
    // The ticket list (tickets.repository.ts listQuery) walks these in its order (due time, then id)
    // and tests its filters on the entries alone (index-only): the columns after id are the ones
    // its conditions read. tickets_list_idx: every ticket in scope (and q= by number); the state and
    // unit ones: one walk per state asked for or per unit of a small subtree.
    index('tickets_state_due_idx').on(t.state, t.dueAt, t.id, t.unitId, t.escalationLevel, t.inspectionId, t.findingId),
    index('tickets_unit_due_idx').on(t.unitId, t.dueAt, t.id, t.state, t.escalationLevel, t.inspectionId, t.findingId),
    index('tickets_list_idx').on(t.dueAt, t.id, t.unitId, t.state, t.escalationLevel, t.inspectionId, t.findingId, t.number),
    // One inspection's tickets of one state in the list's order: the other inspections' entries of
    // that state are not passed first. Its prefixes also answer the lookups by inspection (reports,
    // counts) and the daily 待核验 digest's probe (is a submission waiting in this inspection?).
    index('tickets_inspection_state_due_idx').on(t.inspectionId, t.state, t.dueAt, t.id, t.unitId, t.escalationLevel, t.findingId),
    // Only the escalated tickets (a few in a hundred), in the list's order: escalated=true or a level
    // reads these instead of passing every unescalated ticket due earlier.
    index('tickets_escalated_due_idx')
      .on(t.dueAt, t.id, t.unitId, t.state, t.escalationLevel, t.inspectionId, t.findingId, t.number)
      .where(sql`${t.escalationLevel} > 0`),
    // The ticket list's q= by any part of the ticket number (pg_trgm, migration 0004).
    index('tickets_number_trgm_idx').using('gin', t.number.op('gin_trgm_ops')),
    // The sweep claims due tickets in (next_action_at, id) order; with id in the index it reads the
    // first batch straight off it instead of sorting every due ticket for every batch.
    index('tickets_next_action_idx').on(t.nextActionAt, t.id).where(sql`${t.nextActionAt} is not null`),
  ],
);

export type Ticket = typeof tickets.$inferSelect;
export type NewTicket = typeof tickets.$inferInsert;
