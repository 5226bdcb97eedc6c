import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { notificationKinds, notificationStatuses } from '../../core/vocabulary.js';
import { feedbacks } from './feedbacks.table.js';
import { inspections } from './inspections.table.js';
import { ticketEvents } from './ticket-events.table.js';
import { tickets } from './tickets.table.js';
import { units } from './units.table.js';

export {
  feedbackNotificationKinds,
  notificationKinds,
  notificationStatuses,
  ticketNotificationKinds,
  type FeedbackNotificationKind,
  type NotificationKind,
  type NotificationStatus,
  type TicketNotificationKind,
} from '../../core/vocabulary.js';

/** Notified, at commit, by every transaction that queues emails (migration 0020's trigger on `notifications`). */
export const OUTBOX_CHANNEL = 'rectify_outbox';

/**
 * The outbox: written in the transaction of the event that caused it, delivered later by the worker.
 * One email may concern many tickets (an import's or a sweep's batch): `notification_tickets` lists
 * them; `ticket_id` and `event_id` are set only when it concerns exactly one.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: integer('ticket_id').references(() => tickets.id, { onDelete: 'restrict' }),
    eventId: bigint('event_id', { mode: 'number' }).references(() => ticketEvents.id, { onDelete: 'restrict' }),
    feedbackId: integer('feedback_id').references(() => feedbacks.id, { onDelete: 'restrict' }),
    kind: text('kind', { enum: notificationKinds }).notNull(),
    // The units addressed; a unit without an email address is recorded here and reported.
    unitIds: integer('unit_ids').array().notNull().default(sql`'{}'::int[]`),
    recipients: text('recipients').array().notNull(),
    // Copies (Cc): leaders and supervising units on the ladder's higher levels.
    cc: text('cc').array().notNull().default(sql`'{}'::text[]`),
    // The units copied (Cc), as unit_ids for To.
    ccUnitIds: integer('cc_unit_ids').array().notNull().default(sql`'{}'::int[]`),
    // What the email is about in a file name: a ticket number, or the code of the unit a batch goes to.
    reference: text('reference'),
    // Kept beside the data for the lists (the outbox, a ticket's emails), which show it without rendering.
    subject: text('subject').notNull(),
    // What the email says (notifications/mail-payload.ts), rendered when it is delivered or shown.
    payload: jsonb('payload').$type<unknown>(),
    // The rendered email of rows queued before the payload existed; null for newer rows.
    bodyText: text('body_text'),
    bodyHtml: text('body_html'),
    messageId: text('message_id').notNull().unique(),
    status: text('status', { enum: notificationStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    check(
      'notifications_kind_check',
      sql.raw(`kind in (${notificationKinds.map((k) => `'${k}'`).join(', ')})`),
    ),
    check('notifications_status_check', sql`${t.status} in ('pending', 'sending', 'sent', 'failed')`),
    check('notifications_attempts_check', sql`${t.attempts} >= 0`),
    check('notifications_content_check', sql`${t.payload} is not null or (${t.bodyText} is not null and ${t.bodyHtml} is not null)`),
    index('notifications_due_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'sending')`),
    index('notifications_ticket_idx').on(t.ticketId),
    index('notifications_feedback_idx').on(t.feedbackId),
    index('notifications_status_idx').on(t.status, t.id),
  ],
);

export type Notification = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

/** The tickets each email concerns, so that a ticket's page lists the batches it was in. */
export const notificationTickets = pgTable(
  'notification_tickets',
  {
    notificationId: bigint('notification_id', { mode: 'number' })
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'restrict' }),
  },
  (t) => [primaryKey({ columns: [t.notificationId, t.ticketId] }), index('notification_tickets_ticket_idx').on(t.ticketId)],
);

/** The daily 待核验 digests sent: the key lets one instance, once per working day, send each office its digest. */
export const verifyDigests = pgTable(
  'verify_digests',
  {
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'restrict' }),
    inspectionId: integer('inspection_id')
      .notNull()
      .references(() => inspections.id, { onDelete: 'restrict' }),
    day: date('day', { mode: 'string' }).notNull(),
    notificationId: bigint('notification_id', { mode: 'number' }).references(() => notifications.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.unitId, t.inspectionId, t.day] })],
);
