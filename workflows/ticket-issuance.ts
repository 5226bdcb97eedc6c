import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { queryRows } from '../db/client.js';
import type { TicketsRepository } from '../db/repositories/tickets.repository.js';
import {
  findingProblems,
  findings,
  targets,
  ticketEvents,
  tickets,
  type Inspection,
  type Platform,
  type TargetKind,
} from '../db/schema/index.js';
import type { TicketNotifier } from '../notifications/ticket-notifier.js';
import { chainHash } from './audit-chain.js';
import type { WorkingCalendar } from './calendar.js';
import { dueAtAfterWorkingDays, dueAtForDeadline } from './deadlines.js';

/** One finding ready to become a ticket: units resolved, problems mapped to the catalogue. */
export interface FindingToIssue {
  row?: number;
  targetKind: TargetKind;
  platform: Platform | null;
  targetName: string;
  url: string | null;
  unitId: number;
  county: string | null;
  problems: { code: string; text: string }[];
  problemsText: string;
  lastUpdatedOn: string | null;
  outstanding: boolean;
  note: string | null;
}

export interface IssueResult {
  created: number;
  unchanged: number;
  tickets: { id: number; number: string }[];
}

// Bound parameters per statement stay far below PostgreSQL's 65,535.
const CHUNK = 2000;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const targetKey = (t: { kind: string; platform: string | null; name: string; unitId: number | null }) =>
  `${t.kind}\u0000${t.platform ?? ''}\u0000${t.name}\u0000${t.unitId ?? ''}`;

export interface TicketIssuanceDeps {
  tickets: Pick<TicketsRepository, 'findViews'>;
  notifier: TicketNotifier;
}

/**
 * Turns findings into tickets inside the caller's transaction: targets (reused across inspections),
 * findings with their problems, tickets numbered `<shortCode>-NNN`, the ISSUE audit event and the
 * issue notification of each. Multi-row statements throughout; a finding already imported for this
 * inspection is left as it is and counted as unchanged.
 */
export function createTicketIssuance({ tickets: ticketsRepository, notifier }: TicketIssuanceDeps) {
  return {
    async issue(
      tx: Db,
      { inspection, items, actor, calendar, now }: { inspection: Inspection; items: FindingToIssue[]; actor: { userId: number | null; name: string }; calendar: WorkingCalendar; now: Date },
    ): Promise<IssueResult> {
      if (items.length === 0) return { created: 0, unchanged: 0, tickets: [] };

      const targetIds = new Map<string, number>();
      for (const part of chunks(items)) {
        const rows = await tx
          .insert(targets)
          .values(part.map((f) => ({ kind: f.targetKind, platform: f.platform, name: f.targetName, url: f.url, ownerUnitId: f.unitId, county: f.county })))
          .onConflictDoUpdate({
            target: [targets.kind, targets.platform, targets.name, targets.ownerUnitId],
            set: { url: sql`coalesce(excluded.url, ${targets.url})`, county: sql`coalesce(excluded.county, ${targets.county})` },
          })
          .returning({ id: targets.id, kind: targets.kind, platform: targets.platform, name: targets.name, unitId: targets.ownerUnitId });
        for (const row of rows) targetIds.set(targetKey(row), row.id);
      }

      const createdFindings: { id: number; item: FindingToIssue }[] = [];
      for (const part of chunks(items)) {
        const byTarget = new Map(part.map((f) => [targetIds.get(targetKey({ kind: f.targetKind, platform: f.platform, name: f.targetName, unitId: f.unitId })) ?? 0, f]));
        const rows = await tx
          .insert(findings)
          .values(
            [...byTarget].map(([targetId, f]) => ({
              inspectionId: inspection.id,
              targetId,
              unitId: f.unitId,
              outstanding: f.outstanding,
              lastUpdatedOn: f.lastUpdatedOn,
              note: f.note,
              problemsText: f.problemsText,
              sourceRow: f.row ?? null,
            })),
          )
          .onConflictDoNothing({ target: [findings.inspectionId, findings.targetId] })
          .returning({ id: findings.id, targetId: findings.targetId });
        for (const row of rows) {
          const item = byTarget.get(row.targetId);
          if (item) createdFindings.push({ id: row.id, item });
        }
      }
      const unchanged = items.length - createdFindings.length;
      if (createdFindings.length === 0) return { created: 0, unchanged, tickets: [] };

      const problemRows = createdFindings.flatMap(({ id, item }) =>
        item.problems.map((p, position) => ({ findingId: id, position, problemCode: p.code, text: p.text })),
      );
      for (const part of chunks(problemRows)) await tx.insert(findingProblems).values(part);

      const due = inspection.feedbackDeadline
        ? { value: dueAtForDeadline(inspection.feedbackDeadline), provisional: !calendar.isKnown(inspection.feedbackDeadline) }
        : dueAtAfterWorkingDays(calendar, inspection.issuedOn, inspection.dueWorkingDays ?? 1);
      const [{ n: existing } = { n: 0 }] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from ${tickets} where ${tickets.inspectionId} = ${inspection.id}`,
      );
      const width = Math.max(3, String(existing + createdFindings.length).length);
      const issued: { id: number; number: string }[] = [];
      for (const [index, part] of chunks(createdFindings).entries()) {
        const rows = await tx
          .insert(tickets)
          .values(
            part.map(({ id, item }, i) => ({
              number: `${inspection.shortCode}-${String(existing + index * CHUNK + i + 1).padStart(width, '0')}`,
              inspectionId: inspection.id,
              findingId: id,
              unitId: item.unitId,
              state: 'issued' as const,
              dueAt: due.value,
              dueProvisional: due.provisional,
              nextActionAt: now,
              createdAt: now,
              updatedAt: now,
            })),
          )
          .returning({ id: tickets.id, number: tickets.number });
        issued.push(...rows);
      }

      for (const part of chunks(issued)) {
        const events = part.map(({ id, number }) => {
          const content = {
            ticketId: id,
            seq: 1,
            type: 'ISSUE' as const,
            fromState: null,
            toState: 'issued' as const,
            actorUserId: actor.userId,
            actor: actor.name,
            at: now,
            payload: { number, inspectionId: inspection.id },
          };
          return { ...content, prevHash: null, hash: chainHash(null, content) };
        });
        const rows = await tx.insert(ticketEvents).values(events).returning({ id: ticketEvents.id, ticketId: ticketEvents.ticketId });
        const eventOf = new Map(rows.map((r) => [r.ticketId, r.id]));
        const views = await ticketsRepository.findViews({ ids: part.map((t) => t.id) }, tx);
        await notifier.queueMany(
          tx,
          views.map((ticket) => ({ kind: 'issued' as const, ticket, eventId: eventOf.get(ticket.id) ?? null })),
        );
      }
      return { created: issued.length, unchanged, tickets: issued };
    },
  };
}

export type TicketIssuance = ReturnType<typeof createTicketIssuance>;
