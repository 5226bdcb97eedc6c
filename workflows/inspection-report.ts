import type { InspectionsRepository } from '../db/repositories/inspections.repository.js';
import type { ReportRow, ReportsRepository, UnitProgress } from '../db/repositories/reports.repository.js';
import type { Viewer } from '../db/repositories/scope.js';
import type { UnitsRepository } from '../db/repositories/units.repository.js';
import type { FeedbacksRepository } from '../db/repositories/feedbacks.repository.js';
import { dueAtForDeadline } from './deadlines.js';
import type { Inspection } from '../db/schema/index.js';
import { platformLabels, stateLabels } from '../notifications/templates/labels.js';
import { notFound } from '../server/errors.js';

type Counts = Omit<UnitProgress, 'unitId' | 'unitCode' | 'unitName' | 'unitPath' | 'onTime'>;

export interface InspectionReport {
  inspection: Inspection;
  totals: Counts & { onTimeRate: number | null };
  byUnit: (Counts & { unitCode: string; unitName: string; group: string; onTimeRate: number | null; feedback: string; feedbackOnTime: boolean | null })[];
  byGroup: (Counts & { group: string; checked: number | null; onTimeRate: number | null })[];
  rows: ReportRow[];
}

const countKeys = ['tickets', 'issued', 'acknowledged', 'rectified', 'verified', 'withdrawn', 'overdue', 'escalated'] as const;
const zero = (): Counts & { onTime: number } => ({ tickets: 0, issued: 0, acknowledged: 0, rectified: 0, verified: 0, withdrawn: 0, overdue: 0, escalated: 0, onTime: 0 });

/** Share of tickets (withdrawn ones aside) whose rectification was submitted by the due time. */
const rateOf = (c: Counts & { onTime: number }) => (c.tickets - c.withdrawn > 0 ? Math.round((c.onTime / (c.tickets - c.withdrawn)) * 1000) / 1000 : null);

function add(into: Counts & { onTime: number }, from: Counts & { onTime: number }) {
  for (const key of countKeys) into[key] += from[key];
  into.onTime += from.onTime;
}

const groupLabels: Record<string, string> = { city_department: '市直部门', township: '乡镇', other: '其他', county: '区县' };

interface Deps {
  inspections: Pick<InspectionsRepository, 'find'>;
  reports: ReportsRepository;
  units: Pick<UnitsRepository, 'directory'>;
  feedbacks: Pick<FeedbacksRepository, 'ensureForInspection' | 'statesByUnit'>;
  now: () => Date;
}

/** The notice's attachment tables for one inspection, with rectification progress per unit and per group. */
export function createInspectionReport({ inspections, reports, units, feedbacks, now }: Deps) {
  return {
    async build({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }): Promise<InspectionReport> {
      const inspection = await inspections.find({ id: inspectionId, viewer });
      if (!inspection) throw notFound('inspections.not_found', `检查 ${inspectionId} 不存在。`);
      const [progress, rows, directory] = await Promise.all([
        reports.progressByUnit({ inspectionId, viewer, now: now() }),
        reports.rows({ inspectionId, viewer }),
        units.directory(),
      ]);
      const byId = new Map(directory.map((u) => [u.id, u]));
      await feedbacks.ensureForInspection({ inspectionId, dueAt: inspection.feedbackDeadline ? dueAtForDeadline(inspection.feedbackDeadline) : null });
      const written = await feedbacks.statesByUnit({ inspectionId, unitIds: progress.map((u) => u.unitId), now: now() });
      // A unit belongs to the county above it (the notice groups accounts by county), else to its kind.
      const groupOf = (unit: UnitProgress) => {
        const ids = unit.unitPath.split('/').filter(Boolean).map(Number).reverse();
        const county = ids.map((id) => byId.get(id)).find((u) => u?.kind === 'county');
        if (county) return county.aliases[0] ?? county.name;
        return groupLabels[byId.get(unit.unitId)?.kind ?? 'other'] ?? '其他';
      };

      const totals = zero();
      const groups = new Map<string, Counts & { onTime: number }>();
      const byUnit = progress.map((unit) => {
        const group = groupOf(unit);
        add(totals, unit);
        const sum = groups.get(group) ?? zero();
        add(sum, unit);
        groups.set(group, sum);
        const { unitId: _id, unitPath: _path, onTime: _onTime, ...counts } = unit;
        const feedback = written.get(unit.unitId);
        return { ...counts, group, onTimeRate: rateOf(unit), feedback: feedback?.state ?? 'pending', feedbackOnTime: feedback?.onTime ?? null };
      });
      const checkedOf = (group: string) => {
        const entries = inspection.scope.filter((s) => s.group === group);
        return entries.length > 0 ? entries.reduce((n, s) => n + s.checked, 0) : null;
      };
      const byGroup = [...groups].map(([group, c]) => {
        const { onTime: _onTime, ...counts } = c;
        return { group, ...counts, checked: checkedOf(group), onTimeRate: rateOf(c) };
      });
      const { onTime: _onTime, ...totalCounts } = totals;
      return { inspection, totals: { ...totalCounts, onTimeRate: rateOf(totals) }, byUnit, byGroup, rows };
    },
  };
}

export type InspectionReportService = ReturnType<typeof createInspectionReport>;

const progressHeader = ['序号', '单位', '分组', '工单数', '待签收', '已签收', '待核验', '已核销', '已撤销', '逾期', '督办中', '按期整改率'];

function progressRows(report: InspectionReport): (string | number)[][] {
  return report.byUnit.map((u, i) => [
    i + 1,
    u.unitName,
    u.group,
    u.tickets,
    u.issued,
    u.acknowledged,
    u.rectified,
    u.verified,
    u.withdrawn,
    u.overdue,
    u.escalated,
    u.onTimeRate === null ? '' : `${(u.onTimeRate * 100).toFixed(1)}%`,
  ]);
}

/**
 * One CSV cell. Text a spreadsheet would run as a formula (starting = + - @, tab or CR) is written
 * as text, with a leading apostrophe (OWASP's CSV injection advice); numbers stay numbers.
 */
export function csvCell(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rectification progress per unit as CSV, with a BOM so Excel on Chinese Windows reads it as UTF-8. */
export function reportCsv(report: InspectionReport): string {
  const lines = [progressHeader, ...progressRows(report)].map((row) => row.map(csvCell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The report as a workbook: progress per unit, per group (with the numbers checked), and the findings table. */
export async function reportXlsx(report: InspectionReport): Promise<Buffer> {
  // Loaded on demand rather than with the server, whose resident memory it would grow by some 15 MB.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  const progress = workbook.addWorksheet('整改进度');
  progress.addRow(progressHeader);
  for (const row of progressRows(report)) progress.addRow(row);

  const groups = workbook.addWorksheet('分组统计');
  groups.addRow(['序号', '分组', '检查数', '发现问题数', '待签收', '已签收', '待核验', '已核销', '已撤销', '逾期', '按期整改率']);
  report.byGroup.forEach((g, i) =>
    groups.addRow([i + 1, g.group, g.checked ?? '', g.tickets, g.issued, g.acknowledged, g.rectified, g.verified, g.withdrawn, g.overdue, g.onTimeRate === null ? '' : `${(g.onTimeRate * 100).toFixed(1)}%`]),
  );

  const findingsSheet = workbook.addWorksheet('问题清单');
  findingsSheet.addRow(['序号', '工单编号', '名称', '开设主体/主办单位', '账号类型', '区县', '存在的问题', '最后更新时间', '整改状态']);
  report.rows.forEach((r, i) =>
    findingsSheet.addRow([
      i + 1,
      r.number,
      r.targetName,
      r.unitName,
      r.platform ? platformLabels[r.platform] : '网站',
      r.county ?? '',
      r.problems.map((p) => p.text || p.label).join('，'),
      r.lastUpdatedOn ?? '',
      stateLabels[r.state],
    ]),
  );
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
