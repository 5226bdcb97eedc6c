import { AlignmentType, Document, Footer, LineRuleType, Packer, PageNumber, Paragraph, TextRun, convertMillimetersToTwip, type IParagraphOptions } from 'docx';
import type { FeedbackView } from '../../db/repositories/feedbacks.repository.js';
import type { TicketView } from '../../db/repositories/tickets.repository.js';
import { targetLabel } from '../../notifications/templates/labels.js';
import { shanghaiDay } from '../deadlines/calendar.js';

/** What the draft is written from (FeedbackWorkflow.draftSource). */
export interface FeedbackDraftSource {
  feedback: FeedbackView;
  tickets: { ticket: TicketView; submission: Record<string, unknown> | undefined }[];
  now: Date;
}

// GB/T 9704-2012 (党政机关公文格式): title in 小标宋 二号, body in 仿宋_GB2312 三号, first-level
// headings in 黑体; where a font is not installed, Word takes the fontTable's altName and
// LibreOffice its own replacement (fontconfig), so each font names a common fallback.
const FONTS = {
  title: { name: '方正小标宋简体', fallback: '宋体', latin: 'Times New Roman' },
  body: { name: '仿宋_GB2312', fallback: '仿宋', latin: 'Times New Roman' },
  heading: { name: '黑体', fallback: 'SimHei', latin: 'Times New Roman' },
  pageNumber: { name: '宋体', fallback: 'SimSun', latin: 'Times New Roman' },
} as const;
type FontKey = keyof typeof FONTS;

const PT = 2; // docx sizes are half-points
const SIZE_TITLE = 22 * PT; // 二号
const SIZE_BODY = 16 * PT; // 三号
const SIZE_PAGE_NUMBER = 14 * PT; // 四号
const LINE = 560; // fixed 28 pt lines: 22 lines to the page, as the standard asks
const CHAR = 320; // one 三号 character, in twips: paragraphs indent two

const font = (key: FontKey) => ({ ascii: FONTS[key].latin, hAnsi: FONTS[key].latin, eastAsia: FONTS[key].name, cs: FONTS[key].name, hint: 'eastAsia' });

function para(text: string, options: { font?: FontKey; size?: number; firstLine?: boolean } & Omit<IParagraphOptions, 'children' | 'text'> = {}): Paragraph {
  const { font: key = 'body', size = SIZE_BODY, firstLine = true, ...rest } = options;
  return new Paragraph({
    spacing: { line: LINE, lineRule: LineRuleType.EXACT, before: 0, after: 0 },
    ...(firstLine ? { indent: { firstLine: 2 * CHAR } } : {}),
    ...rest,
    // Marked Chinese, so that a substitute font is a Chinese one (not a Japanese cut of the same glyphs).
    children: [new TextRun({ text, font: font(key), size, language: { value: 'zh-CN', eastAsia: 'zh-CN' } })],
  });
}

const blank = () => para('', { firstLine: false });

/** Width in 三号 characters: a Chinese character is one, a digit or Latin letter half. */
const widthOf = (text: string) => [...text].reduce((n, c) => n + (c.charCodeAt(0) < 0x2e80 ? 0.5 : 1), 0);

/**
 * 落款 (GB/T 9704): the date ends four characters from the right margin; the unit's name is
 * centred above the date (or, when longer, ends at the margin).
 */
function signOff(unitName: string, date: string): Paragraph[] {
  const dateRight = 4;
  const nameRight = Math.max(0, dateRight + widthOf(date) / 2 - widthOf(unitName) / 2);
  return [
    para(unitName, { firstLine: false, alignment: AlignmentType.RIGHT, indent: { right: Math.round(nameRight * CHAR) } }),
    para(date, { firstLine: false, alignment: AlignmentType.RIGHT, indent: { right: dateRight * CHAR } }),
  ];
}

/** 2021-06-24 → 2021年6月24日 (a 落款 date has no weekday). */
export function chineseDate(day: string): string {
  const [y, m, d] = day.split('-');
  return `${Number(y)}年${Number(m)}月${Number(d)}日`;
}

const numerals = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
/** 1 → 一, 12 → 十二, 21 → 二十一 (section numbers of a 公文, up to 99). */
export function chineseNumber(n: number): string {
  if (n <= 10) return numerals[n] ?? String(n);
  if (n < 20) return `十${numerals[n - 10] ?? ''}`;
  if (n < 100) return `${numerals[Math.floor(n / 10)] ?? ''}十${n % 10 === 0 ? '' : (numerals[n % 10] ?? '')}`;
  return String(n);
}

function evidenceOf(submission: Record<string, unknown> | undefined): string[] {
  if (!submission) return [];
  const links = Array.isArray(submission.evidence) ? submission.evidence.map(String) : [];
  const files = Array.isArray(submission.attachments) ? (submission.attachments as { name?: unknown }[]).map((f) => String(f.name)) : [];
  return [...files, ...links];
}

/**
 * The document's defaults: 仿宋_GB2312 三号, Chinese, fixed 28 pt lines, and no extra space between
 * Chinese and digits or Latin letters (2021年6月24日, not 2021 年 6 月 24 日).
 */
function stylesXml(): string {
  const body = FONTS.body;
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="${body.latin}" w:hAnsi="${body.latin}" w:eastAsia="${body.name}" w:cs="${body.name}"/><w:sz w:val="${SIZE_BODY}"/><w:szCs w:val="${SIZE_BODY}"/><w:lang w:val="zh-CN" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/><w:spacing w:before="0" w:after="0" w:line="${LINE}" w:lineRule="exact"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style></w:styles>`;
}

/** The font table, so that Word falls back to a named font where the 公文 fonts are not installed. */
function fontTableXml(): string {
  const entries = Object.values(FONTS)
    .map((f) => `<w:font w:name="${f.name}"><w:altName w:val="${f.fallback}"/><w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">${entries}<w:font w:name="Times New Roman"><w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font></w:fonts>`;
}

/**
 * The unit's ready-to-sign report to the issuing office (关于《…》反映问题整改情况的报告): one numbered
 * section per ticket with the problem in the inspector's words, the unit's measures, the date and
 * the evidence; 特此报告; the unit and the date as sign-off. Blanks the unit still has to fill are marked.
 */
export async function feedbackDraftDocx({ feedback, tickets, now }: FeedbackDraftSource): Promise<Buffer> {
  const { inspection } = feedback;
  const notice = `《${inspection.title}》${inspection.documentNumber ? `（${inspection.documentNumber}）` : ''}`;
  const todo = '（待填写）';
  const sections = tickets.flatMap(({ ticket, submission }, i) => {
    const problems = ticket.problems.map((p) => p.text || p.label).join('；') || ticket.finding.problemsText;
    const measures = typeof submission?.feedback === 'string' && submission.feedback.trim() ? submission.feedback.trim() : todo;
    const rectifiedOn = typeof submission?.rectifiedOn === 'string' ? chineseDate(submission.rectifiedOn) : todo;
    const evidence = evidenceOf(submission);
    const target = ticket.target.kind === 'website' ? ticket.target.name : targetLabel(ticket.target);
    return [
      para(`${chineseNumber(i + 1)}、${target}`, { font: 'heading' }),
      para(`工单编号：${ticket.number}`),
      para(`存在问题：${problems}`),
      ...measures.split(/\r?\n/).map((line, j) => para(j === 0 ? `整改措施：${line}` : line)),
      para(`完成时间：${rectifiedOn}`),
      para(`佐证材料：${evidence.length === 0 ? '（无）' : evidence.map((e, j) => `${j + 1}.${e}`).join('；')}`),
    ];
  });

  const doc = new Document({
    creator: feedback.unitName,
    title: `关于${notice}反映问题整改情况的报告`,
    externalStyles: stylesXml(),
    sections: [
      {
        properties: {
          page: {
            size: { width: convertMillimetersToTwip(210), height: convertMillimetersToTwip(297) },
            margin: {
              top: convertMillimetersToTwip(37),
              bottom: convertMillimetersToTwip(35),
              left: convertMillimetersToTwip(28),
              right: convertMillimetersToTwip(26),
            },
          },
        },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [new TextRun({ children: ['— ', PageNumber.CURRENT, ' —'], font: font('pageNumber'), size: SIZE_PAGE_NUMBER })],
              }),
            ],
          }),
        },
        children: [
          para(`关于${notice}反映问题整改情况的报告`, { font: 'title', size: SIZE_TITLE, firstLine: false, alignment: AlignmentType.CENTER, spacing: { line: 700, lineRule: LineRuleType.EXACT } }),
          blank(),
          para(`${inspection.issuingUnitName}：`, { firstLine: false }),
          para(
            `根据${notice}要求，${feedback.unitName}高度重视，对通报反映的${tickets.length}个问题逐项进行了整改。现将整改情况报告如下：`,
          ),
          ...sections,
          para('特此报告。'),
          blank(),
          blank(),
          ...signOff(feedback.unitName, chineseDate(shanghaiDay(now))),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc, false, [{ path: 'word/fontTable.xml', data: fontTableXml() }]);
}
