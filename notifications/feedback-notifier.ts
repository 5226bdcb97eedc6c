import type { Db } from '../db/client.js';
import type { FeedbackView } from '../db/repositories/feedbacks.repository.js';
import type { NotificationsRepository } from '../db/repositories/notifications.repository.js';
import type { FeedbackNotificationKind } from '../db/schema/index.js';
import type { MailPayload } from './mail-payload.js';
import { newMessageId } from './outbox.js';
import { feedbackMailSubject, type FeedbackMailContext } from './templates/feedback-mail.js';

export interface QueueFeedbackMail {
  kind: FeedbackNotificationKind;
  feedback: FeedbackView;
  files?: string[];
  note?: string;
  comment?: string;
  reason?: string;
}

interface FeedbackNotifierOptions {
  publicUrl: string;
  mailDomain: string;
  now: () => Date;
  notifications: Pick<NotificationsRepository, 'unitsForMail' | 'insertMany'>;
}

/** Writes written-feedback emails, as data, into the caller's transaction (the outbox); they are rendered when delivered. */
export function createFeedbackNotifier({ publicUrl, mailDomain, now, notifications }: FeedbackNotifierOptions) {
  return {
    async queue({ kind, feedback, ...details }: QueueFeedbackMail, tx: Db): Promise<void> {
      const issuingId = feedback.inspection.issuingUnitId;
      const ids = [...new Set([feedback.unitId, issuingId, ...(feedback.unitParentId === null ? [] : [feedback.unitParentId])])];
      const byId = new Map((await notifications.unitsForMail({ ids }, tx)).map((u) => [u.id, u]));
      const parent = feedback.unitParentId === null ? undefined : byId.get(feedback.unitParentId);
      // The report goes to the issuing office, and a county office follows its own units' reports too; decisions go to the unit.
      const unitIds =
        kind === 'feedback_submitted' ? [...new Set([issuingId, ...(parent?.kind === 'county' ? [parent.id] : [])])] : [feedback.unitId];
      const recipients = [...new Set(unitIds.flatMap((id) => byId.get(id)?.emails ?? []).map((e) => e.trim().toLowerCase()))];
      const data: FeedbackMailContext = {
        feedback: { inspectionId: feedback.inspectionId, dueAt: feedback.dueAt, submittedAt: feedback.submittedAt },
        inspection: { title: feedback.inspection.title, documentNumber: feedback.inspection.documentNumber, shortCode: feedback.inspection.shortCode },
        unit: { name: feedback.unitName },
        issuingOffice: { name: byId.get(issuingId)?.name ?? '' },
        ...details,
        publicUrl,
        at: now(),
      };
      const payload: MailPayload = { v: 1, feedback: data };
      await notifications.insertMany(
        {
          rows: [
            {
              ticketId: null,
              eventId: null,
              feedbackId: feedback.id,
              kind,
              unitIds,
              recipients,
              ccUnitIds: [],
              cc: [],
              reference: null,
              subject: feedbackMailSubject(kind, data),
              payload: JSON.stringify(payload),
              messageId: newMessageId(mailDomain),
              ticketIds: [],
            },
          ],
        },
        tx,
      );
    },
  };
}

export type FeedbackNotifier = ReturnType<typeof createFeedbackNotifier>;
