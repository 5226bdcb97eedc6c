import { and, asc, desc, eq, exists, getTableColumns, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { notifications, notificationTickets, type Notification, type NotificationStatus } from '../schema/index.js';

export type NotificationSummary = Omit<Notification, 'bodyText' | 'bodyHtml'> & { ticketCount: number };

const { bodyText: _text, bodyHtml: _html, ...columns } = getTableColumns(notifications);
const summary = {
  ...columns,
  ticketCount: sql<number>`(select count(*)::int from ${notificationTickets} nt where nt.notification_id = ${notifications.id})`,
};

// The emails about a ticket: its own, and the batches that list it.
const concerns = (ticketId: number) =>
  exists(sql`(select 1 from ${notificationTickets} nt where nt.notification_id = ${notifications.id} and nt.ticket_id = ${ticketId})`);

/** Reads of the outbox for people (ticket view, admin list); delivery itself lives in notifications/outbox.ts. */
export function createNotificationsRepository({ db }: { db: Db }) {
  return {
    /** A failed email goes back to the queue with a fresh set of attempts; null when it is not failed (or absent). */
    async requeueFailed({ id, now }: { id: number; now: Date }, tx: Db = db): Promise<Notification | null> {
      const [row] = await tx
        .update(notifications)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null })
        .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
        .returning();
      return row ?? null;
    },

    /** One email with its plain text, as the outbox holds it; null when there is none with that id. */
    async findWithText({ id }: { id: number }, tx: Db = db): Promise<(NotificationSummary & { bodyText: string }) | null> {
      const [row] = await tx
        .select({ ...summary, bodyText: notifications.bodyText })
        .from(notifications)
        .where(eq(notifications.id, id));
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
