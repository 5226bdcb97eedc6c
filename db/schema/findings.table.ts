import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, pgTable, serial, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { inspections } from './inspections.table.js';
import { targets } from './targets.table.js';
import { units } from './units.table.js';

export const findings = pgTable(
  'findings',
  {
    id: serial('id').primaryKey(),
    inspectionId: integer('inspection_id')
      .notNull()
      .references(() => inspections.id, { onDelete: 'restrict' }),
    targetId: integer('target_id')
      .notNull()
      .references(() => targets.id, { onDelete: 'restrict' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'restrict' }),
    outstanding: boolean('outstanding').notNull().default(true),
    lastUpdatedOn: date('last_updated_on', { mode: 'string' }),
    note: text('note'),
    // The problem cell exactly as imported, kept for the report and for disputes.
    problemsText: text('problems_text').notNull(),
    sourceRow: integer('source_row'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('findings_inspection_target_key').on(t.inspectionId, t.targetId),
    index('findings_unit_idx').on(t.unitId),
    // From a target to its findings' ids and inspections without reading the table: the ticket
    // list's q= by target name, and a ticket's earlier findings of its target (repeatOf).
    index('findings_target_id_idx').on(t.targetId, t.id, t.inspectionId),
    check('findings_source_row_check', sql`${t.sourceRow} is null or ${t.sourceRow} > 0`),
  ],
);

export type Finding = typeof findings.$inferSelect;
export type NewFinding = typeof findings.$inferInsert;
