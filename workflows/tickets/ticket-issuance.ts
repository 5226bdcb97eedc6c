import type { Db } from '../../db/client.js';
import type { TicketEventsRepository } from '../../db/repositories/ticket-events.repository.js';
import type { TicketIssuanceRepository } from '../../db/repositories/ticket-issuance.repository.js';
import type { Inspection, Platform, TargetKind } from '../../db/schema/index.js';
import type { MailTicketView, QueueTicketMail, TicketNotifier } from '../../notifications/ticket-notifier.js';
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

// A ticket's recorded tail before its first event (the column defaults).
const NEW_TICKET_TAIL = { seq: 0, hash: null } as const;

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
      // Each statement's findings by target: a target named twice within one is written once.
      const byTargetOfChunk = chunks(items).map(
        (part, chunkIndex) => new Map(part.map((f, i) => [targets[chunkIndex * CHUNK + i]?.id ?? 0, { item: f, index: chunkIndex * CHUNK + i }])),
      );
      const createdOfChunk = await issuance.insertFindings(
        {
          inspectionId: inspection.id,
          parts: byTargetOfChunk.map((byTarget) =>
            [...byTarget].map(([targetId, { item }]) => ({
              targetId,
              unitId: item.unitId,
              outstanding: item.outstanding,
              lastUpdatedOn: item.lastUpdatedOn,
              note: item.note,
              problemsText: item.problemsText,
              sourceRow: item.row ?? null,
            })),
          ),
        },
        tx,
      );
      createdOfChunk.forEach((rows, chunkIndex) => {
        const byTarget = byTargetOfChunk[chunkIndex];
        for (const row of rows) {
          const found = byTarget?.get(row.targetId);
          if (found) createdFindings.push({ id: row.id, item: found.item, index: found.index });
        }
      });
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
        if (finding) issued.push({ id: row.id, number: row.number, finding });
      }

      // The issue emails are rendered from what was just written, not read back: the tickets'
      // views differ only in what this function holds already, and re-reading 100,000 of them
      // through the view's joins would cost more than writing them did.
      const unitsById = await issuance.unitNames({ ids: [...new Set(items.map((f) => f.unitId))] }, tx);
      const labels = await issuance.problemLabels(tx);
      // The same for every ticket of the import: made once, not 100,000 times.
      const inspectionView: MailTicketView['inspection'] = {
        id: inspection.id,
        title: inspection.title,
        documentNumber: inspection.documentNumber,
        shortCode: inspection.shortCode,
        issuingUnitId: inspection.issuingUnitId,
      };
      // Only what the issue email reads of a ticket's view, as its stored view would give it.
      const viewOf = ({ id, number, finding: { item, index } }: (typeof issued)[number]): MailTicketView => {
        const unit = unitsById.get(item.unitId);
        const target = targets[index];
        return {
          id,
          number,
          inspectionId: inspection.id,
          unitId: item.unitId,
          unitCode: unit?.code ?? '',
          unitName: unit?.name ?? '',
          state: 'issued',
          dueAt: due.value,
          dueProvisional: due.provisional,
          escalationLevel: 0,
          rectifiedAt: null,
          inspection: inspectionView,
          target: { kind: item.targetKind, platform: item.platform, name: item.targetName, url: target?.url ?? item.url, county: target?.county ?? item.county },
          problems: item.problems.map((p) => ({ code: p.code, label: labels.get(p.code) ?? p.code, text: p.text })),
        };
      };

      // One statement per chunk of events, each chunk linked while the database writes the one before.
      const appended = await events.persist(
        {
          changes: issued.map(({ id, number }) => ({
            ticketId: id,
            type: 'ISSUE' as const,
            fromState: null,
            toState: 'issued' as const,
            actorUserId: actor.userId,
            actor: actor.name,
            at: now,
            payload: { number, inspectionId: inspection.id },
          })),
          // Just inserted: no event yet, so the tails are known without reading them back.
          tails: new Map(issued.map(({ id }) => [id, NEW_TICKET_TAIL])),
        },
        tx,
      );
      const eventOf = new Map(appended.map((e) => [e.ticketId, e.id]));
      // One issue notice per unit listing all its new tickets.
      const mails: QueueTicketMail[] = issued.map((ticket) => ({ kind: 'issued', ticket: viewOf(ticket), eventId: eventOf.get(ticket.id) ?? null }));
      await notifier.queueMany({ mails }, tx);
      return { created: issued.length, unchanged, tickets: issued.map(({ id, number }) => ({ id, number })) };
    },
  };
}

export type TicketIssuance = ReturnType<typeof createTicketIssuance>;
