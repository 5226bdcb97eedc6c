import type { Db } from '../../db/client.js';
import type { NotificationsRepository, NotificationSummary } from '../../db/repositories/notifications.repository.js';
import type { Notification } from '../../db/schema/index.js';
import { renderStoredMail } from '../../notifications/mail-payload.js';
import type { TicketNotifier } from '../../notifications/ticket-notifier.js';

interface Deps {
  db: Db;
  notifications: Pick<NotificationsRepository, 'requeueFailed' | 'findStored'>;
  notifier: Pick<TicketNotifier, 'readdressIfUnaddressed'>;
  now: () => Date;
}

/** What an administrator does with the outbox beyond listing it. */
export function createOutboxService({ db, notifications, notifier, now }: Deps) {
  return {
    /** One email with its plain text, rendered from what the outbox holds; null when there is none with that id. */
    async findWithText({ id }: { id: number }): Promise<(NotificationSummary & { text: string }) | null> {
      const row = await notifications.findStored({ id });
      if (!row) return null;
      const { bodyText, bodyHtml, payload, ...summary } = row;
      return { ...summary, text: renderStoredMail({ kind: row.kind, subject: row.subject, bodyText, bodyHtml, payload }).text };
    },

    /**
     * Puts a failed email back in the queue (same Message-ID), addressed afresh when it had no
     * recipient because the unit had no address then; null when it is absent or not failed.
     */
    resendFailed({ id }: { id: number }): Promise<Notification | null> {
      return db.transaction(async (tx) => {
        await notifier.readdressIfUnaddressed({ id }, tx);
        return notifications.requeueFailed({ id, now: now() }, tx);
      });
    },
  };
}

export type OutboxService = ReturnType<typeof createOutboxService>;
