import { and, asc, desc, eq, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { AuditChain, TrailProblem } from '../audit-chain.js';
import type { Db } from '../client.js';
import { feedbackEvents, feedbacks, inspections, notifications, ticketEvents, tickets, units, type Feedback, type FeedbackEvent, type FeedbackEventType, type FeedbackState } from '../schema/index.js';
import { legacyMaxIds } from './audit-legacy.js';
import { unitScope, type Viewer } from './scope.js';

/** A written feedback with what its readers need: the unit and the inspection. */
export interface FeedbackView extends Feedback {
  unitCode: string;
  unitName: string;
  unitPath: string;
  unitParentId: number | null;
  inspection: { id: number; title: string; documentNumber: string | null; shortCode: string; issuingUnitId: number; issuingUnitName: string; feedbackDeadline: string | null };
}

export interface AppendFeedbackEvent {
  feedbackId: number;
  type: FeedbackEventType;
  fromState: FeedbackState | null;
  toState: FeedbackState;
  actorUserId: number | null;
  actor: string;
  at: Date;
  payload: Record<string, unknown>;
}

/** What is wrong with one written feedback's trail. */
export interface FeedbackTrailProblem {
  feedbackId: number;
  seq: number | null;
  problem: TrailProblem;
}

const viewColumns = {
  feedback: feedbacks,
  unitCode: units.code,
  unitName: units.name,
  unitPath: units.path,
  unitParentId: units.parentId,
  inspection: {
    id: inspections.id,
    title: inspections.title,
    documentNumber: inspections.documentNumber,
    shortCode: inspections.shortCode,
    issuingUnitId: inspections.issuingUnitId,
    issuingUnitName: sql<string>`(select iu.name from units iu where iu.id = ${inspections.issuingUnitId})`,
    feedbackDeadline: inspections.feedbackDeadline,
  },
};
type ViewRow = { feedback: Feedback } & Omit<FeedbackView, keyof Feedback>;
const flatten = ({ feedback, ...rest }: ViewRow): FeedbackView => ({ ...feedback, ...rest });

/** Officers see their own unit's feedback only; supervisors their subtree's. */
function feedbackScope(viewer: Viewer): SQL | undefined {
  return viewer.role === 'officer' ? eq(feedbacks.unitId, viewer.unitId) : unitScope(viewer, feedbacks.unitId);
}

export function createFeedbacksRepository({ db, chain }: { db: Db; chain: AuditChain }) {
  const selectView = (tx: Db) =>
    tx.select(viewColumns).from(feedbacks).innerJoin(units, eq(units.id, feedbacks.unitId)).innerJoin(inspections, eq(inspections.id, feedbacks.inspectionId));

  const repository = {
    /**
     * One pending feedback for each unit with tickets in the inspection that has none yet, due at
     * `dueAt` (the inspection's deadline) or, without one, at the unit's earliest ticket due time.
     */
    async ensureForInspection({ inspectionId, dueAt }: { inspectionId: number; dueAt: Date | null }, tx: Db = db): Promise<void> {
      await tx.execute(sql`insert into ${feedbacks} (inspection_id, unit_id, state, due_at)
        select t.inspection_id, t.unit_id, 'pending', coalesce(${dueAt?.toISOString() ?? null}::timestamptz, min(t.due_at))
        from ${tickets} t
        where t.inspection_id = ${inspectionId} and not exists (select 1 from ${feedbacks} f where f.inspection_id = t.inspection_id and f.unit_id = t.unit_id)
        group by t.inspection_id, t.unit_id
        on conflict (inspection_id, unit_id) do nothing`);
    },

    async list({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }, tx: Db = db): Promise<FeedbackView[]> {
      const rows = await selectView(tx)
        .where(and(eq(feedbacks.inspectionId, inspectionId), feedbackScope(viewer)))
        .orderBy(asc(units.path));
      return rows.map(flatten);
    },

    /** The viewer's written feedback across inspections, newest inspection first (keyset on the feedback id, descending). */
    async listForViewer({ viewer, limit, before }: { viewer: Viewer; limit: number; before?: number }, tx: Db = db): Promise<FeedbackView[]> {
      const rows = await selectView(tx)
        .where(and(feedbackScope(viewer), before !== undefined ? lt(feedbacks.id, before) : undefined))
        .orderBy(desc(feedbacks.id))
        .limit(limit);
      return rows.map(flatten);
    },

    async findView({ inspectionId, unitCode, viewer }: { inspectionId: number; unitCode: string; viewer?: Viewer }, tx: Db = db): Promise<FeedbackView | undefined> {
      const [row] = await selectView(tx)
        .where(and(eq(feedbacks.inspectionId, inspectionId), eq(units.code, unitCode), viewer ? feedbackScope(viewer) : undefined))
        .limit(1);
      return row ? flatten(row) : undefined;
    },

    /** findView with the feedback's row lock for the rest of the transaction: concurrent events take turns. */
    async lockView({ inspectionId, unitCode, viewer }: { inspectionId: number; unitCode: string; viewer: Viewer }, tx: Db): Promise<FeedbackView | undefined> {
      const [row] = await selectView(tx)
        .where(and(eq(feedbacks.inspectionId, inspectionId), eq(units.code, unitCode), feedbackScope(viewer)))
        .for('update', { of: feedbacks });
      return row ? flatten(row) : undefined;
    },

    async update({ id, values }: { id: number; values: Partial<Feedback> }, tx: Db): Promise<Feedback> {
      const [row] = await tx.update(feedbacks).set(values).where(eq(feedbacks.id, id)).returning();
      if (!row) throw new Error(`feedback ${id} vanished during update`);
      return row;
    },

    /**
     * The only writer of `feedback_events`: appends the next event of a feedback, chained to the
     * feedback's recorded tail, and moves that tail in the same transaction. The caller holds the feedback's row lock.
     */
    async appendEvent(event: AppendFeedbackEvent, tx: Db): Promise<FeedbackEvent> {
      const [tail] = await tx.select({ seq: feedbacks.auditSeq, hash: feedbacks.auditHash }).from(feedbacks).where(eq(feedbacks.id, event.feedbackId));
      if (!tail) throw new Error(`feedback ${event.feedbackId} does not exist`);
      const seq = tail.seq + 1;
      const prevHash = tail.hash;
      const { hash, chainVersion } = chain.link({ feedbackId: event.feedbackId }, prevHash, { ...event, seq });
      const [row] = await tx.insert(feedbackEvents).values({ ...event, seq, prevHash, hash, chainVersion }).returning();
      if (!row) throw new Error('insert into feedback_events returned nothing');
      await tx.update(feedbacks).set({ auditSeq: seq, auditHash: hash }).where(eq(feedbacks.id, event.feedbackId));
      return row;
    },

    async listNotifications({ feedbackId }: { feedbackId: number }, tx: Db = db) {
      return tx.select().from(notifications).where(eq(notifications.feedbackId, feedbackId)).orderBy(asc(notifications.id));
    },

    /** Each ticket's latest SUBMIT_RECTIFICATION: the measures, date and evidence the unit reported (for the draft report). */
    async latestSubmissions({ ticketIds }: { ticketIds: number[] }, tx: Db = db): Promise<Map<number, Record<string, unknown>>> {
      if (ticketIds.length === 0) return new Map();
      const rows = await tx
        .selectDistinctOn([ticketEvents.ticketId], { ticketId: ticketEvents.ticketId, payload: ticketEvents.payload })
        .from(ticketEvents)
        .where(and(inArray(ticketEvents.ticketId, ticketIds), eq(ticketEvents.type, 'SUBMIT_RECTIFICATION')))
        .orderBy(ticketEvents.ticketId, desc(ticketEvents.seq));
      return new Map(rows.map((r) => [r.ticketId, r.payload]));
    },

    async listEvents({ feedbackId }: { feedbackId: number }, tx: Db = db): Promise<FeedbackEvent[]> {
      return tx.select().from(feedbackEvents).where(eq(feedbackEvents.feedbackId, feedbackId)).orderBy(asc(feedbackEvents.seq));
    },

    /**
     * Checks every written feedback against its trail: the chain, the tail the feedback records and
     * its state against the last event. Feedback trails are short and few (one per unit and inspection).
     */
    async verify(tx: Db = db): Promise<{ checkedEvents: number; checkedFeedbacks: number; problems: FeedbackTrailProblem[] }> {
      const legacyMaxId = (await legacyMaxIds(tx)).feedbackEvents;
      const owners = await tx
        .select({ id: feedbacks.id, state: feedbacks.state, auditSeq: feedbacks.auditSeq, auditHash: feedbacks.auditHash })
        .from(feedbacks)
        .orderBy(asc(feedbacks.id));
      const rows = await tx.select().from(feedbackEvents).orderBy(asc(feedbackEvents.feedbackId), asc(feedbackEvents.seq));
      const trailOf = new Map<number, FeedbackEvent[]>();
      for (const row of rows) trailOf.set(row.feedbackId, [...(trailOf.get(row.feedbackId) ?? []), row]);
      const problems = owners.flatMap((owner) =>
        chain
          .check({ feedbackId: owner.id }, { ...owner, initialState: 'pending' }, trailOf.get(owner.id) ?? [], legacyMaxId)
          .map(({ seq, problem }) => ({ feedbackId: owner.id, seq, problem })),
      );
      return { checkedEvents: rows.length, checkedFeedbacks: trailOf.size, problems };
    },

    /** `verify` in short: the counts and the first problem found, if any. */
    async verifyChains(tx: Db = db): Promise<{ checkedEvents: number; checkedFeedbacks: number; firstBreak?: FeedbackTrailProblem }> {
      const { checkedEvents, checkedFeedbacks, problems } = await repository.verify(tx);
      const [first] = problems;
      return { checkedEvents, checkedFeedbacks, ...(first ? { firstBreak: first } : {}) };
    },

    /** Feedback not accepted by its due time, in the viewer's scope: the units the 督办台 and the overdue report list. */
    async overdue({ viewer, now, inspectionId, unitCode }: { viewer: Viewer; now: Date; inspectionId?: number; unitCode?: string }, tx: Db = db): Promise<FeedbackView[]> {
      const rows = await selectView(tx)
        .where(
          and(
            ne(feedbacks.state, 'accepted'),
            lt(feedbacks.dueAt, now),
            unitScope(viewer, feedbacks.unitId),
            inspectionId !== undefined ? eq(feedbacks.inspectionId, inspectionId) : undefined,
            unitCode ? eq(units.code, unitCode) : undefined,
          ),
        )
        .orderBy(asc(feedbacks.dueAt), asc(feedbacks.id))
        .limit(1000);
      return rows.map(flatten);
    },

    /**
     * State and punctuality of each unit's feedback in one inspection, for the report: on time when
     * first submitted by its due time; late when submitted after it or still not submitted past it;
     * null while it is not yet due.
     */
    async statesByUnit({ inspectionId, unitIds, now }: { inspectionId: number; unitIds: number[]; now: Date }, tx: Db = db) {
      if (unitIds.length === 0) return new Map<number, { state: FeedbackState; onTime: boolean | null }>();
      const rows = await tx
        .select({ unitId: feedbacks.unitId, state: feedbacks.state, dueAt: feedbacks.dueAt, firstSubmittedAt: feedbacks.firstSubmittedAt })
        .from(feedbacks)
        .where(and(eq(feedbacks.inspectionId, inspectionId), inArray(feedbacks.unitId, unitIds)));
      const onTimeOf = (r: (typeof rows)[number]) =>
        r.firstSubmittedAt ? r.firstSubmittedAt.getTime() <= r.dueAt.getTime() : r.dueAt.getTime() < now.getTime() ? false : null;
      return new Map(rows.map((r) => [r.unitId, { state: r.state, onTime: onTimeOf(r) }]));
    },
  };
  return repository;
}

export type FeedbacksRepository = ReturnType<typeof createFeedbacksRepository>;
