import type { Db } from '../../db/client.js';
import type { TicketEventsRepository } from '../../db/repositories/ticket-events.repository.js';
import type { TicketIssuanceRepository } from '../../db/repositories/ticket-issuance.repository.js';
import type { TicketView } from '../../db/repositories/tickets.repository.js';
import { resolvePolicy, type Inspection, type Platform, type TargetKind } from '../../db/schema/index.js';
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

// Findings per statement; a target named twice within one is imported once.
const CHUNK = 2000;

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
  issuance: TicketIssuanceRepository;
}

type StoredTarget = { id: number; url: string | null; county: string | null };

/**
 * Turns findings into tickets inside the caller's transaction: targets (reused across inspections),
 * findings with their problems, tickets numbered `<shortCode>-NNN`, the ISSUE audit event and the
 * issue notification of each. Multi-row statements throughout; a finding already imported for this
 * inspection is left as it is and counted as unchanged.
 */
export function createTicketIssuance({ notifier, events, issuance }: TicketIssuanceDeps) {
  return {
    async issue(
      { inspection, items, actor, calendar, now }: { inspection: Inspection; items: FindingToIssue[]; actor: { userId: number | null; name: string }; calendar: WorkingCalendar; now: Date },
      tx: Db,
    ): Promise<IssueResult> {
      if (items.length === 0) return { created: 0, unchanged: 0, tickets: [] };

      const storedTargets = new Map<string, StoredTarget>();
      const targetRows = items.map((f) => ({ kind: f.targetKind, platform: f.platform, name: f.targetName, url: f.url, unitId: f.unitId, county: f.county }));
      for (const row of await issuance.upsertTargets({ rows: targetRows }, tx)) storedTargets.set(targetKey(row), { id: row.id, url: row.url, county: row.county });
      // Each item's stored target, looked up once (the findings and the emails both need it).
      const targets = items.map((f) => storedTargets.get(targetKey({ kind: f.targetKind, platform: f.platform, name: f.targetName, unitId: f.unitId })));

      const createdFindings: { id: number; item: FindingToIssue; index: number }[] = [];
      for (const [chunkIndex, part] of chunks(items).entries()) {
        const byTarget = new Map(
          part.map((f, i) => [targets[chunkIndex * CHUNK + i]?.id ?? 0, { item: f, index: chunkIndex * CHUNK + i }]),
        );
        const rows = await issuance.insertFindings(
          {
            inspectionId: inspection.id,
            rows: [...byTarget].map(([targetId, { item }]) => ({
              targetId,
              unitId: item.unitId,
              outstanding: item.outstanding,
              lastUpdatedOn: item.lastUpdatedOn,
              note: item.note,
              problemsText: item.problemsText,
              sourceRow: item.row ?? null,
            })),
          },
          tx,
        );
        for (const row of rows) {
          const found = byTarget.get(row.targetId);
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
      await issuance.insertFindingProblems({ rows: problemRows }, tx);

      const due = inspection.feedbackDeadline
        ? { value: dueAtForDeadline(inspection.feedbackDeadline), provisional: !calendar.isKnown(inspection.feedbackDeadline) }
        : dueAtAfterWorkingDays(calendar, inspection.issuedOn, inspection.dueWorkingDays ?? 1);
      const existing = await issuance.countTickets({ inspectionId: inspection.id }, tx);
      const width = Math.max(3, String(existing + createdFindings.length).length);
      const issued: { id: number; number: string; finding: (typeof createdFindings)[number] }[] = [];
      const numbered = createdFindings.map((finding, i) => ({ number: `${inspection.shortCode}-${String(existing + i + 1).padStart(width, '0')}`, finding }));
      const findingOf = new Map(numbered.map(({ number, finding }) => [number, finding]));
      const rows = await issuance.insertTickets(
        { inspectionId: inspection.id, rows: numbered.map(({ number, finding }) => ({ number, findingId: finding.id, unitId: finding.item.unitId })), dueAt: due.value, dueProvisional: due.provisional, at: now },
        tx,
      );
      for (const row of rows) {
        const finding = findingOf.get(row.number);
        if (finding) issued.push({ ...row, finding });
      }

      // The issue emails are rendered from what was just written, not read back: the tickets'
      // views differ only in what this function holds already, and re-reading 100,000 of them
      // through the view's joins would cost more than writing them did.
      const unitsById = await issuance.unitNames({ ids: [...new Set(items.map((f) => f.unitId))] }, tx);
      const labels = await issuance.problemLabels(tx);
      // The same for every ticket of the import: made once, not 100,000 times.
      const inspectionView: TicketView['inspection'] = {
        id: inspection.id,
        title: inspection.title,
        documentNumber: inspection.documentNumber,
        shortCode: inspection.shortCode,
        issuingUnitId: inspection.issuingUnitId,
        policy: resolvePolicy(inspection.policy),
      };
      const viewOf = ({ id, number, finding: { id: findingId, item, index } }: (typeof issued)[number], auditHash: string | null): TicketView => {
        const unit = unitsById.get(item.unitId);
        const target = targets[index];
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
          // The ISSUE event's place in the trail.
          auditSeq: 1,
          auditHash,
          unitCode: unit?.code ?? '',
          unitName: unit?.name ?? '',
          unitPath: unit?.path ?? '',
          inspection: inspectionView,
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
          {
            changes: part.map(({ id, number }) => ({
            ticketId: id,
            type: 'ISSUE' as const,
            fromState: null,
            toState: 'issued' as const,
            actorUserId: actor.userId,
            actor: actor.name,
            at: now,
              payload: { number, inspectionId: inspection.id },
            })),
          },
          tx,
        );
        const eventOf = new Map(appended.map((e) => [e.ticketId, e]));
        for (const ticket of part) {
          const event = eventOf.get(ticket.id);
          mails.push({ kind: 'issued', ticket: viewOf(ticket, event?.hash ?? null), eventId: event?.id ?? null });
        }
      }
      await notifier.queueMany({ mails }, tx);
      return { created: issued.length, unchanged, tickets: issued.map(({ id, number }) => ({ id, number })) };
    },
  };
}

export type TicketIssuance = ReturnType<typeof createTicketIssuance>;
