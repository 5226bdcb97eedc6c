import type { Db } from '../../db/client.js';
import type { NotificationsRepository } from '../../db/repositories/notifications.repository.js';
import type { Notification } from '../../db/schema/index.js';
import type { TicketNotifier } from '../../notifications/ticket-notifier.js';

interface Deps {
  db: Db;
  notifications: Pick<NotificationsRepository, 'requeueFailed'>;
  notifier: Pick<TicketNotifier, 'readdressIfUnaddressed'>;
  now: () => Date;
}

/** What an administrator does with the outbox beyond reading it. */
export function createOutboxService({ db, notifications, notifier, now }: Deps) {
  return {
    /**
     * Puts a failed email back in the queue (same Message-ID), addressed afresh when it had no
     * recipient because the unit had no address then; null when it is absent or not failed.
     */
    resendFailed({ id }: { id: number }): Promise<Notification | null> {
      return db.transaction(async (tx) => {
        await notifier.readdressIfUnaddressed(tx, { id });
        return notifications.requeueFailed({ id, now: now() }, tx);
      });
    },
  };
}

export type OutboxService = ReturnType<typeof createOutboxService>;
