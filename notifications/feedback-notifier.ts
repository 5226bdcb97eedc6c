import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { FeedbackView } from '../db/repositories/feedbacks.repository.js';
import { notifications, units, type FeedbackNotificationKind } from '../db/schema/index.js';
import { newMessageId } from './outbox.js';
import { renderFeedbackMail } from './templates/feedback-mail.js';

export interface QueueFeedbackMail {
  kind: FeedbackNotificationKind;
  feedback: FeedbackView;
  files?: string[];
  note?: string;
  comment?: string;
  reason?: string;
}

/** Renders written-feedback emails and queues them in the caller's transaction (the outbox). */
export function createFeedbackNotifier({ publicUrl, mailDomain, now }: { publicUrl: string; mailDomain: string; now: () => Date }) {
  return {
    async queue(tx: Db, { kind, feedback, ...details }: QueueFeedbackMail): Promise<void> {
      const issuingId = feedback.inspection.issuingUnitId;
      const ids = [...new Set([feedback.unitId, issuingId, ...(feedback.unitParentId === null ? [] : [feedback.unitParentId])])];
      const rows = await tx.select({ id: units.id, name: units.name, kind: units.kind, emails: units.emails }).from(units).where(inArray(units.id, ids));
      const byId = new Map(rows.map((u) => [u.id, u]));
      const parent = feedback.unitParentId === null ? undefined : byId.get(feedback.unitParentId);
      // The report goes to the issuing office, and a county office follows its own units' reports too; decisions go to the unit.
      const unitIds =
        kind === 'feedback_submitted' ? [...new Set([issuingId, ...(parent?.kind === 'county' ? [parent.id] : [])])] : [feedback.unitId];
      const recipients = [...new Set(unitIds.flatMap((id) => byId.get(id)?.emails ?? []).map((e) => e.trim().toLowerCase()))];
      const rendered = renderFeedbackMail(kind, {
        feedback: { inspectionId: feedback.inspectionId, dueAt: feedback.dueAt, submittedAt: feedback.submittedAt },
        inspection: feedback.inspection,
        unit: { name: feedback.unitName },
        issuingOffice: { name: byId.get(issuingId)?.name ?? '' },
        ...details,
        publicUrl,
        at: now(),
      });
      await tx.insert(notifications).values({
        feedbackId: feedback.id,
        kind,
        unitIds,
        recipients,
        subject: rendered.subject,
        bodyText: rendered.text,
        bodyHtml: rendered.html,
        messageId: newMessageId(mailDomain),
      });
    },
  };
}

export type FeedbackNotifier = ReturnType<typeof createFeedbackNotifier>;
