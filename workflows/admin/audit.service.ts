import type { TrailProblem } from '../../db/audit-chain.js';
import type { FeedbacksRepository } from '../../db/repositories/feedbacks.repository.js';
import type { TicketEventsRepository } from '../../db/repositories/ticket-events.repository.js';
import type { AttachmentsService } from '../tickets/attachments.service.js';

/** An evidence file the trails record is gone from the store, or its bytes changed. */
export const fileProblems = ['file_missing', 'file_changed'] as const;

/** One thing wrong with an audit trail: which trail, whose, at which event, and what. */
export interface AuditProblem {
  trail: 'ticket' | 'feedback';
  /** The ticket's or the written feedback's id. */
  id: number;
  /** The ticket's number; null for a written feedback. */
  number: string | null;
  seq: number | null;
  problem: TrailProblem | (typeof fileProblems)[number];
  /** The evidence file, for file_missing and file_changed. */
  file?: { id: string; name: string };
}

export interface AuditReport {
  intact: boolean;
  checkedTickets: number;
  checkedTicketEvents: number;
  checkedFeedbacks: number;
  checkedFeedbackEvents: number;
  checkedFiles: number;
  /** Up to the first 1,000 problems; `totalProblems` counts them all. */
  problems: AuditProblem[];
  totalProblems: number;
}

/** `rectify audit verify` and POST /api/admin/audit/verify: both trails, their owners' tails and states, and the recorded files. */
export function createAuditService({
  ticketEvents,
  feedbacks,
  attachments,
}: {
  ticketEvents: Pick<TicketEventsRepository, 'verify'>;
  feedbacks: Pick<FeedbacksRepository, 'verify'>;
  attachments: Pick<AttachmentsService, 'verifyRecorded'>;
}) {
  return {
    async verify(): Promise<AuditReport> {
      const ticketTrails = await ticketEvents.verify();
      const feedbackTrails = await feedbacks.verify();
      // The trails record each file's SHA-256 under the chain: the stored bytes must still have it.
      const files = await attachments.verifyRecorded();
      const problems: AuditProblem[] = [
        ...ticketTrails.problems.map(({ ticketId, number, seq, problem }) => ({ trail: 'ticket' as const, id: ticketId, number, seq, problem })),
        ...feedbackTrails.problems.map(({ feedbackId, seq, problem }) => ({ trail: 'feedback' as const, id: feedbackId, number: null, seq, problem })),
      ];
      if (files.firstProblem) {
        const { trail, ownerId, seq, file, problem } = files.firstProblem;
        problems.push({ trail, id: ownerId, number: null, seq, problem: `file_${problem}`, file: { id: file.id, name: file.name } });
      }
      const totalProblems = ticketTrails.totalProblems + feedbackTrails.problems.length + (files.firstProblem ? 1 : 0);
      return {
        intact: totalProblems === 0,
        checkedTickets: ticketTrails.checkedTickets,
        checkedTicketEvents: ticketTrails.checkedEvents,
        checkedFeedbacks: feedbackTrails.checkedFeedbacks,
        checkedFeedbackEvents: feedbackTrails.checkedEvents,
        checkedFiles: files.checkedFiles,
        problems: problems.slice(0, 1000),
        totalProblems,
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
