import { and, eq, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';
import { findings, inspections, targets, tickets, units, type Platform, type TargetKind, type TicketState } from '../schema/index.js';
import { earlierSameProblem, problemsOf, type TicketProblem } from './tickets.repository.js';
import { scopePrefix, unitScope, type Viewer } from './scope.js';

/** One ticket of a target found with the same problem in more than one inspection (屡查屡犯). */
export interface RepeatRow {
  targetId: number;
  targetKind: TargetKind;
  platform: Platform | null;
  targetName: string;
  unitCode: string;
  unitName: string;
  problemCode: string;
  problemLabel: string;
  problemText: string;
  inspectionId: number;
  shortCode: string;
  title: string;
  documentNumber: string | null;
  issuedOn: string;
  ticketId: number;
  number: string;
  state: TicketState;
}

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
        // earlierSameProblem compares with the ticket's inspection.
        .innerJoin(inspections, eq(inspections.id, tickets.inspectionId))
        .where(and(eq(tickets.inspectionId, inspectionId), unitScope(viewer, tickets.unitId)))
        .orderBy(units.path, tickets.id);
    },

    /**
     * Tickets, with the problem they share, of targets found with the same problem (the same
     * catalogue code, or for `other` the same words) in more than one inspection issued on or after
     * `since`; both tickets in the viewer's scope. Ordered by target, problem, then issue date.
     */
    async repeats({ viewer, since, inspectionId }: { viewer: Viewer; since?: string; inspectionId?: number }, tx: Db = db): Promise<RepeatRow[]> {
      const prefix = scopePrefix(viewer);
      const inScope = (alias: string) => (prefix === undefined ? sql`true` : sql`${sql.raw(alias)}.unit_id in (select u.id from units u where u.path like ${prefix})`);
      const sinceCondition = (alias: string) => (since ? sql`${sql.raw(alias)}.issued_on >= ${since}::date` : sql`true`);
      const rows = await queryRows<Record<string, unknown>>(sql`select g.id as target_id, g.kind, g.platform, g.name as target_name, u.code as unit_code, u.name as unit_name,
                   fp.problem_code, pt.label as problem_label, fp.text as problem_text,
                   i.id as inspection_id, i.short_code, i.title, i.document_number, i.issued_on::text as issued_on, t.id as ticket_id, t.number, t.state
            from tickets t
            join findings f on f.id = t.finding_id
            join targets g on g.id = f.target_id
            join inspections i on i.id = t.inspection_id
            join units u on u.id = t.unit_id
            join finding_problems fp on fp.finding_id = f.id
            join problem_types pt on pt.code = fp.problem_code
            where ${inScope('t')} and ${sinceCondition('i')}
              and exists (
                select 1 from findings f2
                join tickets t2 on t2.finding_id = f2.id
                join inspections i2 on i2.id = f2.inspection_id
                join finding_problems fp2 on fp2.finding_id = f2.id
                where f2.target_id = f.target_id and f2.inspection_id <> f.inspection_id
                  and fp2.problem_code = fp.problem_code and (fp.problem_code <> 'other' or fp2.text = fp.text)
                  and ${inScope('t2')} and ${sinceCondition('i2')})
              ${inspectionId === undefined ? sql`` : sql`and g.id in (select f3.target_id from findings f3 where f3.inspection_id = ${inspectionId})`}
            order by g.id, fp.problem_code, fp.text, i.issued_on, i.id`,
        tx,
      );
      return rows.map((r) => ({
        targetId: Number(r.target_id),
        targetKind: r.kind as TargetKind,
        platform: r.platform as Platform | null,
        targetName: String(r.target_name),
        unitCode: String(r.unit_code),
        unitName: String(r.unit_name),
        problemCode: String(r.problem_code),
        problemLabel: String(r.problem_label),
        problemText: String(r.problem_text),
        inspectionId: Number(r.inspection_id),
        shortCode: String(r.short_code),
        title: String(r.title),
        documentNumber: r.document_number === null ? null : String(r.document_number),
        issuedOn: String(r.issued_on),
        ticketId: Number(r.ticket_id),
        number: String(r.number),
        state: r.state as TicketState,
      }));
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
        // earlierSameProblem compares with the ticket's inspection.
        .innerJoin(inspections, eq(inspections.id, tickets.inspectionId))
        .where(and(eq(tickets.inspectionId, inspectionId), unitScope(viewer, tickets.unitId)))
        .orderBy(tickets.number);
    },
  };
}

export type ReportsRepository = ReturnType<typeof createReportsRepository>;
