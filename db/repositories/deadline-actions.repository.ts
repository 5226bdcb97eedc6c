import { and, asc, desc, eq, exists, inArray, sql } from 'drizzle-orm';
import { unnestArray, unnestColumn } from '../unnest.js';
import { queryRows, type Db } from '../client.js';
import {
  inspections,
  ticketDeadlineActions,
  ticketEvents,
  tickets,
  verifyDigests,
  resolvePolicy,
  type DeadlineActionKind,
  type EscalationPolicy,
  type TicketState,
} from '../schema/index.js';

/** A ticket whose next look has come, with the deadline actions already taken for its current basis. */
export interface DueTicket {
  id: number;
  inspectionId: number;
  state: TicketState;
  dueAt: Date;
  escalationLevel: number;
  rectifiedAt: Date | null;
  policy: EscalationPolicy;
  taken: { kind: DeadlineActionKind; step: number }[];
}

export interface DeadlineActionKey {
  ticketId: number;
  kind: DeadlineActionKind;
  step: number;
}

/** What the supervising office's lists show of a ticket's latest submission. */
export interface LatestSubmission {
  feedback?: string;
  evidence?: string[];
  files?: string[];
}

export const deadlineActionKey = ({ ticketId, kind, step }: DeadlineActionKey) => `${ticketId}:${kind}:${step}`;

type DueRow = {
  id: number;
  inspection_id: number;
  state: TicketState;
  due_at: string | Date;
  escalation_level: number;
  rectified_at: string | Date | null;
  policy: Partial<EscalationPolicy>;
  taken: { kind: DeadlineActionKind; step: number }[] | string | null;
};

// PGlite and node-postgres differ in what a json column and a timestamptz in a raw row come back as.
const asDate = (value: string | Date) => (value instanceof Date ? value : new Date(value));

/**
 * The sweep's statements (workflows/sweep.ts): claiming due tickets, the exactly-once rows of
 * `ticket_deadline_actions`, the next look, and the daily verification digest's reads and claim.
 */
export function createDeadlineActionsRepository({ db }: { db: Db }) {
  return {
    /**
     * One batch of due tickets, oldest look first, locked FOR UPDATE SKIP LOCKED (rows another sweep
     * holds are skipped), each with the actions already taken for its current basis (its due time,
     * or for the verification reminder its submission time): one statement.
     */
    async claimDue({ now, skip, limit }: { now: Date; skip: readonly number[]; limit: number }, tx: Db): Promise<DueTicket[]> {
      const rows = await queryRows<DueRow>(sql`with claimed as (
              select t.id, t.state, t.due_at, t.escalation_level, t.rectified_at, t.inspection_id, t.next_action_at
              from ${tickets} t
              where t.next_action_at <= ${now.toISOString()}::timestamptz and not (t.id = any(${sql.param([...skip])}::int[]))
              order by t.next_action_at, t.id
              limit ${limit}
              -- Only the tickets: locking their inspection rows too would make parallel sweeps skip whole inspections.
              for update of t skip locked
            )
            select c.id, c.inspection_id, c.state, c.due_at, c.escalation_level, c.rectified_at, i.policy,
                   (select json_agg(json_build_object('kind', a.kind, 'step', a.step))
                    from ${ticketDeadlineActions} a
                    where a.ticket_id = c.id
                      and a.basis = case when a.kind = 'verify_reminder' then c.rectified_at else c.due_at end) as taken
            from claimed c join ${inspections} i on i.id = c.inspection_id
            order by c.next_action_at, c.id`,
        tx,
      );
      // One policy object per inspection: the tickets of a batch mostly share a few.
      const policies = new Map<number, EscalationPolicy>();
      return rows.map((row) => {
        const inspectionId = Number(row.inspection_id);
        let policy = policies.get(inspectionId);
        if (!policy) policies.set(inspectionId, (policy = resolvePolicy(row.policy)));
        return {
          id: Number(row.id),
          inspectionId,
          state: row.state,
          dueAt: asDate(row.due_at),
          escalationLevel: Number(row.escalation_level),
          rectifiedAt: row.rectified_at === null ? null : asDate(row.rectified_at),
          policy,
          taken: typeof row.taken === 'string' ? (JSON.parse(row.taken) as DueTicket['taken']) : (row.taken ?? []),
        };
      });
    },

    /**
     * Records actions in one statement, returning the keys it inserted: a key already there was
     * taken by another sweep, and nothing more may happen for it. The basis is read from the ticket
     * row in the same statement, so it equals the column to the microsecond.
     */
    async record({ actions, now }: { actions: readonly DeadlineActionKey[]; now: Date }, tx: Db): Promise<Set<string>> {
      if (actions.length === 0) return new Set();
      const inserted = await queryRows<{ ticket_id: number; kind: DeadlineActionKind; step: number }>(sql`insert into ${ticketDeadlineActions} (ticket_id, kind, step, basis, taken_at)
            select v.ticket_id, v.kind, v.step,
                   case when v.kind = 'verify_reminder' then t.rectified_at else t.due_at end,
                   ${now.toISOString()}::timestamptz
            from unnest(${unnestColumn(actions, (a) => a.ticketId)}::int[], ${unnestArray(actions, (a) => a.kind, 'text')}, ${unnestArray(actions, (a) => a.step, 'int')})
              as v(ticket_id, kind, step)
            join ${tickets} t on t.id = v.ticket_id
            on conflict do nothing
            returning ticket_id, kind, step`,
        tx,
      );
      return new Set(inserted.map((row) => deadlineActionKey({ ticketId: Number(row.ticket_id), kind: row.kind, step: Number(row.step) })));
    },

    /** Each ticket's next look (null: none), in one statement. */
    async setNextActionAt({ rows }: { rows: readonly { id: number; next: Date | null }[] }, tx: Db): Promise<void> {
      if (rows.length === 0) return;
      await tx.execute(sql`update ${tickets} set next_action_at = v.next
        from unnest(${unnestColumn(rows, (r) => r.id)}::int[], ${unnestColumn(rows, (r) => r.next?.toISOString() ?? null)}::timestamptz[]) as v(id, next)
        where ${tickets.id} = v.id`);
    },

    /** The written feedback, evidence links and file names of each ticket's latest submission. */
    async latestSubmissions({ ids }: { ids: readonly number[] }, tx: Db): Promise<Map<number, LatestSubmission>> {
      if (ids.length === 0) return new Map();
      const rows = await tx
        .selectDistinctOn([ticketEvents.ticketId], { ticketId: ticketEvents.ticketId, payload: ticketEvents.payload })
        .from(ticketEvents)
        // One array parameter: a day's digest may list more tickets than a statement takes parameters.
        .where(and(sql`${ticketEvents.ticketId} = any(${sql.param([...ids])}::int[])`, eq(ticketEvents.type, 'SUBMIT_RECTIFICATION')))
        .orderBy(ticketEvents.ticketId, desc(ticketEvents.seq));
      return new Map(
        rows.map(({ ticketId, payload }) => {
          const { feedback, evidence, attachments } = payload as { feedback?: unknown; evidence?: unknown; attachments?: unknown };
          // The audit event records each file as {id, name, size, sha256}.
          const files = Array.isArray(attachments) ? attachments.flatMap((a: unknown) => (a && typeof a === 'object' && 'name' in a && typeof a.name === 'string' ? [a.name] : [])) : [];
          return [
            ticketId,
            {
              ...(typeof feedback === 'string' ? { feedback } : {}),
              ...(Array.isArray(evidence) ? { evidence: evidence.filter((e): e is string => typeof e === 'string') } : {}),
              ...(files.length > 0 ? { files } : {}),
            },
          ];
        }),
      );
    },

    /** The inspections with submissions waiting for verification, with their issuing office and policy. */
    async inspectionsWaitingVerification(tx: Db = db): Promise<{ inspectionId: number; issuingUnitId: number; policy: Partial<EscalationPolicy> }[]> {
      // Per inspection, one probe of tickets_inspection_state_due_idx (exists), not every rectified ticket.
      return tx
        .select({ inspectionId: inspections.id, issuingUnitId: inspections.issuingUnitId, policy: inspections.policy })
        .from(inspections)
        .where(exists(tx.select({ one: sql`1` }).from(tickets).where(and(eq(tickets.inspectionId, inspections.id), eq(tickets.state, 'rectified')))));
    },

    /** The (inspection, office) digests already written on `day`. */
    async digestsWritten({ day, inspectionIds }: { day: string; inspectionIds: readonly number[] }, tx: Db = db): Promise<{ inspectionId: number; unitId: number }[]> {
      if (inspectionIds.length === 0) return [];
      return tx
        .select({ inspectionId: verifyDigests.inspectionId, unitId: verifyDigests.unitId })
        .from(verifyDigests)
        .where(and(eq(verifyDigests.day, day), inArray(verifyDigests.inspectionId, [...inspectionIds])));
    },

    /** The submissions waiting for verification in these inspections, oldest submission first. */
    async waitingVerification({ inspectionIds }: { inspectionIds: readonly number[] }, tx: Db): Promise<number[]> {
      const rows = await tx
        .select({ id: tickets.id })
        .from(tickets)
        .where(and(eq(tickets.state, 'rectified'), inArray(tickets.inspectionId, [...inspectionIds])))
        .orderBy(asc(tickets.rectifiedAt), asc(tickets.id));
      return rows.map((r) => r.id);
    },

    /** Claims one office's digest of an inspection for a day; false when another transaction has. */
    async claimDigest({ unitId, inspectionId, day }: { unitId: number; inspectionId: number; day: string }, tx: Db): Promise<boolean> {
      const inserted = await tx.insert(verifyDigests).values({ unitId, inspectionId, day }).onConflictDoNothing().returning({ unitId: verifyDigests.unitId });
      return inserted.length > 0;
    },
  };
}

export type DeadlineActionsRepository = ReturnType<typeof createDeadlineActionsRepository>;
