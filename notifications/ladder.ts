// The escalation ladder (SPEC "The ladder"): 催办 → 督办 → 通报, and who is To and who is Cc at
// each level. Pure data, so the notifier, the templates, the API and the reports agree.

export const ladderNames = ['催办', '督办', '通报'] as const;
export type LadderName = (typeof ladderNames)[number];

/** Level 1 → 催办, 2 → 督办, 3 and above → 通报; level 0 (not escalated) → null. */
export function ladderOf(level: number): LadderName | null {
  if (level <= 0) return null;
  return ladderNames[Math.min(level, ladderNames.length) - 1] ?? null;
}

/** The level from which a ticket is on the inspection's bulletin candidates. */
export const BULLETIN_LEVEL = 3;

/** One addressee: a unit's mailbox, or its leaders (主要负责人/分管负责人). */
export type LadderAddressee = { unitId: number; who: 'unit' | 'leaders' };

export interface LadderAddressees {
  to: LadderAddressee[];
  cc: LadderAddressee[];
}

/**
 * Who hears an escalation at `level`: 催办 the unit; 督办 the unit, copied to its leaders and to its
 * parent when the parent is not the issuing office; 通报 the unit and its leaders, copied to the
 * parent and the issuing office (once when they are the same unit).
 */
export function ladderAddressees(level: number, { unitId, parentId, issuingUnitId }: { unitId: number; parentId: number | null; issuingUnitId: number }): LadderAddressees {
  const unit: LadderAddressee = { unitId, who: 'unit' };
  const leaders: LadderAddressee = { unitId, who: 'leaders' };
  const parent: LadderAddressee[] = parentId === null || parentId === unitId ? [] : [{ unitId: parentId, who: 'unit' }];
  switch (ladderOf(level)) {
    case '催办':
      return { to: [unit], cc: [] };
    case '督办':
      return { to: [unit], cc: [leaders, ...parent.filter((p) => p.unitId !== issuingUnitId)] };
    case '通报': {
      const office = parent.some((p) => p.unitId === issuingUnitId) || issuingUnitId === unitId ? [] : [{ unitId: issuingUnitId, who: 'unit' as const }];
      return { to: [unit, leaders], cc: [...parent, ...office] };
    }
    default:
      return { to: [unit], cc: [] };
  }
}
