import type { TicketNotificationKind as NotificationKind } from '../../db/schema/notifications.table.js';
import type { Platform, TargetKind } from '../../db/schema/targets.table.js';
import type { TicketState } from '../../db/schema/tickets.table.js';
import { formatDate, formatDateHour, formatDateLong } from './dates.js';
import { renderLayout, type MailField, type MailList } from './layout.js';
import { ladderOf, type LadderName } from '../ladder.js';
import { problemSummary, problemsLine, problemWording, targetLabel, type ProblemWords } from './labels.js';

/** What the workflow knows about the event or the step; each kind reads the parts it needs. */
export interface TicketMailDetails {
  comment?: string;
  reason?: string;
  /** The unit's written feedback (整改情况) of its latest submission. */
  feedback?: string;
  /** Evidence links of that submission. */
  evidence?: string[];
  /** The names of that submission's evidence files; the email links to the ticket, never to a file. */
  files?: string[];
  /** The escalation level reached (the highest one, when a sweep reached several at once). */
  level?: number;
  daysBefore?: number;
  previousDueAt?: Date;
  previousUnitName?: string;
  /** REASSIGN: the unit that takes the ticket over, named in the letter to the one handing it over. */
  newUnitName?: string;
  /** REQUEST_EXTENSION: the day the unit asks for ('YYYY-MM-DD'); APPROVE_EXTENSION: the day it asked for. */
  requestedUntil?: string;
  overdueWorkingDays?: number;
}

/** One ticket as an email shows it. */
export interface MailTicket {
  id: number;
  number: string;
  state: TicketState;
  dueAt: Date;
  /** The due date lies past the published holiday calendar and may move. */
  provisional?: boolean;
  target: { kind: TargetKind; platform: Platform | null; name: string };
  problems: ProblemWords[];
  /** The responsible unit. */
  unitName: string;
  /** Whole working days past due, for escalations. */
  overdueWorkingDays?: number;
  /** When the unit submitted its rectification, for the supervising office's lists. */
  rectifiedAt?: Date | null;
  /** What the unit submitted, for the supervising office's lists. */
  submission?: { feedback?: string; files: string[]; links: string[] };
}

/** Everything one email says: to whom, about which tickets, on behalf of which office. */
export interface TicketMailContext {
  inspection: { id: number; title: string; documentNumber: string | null; shortCode: string };
  /** The issuing office: the sign-off (落款) and the contact person printed in every email. */
  office: { name: string; contact: { name: string; phone: string } | null };
  /** The unit in To, addressed by name. */
  addressee: { name: string; code: string };
  /** The units in Cc, by name; their copy asks them to urge the addressee. */
  copyTo?: string[];
  /** One ticket for a decision; one or more for a batch. */
  tickets: MailTicket[];
  details?: TicketMailDetails;
  /** Base address of the web workbench, e.g. https://rectify.example.gov.cn */
  publicUrl: string;
  /** When the email is written: the date of the sign-off. */
  now: Date;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** A batch lists at most this many tickets; the rest are one link away. */
export const MAIL_LIST_LIMIT = 200;

/** What a batch says about all its tickets, those past the listed ones too. */
export interface BatchFacts {
  count: number;
  /** The one due time of every ticket, or null when they differ. */
  commonDueAt: Date | null;
  kinds: TargetKind[];
  /** Some due date lies past the published holiday calendar. */
  provisional: boolean;
  overdue: { max: number; same: boolean };
}

/**
 * One email's data, as the outbox stores it and renders it when delivering: the context with only
 * the tickets the email lists (at most MAIL_LIST_LIMIT) and the facts it states about all of them.
 */
export type TicketMailData = Omit<TicketMailContext, 'tickets'> & { tickets: MailTicket[]; all: BatchFacts };

interface KindTemplate {
  /** The bracketed tag that opens the subject. */
  tag(ctx: TicketMailData): string;
  /** What the reader must know at a glance, in brackets at the end of the subject. */
  hint(ctx: TicketMailData): string | null;
  /** The body, for one ticket. */
  single(ctx: TicketMailData, ticket: MailTicket): string[];
  /** The body, for a list of tickets. */
  batch(ctx: TicketMailData): string[];
  /** The columns a batch lists after the number and the target. */
  columns: { label: string; value: (ticket: MailTicket, ctx: TicketMailData) => string }[];
  /** Listed even for a single ticket (the supervising office's lists). */
  alwaysList?: boolean;
  /** The filter of the workbench list a batch links to. */
  listFilter?: (ctx: TicketMailData) => Record<string, string>;
}

const due = (t: MailTicket) => formatDateLong(t.dueAt);
// A 'YYYY-MM-DD' day as the end of that day in Shanghai, as every deadline is.
const endOfDay = (day: string) => new Date(`${day}T23:59:59.999+08:00`);
const first = (ctx: TicketMailData): MailTicket => {
  const ticket = ctx.tickets[0];
  if (!ticket) throw new Error('an email needs at least one ticket');
  return ticket;
};

// 《关于…的通报》（益政务办发〔2021〕2号）
function notice(ctx: TicketMailData): string {
  const title = ctx.inspection.title.trim();
  const quoted = title.startsWith('《') ? title : `《${title}》`;
  return ctx.inspection.documentNumber ? `${quoted}（${ctx.inspection.documentNumber}）` : quoted;
}

const ownerVerb = (t: MailTicket) => (t.target.kind === 'website' ? '主办' : '开设');

// 「“健康益阳”微信订阅号（工单编号2021-2-003）互动回应差问题」
const matter = (t: MailTicket) => `${targetLabel(t.target)}（工单编号${t.number}）${problemsLine(t.problems)}问题`;

// A sentence typed by a person, closed once: 「仍有留言未回复。」 and 「仍有留言未回复」 read the same.
const clause = (value: string) => value.trim().replace(/[。．.；;，,\s]+$/u, '');

function kindNoun(kinds: readonly TargetKind[]): string {
  if (new Set(kinds).size > 1) return '网站和政务新媒体';
  return kinds.includes('website') ? '网站' : '政务新媒体';
}

/** The one due time of a batch, or null when its tickets differ. */
function commonDue(tickets: MailTicket[]): Date | null {
  const [head, ...rest] = tickets;
  return head && rest.every((t) => t.dueAt.getTime() === head.dueAt.getTime()) ? head.dueAt : null;
}

function provisionalNote(provisional: boolean): string[] {
  return provisional ? ['反馈期限所在年度的节假日安排尚未公布，期限暂按双休日推算，如有调整另行通知。'] : [];
}

const submitAsk = '通过系统报送整改情况书面反馈及整改前后截图等佐证材料';

function overdueDays(tickets: MailTicket[]): { max: number; same: boolean } {
  const days = tickets.map((t) => t.overdueWorkingDays ?? 0);
  const max = Math.max(0, ...days);
  return { max, same: days.every((d) => d === max) };
}

const level = (ctx: TicketMailData) => ctx.details?.level ?? 1;
const ladderName = (value: number): LadderName => ladderOf(value) ?? '催办';

// What each rung of the ladder asks of the unit.
const escalationAsk: Record<LadderName, string> = {
  催办: `现予催办，请立即整改，并${submitAsk}。`,
  督办: `现予督办，请你单位负责同志亲自过问，立即整改到位，${submitAsk}，并书面说明逾期原因。逾期仍未整改的，将按程序予以通报。`,
  通报: `现列入拟通报名单，请立即整改到位，${submitAsk}，并书面说明逾期原因。`,
};

const verifyAsk = '请及时核验：整改到位的予以销号；未整改到位的予以退回，并写明理由。';
const evidenceNote = '佐证材料请登录系统，在各事项办理页面查阅。';

const problemsColumn = { label: '存在问题', value: (t: MailTicket) => problemsLine(t.problems) };
const dueColumn = { label: '反馈期限', value: due };
const unitColumn = { label: '责任单位', value: (t: MailTicket) => t.unitName };
const submittedColumn = { label: '报送时间', value: (t: MailTicket) => (t.rectifiedAt ? formatDateLong(t.rectifiedAt) : '') };

/** A digest quotes this much of each unit's feedback; the whole text is on the ticket's page. */
export const FEEDBACK_QUOTE_LIMIT = 300;

function feedbackQuote(t: MailTicket): string {
  const text = t.submission?.feedback?.trim() ?? '';
  if (text === '') return '（未填写）';
  const chars = [...text];
  return chars.length > FEEDBACK_QUOTE_LIMIT ? `${chars.slice(0, FEEDBACK_QUOTE_LIMIT).join('')}……（全文见办理地址）` : text;
}

// 「整改前截图.png、整改后截图.png（共2份）；佐证链接：https://…」: files by name, to be opened on the ticket's page.
function evidenceList(t: MailTicket): string {
  const files = t.submission?.files ?? [];
  const links = t.submission?.links ?? [];
  const parts = [...(files.length > 0 ? [`${files.join('、')}（共${files.length}份）`] : []), ...(links.length > 0 ? [`佐证链接：${links.join('、')}`] : [])];
  return parts.length > 0 ? parts.join('；') : '未附佐证材料';
}

const feedbackColumn = { label: '整改情况', value: feedbackQuote };
const evidenceColumn = { label: '佐证材料', value: evidenceList };

const templates: Record<NotificationKind, KindTemplate> = {
  issued: {
    tag: () => '整改通知',
    hint: (ctx) => (ctx.all.commonDueAt ? `请于${formatDate(ctx.all.commonDueAt)}前反馈` : null),
    single: (ctx, t) => [
      `根据${notice(ctx)}，你单位${ownerVerb(t)}的${targetLabel(t.target)}存在以下问题：${problemsLine(t.problems)}。请立即签收，认真整改、举一反三，并于${due(t)}前${submitAsk}。`,
      ...provisionalNote(t.provisional === true),
    ],
    batch: (ctx) => {
      const same = ctx.all.commonDueAt;
      return [
        `根据${notice(ctx)}，你单位负责的${ctx.all.count}个${kindNoun(ctx.all.kinds)}存在问题，具体如下。请立即签收，逐项认真整改、举一反三，并${same ? `于${formatDateLong(same)}前` : '在各事项反馈期限前'}${submitAsk}。`,
        ...provisionalNote(ctx.all.provisional),
      ];
    },
    columns: [problemsColumn, dueColumn],
  },
  reminder: {
    tag: () => '整改提醒',
    hint: (ctx) => (ctx.details?.daysBefore !== undefined ? `还剩${ctx.details.daysBefore}个工作日` : null),
    single: (ctx, t) => [
      `根据${notice(ctx)}，你单位${ownerVerb(t)}的${matter(t)}，整改情况书面反馈期限为${due(t)}。${remaining(ctx)}尚未收到你单位整改情况，请抓紧报送。`,
    ],
    batch: (ctx) => {
      const same = ctx.all.commonDueAt;
      return [
        `根据${notice(ctx)}，你单位负责的以下${ctx.all.count}项整改事项，整改情况书面反馈期限为${same ? formatDateLong(same) : '下表所列日期'}。${remaining(ctx)}尚未收到你单位整改情况，请抓紧报送。`,
      ];
    },
    columns: [problemsColumn, dueColumn],
  },
  escalation: {
    tag: (ctx) => ladderName(level(ctx)),
    hint: (ctx) => {
      const { max, same } = ctx.all.overdue;
      return max > 0 ? `${same ? '' : '最长'}已逾期${max}个工作日` : null;
    },
    single: (ctx, t) => [
      `根据${notice(ctx)}，你单位${ownerVerb(t)}的${matter(t)}，整改情况书面反馈期限为${due(t)}，${overdueClause(overdueDays([t]))}。${escalationAsk[ladderName(level(ctx))]}`,
    ],
    batch: (ctx) => {
      const same = ctx.all.commonDueAt;
      return [
        `根据${notice(ctx)}，你单位负责的以下${ctx.all.count}项整改事项，整改情况书面反馈期限为${same ? formatDateLong(same) : '下表所列日期'}，${overdueClause(ctx.all.overdue)}。${escalationAsk[ladderName(level(ctx))]}`,
      ];
    },
    columns: [problemsColumn, dueColumn, { label: '逾期', value: (t) => `${t.overdueWorkingDays ?? 0}个工作日` }],
  },
  submitted: {
    tag: () => '待核验',
    hint: (ctx) => `截至${formatDate(ctx.now)}共${ctx.all.count}项`,
    single: (ctx) => submittedBody(ctx),
    batch: (ctx) => submittedBody(ctx),
    columns: [unitColumn, problemsColumn, submittedColumn, feedbackColumn, evidenceColumn],
    alwaysList: true,
    listFilter: () => ({ state: 'rectified' }),
  },
  verify_reminder: {
    tag: () => '核验提醒',
    hint: () => '已超过核验时限',
    single: (ctx) => verifyReminderBody(ctx),
    batch: (ctx) => verifyReminderBody(ctx),
    columns: [unitColumn, problemsColumn, submittedColumn, feedbackColumn, evidenceColumn],
    alwaysList: true,
    listFilter: () => ({ state: 'rectified' }),
  },
  rejected: {
    tag: () => '整改退回',
    hint: (ctx) => `请于${formatDate(first(ctx).dueAt)}前重新报送`,
    single: (ctx, t) => [
      `你单位报送的${matter(t)}整改情况，经核验，该问题未整改到位${ctx.details?.reason ? `（理由：${clause(ctx.details.reason)}）` : ''}，现予退回，请继续整改，并于${due(t)}前重新报送。`,
    ],
    batch: () => [],
    columns: [],
  },
  verified: {
    tag: () => '整改销号',
    hint: () => null,
    single: (ctx, t) => [
      `你单位报送的${matter(t)}整改情况，经核验，该问题已整改到位，予以销号。${ctx.details?.comment ? `核验意见：${clause(ctx.details.comment)}。` : ''}请加强日常运维，防止问题反弹。`,
    ],
    batch: () => [],
    columns: [],
  },
  withdrawn: {
    tag: () => '撤销整改事项',
    hint: () => '无需报送',
    single: (ctx, t) => [
      `关于${matter(t)}，经研究，该整改事项予以撤销${ctx.details?.reason ? `（理由：${clause(ctx.details.reason)}）` : ''}，你单位无需报送整改情况。`,
    ],
    batch: () => [],
    columns: [],
  },
  reassigned: {
    tag: () => '转办',
    hint: (ctx) => `请于${formatDate(first(ctx).dueAt)}前反馈`,
    single: (ctx, t) => {
      const from = ctx.details?.previousUnitName ? `原由${ctx.details.previousUnitName}办理，` : '';
      return [
        `根据${notice(ctx)}，${targetLabel(t.target)}存在以下问题：${problemsLine(t.problems)}。该事项${from}经研究，现转你单位办理${reasonOf(ctx)}。请立即签收，认真整改、举一反三，并于${due(t)}前${submitAsk}。`,
        ...provisionalNote(t.provisional === true),
      ];
    },
    batch: () => [],
    columns: [],
  },
  reassigned_away: {
    tag: () => '转办',
    hint: (ctx) => (ctx.details?.newUnitName ? `已转${ctx.details.newUnitName}办理` : '无需报送'),
    single: (ctx, t) => [
      `关于${matter(t)}，经研究，该事项已转${ctx.details?.newUnitName ?? '其他单位'}办理${reasonOf(ctx)}，你单位无需报送。`,
    ],
    batch: () => [],
    columns: [],
  },
  extension_requested: {
    tag: () => '延期申请',
    hint: (ctx) => (ctx.details?.requestedUntil ? `申请延至${formatDate(endOfDay(ctx.details.requestedUntil))}` : null),
    single: (ctx, t) => [
      `${t.unitName}申请将${matter(t)}的整改情况书面反馈期限由${due(t)}延至${ctx.details?.requestedUntil ? formatDateLong(endOfDay(ctx.details.requestedUntil)) : '（未填写）'}${reasonOf(ctx)}。请及时研究办理：同意的，在系统中同意延期；不同意的，写明理由。办理结果通知前，原反馈期限不变。`,
    ],
    batch: () => [],
    columns: [],
  },
  extension_approved: {
    tag: () => '同意延期',
    hint: (ctx) => `延至${formatDate(first(ctx).dueAt)}`,
    single: (ctx, t) => [
      `你单位关于${matter(t)}的延期申请收悉。经研究，同意将整改情况书面反馈期限延至${due(t)}${ctx.details?.comment ? `（${clause(ctx.details.comment)}）` : ''}。请于新的期限前${submitAsk}。`,
      ...provisionalNote(t.provisional === true),
    ],
    batch: () => [],
    columns: [],
  },
  extension_refused: {
    tag: () => '不同意延期',
    hint: (ctx) => `仍于${formatDate(first(ctx).dueAt)}前反馈`,
    single: (ctx, t) => [
      `你单位关于${matter(t)}的延期申请收悉。经研究，不同意延期${reasonOf(ctx)}，整改情况书面反馈期限仍为${due(t)}。请抓紧整改，并按期${submitAsk}。`,
    ],
    batch: () => [],
    columns: [],
  },
  extended: {
    tag: () => '延期',
    hint: (ctx) => `${extendsLater(ctx) ? '延至' : '调整为'}${formatDate(first(ctx).dueAt)}`,
    single: (ctx, t) => {
      const previous = ctx.details?.previousDueAt;
      const reason = reasonOf(ctx);
      const change = previous ? `由${formatDateLong(previous)}${extendsLater(ctx) ? '延至' : '调整为'}${due(t)}` : `${extendsLater(ctx) ? '延至' : '调整为'}${due(t)}`;
      const then = t.state === 'rectified' ? '你单位已报送整改情况，待核验。' : `请于${due(t)}前${submitAsk}。`;
      return [`经研究，同意将${matter(t)}的整改情况书面反馈期限${change}${reason}。${then}`, ...provisionalNote(t.provisional === true)];
    },
    batch: () => [],
    columns: [],
  },
};

function reasonOf(ctx: TicketMailData): string {
  return ctx.details?.reason ? `（理由：${clause(ctx.details.reason)}）` : '';
}

function remaining(ctx: TicketMailData): string {
  return ctx.details?.daysBefore !== undefined ? `距整改反馈期限还有${ctx.details.daysBefore}个工作日，` : '';
}

function overdueClause({ max, same }: { max: number; same: boolean }): string {
  if (max === 0) return '现已到期，仍未收到你单位整改情况';
  return same ? `现已逾期${max}个工作日，仍未收到你单位整改情况` : `现均已逾期（逾期工作日数见下表），仍未收到你单位整改情况`;
}

function extendsLater(ctx: TicketMailData): boolean {
  const previous = ctx.details?.previousDueAt;
  return !previous || first(ctx).dueAt.getTime() >= previous.getTime();
}

function submittedBody(ctx: TicketMailData): string[] {
  return [`截至${formatDateHour(ctx.now)}，${notice(ctx)}中有以下${ctx.all.count}项整改情况已由责任单位报送，待你单位核验。${verifyAsk}${evidenceNote}`];
}

function verifyReminderBody(ctx: TicketMailData): string[] {
  return [`${notice(ctx)}中以下${ctx.all.count}项整改情况已由责任单位报送，已超过核验时限，尚未核验。${verifyAsk}${evidenceNote}`];
}

// A subject is one header line: names typed with line breaks must not split it.
const oneLine = (value: string) => value.replace(/\s+/g, ' ').trim();

const base = (publicUrl: string) => publicUrl.replace(/\/+$/, '');

/** The data one email keeps: the tickets it lists, and what it says about all of them. */
export function ticketMailData(ctx: TicketMailContext): TicketMailData {
  const { tickets, ...rest } = ctx;
  return {
    ...rest,
    tickets: tickets.slice(0, MAIL_LIST_LIMIT),
    all: {
      count: tickets.length,
      commonDueAt: commonDue(tickets),
      kinds: [...new Set(tickets.map((t) => t.target.kind))],
      provisional: tickets.some((t) => t.provisional),
      overdue: overdueDays(tickets),
    },
  };
}

const isListed = (kind: NotificationKind, ctx: TicketMailData) => ctx.all.count > 1 || templates[kind].alwaysList === true;

/** The subject alone: the outbox keeps it beside the data for its lists. */
export function ticketMailSubject(kind: NotificationKind, ctx: TicketMailData): string {
  const template = templates[kind];
  const ticket = first(ctx);
  const hint = template.hint(ctx);
  const about = isListed(kind, ctx) ? `${ctx.addressee.name}：${ctx.all.count}项整改事项` : `${ticket.number} ${ticket.target.name}：${problemSummary(ticket.problems)}`;
  return oneLine(`【${template.tag(ctx)}】${about}${hint ? `（${hint}）` : ''}`);
}

/** Renders the Chinese subject, plain text and HTML of one email about one or more tickets. */
export function renderTicketMail(kind: NotificationKind, ctx: TicketMailContext): RenderedMail {
  return renderTicketMailData(kind, ticketMailData(ctx));
}

/** Renders one email from its stored data; the same data always gives the same email. */
export function renderTicketMailData(kind: NotificationKind, ctx: TicketMailData): RenderedMail {
  const template = templates[kind];
  const ticket = first(ctx);
  const listed = isListed(kind, ctx);
  const subject = ticketMailSubject(kind, ctx);

  const ticketLink = (t: MailTicket) => `${base(ctx.publicUrl)}/tickets/${t.id}`;
  const filter = new URLSearchParams({ inspection: String(ctx.inspection.id), ...(template.listFilter ? template.listFilter(ctx) : { unit: ctx.addressee.code }) });
  const listLink = `${base(ctx.publicUrl)}/tickets?${filter.toString()}`;

  let facts: MailField[] | undefined;
  let list: MailList | undefined;
  if (listed) {
    const shown = ctx.tickets.slice(0, MAIL_LIST_LIMIT);
    list = {
      columns: template.columns.map((c) => c.label),
      rows: shown.map((t) => ({ number: t.number, target: targetLabel(t.target), link: ticketLink(t), values: template.columns.map((c) => c.value(t, ctx)) })),
      total: ctx.all.count,
      ...(ctx.all.count > shown.length ? { more: { url: listLink } } : {}),
    };
  } else {
    facts = [
      { label: '工单编号', value: ticket.number },
      { label: '检查对象', value: targetLabel(ticket.target) },
      { label: '存在问题', value: ticket.problems.length > 1 ? ticket.problems.map(problemWording) : problemsLine(ticket.problems) },
      { label: '反馈期限', value: due(ticket) },
    ];
  }
  const copyTo = ctx.copyTo ?? [];
  const { text, html } = renderLayout({
    subject,
    addressee: ctx.addressee.name,
    paragraphs: listed ? template.batch(ctx) : template.single(ctx, ticket),
    ...(facts ? { facts } : {}),
    ...(list ? { list } : {}),
    link: listed ? { label: '事项清单', url: listLink } : { label: '办理地址', url: ticketLink(ticket) },
    contact: ctx.office.contact,
    signOff: { office: ctx.office.name, date: formatDate(ctx.now) },
    ...(copyTo.length > 0 ? { copy: { to: copyTo, note: `请督促${ctx.addressee.name}抓紧办理。` } } : {}),
  });
  return { subject, text, html };
}
