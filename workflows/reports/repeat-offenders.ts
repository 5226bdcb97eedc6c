import type { RepeatRow } from '../../db/repositories/reports.repository.js';
import type { Platform, TargetKind, TicketState } from '../../db/schema/index.js';

export interface RepeatOffender {
  target: { id: number; kind: TargetKind; platform: Platform | null; name: string };
  unitCode: string;
  unitName: string;
  problem: { code: string; label: string; text: string };
  findings: {
    inspection: { id: number; shortCode: string; title: string; documentNumber: string | null; issuedOn: string };
    ticket: { id: number; number: string; state: TicketState };
  }[];
}

/**
 * One entry per target and problem (屡查屡犯), its inspections oldest first. The unit is the one
 * responsible in the latest inspection; for `other` problems the words tell problems apart.
 */
export function groupRepeats(rows: RepeatRow[]): RepeatOffender[] {
  const entries = new Map<string, RepeatOffender>();
  for (const row of rows) {
    const key = `${row.targetId}\u0000${row.problemCode}\u0000${row.problemCode === 'other' ? row.problemText : ''}`;
    const entry = entries.get(key) ?? {
      target: { id: row.targetId, kind: row.targetKind, platform: row.platform, name: row.targetName },
      unitCode: row.unitCode,
      unitName: row.unitName,
      problem: { code: row.problemCode, label: row.problemLabel, text: row.problemText },
      findings: [],
    };
    // Rows come oldest first: the latest inspection's unit and words are the ones to act on.
    Object.assign(entry, { unitCode: row.unitCode, unitName: row.unitName, problem: { code: row.problemCode, label: row.problemLabel, text: row.problemText } });
    if (!entry.findings.some((f) => f.ticket.id === row.ticketId)) {
      entry.findings.push({
        inspection: { id: row.inspectionId, shortCode: row.shortCode, title: row.title, documentNumber: row.documentNumber, issuedOn: row.issuedOn },
        ticket: { id: row.ticketId, number: row.number, state: row.state },
      });
    }
    entries.set(key, entry);
  }
  return [...entries.values()];
}
