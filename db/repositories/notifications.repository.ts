import { and, asc, desc, eq, getTableColumns, lt } from 'drizzle-orm';
import type { Db } from '../client.js';
import { notifications, type Notification, type NotificationStatus } from '../schema/index.js';

export type NotificationSummary = Omit<Notification, 'bodyText' | 'bodyHtml'>;

const { bodyText: _text, bodyHtml: _html, ...summary } = getTableColumns(notifications);

/** Reads of the outbox for people (ticket view, admin list); delivery itself lives in notifications/outbox.ts. */
export function createNotificationsRepository({ db }: { db: Db }) {
  return {
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
