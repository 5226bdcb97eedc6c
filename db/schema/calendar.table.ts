import { sql } from 'drizzle-orm';
import { check, date, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.table.js';

/** Local arrangements, and years the State Council has not yet published: they win over the packaged calendar. */
export const calendarOverrides = pgTable(
  'calendar_overrides',
  {
    day: date('day', { mode: 'string' }).primaryKey(),
    kind: text('kind', { enum: ['workday', 'restday'] }).notNull(),
    note: text('note'),
    updatedBy: integer('updated_by').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('calendar_overrides_kind_check', sql`${t.kind} in ('workday', 'restday')`)],
);

export type CalendarOverride = typeof calendarOverrides.$inferSelect;
