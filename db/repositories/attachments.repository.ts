import { and, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';
import { attachmentRefs, attachments, type Attachment, type NewAttachment } from '../schema/index.js';
import { scopePrefix, type Viewer } from './scope.js';

/** What an audit event records of each file: enough to find it and prove it unchanged. */
export interface AttachmentRecord {
  id: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
}

export const toAttachmentRecord = (a: Attachment): AttachmentRecord => ({ id: a.id, name: a.name, size: a.size, contentType: a.contentType, sha256: a.sha256 });

/**
 * Who may read a file: its uploader until something references it; then whoever may see a ticket
 * or written feedback that references it (the unit's subtree, as everywhere).
 */
function visibleTo(viewer: Viewer): SQL {
  const prefix = scopePrefix(viewer);
  const inScope = prefix === undefined ? sql`true` : sql`u.path like ${prefix}`;
  return sql`(${attachments.uploadedBy} = ${viewer.userId} or exists (
    select 1 from attachment_refs r
      left join tickets t on t.id = r.ticket_id
      left join feedbacks f on f.id = r.feedback_id
      join units u on u.id = coalesce(t.unit_id, f.unit_id)
    where r.attachment_id = ${attachments.id} and ${inScope}))`;
}

export function createAttachmentsRepository({ db }: { db: Db }) {
  return {
    /**
     * Serialises work on one content hash for the rest of the transaction: an upload keeping bytes
     * and the garbage collector removing them never interleave.
     */
    async lockHash({ sha256 }: { sha256: string }, tx: Db): Promise<void> {
      await tx.execute(sql`select pg_advisory_xact_lock(7271, hashtext(${sha256}))`);
    },

    async insertMany(rows: NewAttachment[], tx: Db = db): Promise<Attachment[]> {
      if (rows.length === 0) return [];
      return tx.insert(attachments).values(rows).returning();
    },

    /** One file as the viewer may read it; undefined when it does not exist or the viewer may not see it. */
    async findVisible({ id, viewer }: { id: string; viewer: Viewer }, tx: Db = db): Promise<Attachment | undefined> {
      const [row] = await tx.select().from(attachments).where(and(eq(attachments.id, id), visibleTo(viewer))).limit(1);
      return row;
    },

    /**
     * The files an event is about to reference, those the sender may see, locked against removal
     * until the transaction ends. Missing ids are simply absent from the answer.
     */
    async lockVisible({ ids, viewer }: { ids: string[]; viewer: Viewer }, tx: Db): Promise<Attachment[]> {
      if (ids.length === 0) return [];
      return tx.select().from(attachments).where(and(inArray(attachments.id, ids), visibleTo(viewer))).for('share');
    },

    async addRefs({ attachmentIds, ticketId, feedbackId, at }: { attachmentIds: string[]; ticketId?: number; feedbackId?: number; at: Date }, tx: Db): Promise<void> {
      if (attachmentIds.length === 0) return;
      await tx.insert(attachmentRefs).values(attachmentIds.map((attachmentId) => ({ attachmentId, ticketId: ticketId ?? null, feedbackId: feedbackId ?? null, createdAt: at })));
    },

    /** Removes uploads created before `before` that nothing references; returns the hashes they had. */
    async removeUnreferenced({ before }: { before: Date }, tx: Db = db): Promise<string[]> {
      const removed = await tx
        .delete(attachments)
        .where(and(lt(attachments.createdAt, before), sql`not exists (select 1 from attachment_refs r where r.attachment_id = ${attachments.id})`))
        .returning({ sha256: attachments.sha256 });
      return [...new Set(removed.map((r) => r.sha256))];
    },

    /** True when some upload still has this content. */
    async hashInUse({ sha256 }: { sha256: string }, tx: Db = db): Promise<boolean> {
      const [row] = await tx.select({ id: attachments.id }).from(attachments).where(eq(attachments.sha256, sha256)).limit(1);
      return row !== undefined;
    },

    /**
     * Every file an audit event recorded (ticket and written-feedback trails), as the event recorded
     * it: the hash chain covers these records, so they are what the stored bytes must match.
     */
    async recordedInTrails(tx: Db = db): Promise<{ trail: 'ticket' | 'feedback'; ownerId: number; seq: number; file: AttachmentRecord }[]> {
      const rows = await queryRows<{ trail: 'ticket' | 'feedback'; owner_id: number; seq: number; file: AttachmentRecord }>(sql`select 'ticket' as trail, e.ticket_id as owner_id, e.seq, f.value as file
              from ticket_events e, jsonb_array_elements(e.payload->'attachments') f
             where jsonb_typeof(e.payload->'attachments') = 'array'
            union all
            select 'feedback', e.feedback_id, e.seq, f.value
              from feedback_events e, jsonb_array_elements(e.payload->'attachments') f
             where jsonb_typeof(e.payload->'attachments') = 'array'
            order by 1, 2, 3`,
        tx,
      );
      return rows.map((r) => ({ trail: r.trail, ownerId: r.owner_id, seq: r.seq, file: r.file }));
    },
  };
}

export type AttachmentsRepository = ReturnType<typeof createAttachmentsRepository>;
