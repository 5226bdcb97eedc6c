import { and, desc, eq, exists, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { inspections, tickets, type Inspection, type NewInspection, type TicketState } from '../schema/index.js';
import { unitScope, type Viewer } from './scope.js';

export type StateCounts = Record<TicketState | 'overdue' | 'escalated' | 'tickets', number>;

const emptyCounts = (): StateCounts => ({ tickets: 0, issued: 0, acknowledged: 0, rectified: 0, verified: 0, withdrawn: 0, overdue: 0, escalated: 0 });

/** Inspections a viewer may see: issued by a unit in its subtree, or with tickets there. */
function visibleTo(viewer: Viewer) {
  const issuedInScope = unitScope(viewer, inspections.issuingUnitId);
  if (!issuedInScope) return undefined;
  const ticketsInScope = unitScope(viewer, tickets.unitId);
  return or(
    issuedInScope,
    exists(
      sql`(select 1 from ${tickets} where ${tickets.inspectionId} = ${inspections.id} and ${ticketsInScope})`,
    ),
  );
}

export function createInspectionsRepository({ db }: { db: Db }) {
  /** Ticket counts by state for several inspections at once (a page of the list), within the viewer's scope; zeros where none. */
  async function countsByState({ ids, viewer, now }: { ids: number[]; viewer: Viewer; now: Date }, tx: Db = db): Promise<Map<number, StateCounts>> {
    if (ids.length === 0) return new Map();
    const rows = await tx
      .select({
        inspectionId: tickets.inspectionId,
        tickets: sql<number>`count(*)::int`,
        issued: sql<number>`(count(*) filter (where ${tickets.state} = 'issued'))::int`,
        acknowledged: sql<number>`(count(*) filter (where ${tickets.state} = 'acknowledged'))::int`,
        rectified: sql<number>`(count(*) filter (where ${tickets.state} = 'rectified'))::int`,
        verified: sql<number>`(count(*) filter (where ${tickets.state} = 'verified'))::int`,
        withdrawn: sql<number>`(count(*) filter (where ${tickets.state} = 'withdrawn'))::int`,
        overdue: sql<number>`(count(*) filter (where ${tickets.state} in ('issued', 'acknowledged') and ${tickets.dueAt} < ${now.toISOString()}::timestamptz))::int`,
        escalated: sql<number>`(count(*) filter (where ${tickets.escalationLevel} > 0))::int`,
      })
      .from(tickets)
      .where(and(inArray(tickets.inspectionId, ids), unitScope(viewer, tickets.unitId)))
      .groupBy(tickets.inspectionId);
    const byId = new Map(rows.map(({ inspectionId, ...counts }) => [inspectionId, counts]));
    return new Map(ids.map((id) => [id, byId.get(id) ?? emptyCounts()]));
  }

  return {
    async create(values: NewInspection, tx: Db = db): Promise<Inspection> {
      const [row] = await tx.insert(inspections).values(values).returning();
      if (!row) throw new Error('insert into inspections returned nothing');
      return row;
    },

    async find({ id, viewer }: { id: number; viewer?: Viewer }, tx: Db = db): Promise<Inspection | undefined> {
      const [row] = await tx
        .select()
        .from(inspections)
        .where(and(eq(inspections.id, id), viewer ? visibleTo(viewer) : undefined))
        .limit(1);
      return row;
    },

    async findByShortCode({ shortCode }: { shortCode: string }, tx: Db = db): Promise<Inspection | undefined> {
      const [row] = await tx.select().from(inspections).where(eq(inspections.shortCode, shortCode)).limit(1);
      return row;
    },

    /** Every inspection's short code and title, newest first (the command line lists them after a wrong code). */
    async listAll({ limit = 50 }: { limit?: number } = {}, tx: Db = db): Promise<{ id: number; shortCode: string; title: string }[]> {
      return tx.select({ id: inspections.id, shortCode: inspections.shortCode, title: inspections.title }).from(inspections).orderBy(desc(inspections.id)).limit(limit);
    },

    /** Changes an inspection issued within the viewer's subtree (contact, scope); undefined when there is none such. */
    async update(
      { id, viewer, values }: { id: number; viewer: Viewer; values: Partial<Pick<NewInspection, 'contactName' | 'contactPhone' | 'scope'>> },
      tx: Db = db,
    ): Promise<Inspection | undefined> {
      const [row] = await tx
        .update(inspections)
        .set(values)
        .where(and(eq(inspections.id, id), unitScope(viewer, inspections.issuingUnitId)))
        .returning();
      return row;
    },

    /** Locks the inspection for the rest of the transaction: imports into one inspection take turns numbering tickets. */
    async lock({ id }: { id: number }, tx: Db): Promise<Inspection | undefined> {
      const [row] = await tx.select().from(inspections).where(eq(inspections.id, id)).for('update');
      return row;
    },

    async list({ viewer, limit, before }: { viewer: Viewer; limit: number; before?: number }, tx: Db = db): Promise<Inspection[]> {
      return tx
        .select()
        .from(inspections)
        .where(and(visibleTo(viewer), before !== undefined ? lt(inspections.id, before) : undefined))
        .orderBy(desc(inspections.id))
        .limit(limit);
    },

    /** Ticket counts by state for one inspection, within the viewer's scope. */
    async countByState({ id, viewer, now }: { id: number; viewer: Viewer; now: Date }, tx: Db = db): Promise<StateCounts> {
      const counts = await countsByState({ ids: [id], viewer, now }, tx);
      return counts.get(id) ?? emptyCounts();
    },

    countsByState,

    /** Unfinished tickets (neither verified nor withdrawn) per escalation level above 0, within the viewer's scope. */
    async countByLevel({ id, viewer }: { id: number; viewer: Viewer }, tx: Db = db): Promise<{ level: number; tickets: number }[]> {
      return tx
        .select({ level: tickets.escalationLevel, tickets: sql<number>`count(*)::int` })
        .from(tickets)
        .where(and(eq(tickets.inspectionId, id), unitScope(viewer, tickets.unitId), sql`${tickets.escalationLevel} > 0`, sql`${tickets.state} not in ('verified', 'withdrawn')`))
        .groupBy(tickets.escalationLevel)
        .orderBy(tickets.escalationLevel);
    },
  };
}

export type InspectionsRepository = ReturnType<typeof createInspectionsRepository>;
