import type { InspectionsRepository } from '../../db/repositories/inspections.repository.js';
import type { ReportRow, ReportsRepository, TicketFact } from '../../db/repositories/reports.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { UnitsRepository } from '../../db/repositories/units.repository.js';
import type { FeedbacksRepository } from '../../db/repositories/feedbacks.repository.js';
import { overdueStates } from '../../db/repositories/tickets.repository.js';
import type { Inspection, TargetKind, UnitKind } from '../../db/schema/index.js';
import { formatDateLong } from '../../notifications/templates/dates.js';
import { feedbackStateLabels, platformLabels, stateLabels } from '../../core/labels.js';
import { notFound } from '../../core/errors.js';
import { shanghaiDay, type WorkingCalendar } from '../deadlines/calendar.js';
import { dueAtForDeadline } from '../deadlines/deadlines.js';

export interface Counts {
  tickets: number;
  issued: number;
  acknowledged: number;
  rectified: number;
  verified: number;
  withdrawn: number;
  overdue: number;
  escalated: number;
}

/** Pass rate of one target kind: the notice's 合格率. */
export interface ScopeFigures {
  checked: number | null;
  /** Targets with an outstanding (单否) finding not withdrawn on re-check. */
  failed: number;
  passRate: number | null;
}

/** Tickets at each ladder level now: 催办, 督办, 通报 (level 3 and above). */
export interface Escalations {
  level1: number;
  level2: number;
  level3: number;
}

export interface UnitRow extends Counts {
  unitCode: string;
  unitName: string;
  group: string;
  /** Tickets whose first submission came by the due time. */
  onTime: number;
  onTimeRate: number | null;
  rejections: number;
  escalations: Escalations;
  /** Working days from issue to the first submission, over the submitted tickets. */
  avgWorkingDaysToRectify: number | null;
  /** Tickets whose target had the same problem in an earlier inspection. */
  repeats: number;
  /** Best first; see rankUnits. */
  rank: number;
  /** The written feedback (书面反馈): pending | submitted | accepted | returned. */
  feedback: string;
  /** First submitted by its due time; false when late or still missing past it; null while not yet due. */
  feedbackOnTime: boolean | null;
}

export interface GroupRow extends Counts, ScopeFigures {
  group: string;
  targetKind: TargetKind;
  onTimeRate: number | null;
}

export interface InspectionReport {
  inspection: Inspection;
  asOf: Date;
  totals: Counts & { onTimeRate: number | null; scope: Record<TargetKind, ScopeFigures> };
  byUnit: UnitRow[];
  byGroup: GroupRow[];
  rows: ReportRow[];
}

const targetKinds: TargetKind[] = ['website', 'new_media'];
export const targetKindLabels: Record<TargetKind, string> = { website: '政府网站', new_media: '政务新媒体' };

// How the notice's tables name the group of units of each kind (附件1: 市直部门, 区县(市), 其他网站).
const kindGroupWords: Record<UnitKind, string[]> = {
  city_department: ['市直部门', '市直单位', '市直'],
  county: ['区县(市)', '区县', '县市区', '县(市、区)'],
  township: ['乡镇(街道)', '乡镇'],
  other: ['其他网站', '其他单位', '其他'],
};

const normaliseGroup = (text: string) => text.normalize('NFKC').replace(/\s+/g, '');
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const rate = (part: number, whole: number) => (whole > 0 ? round(part / whole, 3) : null);

/** The ladder's names (SPEC "Deadlines"): level 1 催办, 2 督办, 3 and above 通报. */
export function ladderName(level: number): string {
  return level <= 0 ? '' : level === 1 ? '催办' : level === 2 ? '督办' : '通报';
}

function emptyCounts(): Counts {
  return { tickets: 0, issued: 0, acknowledged: 0, rectified: 0, verified: 0, withdrawn: 0, overdue: 0, escalated: 0 };
}

interface Tally {
  counts: Counts;
  onTime: number;
  failed: number;
  rejections: number;
  escalations: Escalations;
  workingDays: number[];
  repeats: number;
}

const emptyTally = (): Tally => ({ counts: emptyCounts(), onTime: 0, failed: 0, rejections: 0, escalations: { level1: 0, level2: 0, level3: 0 }, workingDays: [], repeats: 0 });

function count(tally: Tally, fact: TicketFact, now: Date, calendar: WorkingCalendar): void {
  const c = tally.counts;
  c.tickets++;
  c[fact.state]++;
  if (overdueStates.includes(fact.state) && fact.dueAt < now) c.overdue++;
  if (fact.escalationLevel > 0) c.escalated++;
  if (fact.state === 'withdrawn') return;
  if (fact.outstanding) tally.failed++;
  if (fact.firstSubmittedAt && fact.firstSubmittedAt <= fact.dueAt) tally.onTime++;
  if (fact.firstSubmittedAt) tally.workingDays.push(calendar.workingDaysBetween(shanghaiDay(fact.createdAt), shanghaiDay(fact.firstSubmittedAt)));
  tally.rejections += fact.rejections;
  if (fact.escalationLevel === 1) tally.escalations.level1++;
  else if (fact.escalationLevel === 2) tally.escalations.level2++;
  else if (fact.escalationLevel >= 3) tally.escalations.level3++;
  if (fact.repeat) tally.repeats++;
}

const onTimeRateOf = (t: Tally) => rate(t.onTime, t.counts.tickets - t.counts.withdrawn);

/**
 * The rank rule, best first: the higher on-time rate (a unit whose every ticket was withdrawn comes
 * last), then fewer overdue tickets, then fewer tickets at 通报, at 督办, at 催办, then fewer
 * rejections, then fewer working days to rectify on average (none submitted: last). Units equal on
 * all of these share a rank (1, 2, 2, 4); among them the unit code decides the order of the rows.
 */
export function rankUnits<T extends Omit<UnitRow, 'rank' | 'feedback' | 'feedbackOnTime'>>(rows: T[]): (T & { rank: number })[] {
  const key = (r: T) => [
    -(r.onTimeRate ?? -1),
    r.overdue,
    r.escalations.level3,
    r.escalations.level2,
    r.escalations.level1,
    r.rejections,
    r.avgWorkingDaysToRectify ?? Number.MAX_SAFE_INTEGER,
  ];
  const compare = (a: T, b: T) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if ((ka[i] ?? 0) !== (kb[i] ?? 0)) return (ka[i] ?? 0) - (kb[i] ?? 0);
    return 0;
  };
  const sorted = [...rows].sort((a, b) => compare(a, b) || a.unitCode.localeCompare(b.unitCode));
  let rank = 0;
  return sorted.map((row, i) => {
    const previous = sorted[i - 1];
    if (!previous || compare(previous, row) !== 0) rank = i + 1;
    return { ...row, rank };
  });
}

interface Deps {
  inspections: Pick<InspectionsRepository, 'find'>;
  reports: ReportsRepository;
  units: Pick<UnitsRepository, 'directory'>;
  feedbacks: Pick<FeedbacksRepository, 'ensureForInspection' | 'statesByUnit'>;
  loadCalendar: () => Promise<WorkingCalendar>;
  now: () => Date;
}

/** The notice's attachment tables for one inspection, with rectification progress and a ranking per unit. */
export function createInspectionReport({ inspections, reports, units, feedbacks, loadCalendar, now }: Deps) {
  return {
    async build({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }): Promise<InspectionReport> {
      const inspection = await inspections.find({ id: inspectionId, viewer });
      if (!inspection) throw notFound('inspections.not_found', `检查 ${inspectionId} 不存在。`);
      const [facts, rows, directory, calendar] = await Promise.all([
        reports.ticketFacts({ inspectionId, viewer }),
        reports.rows({ inspectionId, viewer }),
        units.directory(),
        loadCalendar(),
      ]);
      const asOf = now();
      const byId = new Map(directory.map((u) => [u.id, u]));
      const scopeGroups = new Map<string, string>();
      for (const s of inspection.scope) scopeGroups.set(`${s.targetKind}\u0000${normaliseGroup(s.group)}`, s.group);

      /**
       * The group a unit's target is counted in: the county above the unit (by its name or an alias,
       * as 附件2 lists counties), else the words for the unit's kind (市直部门, 区县(市), 其他网站),
       * whichever the inspection's scope has for that kind of target.
       */
      const groupOf = (unitId: number, unitPath: string, kind: TargetKind | null): string => {
        const chain = unitPath.split('/').filter(Boolean).map(Number).reverse().map((id) => byId.get(id));
        const county = chain.find((u) => u?.kind === 'county');
        const unit = byId.get(unitId);
        const candidates = [...(county ? [county.name, ...county.aliases] : []), ...kindGroupWords[unit?.kind ?? 'other']];
        // The county first, under either kind: a county's own units are counted under its name in 附件2.
        for (const word of candidates) {
          for (const k of kind ? [kind] : targetKinds) {
            const found = scopeGroups.get(`${k}\u0000${normaliseGroup(word)}`);
            if (found) return found;
          }
        }
        return county ? (county.aliases[0] ?? county.name) : (kindGroupWords[unit?.kind ?? 'other'][0] ?? '其他');
      };

      const total = emptyTally();
      const perKind = new Map<TargetKind, Tally>(targetKinds.map((k) => [k, emptyTally()]));
      const perUnit = new Map<number, { fact: TicketFact; tally: Tally }>();
      const perGroup = new Map<string, { group: string; targetKind: TargetKind; tally: Tally }>();
      for (const s of inspection.scope) perGroup.set(`${s.targetKind}\u0000${s.group}`, { group: s.group, targetKind: s.targetKind, tally: emptyTally() });
      for (const fact of facts) {
        const group = groupOf(fact.unitId, fact.unitPath, fact.targetKind);
        const groupKey = `${fact.targetKind}\u0000${group}`;
        const groupEntry = perGroup.get(groupKey) ?? { group, targetKind: fact.targetKind, tally: emptyTally() };
        perGroup.set(groupKey, groupEntry);
        const unitEntry = perUnit.get(fact.unitId) ?? { fact, tally: emptyTally() };
        perUnit.set(fact.unitId, unitEntry);
        for (const tally of [total, perKind.get(fact.targetKind), groupEntry.tally, unitEntry.tally]) if (tally) count(tally, fact, asOf, calendar);
      }

      const checkedOf = (group: string, kind: TargetKind) => {
        const entries = inspection.scope.filter((s) => s.group === group && s.targetKind === kind);
        return entries.length > 0 ? entries.reduce((n, s) => n + s.checked, 0) : null;
      };
      const figures = (checked: number | null, failed: number): ScopeFigures => ({ checked, failed, passRate: checked === null ? null : rate(checked - failed, checked) });

      const byGroup: GroupRow[] = [...perGroup.values()].map(({ group, targetKind, tally }) => ({
        group,
        targetKind,
        ...figures(checkedOf(group, targetKind), tally.failed),
        ...tally.counts,
        onTimeRate: onTimeRateOf(tally),
      }));
      const scopeTotals = (kind: TargetKind): ScopeFigures => {
        const entries = inspection.scope.filter((s) => s.targetKind === kind);
        return figures(entries.length > 0 ? entries.reduce((n, s) => n + s.checked, 0) : null, perKind.get(kind)?.failed ?? 0);
      };

      await feedbacks.ensureForInspection({ inspectionId, dueAt: inspection.feedbackDeadline ? dueAtForDeadline(inspection.feedbackDeadline) : null });
      const written = await feedbacks.statesByUnit({ inspectionId, unitIds: [...perUnit.keys()], now: asOf });
      const unitIdOf = new Map([...perUnit].map(([id, { fact }]) => [fact.unitCode, id]));
      const byUnit = rankUnits(
        [...perUnit.values()].map(({ fact, tally }) => ({
          unitCode: fact.unitCode,
          unitName: fact.unitName,
          group: groupOf(fact.unitId, fact.unitPath, null),
          ...tally.counts,
          onTime: tally.onTime,
          onTimeRate: onTimeRateOf(tally),
          rejections: tally.rejections,
          escalations: tally.escalations,
          avgWorkingDaysToRectify: tally.workingDays.length > 0 ? round(tally.workingDays.reduce((a, b) => a + b, 0) / tally.workingDays.length, 1) : null,
          repeats: tally.repeats,
        })),
      ).map((row) => {
        const feedback = written.get(unitIdOf.get(row.unitCode) ?? 0);
        return { ...row, feedback: feedback?.state ?? 'pending', feedbackOnTime: feedback?.onTime ?? null };
      });
      return {
        inspection,
        asOf,
        totals: { ...total.counts, onTimeRate: onTimeRateOf(total), scope: { website: scopeTotals('website'), new_media: scopeTotals('new_media') } },
        byUnit,
        byGroup,
        rows,
      };
    },
  };
}

export type InspectionReportService = ReturnType<typeof createInspectionReport>;

// ---------------------------------------------------------------- exports

type Cell = string | number | null;
/** A column of an exported table: header, width in characters, and a percentage format for rates. */
interface Column<T> {
  header: string;
  width: number;
  percent?: boolean;
  value: (row: T, index: number) => Cell;
}

const unitColumns: Column<UnitRow>[] = [
  { header: '排名', width: 6, value: (u) => u.rank },
  { header: '单位', width: 34, value: (u) => u.unitName },
  { header: '分组', width: 12, value: (u) => u.group },
  { header: '工单数', width: 8, value: (u) => u.tickets },
  { header: '按期反馈', width: 9, value: (u) => u.onTime },
  { header: '按期整改率', width: 11, percent: true, value: (u) => u.onTimeRate },
  { header: '逾期', width: 6, value: (u) => u.overdue },
  { header: '退回次数', width: 9, value: (u) => u.rejections },
  { header: '催办', width: 6, value: (u) => u.escalations.level1 },
  { header: '督办', width: 6, value: (u) => u.escalations.level2 },
  { header: '通报', width: 6, value: (u) => u.escalations.level3 },
  { header: '平均整改用时（工作日）', width: 12, value: (u) => u.avgWorkingDaysToRectify },
  { header: '屡查屡犯', width: 9, value: (u) => u.repeats },
  { header: '书面反馈', width: 10, value: (u) => feedbackLabels[u.feedback] ?? u.feedback },
  { header: '按时反馈', width: 9, value: (u) => (u.feedbackOnTime === null ? null : u.feedbackOnTime ? '是' : '否') },
  { header: '待签收', width: 8, value: (u) => u.issued },
  { header: '整改中', width: 8, value: (u) => u.acknowledged },
  { header: '待核验', width: 8, value: (u) => u.rectified },
  { header: '已销号', width: 8, value: (u) => u.verified },
  { header: '已撤销', width: 8, value: (u) => u.withdrawn },
];

type GroupLine = { label: string; targetKind: TargetKind } & ScopeFigures & Partial<Counts>;
const groupColumns: Column<GroupLine>[] = [
  { header: '类别', width: 12, value: (g) => targetKindLabels[g.targetKind] },
  { header: '分组', width: 14, value: (g) => g.label },
  { header: '检查数', width: 8, value: (g) => g.checked },
  { header: '存在突出问题', width: 12, value: (g) => g.failed },
  { header: '不合格率', width: 10, percent: true, value: (g) => (g.passRate === null ? null : round(1 - g.passRate, 3)) },
  { header: '合格率', width: 10, percent: true, value: (g) => g.passRate },
  { header: '工单数', width: 8, value: (g) => g.tickets ?? null },
  { header: '已销号', width: 8, value: (g) => g.verified ?? null },
  { header: '逾期', width: 6, value: (g) => g.overdue ?? null },
];

function groupLines(report: InspectionReport): GroupLine[] {
  return targetKinds.flatMap((kind) => {
    const rows = report.byGroup.filter((g) => g.targetKind === kind);
    if (rows.length === 0) return [];
    const total = rows.reduce((sum, g) => {
      for (const key of Object.keys(sum) as (keyof Counts)[]) sum[key] += g[key];
      return sum;
    }, emptyCounts());
    return [...rows.map((g) => ({ ...g, label: g.group })), { ...report.totals.scope[kind], ...total, label: '合计', targetKind: kind }];
  });
}

type IssueRow = ReportRow;
const issueColumns: Column<IssueRow>[] = [
  { header: '序号', width: 6, value: (_, i) => i + 1 },
  { header: '工单编号', width: 12, value: (r) => r.number },
  { header: '名称', width: 28, value: (r) => r.targetName },
  { header: '开设主体/主办单位', width: 30, value: (r) => r.unitName },
  { header: '账号类型', width: 11, value: (r) => (r.platform ? platformLabels[r.platform] : '网站') },
  { header: '区县', width: 9, value: (r) => r.county },
  { header: '存在的问题', width: 30, value: (r) => r.problems.map((p) => (p.code === 'other' ? p.text : p.label)).join('；') },
  { header: '检查原文', width: 40, value: (r) => [r.problemsText, r.note].filter(Boolean).join('；') },
  { header: '单否', width: 6, value: (r) => (r.outstanding ? '是' : '否') },
  { header: '最后更新时间', width: 13, value: (r) => r.lastUpdatedOn },
  { header: '反馈期限', width: 13, value: (r) => shanghaiDay(r.dueAt) },
  { header: '整改状态', width: 18, value: (r) => stateLabels[r.state] },
  { header: '督办级别', width: 9, value: (r) => ladderName(r.escalationLevel) },
  { header: '单位反馈', width: 40, value: (r) => r.feedback },
];

/** 益政务办发〔2021〕2号 关于…的通报 — 整改情况统计（截至 2021年6月26日（星期六） 10:00） */
export function reportTitle(report: InspectionReport, what: string): string {
  const { title, documentNumber } = report.inspection;
  return `${documentNumber ? `${documentNumber} ` : ''}${title} — ${what}（截至${formatDateLong(report.asOf)}）`;
}

// A cell starting with one of these is taken for a formula by spreadsheets (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

const feedbackLabels: Record<string, string> = feedbackStateLabels;

export function csvCell(value: Cell, percent = false): string {
  if (value === null) return '';
  if (typeof value === 'number') return percent ? `${round(value * 100, 1)}%` : String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvTable<T>(columns: Column<T>[], rows: T[]): string[] {
  return [columns.map((c) => csvCell(c.header)).join(','), ...rows.map((row, i) => columns.map((c) => csvCell(c.value(row, i), c.percent)).join(','))];
}

/**
 * The report as CSV (UTF-8 with a BOM for Excel and WPS): a title row, then the units ranked and
 * the groups of 附件1/附件2. Rates are written as 83.7%, which spreadsheets read as numbers.
 */
export function reportCsv(report: InspectionReport): string {
  const lines = [
    csvCell(reportTitle(report, '整改情况统计')),
    '',
    csvCell('一、各单位整改情况（按排名）'),
    ...csvTable(unitColumns, report.byUnit),
    '',
    csvCell('二、各分组检查情况（附件1、附件2）'),
    ...csvTable(groupColumns, groupLines(report)),
  ];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The report as a workbook: units ranked, the groups with pass rates, and the findings list. */
export async function reportXlsx(report: InspectionReport): Promise<Buffer> {
  // Loaded on demand rather than with the server, whose resident memory it would grow by some 15 MB.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  workbook.created = report.asOf;
  const sheet = <T>(name: string, what: string, columns: Column<T>[], rows: T[]) => {
    const ws = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 2 }] });
    ws.columns = columns.map((c) => ({ width: c.width }));
    ws.mergeCells(1, 1, 1, columns.length);
    const title = ws.getCell(1, 1);
    title.value = reportTitle(report, what);
    title.font = { bold: true, size: 14 };
    const header = ws.addRow(columns.map((c) => c.header));
    header.font = { bold: true };
    header.alignment = { wrapText: true, vertical: 'middle' };
    rows.forEach((row, i) => ws.addRow(columns.map((c) => c.value(row, i))));
    columns.forEach((c, i) => {
      if (c.percent) ws.getColumn(i + 1).numFmt = '0.0%';
    });
    ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2 + rows.length, column: columns.length } };
  };
  sheet('整改进度', '各单位整改情况', unitColumns, report.byUnit);
  sheet('分组统计', '各分组检查情况', groupColumns, groupLines(report));
  sheet('问题清单', '问题清单', issueColumns, report.rows);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
