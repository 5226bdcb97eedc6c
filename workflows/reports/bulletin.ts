import type { ReportsRepository } from '../../db/repositories/reports.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { UnitsRepository } from '../../db/repositories/units.repository.js';
import type { BulletinCandidate, BulletinCandidates } from './bulletin-candidates.js';
import { endOfShanghaiDay, shanghaiDay } from '../deadlines/calendar.js';
import type { InspectionReport, InspectionReportService } from './inspection-report.js';
import { groupRepeats, type RepeatOffender } from './repeat-offenders.js';
import { stateLabels } from '../../core/labels.js';
import { targetLabel } from '../../notifications/templates/labels.js';
import { formatDateWithWeekday } from '../../core/dates.js';

/** What the draft says, before it is laid out: kept apart so the wording can be read and tested. */
export interface BulletinContent {
  title: string;
  addressee: string;
  paragraphs: { heading?: string; text: string }[];
  /** `widths`: each column's share of the line, so names get room and numbers little. */
  attachments: { title: string; header: string[]; widths: number[]; rows: (string | number)[][] }[];
  signOff: { unit: string; date: string };
}

interface Deps {
  inspectionReport: Pick<InspectionReportService, 'build'>;
  bulletinCandidates: Pick<BulletinCandidates, 'list'>;
  reports: Pick<ReportsRepository, 'repeats'>;
  units: Pick<UnitsRepository, 'directory'>;
}

const percent = (rate: number | null) => (rate === null ? '—' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`);
const ymd = (day: string) => `${Number(day.slice(0, 4))}年${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;

/** 关于2021年全市政府网站与政务新媒体检查情况的通报 → 关于2021年全市政府网站与政务新媒体检查发现问题整改情况的通报 */
export function bulletinTitle(inspectionTitle: string): string {
  const core = inspectionTitle.replace(/^关于/, '').replace(/(情况)?的?通报$/, '').replace(/情况$/, '');
  return `关于${core}发现问题整改情况的通报`;
}

/**
 * A draft of the follow-up notice (整改情况通报): overall figures, the units that rectified in time,
 * those whose problems reached 通报 with their working days overdue, repeat offenders, and the
 * attachment tables. The office edits it and decides whom to criticise; nothing is published.
 */
export function createBulletin({ inspectionReport, bulletinCandidates, reports, units }: Deps) {
  return {
    async content({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }): Promise<BulletinContent> {
      const report = await inspectionReport.build({ inspectionId, viewer });
      const [repeats, directory, candidates] = await Promise.all([
        reports.repeats({ viewer, inspectionId }).then(groupRepeats),
        units.directory(),
        // The same list as GET /api/inspections/:id/bulletin-candidates, at the report's moment.
        bulletinCandidates.list({ inspectionId, viewer, at: report.asOf }),
      ]);
      const issuing = directory.find((u) => u.id === report.inspection.issuingUnitId);
      return compose(report, { repeats, candidates, issuingUnit: issuing?.name ?? '', hasCounties: directory.some((u) => u.kind === 'county') });
    },
  };
}

export type Bulletin = ReturnType<typeof createBulletin>;

function compose(
  report: InspectionReport,
  { repeats, candidates, issuingUnit, hasCounties }: { repeats: RepeatOffender[]; candidates: BulletinCandidate[]; issuingUnit: string; hasCounties: boolean },
): BulletinContent {
  const { inspection, totals, asOf } = report;
  const website = totals.scope.website;
  const media = totals.scope.new_media;
  const found = totals.tickets - totals.withdrawn;
  const outstanding = website.failed + media.failed;
  const checked = [
    website.checked !== null ? `政府网站${website.checked}家` : '',
    media.checked !== null ? `政务新媒体${media.checked}家` : '',
  ].filter(Boolean);
  const deadline = inspection.feedbackDeadline ? `于${ymd(inspection.feedbackDeadline)}前` : '在规定期限内';

  const paragraphs: BulletinContent['paragraphs'] = [];
  paragraphs.push({
    text:
      `${ymd(inspection.issuedOn)}，${issuingUnit || '我办'}印发《${inspection.title}》${inspection.documentNumber ? `（${inspection.documentNumber}）` : ''}，` +
      `${checked.length > 0 ? `通报了对${checked.join('、')}的检查情况，` : ''}要求各地各部门对发现的问题立即整改，${deadline}书面反馈整改情况。现将整改情况通报如下。`,
  });

  // The bulletin candidates (拟通报): still open, or submitted only after reaching 通报.
  const byUnit = (open: boolean) => {
    const units = new Map<string, number[]>();
    for (const c of candidates.filter((c) => c.open === open)) units.set(c.ticket.unitName, [...(units.get(c.ticket.unitName) ?? []), c.overdueWorkingDays]);
    return [...units].map(([unit, days]) => `${unit}（${days.length}个问题，逾期${Math.max(...days)}个工作日）`);
  };
  const stillOpen = byUnit(true);
  const submittedLate = byUnit(false);

  const rankHeader = ['排名', '单位', '问题数', '按期反馈', '按期整改率', '逾期', '已销号', '屡查屡犯'];
  const attachments: BulletinContent['attachments'] = [
    {
      title: '各单位整改情况统计表',
      header: rankHeader,
      widths: [1.2, 4.6, 1.2, 1.2, 1.8, 1, 1.2, 1.2],
      rows: report.byUnit.map((u) => [u.rank, u.unitName, u.tickets - u.withdrawn, u.onTime, percent(u.onTimeRate), u.overdue, u.verified, u.repeats]),
    },
  ];
  if (candidates.length > 0) {
    attachments.push({
      title: '逾期达到通报级别的问题清单',
      header: ['序号', '责任单位', '检查对象', '存在的问题', '逾期工作日', '整改状态'],
      widths: [1, 3, 3.2, 2.8, 2.4, 1.8],
      rows: candidates.map(({ ticket, overdueWorkingDays }, i) => [
        i + 1,
        ticket.unitName,
        targetLabel(ticket.target),
        ticket.problems.map((p) => (p.code === 'other' ? p.text : p.label)).join('、'),
        overdueWorkingDays,
        stateLabels[ticket.state],
      ]),
    });
  }
  const kindTitles = { website: '政府网站检查情况', new_media: '政务新媒体检查情况' } as const;
  const scopeAttachments: number[] = [];
  for (const kind of ['website', 'new_media'] as const) {
    const groups = report.byGroup.filter((g) => g.targetKind === kind);
    if (groups.length === 0) continue;
    const total = totals.scope[kind];
    attachments.push({
      title: kindTitles[kind],
      header: ['序号', '分组', kind === 'website' ? '检查网站数' : '检查政务新媒体数', '存在突出问题', '合格率', '已销号'],
      widths: [1, 2.6, 1.8, 1.8, 1.4, 1.2],
      rows: [
        ...groups.map((g, i) => [i + 1, g.group, g.checked ?? '—', g.failed, percent(g.passRate), g.verified]),
        ['合计', '', total.checked ?? '—', total.failed, percent(total.passRate), groups.reduce((n, g) => n + g.verified, 0)],
      ],
    });
    scopeAttachments.push(attachments.length);
  }
  const see = (numbers: number[]) => (numbers.length > 0 ? `（见附件${numbers.join('、附件')}）` : '');

  paragraphs.push({
    heading: '一、总体情况',
    text:
      `截至${formatDateWithWeekday(asOf)}，检查发现的${found}个问题（其中突出问题${outstanding}个）涉及${report.byUnit.length}家单位。` +
      `已整改销号${totals.verified}个，已提交整改待核验${totals.rectified}个，正在整改${totals.acknowledged}个，尚未签收${totals.issued}个` +
      `${totals.withdrawn > 0 ? `；经复核撤销${totals.withdrawn}个` : ''}。` +
      `按期反馈整改情况的问题${report.byUnit.reduce((n, u) => n + u.onTime, 0)}个，按期整改率${percent(totals.onTimeRate)}；逾期未整改${totals.overdue}个（各单位情况见附件1）。` +
      (website.passRate !== null || media.passRate !== null
        ? `本次检查政府网站合格率${percent(website.passRate)}，政务新媒体合格率${percent(media.passRate)}${see(scopeAttachments)}。`
        : ''),
  });

  const inTime = report.byUnit.filter((u) => u.tickets - u.withdrawn > 0 && u.onTime === u.tickets - u.withdrawn);
  paragraphs.push({
    heading: '二、按期完成整改的单位',
    text:
      inTime.length > 0
        ? `${inTime.map((u) => u.unitName).join('、')}等${inTime.length}家单位在反馈期限前提交了全部问题的整改情况，予以通报表扬。`
        : '截至目前，尚无单位在反馈期限前提交全部问题的整改情况。',
  });

  paragraphs.push({
    heading: '三、逾期未整改的单位',
    text:
      candidates.length === 0
        ? '截至目前，没有问题逾期达到通报级别。'
        : (stillOpen.length > 0
            ? `经催办、督办，以下${stillOpen.length}家单位仍有问题未按要求完成整改：${stillOpen.join('、')}。现予以通报批评。`
            : '经催办、督办，逾期达到通报级别的问题均已提交整改情况。') +
          (submittedLate.length > 0 ? `${submittedLate.join('、')}等${submittedLate.length}家单位的问题逾期达到通报级别后才提交整改情况。` : '') +
          '问题清单见附件2。',
  });

  paragraphs.push({
    heading: '四、屡查屡犯问题',
    text:
      repeats.length > 0
        ? `以下检查对象在多次检查中被查出同一问题：${repeats
            .map((r) => `${r.unitName}${targetLabel({ kind: r.target.kind, platform: r.target.platform, name: r.target.name })}“${r.problem.code === 'other' ? r.problem.text : r.problem.label}”（${r.findings.map((f) => f.inspection.documentNumber ?? f.inspection.shortCode).join('、')}）`)
            .join('；')}。有关单位要深入查找原因，举一反三，防止问题反弹。`
        : '本次检查未发现屡查屡犯问题。',
  });

  paragraphs.push({
    heading: '五、下一步工作要求',
    text:
      `尚未完成整改的单位要高度重视，立即组织整改，整改情况经单位主要负责人审核并加盖公章后书面反馈${issuingUnit || '我办'}。` +
      '已提交整改的单位要巩固整改成果，建立健全长效机制，防止问题反弹。对整改不力、问题反复出现的，将按有关规定进一步通报并约谈。',
  });

  return {
    title: bulletinTitle(inspection.title),
    addressee: hasCounties ? '各区县（市）人民政府（管委会）办公室，市直有关单位：' : '各有关单位：',
    paragraphs,
    attachments,
    signOff: { unit: issuingUnit, date: ymd(shanghaiDay(endOfShanghaiDay(shanghaiDay(asOf)))) },
  };
}

// ---------------------------------------------------------------- the document

// 公文 (GB/T 9704-2012): A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm;
// title 方正小标宋简体 二号 (22 pt), body 仿宋_GB2312 三号 (16 pt), headings 黑体 三号.
const mm = (n: number) => Math.round((n * 1440) / 25.4);
const TITLE_FONT = '方正小标宋简体';
const BODY_FONT = '仿宋_GB2312';
const HEADING_FONT = '黑体';
const SIZE_2 = 44; // half-points
const SIZE_3 = 32;
const SIZE_TABLE = 24;
const LINE = 580; // 29 pt fixed line spacing, in twentieths of a point
const TEXT_WIDTH = mm(210 - 28 - 26);

/** The draft as a DOCX the office opens in WPS or Word and edits. */
export async function bulletinDocx(content: BulletinContent): Promise<Buffer> {
  // Loaded when first used, as exceljs is: most servers never write a bulletin.
  const docx = await import('docx');
  const { AlignmentType, BorderStyle, Document, Footer, LineRuleType, Packer, PageNumber, Paragraph, Table, TableCell, TableLayoutType, TableRow, TextRun, VerticalAlignTable, WidthType } =
    docx;
  const run = (text: string, font: string, size: number, bold = false) => new TextRun({ text, bold, size, font: { ascii: font, eastAsia: font, hAnsi: font } });
  const body = (text: string, options: { indent?: boolean; align?: (typeof AlignmentType)[keyof typeof AlignmentType]; font?: string; keepNext?: boolean } = {}) =>
    new Paragraph({
      children: [run(text, options.font ?? BODY_FONT, SIZE_3)],
      keepNext: options.keepNext ?? false,
      alignment: options.align ?? AlignmentType.JUSTIFIED,
      spacing: { line: LINE, lineRule: LineRuleType.EXACT },
      ...(options.indent === false ? {} : { indent: { firstLine: 640 } }),
    });
  const border = { style: BorderStyle.SINGLE, size: 4, color: '000000' };
  const cell = (text: string | number, width: number, bold = false) =>
    new TableCell({
      children: [new Paragraph({ children: [run(String(text), BODY_FONT, SIZE_TABLE, bold)], alignment: AlignmentType.CENTER })],
      borders: { top: border, bottom: border, left: border, right: border },
      width: { size: width, type: WidthType.DXA },
      verticalAlign: VerticalAlignTable.CENTER,
    });

  const children: (InstanceType<typeof Paragraph> | InstanceType<typeof Table>)[] = [
    new Paragraph({ children: [run(content.title, TITLE_FONT, SIZE_2)], alignment: AlignmentType.CENTER, spacing: { before: 0, after: LINE, line: 700, lineRule: LineRuleType.EXACT } }),
    body(content.addressee, { indent: false }),
  ];
  for (const p of content.paragraphs) {
    if (p.heading) children.push(body(p.heading, { font: HEADING_FONT, keepNext: true }));
    children.push(body(p.text));
  }
  children.push(body(''));
  content.attachments.forEach((a, i) => children.push(body(`${i === 0 ? '附件：' : '　　　'}${i + 1}.${a.title}`, { indent: i === 0 })));
  children.push(body(''), body(content.signOff.unit, { align: AlignmentType.RIGHT, indent: false }), body(content.signOff.date, { align: AlignmentType.RIGHT, indent: false }));

  content.attachments.forEach((a, i) => {
    children.push(new Paragraph({ children: [run(`附件${i + 1}`, HEADING_FONT, SIZE_3)], pageBreakBefore: true }));
    children.push(new Paragraph({ children: [run(a.title, TITLE_FONT, SIZE_2)], alignment: AlignmentType.CENTER, spacing: { after: 240 } }));
    const share = a.widths.reduce((n, w) => n + w, 0);
    const widths = a.widths.map((w) => Math.floor((TEXT_WIDTH * w) / share));
    children.push(
      new Table({
        width: { size: TEXT_WIDTH, type: WidthType.DXA },
        columnWidths: widths,
        layout: TableLayoutType.FIXED,
        rows: [
          new TableRow({ children: a.header.map((h, c) => cell(h, widths[c] ?? 0, true)), tableHeader: true }),
          ...a.rows.map((r) => new TableRow({ children: r.map((v, c) => cell(v, widths[c] ?? 0)), cantSplit: true })),
        ],
      }),
    );
  });

  const document = new Document({
    creator: 'Rectify',
    title: content.title,
    sections: [
      {
        properties: {
          page: {
            size: { width: mm(210), height: mm(297) },
            margin: { top: mm(37), bottom: mm(35), left: mm(28), right: mm(26) },
          },
        },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [new TextRun({ children: ['— ', PageNumber.CURRENT, ' —'], size: 28, font: { ascii: '宋体', eastAsia: '宋体', hAnsi: '宋体' } })],
              }),
            ],
          }),
        },
        children,
      },
    ],
  });
  return Packer.toBuffer(document);
}
