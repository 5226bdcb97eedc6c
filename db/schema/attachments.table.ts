import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { feedbacks } from './feedbacks.table.js';
import { tickets } from './tickets.table.js';
import { users } from './users.table.js';

/** The content types an evidence file may have, recognised by its bytes, not its name. */
export const attachmentContentTypes = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'application/pdf',
  'application/ofd',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
] as const;
export type AttachmentContentType = (typeof attachmentContentTypes)[number];

/**
 * One uploaded file. The bytes live in the file store under their SHA-256 (stored once per
 * content); this row keeps the name the uploader gave it. Unreferenced rows are removed after a day.
 */
export const attachments = pgTable(
  'attachments',
  {
    // Random, so that ids cannot be counted through; downloads are scope-checked anyway.
    id: text('id').primaryKey(),
    sha256: text('sha256').notNull(),
    name: text('name').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    contentType: text('content_type', { enum: attachmentContentTypes }).notNull(),
    uploadedBy: integer('uploaded_by')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('attachments_sha256_check', sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check('attachments_size_check', sql`${t.size} >= 0`),
    check('attachments_name_check', sql`length(${t.name}) between 1 and 255`),
    index('attachments_sha256_idx').on(t.sha256),
    index('attachments_created_idx').on(t.createdAt),
  ],
);

/** What references a file: a ticket event's submission or a unit's written feedback. A referenced file is kept for good. */
export const attachmentRefs = pgTable(
  'attachment_refs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    attachmentId: text('attachment_id')
      .notNull()
      .references(() => attachments.id, { onDelete: 'restrict' }),
    ticketId: integer('ticket_id').references(() => tickets.id, { onDelete: 'restrict' }),
    feedbackId: integer('feedback_id').references(() => feedbacks.id, { onDelete: 'restrict' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('attachment_refs_one_owner_check', sql`(${t.ticketId} is null) <> (${t.feedbackId} is null)`),
    index('attachment_refs_attachment_idx').on(t.attachmentId),
    index('attachment_refs_ticket_idx').on(t.ticketId),
    index('attachment_refs_feedback_idx').on(t.feedbackId),
  ],
);

export type Attachment = typeof attachments.$inferSelect;
export type NewAttachment = typeof attachments.$inferInsert;
