import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { findings, targets, tickets, units, type Platform, type TargetKind, type TicketState } from '../schema/index.js';
import { problemsOf, type TicketProblem } from './tickets.repository.js';
import { unitScope, type Viewer } from './scope.js';

/** One ticket as the report counts it. */
export interface TicketFact {
  unitId: number;
  unitCode: string;
  unitName: string;
  unitPath: string;
  targetKind: TargetKind;
  state: TicketState;
  dueAt: Date;
  escalationLevel: number;
  rejections: number;
  /** 突出问题（单否）: the target failed the inspection. */
  outstanding: boolean;
  createdAt: Date;
  /** The unit's first SUBMIT_RECTIFICATION, if any. */
  firstSubmittedAt: Date | null;
  /** The same target had the same problem in an earlier inspection. */
  repeat: boolean;
}

export interface ReportRow {
  number: string;
  state: TicketState;
  targetKind: TargetKind;
  platform: Platform | null;
  targetName: string;
  unitName: string;
  county: string | null;
  problems: TicketProblem[];
  problemsText: string;
  note: string | null;
  outstanding: boolean;
  lastUpdatedOn: string | null;
  dueAt: Date;
  escalationLevel: number;
  /** The written feedback of the unit's latest submission. */
  feedback: string | null;
}

const toDate = (value: unknown) => new Date(value as string);

/**
 * Earlier findings of the ticket's target with one of its problems: the same catalogue code, or for
 * `other` the same words. "Earlier" is by issue date, then by inspection id.
 */
export const earlierSameProblem = sql`
  from findings pf
  join inspections pi on pi.id = pf.inspection_id
  join tickets pt on pt.finding_id = pf.id
  join inspections ci on ci.id = ${tickets.inspectionId}
  join findings cf on cf.id = ${tickets.findingId}
  where pf.target_id = cf.target_id
    and pf.id <> cf.id
    and (pi.issued_on, pi.id) < (ci.issued_on, ci.id)
    and exists (
      select 1 from finding_problems a join finding_problems b on a.problem_code = b.problem_code
      where a.finding_id = pf.id and b.finding_id = cf.id and (a.problem_code <> 'other' or a.text = b.text))`;

/** Aggregates for an inspection's report, always within the viewer's scope. */
export function createReportsRepository({ db }: { db: Db }) {
  return {
    async ticketFacts({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }, tx: Db = db): Promise<TicketFact[]> {
      return tx
        .select({
          unitId: units.id,
          unitCode: units.code,
          unitName: units.name,
          unitPath: units.path,
          targetKind: targets.kind,
          state: tickets.state,
          dueAt: tickets.dueAt,
          escalationLevel: tickets.escalationLevel,
          rejections: tickets.rejections,
          outstanding: findings.outstanding,
          createdAt: tickets.createdAt,
          firstSubmittedAt: sql<Date | null>`(select min(e.at) from ticket_events e where e.ticket_id = ${tickets.id} and e.type = 'SUBMIT_RECTIFICATION')`.mapWith(toDate),
          repeat: sql<boolean>`exists (select 1 ${earlierSameProblem})`,
        })
        .from(tickets)
        .innerJoin(units, eq(units.id, tickets.unitId))
        .innerJoin(findings, eq(findings.id, tickets.findingId))
        .innerJoin(targets, eq(targets.id, findings.targetId))
        .where(and(eq(tickets.inspectionId, inspectionId), unitScope(viewer, tickets.unitId)))
        .orderBy(units.path, tickets.id);
    },

    /** The notice's findings table (附件3 shape) with each ticket's state, due time, ladder and feedback, in ticket number order. */
    async rows({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }, tx: Db = db): Promise<ReportRow[]> {
      return tx
        .select({
          number: tickets.number,
          state: tickets.state,
          targetKind: targets.kind,
          platform: targets.platform,
          targetName: targets.name,
          unitName: units.name,
          county: targets.county,
          problems: problemsOf,
          problemsText: findings.problemsText,
          note: findings.note,
          outstanding: findings.outstanding,
          lastUpdatedOn: findings.lastUpdatedOn,
          dueAt: tickets.dueAt,
          escalationLevel: tickets.escalationLevel,
          feedback: sql<string | null>`(select e.payload->>'feedback' from ticket_events e where e.ticket_id = ${tickets.id} and e.type = 'SUBMIT_RECTIFICATION' order by e.seq desc limit 1)`,
        })
        .from(tickets)
        .innerJoin(units, eq(units.id, tickets.unitId))
        .innerJoin(findings, eq(findings.id, tickets.findingId))
        .innerJoin(targets, eq(targets.id, findings.targetId))
        .where(and(eq(tickets.inspectionId, inspectionId), unitScope(viewer, tickets.unitId)))
        .orderBy(tickets.number);
    },
  };
}

export type ReportsRepository = ReturnType<typeof createReportsRepository>;
