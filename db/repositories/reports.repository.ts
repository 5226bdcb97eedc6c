import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { findings, targets, tickets, units, type Platform, type TargetKind, type TicketState } from '../schema/index.js';
import { problemsOf, type TicketProblem } from './tickets.repository.js';
import { unitScope, type Viewer } from './scope.js';

export interface UnitProgress {
  unitId: number;
  unitCode: string;
  unitName: string;
  unitPath: string;
  tickets: number;
  issued: number;
  acknowledged: number;
  rectified: number;
  verified: number;
  withdrawn: number;
  overdue: number;
  escalated: number;
  /** Tickets whose rectification was submitted by the due time (and not withdrawn since). */
  onTime: number;
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
  lastUpdatedOn: string | null;
  dueAt: Date;
}

const count = (condition: ReturnType<typeof sql>) => sql<number>`(count(*) filter (where ${condition}))::int`;

/** Aggregates for an inspection's report, always within the viewer's scope. */
export function createReportsRepository({ db }: { db: Db }) {
  return {
    async progressByUnit({ inspectionId, viewer, now }: { inspectionId: number; viewer: Viewer; now: Date }, tx: Db = db): Promise<UnitProgress[]> {
      const at = now.toISOString();
      return tx
        .select({
          unitId: units.id,
          unitCode: units.code,
          unitName: units.name,
          unitPath: units.path,
          tickets: sql<number>`count(*)::int`,
          issued: count(sql`${tickets.state} = 'issued'`),
          acknowledged: count(sql`${tickets.state} = 'acknowledged'`),
          rectified: count(sql`${tickets.state} = 'rectified'`),
          verified: count(sql`${tickets.state} = 'verified'`),
          withdrawn: count(sql`${tickets.state} = 'withdrawn'`),
          overdue: count(sql`${tickets.state} in ('issued', 'acknowledged') and ${tickets.dueAt} < ${at}::timestamptz`),
          escalated: count(sql`${tickets.escalationLevel} > 0`),
          onTime: count(sql`${tickets.state} in ('rectified', 'verified') and ${tickets.rectifiedAt} <= ${tickets.dueAt}`),
        })
        .from(tickets)
        .innerJoin(units, eq(units.id, tickets.unitId))
        .where(and(eq(tickets.inspectionId, inspectionId), unitScope(viewer, tickets.unitId)))
        .groupBy(units.id)
        .orderBy(units.path);
    },

    /** The notice's findings table (附件3 shape) with each ticket's state, in ticket number order. */
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
          lastUpdatedOn: findings.lastUpdatedOn,
          dueAt: tickets.dueAt,
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
