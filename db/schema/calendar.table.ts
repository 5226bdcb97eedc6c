import { sql } from 'drizzle-orm';
import { check, date, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
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

/**
 * A year's holiday arrangement as the State Council published it (POST /api/calendar/import): the
 * rest days and adjusted working days (调休) that differ from the weekend rule. A year with rows here
 * counts as published; local overrides still win over it.
 */
export const calendarArrangements = pgTable(
  'calendar_arrangements',
  {
    day: date('day', { mode: 'string' }).primaryKey(),
    year: integer('year').notNull(),
    kind: text('kind', { enum: ['workday', 'restday'] }).notNull(),
    name: text('name'),
    importedBy: integer('imported_by').references(() => users.id, { onDelete: 'set null' }),
    importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('calendar_arrangements_kind_check', sql`${t.kind} in ('workday', 'restday')`),
    check('calendar_arrangements_year_check', sql`extract(year from ${t.day}) = ${t.year}`),
    index('calendar_arrangements_year_idx').on(t.year),
  ],
);

export type CalendarArrangement = typeof calendarArrangements.$inferSelect;
