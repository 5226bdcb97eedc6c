import type { InspectionsRepository } from '../../db/repositories/inspections.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import { overdueStates, type TicketsRepository, type TicketView } from '../../db/repositories/tickets.repository.js';
import { notFound } from '../../core/errors.js';
import type { WorkingCalendar } from '../deadlines/calendar.js';
import { workingDaysOverdue } from '../deadlines/deadlines.js';
import { BULLETIN_LEVEL } from '../../notifications/ladder.js';

/** A ticket that reached 通报: the issuing office decides whether its unit is criticised in the next notice. */
export interface BulletinCandidate {
  ticket: TicketView;
  /** Whole working days after the due day that have ended: until now while open, until the submission once submitted. */
  overdueWorkingDays: number;
  overdueProvisional: boolean;
  /** Still waiting on the unit (待签收 or 整改中). */
  open: boolean;
  /** When the ticket reached 通报. */
  since: Date | null;
}

interface Deps {
  inspections: Pick<InspectionsRepository, 'find'>;
  tickets: Pick<TicketsRepository, 'listBulletinCandidates'>;
  loadCalendar: () => Promise<WorkingCalendar>;
  now: () => Date;
}

/**
 * The inspection's bulletin candidates (拟通报), the one list that both
 * GET /api/inspections/:id/bulletin-candidates and the draft bulletin read: tickets in the viewer's
 * scope at the ladder's last level, withdrawn ones aside, earliest due first.
 */
export function createBulletinCandidates({ inspections, tickets, loadCalendar, now }: Deps) {
  return {
    async list({ inspectionId, viewer, at }: { inspectionId: number; viewer: Viewer; at?: Date }): Promise<BulletinCandidate[]> {
      const inspection = await inspections.find({ id: inspectionId, viewer });
      if (!inspection) throw notFound('inspections.not_found', `检查 ${inspectionId} 不存在。`);
      const [rows, calendar] = await Promise.all([tickets.listBulletinCandidates({ inspectionId, viewer, minLevel: BULLETIN_LEVEL }), loadCalendar()]);
      const moment = at ?? now();
      return rows.map(({ since, ...ticket }) => {
        const open = overdueStates.includes(ticket.state);
        // A submitted ticket stopped being late when it was submitted.
        const overdue = workingDaysOverdue(calendar, ticket.dueAt, open ? moment : (ticket.rectifiedAt ?? moment));
        return { ticket, overdueWorkingDays: overdue.value, overdueProvisional: overdue.provisional, open, since };
      });
    },
  };
}

export type BulletinCandidates = ReturnType<typeof createBulletinCandidates>;
