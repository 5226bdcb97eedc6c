import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, serial, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { inspections } from './inspections.table.js';
import { units } from './units.table.js';
import { trailColumns } from './trail.columns.js';

import { feedbackStates, type FeedbackState } from '../../core/vocabulary.js';
export { feedbackStates, type FeedbackState };

export const feedbackEventTypes = ['SUBMIT_FEEDBACK', 'ACCEPT_FEEDBACK', 'RETURN_FEEDBACK'] as const;
export type FeedbackEventType = (typeof feedbackEventTypes)[number];

const inList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** A unit's written feedback (整改情况书面反馈) on one inspection: one row per inspection and unit with tickets. */
export const feedbacks = pgTable(
  'feedbacks',
  {
    id: serial('id').primaryKey(),
    inspectionId: integer('inspection_id')
      .notNull()
      .references(() => inspections.id, { onDelete: 'restrict' }),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'restrict' }),
    state: text('state', { enum: feedbackStates }).notNull().default('pending'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    returns: integer('returns').notNull().default(0),
    version: integer('version').notNull().default(1),
    firstSubmittedAt: timestamp('first_submitted_at', { withTimezone: true }),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    // The tail of the feedback's audit trail, written with each event (as tickets.audit_seq and audit_hash).
    auditSeq: integer('audit_seq').notNull().default(0),
    auditHash: text('audit_hash'),
  },
  (t) => [
    unique('feedbacks_inspection_unit_key').on(t.inspectionId, t.unitId),
    check('feedbacks_state_check', sql.raw(`state in (${inList(feedbackStates)})`)),
    check('feedbacks_version_check', sql`${t.version} >= 1`),
    check('feedbacks_returns_check', sql`${t.returns} >= 0`),
    check('feedbacks_audit_seq_check', sql`${t.auditSeq} >= 0`),
    index('feedbacks_unit_idx').on(t.unitId),
    index('feedbacks_state_due_idx').on(t.state, t.dueAt),
  ],
);

/** The feedback's append-only audit trail, hash-chained per feedback like ticket events (migration refuses UPDATE/DELETE). */
export const feedbackEvents = pgTable(
  'feedback_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    feedbackId: integer('feedback_id')
      .notNull()
      .references(() => feedbacks.id, { onDelete: 'restrict' }),
    seq: integer('seq').notNull(),
    type: text('type', { enum: feedbackEventTypes }).notNull(),
    fromState: text('from_state', { enum: feedbackStates }),
    toState: text('to_state', { enum: feedbackStates }).notNull(),
    ...trailColumns(),
  },
  (t) => [
    unique('feedback_events_feedback_seq_key').on(t.feedbackId, t.seq),
    check('feedback_events_seq_check', sql`${t.seq} >= 1`),
    check('feedback_events_type_check', sql.raw(`type in (${inList(feedbackEventTypes)})`)),
    check('feedback_events_to_state_check', sql.raw(`to_state in (${inList(feedbackStates)})`)),
    check('feedback_events_hash_check', sql`${t.hash} ~ '^[0-9a-f]{64}$'`),
    check('feedback_events_chain_version_check', sql`${t.chainVersion} in (1, 2)`),
  ],
);

export type Feedback = typeof feedbacks.$inferSelect;
export type FeedbackEvent = typeof feedbackEvents.$inferSelect;
