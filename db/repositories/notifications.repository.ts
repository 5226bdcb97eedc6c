import { and, asc, desc, eq, getTableColumns, lt } from 'drizzle-orm';
import type { Db } from '../client.js';
import { notifications, type Notification, type NotificationStatus } from '../schema/index.js';

export type NotificationSummary = Omit<Notification, 'bodyText' | 'bodyHtml'>;

const { bodyText: _text, bodyHtml: _html, ...summary } = getTableColumns(notifications);

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

    async listForTicket({ ticketId }: { ticketId: number }, tx: Db = db): Promise<NotificationSummary[]> {
      return tx.select(summary).from(notifications).where(eq(notifications.ticketId, ticketId)).orderBy(asc(notifications.id));
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
            ticketId !== undefined ? eq(notifications.ticketId, ticketId) : undefined,
            before !== undefined ? lt(notifications.id, before) : undefined,
          ),
        )
        .orderBy(desc(notifications.id))
        .limit(limit);
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;
