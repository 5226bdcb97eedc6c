import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { findings } from './findings.table.js';

export const problemSeverities = ['veto', 'deduction'] as const;
export type ProblemSeverity = (typeof problemSeverities)[number];
export const problemAppliesTo = ['website', 'new_media', 'any'] as const;
export type ProblemAppliesTo = (typeof problemAppliesTo)[number];

/** The problem catalogue: codes with Chinese labels, extendable by inserting rows. */
export const problemTypes = pgTable(
  'problem_types',
  {
    code: text('code').primaryKey(),
    label: text('label').notNull().unique(),
    // Other wordings inspectors use for the same problem, matched on import.
    aliases: text('aliases').array().notNull().default(sql`'{}'::text[]`),
    appliesTo: text('applies_to', { enum: problemAppliesTo }).notNull().default('any'),
    // 单项否决 (one fails the target) or 扣分.
    severity: text('severity', { enum: problemSeverities }).notNull().default('deduction'),
  },
  (t) => [
    check('problem_types_code_check', sql`${t.code} ~ '^[a-z][a-z0-9_]{1,63}$'`),
    check('problem_types_applies_to_check', sql`${t.appliesTo} in ('website', 'new_media', 'any')`),
    check('problem_types_severity_check', sql`${t.severity} in ('veto', 'deduction')`),
  ],
);

/** The problems of one finding, in the order the notice gives them; `text` keeps the inspector's words. */
export const findingProblems = pgTable(
  'finding_problems',
  {
    findingId: integer('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    problemCode: text('problem_code')
      .notNull()
      .references(() => problemTypes.code, { onDelete: 'restrict' }),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.findingId, t.position] }), check('finding_problems_position_check', sql`${t.position} >= 0`)],
);

export type ProblemType = typeof problemTypes.$inferSelect;
export type FindingProblem = typeof findingProblems.$inferSelect;
export type NewFindingProblem = typeof findingProblems.$inferInsert;
