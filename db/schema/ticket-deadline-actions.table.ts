import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tickets } from './tickets.table.js';

export const deadlineActionKinds = ['reminder', 'escalation', 'verify_reminder'] as const;
export type DeadlineActionKind = (typeof deadlineActionKinds)[number];

/**
 * One row per reminder or escalation taken. The key makes each happen exactly once,
 * however many sweeps run: `step` is N of "N working days before" or the escalation level,
 * `basis` the due time (or submission time) it was computed from, so an extended deadline
 * earns its reminders again.
 */
export const ticketDeadlineActions = pgTable(
  'ticket_deadline_actions',
  {
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: deadlineActionKinds }).notNull(),
    step: integer('step').notNull(),
    basis: timestamp('basis', { withTimezone: true }).notNull(),
    takenAt: timestamp('taken_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.ticketId, t.kind, t.step, t.basis] }),
    check('ticket_deadline_actions_kind_check', sql`${t.kind} in ('reminder', 'escalation', 'verify_reminder')`),
  ],
);

export type TicketDeadlineAction = typeof ticketDeadlineActions.$inferSelect;
