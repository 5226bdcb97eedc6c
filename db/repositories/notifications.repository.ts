import { and, asc, desc, eq, exists, getTableColumns, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { queryRows } from '../client.js';
import { inspections, notifications, notificationTickets, units, type Notification, type NotificationKind, type NotificationStatus, type Unit } from '../schema/index.js';
import { jsonColumn, unnestArray, type UnnestType } from '../unnest.js';

export type NotificationSummary = Omit<Notification, 'bodyText' | 'bodyHtml' | 'payload'> & { ticketCount: number };

/** One email in the outbox with what it says: its data, or (rows from before the data) its rendered body. */
export type StoredNotification = NotificationSummary & Pick<Notification, 'bodyText' | 'bodyHtml' | 'payload'>;

const { bodyText, bodyHtml, payload, ...columns } = getTableColumns(notifications);
const summary = {
  ...columns,
  ticketCount: sql<number>`(select count(*)::int from ${notificationTickets} nt where nt.notification_id = ${notifications.id})`,
};

// The emails about a ticket: its own, and the batches that list it.
const concerns = (ticketId: number) =>
  exists(sql`(select 1 from ${notificationTickets} nt where nt.notification_id = ${notifications.id} and nt.ticket_id = ${ticketId})`);

/** What an email needs of a unit: its name and code, where it sits, and its mailboxes. */
export type MailUnit = Pick<Unit, 'id' | 'code' | 'name' | 'parentId' | 'kind' | 'emails' | 'leaderEmails' | 'contactName' | 'contactPhone'>;

/** One email to write into the outbox. */
export interface NewOutboxRow {
  ticketId: number | null;
  eventId: number | null;
  feedbackId: number | null;
  kind: NotificationKind;
  unitIds: number[];
  recipients: string[];
  ccUnitIds: number[];
  cc: string[];
  reference: string | null;
  subject: string;
  /** The email's data as JSON text (notifications/mail-payload.ts). */
  payload: string;
  messageId: string;
  /** The tickets it concerns, for notification_tickets. */
  ticketIds: number[];
}

// Bound parameters per statement stay far below PostgreSQL's 65,535; one array parameter per column in the inserts.
const CHUNK = 1000;

const intArray = (values: number[]) => `{${values.join(',')}}`;

/** The outbox as people read it (ticket view, admin list), as the notifiers write it and as the delivery worker (notifications/outbox.ts) claims and settles it. */
export function createNotificationsRepository({ db }: { db: Db }) {
  return {
    async unitsForMail({ ids }: { ids: number[] }, tx: Db = db): Promise<MailUnit[]> {
      const all: MailUnit[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const rows = await tx
          .select({
            id: units.id,
            code: units.code,
            name: units.name,
            parentId: units.parentId,
            kind: units.kind,
            emails: units.emails,
            leaderEmails: units.leaderEmails,
            contactName: units.contactName,
            contactPhone: units.contactPhone,
          })
          .from(units)
          .where(inArray(units.id, ids.slice(i, i + CHUNK)));
        all.push(...rows);
      }
      return all;
    },

    /** The 联系人 and 联系电话 each inspection names. */
    async inspectionContacts({ ids }: { ids: number[] }, tx: Db = db) {
      if (ids.length === 0) return [];
      return tx.select({ id: inspections.id, contactName: inspections.contactName, contactPhone: inspections.contactPhone }).from(inspections).where(inArray(inspections.id, ids));
    },

    /**
     * Writes emails and the tickets each concerns, a thousand emails per INSERT … SELECT FROM unnest
     * (their data beside it as one JSON array);
     * created and due at `at` (also in a replay of the past), or at the database's clock without it.
     */
    async insertMany({ rows, at }: { rows: NewOutboxRow[]; at?: Date }, tx: Db = db): Promise<void> {
      const stamp = at === undefined ? sql`now()` : sql`${at.toISOString()}::timestamptz`;
      for (let i = 0; i < rows.length; i += CHUNK) {
        const part = rows.slice(i, i + CHUNK);
        const column = (value: (row: NewOutboxRow) => string | number | null, type: UnnestType) => unnestArray(part, value, type);
        const inserted = await queryRows<{ id: number | string; message_id: string }>(sql`
          insert into ${notifications} (ticket_id, event_id, feedback_id, kind, unit_ids, recipients, cc_unit_ids, cc, reference, subject, payload, message_id, created_at, next_attempt_at)
          select r.ticket_id, r.event_id, r.feedback_id, r.kind, r.unit_ids::int[],
                 array(select e.value from json_array_elements_text(r.recipients::json) with ordinality as e(value, n) order by e.n),
                 r.cc_unit_ids::int[],
                 array(select e.value from json_array_elements_text(r.cc::json) with ordinality as e(value, n) order by e.n),
                 r.reference, r.subject, r.payload::jsonb, r.message_id, ${stamp}, ${stamp}
          from rows from (unnest(${column((r) => r.ticketId, 'int')}, ${column((r) => r.eventId, 'bigint')}, ${column((r) => r.feedbackId, 'int')}, ${column((r) => r.kind, 'text')},
                      ${column((r) => intArray(r.unitIds), 'text')}, ${column((r) => JSON.stringify(r.recipients), 'text')},
                      ${column((r) => intArray(r.ccUnitIds), 'text')}, ${column((r) => JSON.stringify(r.cc), 'text')}, ${column((r) => r.reference, 'text')},
                      ${column((r) => r.subject, 'text')}, ${column((r) => r.messageId, 'text')}),
                      json_array_elements(${jsonColumn(part, (r) => r.payload)}::json))
            as r(ticket_id, event_id, feedback_id, kind, unit_ids, recipients, cc_unit_ids, cc, reference, subject, message_id, payload)
          returning id, message_id`,
          tx,
        );
        const idOf = new Map(inserted.map((r) => [r.message_id, Number(r.id)]));
        const links = part.flatMap((row) => row.ticketIds.map((ticketId) => ({ notificationId: idOf.get(row.messageId) ?? 0, ticketId })));
        for (let j = 0; j < links.length; j += CHUNK * 5) {
          const slice = links.slice(j, j + CHUNK * 5);
          await tx.execute(sql`
            insert into ${notificationTickets} (notification_id, ticket_id)
            select * from unnest(${sql.param(slice.map((l) => l.notificationId))}::bigint[], ${sql.param(slice.map((l) => l.ticketId))}::int[])`);
        }
      }
    },

    /** A failed email's addressees, locked for readdressing; null when it is absent or not failed. */
    async lockFailedAddressees({ id }: { id: number }, tx: Db = db) {
      const [row] = await tx
        .select({ unitIds: notifications.unitIds, recipients: notifications.recipients, ccUnitIds: notifications.ccUnitIds })
        .from(notifications)
        .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
        .for('update');
      return row ?? null;
    },

    async setMailboxes({ id, recipients, cc }: { id: number; recipients: string[]; cc: string[] }, tx: Db = db): Promise<void> {
      await tx.update(notifications).set({ recipients, cc }).where(eq(notifications.id, id));
    },

    /**
     * The delivery worker's claim, in a short transaction of its own: the due rows not held by another
     * instance (SKIP LOCKED), pending or with an expired claim, marked `sending` until `at + lockMs`.
     * Counting the attempt at claim time also counts one that a crash interrupted.
     */
    async claimDue({ at, limit, lockMs }: { at: Date; limit: number; lockMs: number }): Promise<Notification[]> {
      return db.transaction(async (tx) => {
        const due = await tx
          .select({ id: notifications.id })
          .from(notifications)
          .where(
            and(
              inArray(notifications.status, ['pending', 'sending']),
              lte(notifications.nextAttemptAt, at),
              or(eq(notifications.status, 'pending'), lt(notifications.lockedUntil, at)),
            ),
          )
          .orderBy(asc(notifications.nextAttemptAt), asc(notifications.id))
          .limit(limit)
          .for('update', { skipLocked: true });
        if (due.length === 0) return [];
        return tx
          .update(notifications)
          .set({ status: 'sending', lockedUntil: new Date(at.getTime() + lockMs), attempts: sql`${notifications.attempts} + 1` })
          .where(inArray(notifications.id, due.map((r) => r.id)))
          .returning();
      });
    },

    /**
     * Records a claimed email's outcome only while the claim is still the caller's: `attempts` went up
     * with the claim, so a reclaim by another instance (after the lock expired) matches nothing.
     */
    async settleClaimed({ row, values }: { row: Pick<Notification, 'id' | 'attempts'>; values: Partial<typeof notifications.$inferInsert> }, tx: Db = db): Promise<boolean> {
      const updated = await tx
        .update(notifications)
        .set(values)
        .where(and(eq(notifications.id, row.id), eq(notifications.status, 'sending'), eq(notifications.attempts, row.attempts)))
        .returning({ id: notifications.id });
      return updated.length > 0;
    },

    /** A failed email goes back to the queue with a fresh set of attempts; null when it is not failed (or absent). */
    async requeueFailed({ id, now }: { id: number; now: Date }, tx: Db = db): Promise<Notification | null> {
      const [row] = await tx
        .update(notifications)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null })
        .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
        .returning();
      return row ?? null;
    },

    /** One email with what it says, as the outbox holds it; null when there is none with that id. */
    async findStored({ id }: { id: number }, tx: Db = db): Promise<StoredNotification | null> {
      const [row] = await tx.select({ ...summary, bodyText, bodyHtml, payload }).from(notifications).where(eq(notifications.id, id));
      return row ?? null;
    },

    async listForTicket({ ticketId }: { ticketId: number }, tx: Db = db): Promise<NotificationSummary[]> {
      return tx
        .select(summary)
        .from(notifications)
        .innerJoin(notificationTickets, and(eq(notificationTickets.notificationId, notifications.id), eq(notificationTickets.ticketId, ticketId)))
        .orderBy(asc(notifications.id));
    },

    async list(
      { status, ticketId, limit, before }: { status?: NotificationStatus; ticketId?: number; limit: number; before?: number },
      tx: Db = db,
    ): Promise<NotificationSummary[]> {
      return tx
        .select(summary)
        .from(notifications)
        .where(
          and(
            status ? eq(notifications.status, status) : undefined,
            ticketId !== undefined ? concerns(ticketId) : undefined,
            before !== undefined ? lt(notifications.id, before) : undefined,
          ),
        )
        .orderBy(desc(notifications.id))
        .limit(limit);
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;
