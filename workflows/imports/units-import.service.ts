import type { Db } from '../../db/client.js';
import type { AuditLogRepository } from '../../db/repositories/audit-log.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { UnitsRepository } from '../../db/repositories/units.repository.js';
import type { Unit } from '../../db/schema/index.js';
import { unprocessable } from '../../core/errors.js';
import { cellOf, requireColumns, splitList, textOf, type DecodedTable, type TableSource } from './decode-table.js';
import { normaliseUnitName, suggestClosest } from './unit-names.js';
import type { ImportRowError } from './import.errors.js';
import { capped } from './import-limits.js';
import { readTable, readTableInParts } from './read-table.js';
import { createUnitsReader, unitsTableSpec, type ParsedUnit } from './units.parse.js';

export interface UnitsImportResult {
  created: number;
  updated: number;
  unchanged: number;
  /** Present when the file was only checked: the counts are what an import would do, nothing was written. */
  dryRun?: true;
}

/** Carries a check's result out of the transaction it rolls back. */
class CheckedOnly {
  constructor(readonly result: UnitsImportResult) {}
}

interface Deps {
  db: Db;
  units: UnitsRepository;
  auditLog: AuditLogRepository;
}

type Known = Pick<Unit, 'id' | 'code' | 'name' | 'aliases' | 'path'>;

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function differs(existing: Unit, parsed: ParsedUnit, parentId: number | null): boolean {
  return (
    existing.name !== parsed.name ||
    existing.kind !== parsed.kind ||
    existing.parentId !== parentId ||
    !sameList(existing.aliases, parsed.aliases) ||
    !sameList(existing.emails, parsed.emails) ||
    (parsed.leaderEmails !== undefined && !sameList(existing.leaderEmails, parsed.leaderEmails)) ||
    existing.contactName !== parsed.contactName ||
    existing.contactPhone !== parsed.contactPhone
  );
}

/**
 * A unit tree in one go (CSV, XLSX or JSON): parents by code or name, from the database or earlier in
 * the same file; all or nothing; a unit already there with the same data is left unchanged.
 */
export function createUnitsImportService({ db, units, auditLog }: Deps) {
  return {
    /**
     * With `dryRun` the whole import runs (every check, including parents and cycles that only the
     * database can tell) and is then rolled back: what it reports is what the import would do.
     */
    async importUnits({ source, actor, dryRun = false }: { source: TableSource; actor: Viewer | null; dryRun?: boolean }): Promise<UnitsImportResult> {
      const table = await readTable(source, unitsTableSpec);
      const reader = createUnitsReader(table);
      await readTableInParts(table, reader.read);
      const { units: parsed, errors } = reader.result();
      // Every error at once: rows refused for their own cells still have their parents checked.
      if (errors.length > 0) throw invalid([...errors, ...unknownParents(table, await units.directory())].sort((a, b) => a.row - b.row));

      const run = db.transaction(async (tx) => {
        const known = new Map<string, Known>();
        const byName = new Map<string, Known>();
        const remember = (unit: Known) => {
          known.set(unit.code, unit);
          for (const name of [unit.name, ...unit.aliases]) byName.set(normaliseUnitName(name), unit);
        };
        for (const unit of await units.directory(tx)) remember(unit);
        // A parent still unplaced but written in the file (by code, name or alias) is part of a cycle.
        const fileCodes = new Set(parsed.map((p) => p.code));
        const fileNames = new Set(parsed.flatMap((p) => [p.name, ...p.aliases]).map(normaliseUnitName));
        const inFile = (text: string) => fileCodes.has(text) || fileNames.has(normaliseUnitName(text));
        const resolve = (text: string) => known.get(text) ?? byName.get(normaliseUnitName(text));

        // Parents may come later in the file: create in passes until nothing more can be placed.
        const result: UnitsImportResult = { created: 0, updated: 0, unchanged: 0 };
        let pending = parsed;
        while (pending.length > 0) {
          const waiting: ParsedUnit[] = [];
          for (const unit of pending) {
            const parent = unit.parent ? resolve(unit.parent) : null;
            if (unit.parent && !parent) {
              waiting.push(unit);
              continue;
            }
            const existing = await units.findByCode({ code: unit.code }, tx);
            const fields = {
              name: unit.name,
              aliases: unit.aliases,
              kind: unit.kind,
              emails: unit.emails,
              ...(unit.leaderEmails ? { leaderEmails: unit.leaderEmails } : {}),
              contactName: unit.contactName,
              contactPhone: unit.contactPhone,
            };
            if (!existing) {
              const created = await units.create({ input: { code: unit.code, ...fields, parentId: parent?.id ?? null }, parentPath: parent?.path ?? null }, tx);
              remember(created);
              result.created++;
            } else if (differs(existing, unit, parent?.id ?? null)) {
              if (parent && parent.path.startsWith(existing.path)) {
                throw invalid([{ row: unit.row, column: '上级', value: unit.parent ?? '', message: '上级单位不能是本单位或其下级单位' }]);
              }
              const moved = existing.parentId !== (parent?.id ?? null) ? { newParent: parent ? { id: parent.id, path: parent.path } : null } : {};
              remember(await units.update({ unit: existing, patch: fields, ...moved }, tx));
              result.updated++;
            } else {
              result.unchanged++;
            }
          }
          if (waiting.length === pending.length) {
            const names = [...known.values()].map((u) => u.name);
            throw invalid(
              waiting.map((unit) => ({
                row: unit.row,
                column: '上级',
                value: unit.parent ?? '',
                message: inFile(unit.parent ?? '') ? '上级单位的上下级关系形成循环' : '上级单位不存在（既不在系统中，也不在本文件中）',
                suggestions: suggestClosest(unit.parent ?? '', names),
              })),
            );
          }
          pending = waiting;
        }
        if (dryRun) throw new CheckedOnly({ ...result, dryRun: true });
        await auditLog.record({ actorUserId: actor?.userId ?? null, action: 'import_units', entity: 'unit', entityKey: '*', details: { ...result, rows: parsed.length } }, tx);
        return result;
      });
      try {
        return await run;
      } catch (outcome) {
        if (outcome instanceof CheckedOnly) return outcome.result;
        throw outcome;
      }
    },
  };
}

/**
 * Parents written in the file that name no unit of the database and no row of the file (valid or
 * not: a row refused for a bad email may still be the parent of others). The transaction finds
 * these too; this is for files that already have other errors, so the user sees all of them at once.
 */
function unknownParents(table: DecodedTable, directory: Pick<Unit, 'code' | 'name' | 'aliases'>[]): ImportRowError[] {
  const columns = requireColumns(table, unitsTableSpec);
  const codes = new Set(directory.map((u) => u.code));
  const names = new Set(directory.flatMap((u) => [u.name, ...u.aliases]).map(normaliseUnitName));
  const candidates = directory.map((u) => u.name);
  for (const raw of table.rows) {
    const code = cellOf(columns, raw, 'code');
    const name = cellOf(columns, raw, 'name');
    const aliases = cellOf(columns, raw, 'aliases');
    if (code) codes.add(textOf(code.value));
    for (const written of [...(name ? [textOf(name.value)] : []), ...(aliases ? splitList(aliases.value) : [])]) names.add(normaliseUnitName(written));
    if (name) candidates.push(textOf(name.value));
  }
  const errors: ImportRowError[] = [];
  for (const raw of table.rows) {
    const parent = cellOf(columns, raw, 'parent');
    const text = parent ? textOf(parent.value) : '';
    if (!parent || text === '' || codes.has(text) || names.has(normaliseUnitName(text))) continue;
    errors.push({ row: raw.row, column: parent.column, value: text, message: '上级单位不存在（既不在系统中，也不在本文件中）', suggestions: suggestClosest(text, candidates) });
  }
  return errors;
}

/** The first 1,000 errors are listed, `totalErrors` counts them all. */
function invalid(all: ImportRowError[]) {
  const { items, total } = capped(all);
  return unprocessable('import.invalid_rows', `文件中有 ${total} 处错误，整个文件未导入，请改正后重新导入。`, { title: '导入文件有错误', errors: items, extra: { totalErrors: total } });
}

export type UnitsImportService = ReturnType<typeof createUnitsImportService>;
