import { sql } from 'drizzle-orm';
import { unnestColumn } from '../../db/unnest.js';
import type { Db } from '../../db/client.js';
import { queryRows } from '../../db/client.js';
import type { TicketEventsRepository } from '../../db/repositories/ticket-events.repository.js';
import type { TicketView } from '../../db/repositories/tickets.repository.js';
import {
  findingProblems,
  findings,
  problemTypes,
  targets,
  tickets,
  units,
  resolvePolicy,
  type Inspection,
  type Platform,
  type TargetKind,
} from '../../db/schema/index.js';
import type { QueueTicketMail, TicketNotifier } from '../../notifications/ticket-notifier.js';
import type { WorkingCalendar } from '../deadlines/calendar.js';
import { dueAtAfterWorkingDays, dueAtForDeadline } from '../deadlines/deadlines.js';

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

/**
 * One column of a chunk as a single array parameter: the inserts below are
 * `INSERT … SELECT FROM unnest(…)`, a parameter per column instead of one per value, which spares
 * building and sending a query of tens of thousands of parameters for each chunk.
 */
function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const targetKey = (t: { kind: string; platform: string | null; name: string; unitId: number | null }) =>
  `${t.kind}\u0000${t.platform ?? ''}\u0000${t.name}\u0000${t.unitId ?? ''}`;

export interface TicketIssuanceDeps {
  notifier: TicketNotifier;
  events: Pick<TicketEventsRepository, 'persist'>;
}

type StoredTarget = { id: number; url: string | null; county: string | null };
type UnitNames = { code: string; name: string; path: string };

async function unitNames(tx: Db, ids: Set<number>): Promise<Map<number, UnitNames>> {
  const rows = await tx.select({ id: units.id, code: units.code, name: units.name, path: units.path }).from(units).where(sql`${units.id} = any(${sql.param([...ids])}::int[])`);
  return new Map(rows.map(({ id, ...names }) => [id, names]));
}

/**
 * Turns findings into tickets inside the caller's transaction: targets (reused across inspections),
 * findings with their problems, tickets numbered `<shortCode>-NNN`, the ISSUE audit event and the
 * issue notification of each. Multi-row statements throughout; a finding already imported for this
 * inspection is left as it is and counted as unchanged.
 */
export function createTicketIssuance({ notifier, events }: TicketIssuanceDeps) {
  return {
    async issue(
      tx: Db,
      { inspection, items, actor, calendar, now }: { inspection: Inspection; items: FindingToIssue[]; actor: { userId: number | null; name: string }; calendar: WorkingCalendar; now: Date },
    ): Promise<IssueResult> {
      if (items.length === 0) return { created: 0, unchanged: 0, tickets: [] };

      const storedTargets = new Map<string, StoredTarget>();
      for (const part of chunks(items)) {
        const rows = await queryRows<{ id: number; kind: string; platform: string | null; name: string; unit_id: number | null; url: string | null; county: string | null }>(
          tx,
          sql`insert into ${targets} (kind, platform, name, url, owner_unit_id, county)
              select * from unnest(${unnestColumn(part, (f) => f.targetKind)}::text[], ${unnestColumn(part, (f) => f.platform)}::text[], ${unnestColumn(part, (f) => f.targetName)}::text[],
                                   ${unnestColumn(part, (f) => f.url)}::text[], ${unnestColumn(part, (f) => f.unitId)}::int[], ${unnestColumn(part, (f) => f.county)}::text[])
              on conflict (kind, platform, name, owner_unit_id) do update
                set url = coalesce(excluded.url, ${targets.url}), county = coalesce(excluded.county, ${targets.county})
              returning id, kind, platform, name, owner_unit_id as unit_id, url, county`,
        );
        for (const row of rows) storedTargets.set(targetKey({ ...row, unitId: row.unit_id }), { id: row.id, url: row.url, county: row.county });
      }
      const targetOf = (f: FindingToIssue) => storedTargets.get(targetKey({ kind: f.targetKind, platform: f.platform, name: f.targetName, unitId: f.unitId }));

      const createdFindings: { id: number; item: FindingToIssue; index: number }[] = [];
      for (const [chunkIndex, part] of chunks(items).entries()) {
        const byTarget = new Map(
          part.map((f, i) => [targetOf(f)?.id ?? 0, { item: f, index: chunkIndex * CHUNK + i }]),
        );
        const values = [...byTarget];
        const rows = await queryRows<{ id: number; target_id: number }>(
          tx,
          sql`insert into ${findings} (inspection_id, target_id, unit_id, outstanding, last_updated_on, note, problems_text, source_row)
              select ${inspection.id}::int, * from unnest(${unnestColumn(values, ([targetId]) => targetId)}::int[], ${unnestColumn(values, ([, { item }]) => item.unitId)}::int[],
                                   ${unnestColumn(values, ([, { item }]) => item.outstanding)}::bool[], ${unnestColumn(values, ([, { item }]) => item.lastUpdatedOn)}::date[],
                                   ${unnestColumn(values, ([, { item }]) => item.note)}::text[], ${unnestColumn(values, ([, { item }]) => item.problemsText)}::text[],
                                   ${unnestColumn(values, ([, { item }]) => item.row ?? null)}::int[])
              on conflict (inspection_id, target_id) do nothing
              returning id, target_id`,
        );
        for (const row of rows) {
          const found = byTarget.get(row.target_id);
          if (found) createdFindings.push({ id: row.id, ...found });
        }
      }
      // Numbers follow the file's row order, whatever order the database returned the rows in.
      createdFindings.sort((a, b) => a.index - b.index);
      const unchanged = items.length - createdFindings.length;
      if (createdFindings.length === 0) return { created: 0, unchanged, tickets: [] };

      const problemRows = createdFindings.flatMap(({ id, item }) =>
        item.problems.map((p, position) => ({ findingId: id, position, problemCode: p.code, text: p.text })),
      );
      for (const part of chunks(problemRows)) {
        await tx.execute(
          sql`insert into ${findingProblems} (finding_id, position, problem_code, text)
              select * from unnest(${unnestColumn(part, (p) => p.findingId)}::int[], ${unnestColumn(part, (p) => p.position)}::int[], ${unnestColumn(part, (p) => p.problemCode)}::text[], ${unnestColumn(part, (p) => p.text)}::text[])`,
        );
      }

      const due = inspection.feedbackDeadline
        ? { value: dueAtForDeadline(inspection.feedbackDeadline), provisional: !calendar.isKnown(inspection.feedbackDeadline) }
        : dueAtAfterWorkingDays(calendar, inspection.issuedOn, inspection.dueWorkingDays ?? 1);
      const [{ n: existing } = { n: 0 }] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from ${tickets} where ${tickets.inspectionId} = ${inspection.id}`,
      );
      const width = Math.max(3, String(existing + createdFindings.length).length);
      const at = now.toISOString();
      const issued: { id: number; number: string; finding: (typeof createdFindings)[number] }[] = [];
      for (const [index, part] of chunks(createdFindings).entries()) {
        const numbers = part.map((_, i) => `${inspection.shortCode}-${String(existing + index * CHUNK + i + 1).padStart(width, '0')}`);
        const rows = await queryRows<{ id: number; number: string }>(
          tx,
          sql`insert into ${tickets} (number, inspection_id, finding_id, unit_id, state, due_at, due_provisional, next_action_at, created_at, updated_at)
              select u.number, ${inspection.id}::int, u.finding_id, u.unit_id, 'issued', ${due.value.toISOString()}::timestamptz, ${due.provisional}::bool,
                     ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
              from unnest(${sql.param(numbers)}::text[], ${unnestColumn(part, (f) => f.id)}::int[], ${unnestColumn(part, (f) => f.item.unitId)}::int[]) as u(number, finding_id, unit_id)
              returning id, number`,
        );
        const findingOf = new Map(part.map((f, i) => [numbers[i] ?? '', f]));
        for (const row of rows.sort((a, b) => a.id - b.id)) {
          const finding = findingOf.get(row.number);
          if (finding) issued.push({ ...row, finding });
        }
      }

      // The issue emails are rendered from what was just written, not read back: the tickets'
      // views differ only in what this function holds already, and re-reading 100,000 of them
      // through the view's joins would cost more than writing them did.
      const unitsById = await unitNames(tx, new Set(items.map((f) => f.unitId)));
      const labels = new Map((await tx.select({ code: problemTypes.code, label: problemTypes.label }).from(problemTypes)).map((p) => [p.code, p.label]));
      const viewOf = ({ id, number, finding: { id: findingId, item } }: (typeof issued)[number]): TicketView => {
        const unit = unitsById.get(item.unitId);
        const target = targetOf(item);
        return {
          id,
          number,
          inspectionId: inspection.id,
          findingId,
          unitId: item.unitId,
          state: 'issued',
          dueAt: due.value,
          dueProvisional: due.provisional,
          escalationLevel: 0,
          rejections: 0,
          extensionRequest: null,
          extensionsGranted: 0,
          version: 1,
          nextActionAt: now,
          createdAt: now,
          updatedAt: now,
          acknowledgedAt: null,
          rectifiedAt: null,
          closedAt: null,
          // The ISSUE event's place in the trail; its hash is set once the event is written.
          auditSeq: 1,
          auditHash: null,
          unitCode: unit?.code ?? '',
          unitName: unit?.name ?? '',
          unitPath: unit?.path ?? '',
          inspection: {
            id: inspection.id,
            title: inspection.title,
            documentNumber: inspection.documentNumber,
            shortCode: inspection.shortCode,
            issuingUnitId: inspection.issuingUnitId,
            policy: resolvePolicy(inspection.policy),
          },
          target: { kind: item.targetKind, platform: item.platform, name: item.targetName, url: target?.url ?? item.url, county: target?.county ?? item.county },
          finding: { outstanding: item.outstanding, lastUpdatedOn: item.lastUpdatedOn, note: item.note, problemsText: item.problemsText },
          problems: item.problems.map((p) => ({ code: p.code, label: labels.get(p.code) ?? p.code, text: p.text })),
          // Only the issue email reads this view, and it does not name earlier inspections.
          repeatOf: [],
        };
      };

      // One issue notice per unit listing all its new tickets: the emails are queued once, after every chunk.
      const mails: QueueTicketMail[] = [];
      for (const part of chunks(issued)) {
        const appended = await events.persist(
          part.map(({ id, number }) => ({
            ticketId: id,
            type: 'ISSUE' as const,
            fromState: null,
            toState: 'issued' as const,
            actorUserId: actor.userId,
            actor: actor.name,
            at: now,
            payload: { number, inspectionId: inspection.id },
          })),
          tx,
        );
        const eventOf = new Map(appended.map((e) => [e.ticketId, e]));
        for (const ticket of part) {
          const event = eventOf.get(ticket.id);
          mails.push({ kind: 'issued', ticket: { ...viewOf(ticket), auditHash: event?.hash ?? null }, eventId: event?.id ?? null });
        }
      }
      await notifier.queueMany(tx, mails);
      return { created: issued.length, unchanged, tickets: issued.map(({ id, number }) => ({ id, number })) };
    },
  };
}

export type TicketIssuance = ReturnType<typeof createTicketIssuance>;
