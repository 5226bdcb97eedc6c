import type { Db } from '../../db/client.js';
import type { Inspection } from '../../db/schema/index.js';
import type { AuditLogRepository } from '../../db/repositories/audit-log.repository.js';
import type { InspectionsRepository } from '../../db/repositories/inspections.repository.js';
import { inScope, type Viewer } from '../../db/repositories/scope.js';
import type { UnitsRepository } from '../../db/repositories/units.repository.js';
import type { FeedbacksRepository } from '../../db/repositories/feedbacks.repository.js';
import { loadProblemCatalogue } from '../../db/problem-catalogue.js';
import { forbidden, notFound, unprocessable } from '../../core/errors.js';
import { loadWorkingCalendar } from '../deadlines/calendar.js';
import { dueAtForDeadline } from '../deadlines/deadlines.js';
import type { TableSource } from './decode-table.js';
import { createFindingsReader, findingsTableSpec, type CatalogueProblem } from './findings.parse.js';
import { createUnitResolver, type KnownUnit } from './unit-names.js';
import type { ImportRowError } from './import.errors.js';
import { readTable, readTableInParts } from './read-table.js';
import type { IssueResult, TicketIssuance } from '../tickets/ticket-issuance.js';

export interface FindingsImportResult extends IssueResult {
  /** Rows read, but in a way to check: problems outside the catalogue, kept as `other` with their words (the first 1,000). */
  warnings: ImportRowError[];
  /** All the warnings, listed or not. */
  totalWarnings: number;
  /** True when nothing was kept: the counts say what the import would do (and `tickets` is empty). */
  dryRun: boolean;
}

/** Thrown inside a dry run's transaction so that everything it wrote is rolled back. */
class DryRunRollback extends Error {
  constructor(readonly result: FindingsImportResult) {
    super('dry run: rolled back');
  }
}

/** For a command line showing where a long import is. */
export type ImportProgress = (step: { stage: 'read' | 'checked' | 'writing'; rows: number }) => void;

interface Deps {
  db: Db;
  inspections: Pick<InspectionsRepository, 'find' | 'lock'>;
  units: Pick<UnitsRepository, 'directory'>;
  issuance: TicketIssuance;
  auditLog: AuditLogRepository;
  feedbacks: Pick<FeedbacksRepository, 'ensureForInspection'>;
  now: () => Date;
}

/**
 * The notice's attachment tables in: decode, parse every row (all errors, all rows), then issue
 * tickets in one transaction, or nothing at all. Importing the same file again creates nothing.
 * A dry run does all of it, the writes included, and rolls the transaction back: its errors and
 * counts are the import's own, and it leaves no ticket, finding, event, email or feedback behind.
 */
export function createFindingsImportService({ db, inspections, units, issuance, auditLog, feedbacks, now }: Deps) {
  return {
    async importFindings({
      inspectionId,
      viewer,
      source,
      dryRun = false,
      onProgress,
    }: {
      inspectionId: number;
      viewer: Viewer | null;
      source: TableSource;
      dryRun?: boolean;
      onProgress?: ImportProgress;
    }): Promise<FindingsImportResult> {
      const inspection = await inspections.find({ id: inspectionId, ...(viewer ? { viewer } : {}) });
      if (!inspection) throw notFound('inspections.not_found', `检查 ${inspectionId} 不存在。`);
      const allUnits = await units.directory();
      // Seeing an inspection (it has tickets in one's subtree) is not issuing it: only the issuing
      // unit and the units above it put findings, tickets and emails under its name.
      const issuer = allUnits.find((u) => u.id === inspection.issuingUnitId);
      if (viewer && viewer.role !== 'admin' && !(issuer && inScope(viewer, issuer.path))) {
        throw forbidden('inspections.import_forbidden', `只有检查单位${issuer ? `（${issuer.name}）` : ''}及其上级单位的监管人员可以向此检查导入问题。`);
      }
      // Units outside the importer's subtree are unknown to it, like everything else out of scope.
      const directory = allUnits.filter((u) => !viewer || inScope(viewer, u.path));
      const catalogue = await loadProblemCatalogue(db);
      const { findings, format, warnings: warningList } = await readFindings({ source, inspection, directory, catalogue, ...(onProgress ? { onProgress } : {}) });
      const warnings = warningList.items;
      onProgress?.({ stage: 'checked', rows: findings.length });

      try {
        // A dry run's result leaves the transaction as a thrown DryRunRollback, which undoes every write.
        return await db.transaction(async (tx) => {
          const locked = await inspections.lock({ id: inspection.id }, tx);
          if (!locked) throw notFound('inspections.not_found', `检查 ${inspectionId} 不存在。`);
          const calendar = await loadWorkingCalendar(tx);
          const actor = viewer ? { userId: viewer.userId, name: viewer.username } : { userId: null, name: 'system' };
          onProgress?.({ stage: 'writing', rows: findings.length });
          const result = await issuance.issue({ inspection: locked, items: findings, actor, calendar, now: now() }, tx);
          // Each unit with tickets owes one written feedback on the inspection, due at its deadline.
          await feedbacks.ensureForInspection({ inspectionId: locked.id, dueAt: locked.feedbackDeadline ? dueAtForDeadline(locked.feedbackDeadline) : null }, tx);
          await auditLog.record(
            {
              actorUserId: actor.userId,
              action: 'import_findings',
              entity: 'inspection',
              entityKey: locked.shortCode,
              details: { rows: findings.length, created: result.created, unchanged: result.unchanged, warnings: warningList.total, format },
            },
            tx,
          );
          if (dryRun) throw new DryRunRollback({ created: result.created, unchanged: result.unchanged, tickets: [], warnings, totalWarnings: warningList.total, dryRun: true });
          return { ...result, warnings, totalWarnings: warningList.total, dryRun: false };
        });
      } catch (error) {
        if (error instanceof DryRunRollback) return error.result;
        throw error;
      }
    },
  };
}

/**
 * Decodes and checks the whole file before anything is written; throws `import.invalid_rows` with
 * every error when a row has one. The decoded rows are the caller's no longer: only the findings
 * outlive this function, so the transaction does not carry 100,000 rows of cells.
 */
async function readFindings({
  source,
  inspection,
  directory,
  catalogue,
  onProgress,
}: {
  source: TableSource;
  inspection: Pick<Inspection, 'samplingFrom' | 'samplingTo' | 'issuedOn'>;
  directory: readonly KnownUnit[];
  catalogue: readonly CatalogueProblem[];
  onProgress?: ImportProgress;
}) {
  const table = await readTable(source, findingsTableSpec);
  onProgress?.({ stage: 'read', rows: table.rows.length });
  // `4.21` is read in the sampling period's year; a last update cannot come after the sampling ended.
  const sampledUntil = inspection.samplingTo ?? inspection.samplingFrom ?? inspection.issuedOn;
  const reader = createFindingsReader(table, {
    year: Number(sampledUntil.slice(0, 4)),
    notAfter: sampledUntil,
    resolveUnit: createUnitResolver(directory),
    problemCatalogue: catalogue,
  });
  await readTableInParts(table, reader.read);
  const { findings, errors, warnings } = reader.result();
  if (errors.total > 0) {
    throw unprocessable('import.invalid_rows', `文件中有 ${errors.total} 处错误，整个文件未导入，请改正后重新导入。`, {
      title: '导入文件有错误',
      errors: errors.items,
      extra: { totalErrors: errors.total, warnings: warnings.items, totalWarnings: warnings.total },
    });
  }
  return { findings, warnings, format: table.format };
}

export type FindingsImportService = ReturnType<typeof createFindingsImportService>;
