import { sql } from 'drizzle-orm';
import { check, date, index, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { units } from './units.table.js';
import { users } from './users.table.js';

/** The escalation policy of one inspection (SPEC "Deadlines, reminders, escalation"). */
export interface EscalationPolicy {
  remindBeforeWorkingDays: number[];
  escalateAfterWorkingDays: number;
  escalateEveryWorkingDays: number;
  maxLevel: number;
  verifyWithinWorkingDays: number;
  /** The fair period after REJECT or REASSIGN: the end of this many working days after that day. */
  reworkWorkingDays: number;
  /** Extensions a unit may be granted on its own request. */
  maxExtensions: number;
  /** Office hours: reminders and escalations go out from this time ('HH:MM', Asia/Shanghai) on working days. */
  sendAt: string;
}

export const defaultEscalationPolicy: EscalationPolicy = {
  remindBeforeWorkingDays: [3, 1],
  escalateAfterWorkingDays: 1,
  escalateEveryWorkingDays: 3,
  maxLevel: 3,
  verifyWithinWorkingDays: 5,
  reworkWorkingDays: 5,
  maxExtensions: 2,
  sendAt: '09:00',
};

/** A stored policy with the defaults for what it predates (inspections created before a field existed). */
export function resolvePolicy(stored: Partial<EscalationPolicy>): EscalationPolicy {
  return { ...defaultEscalationPolicy, ...stored };
}

/** How many targets were checked and failed per group, as the notice's 附件1/附件2 list them. */
export interface InspectionScopeGroup {
  group: string;
  targetKind: 'website' | 'new_media';
  checked: number;
  failed?: number;
}

export const inspections = pgTable(
  'inspections',
  {
    id: serial('id').primaryKey(),
    shortCode: text('short_code').notNull().unique(),
    title: text('title').notNull(),
    documentNumber: text('document_number'),
    issuedOn: date('issued_on', { mode: 'string' }).notNull(),
    samplingFrom: date('sampling_from', { mode: 'string' }),
    samplingTo: date('sampling_to', { mode: 'string' }),
    feedbackDeadline: date('feedback_deadline', { mode: 'string' }),
    dueWorkingDays: integer('due_working_days'),
    issuingUnitId: integer('issuing_unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'restrict' }),
    policy: jsonb('policy').$type<EscalationPolicy>().notNull(),
    scope: jsonb('scope').$type<InspectionScopeGroup[]>().notNull().default(sql`'[]'::jsonb`),
    // The issuing office's 联系人 and 联系电话, printed in every email of the inspection.
    contactName: text('contact_name'),
    contactPhone: text('contact_phone'),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('inspections_short_code_check', sql`${t.shortCode} ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$'`),
    check(
      'inspections_due_check',
      sql`(${t.feedbackDeadline} is not null) <> (${t.dueWorkingDays} is not null)`,
    ),
    check('inspections_deadline_after_issue_check', sql`${t.feedbackDeadline} is null or ${t.feedbackDeadline} >= ${t.issuedOn}`),
    check('inspections_due_working_days_check', sql`${t.dueWorkingDays} is null or ${t.dueWorkingDays} between 1 and 365`),
    check('inspections_sampling_check', sql`${t.samplingFrom} is null or ${t.samplingTo} is null or ${t.samplingFrom} <= ${t.samplingTo}`),
    index('inspections_issuing_unit_idx').on(t.issuingUnitId),
  ],
);

export type Inspection = typeof inspections.$inferSelect;
export type NewInspection = typeof inspections.$inferInsert;
