import type { Inspection } from '../../api/types';

/** An inspection's progress from its counts: verified of the tickets still due (withdrawn ones aside). */
export function progressOf(inspection: Inspection) {
  const counts = inspection.counts;
  const tickets = counts?.tickets ?? 0;
  const due = tickets - (counts?.withdrawn ?? 0);
  const verified = counts?.verified ?? 0;
  return { tickets, due, verified, overdue: counts?.overdue ?? 0, percent: due > 0 ? Math.round((verified / due) * 100) : 0 };
}
