import type { TicketNotificationKind as NotificationKind } from '../../db/schema/notifications.table.js';
import type { Platform, TargetKind } from '../../db/schema/targets.table.js';
import type { TicketState } from '../../db/schema/tickets.table.js';
import { formatDateLong, formatDateShort } from './dates.js';
import { renderLayout, type MailField } from './layout.js';
import { problemSummary, problemWords, stateLabels, targetLabel } from './labels.js';
import { ladderOf } from '../../workflows/ladder.js';

/** What the workflow knows about the event; each kind reads the parts it needs. */
export interface TicketMailDetails {
  comment?: string;
  reason?: string;
  feedback?: string;
  evidence?: string[];
  level?: number;
  daysBefore?: number;
  previousDueAt?: Date;
  previousUnitName?: string;
  overdueWorkingDays?: number;
  /** REASSIGN, to the old unit: who takes the ticket over. */
  newUnitName?: string;
  /** REQUEST_EXTENSION: the day asked for; APPROVE_EXTENSION: the day asked for when the office granted less. */
  requestedUntil?: string;
}

export interface TicketMailContext {
  ticket: {
    id: number;
    number: string;
    state: TicketState;
    dueAt: Date;
    escalationLevel: number;
    /** The due date lies past the published holiday calendar and may move. */
    provisional?: boolean;
  };
  inspection: { title: string; documentNumber: string | null; shortCode: string };
  target: { kind: TargetKind; platform: Platform | null; name: string };
  problems: { code: string; label: string; text?: string }[];
  /** The responsible unit. */
  unit: { name: string };
  /** Base address of Rectify, e.g. https://rectify.example.gov.cn */
  publicUrl: string;
  details?: TicketMailDetails;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

interface KindTemplate {
  /** The bracketed tag that opens the subject. */
  tag(ctx: TicketMailContext): string;
  /** What the officer must know at a glance, in brackets at the end of the subject. */
  hint(ctx: TicketMailContext): string | null;
  /** Mails to the unit greet it by name; mails to the supervising office do not. */
  greeting(ctx: TicketMailContext): string;
  lead(ctx: TicketMailContext): string;
  fields(ctx: TicketMailContext): MailField[];
  next(ctx: TicketMailContext): string;
}

const due = (ctx: TicketMailContext) => formatDateLong(ctx.ticket.dueAt);
// A 'YYYY-MM-DD' day as an instant inside that day in Shanghai, for the date formatters.
const shanghaiNoon = (day: string) => new Date(`${day}T12:00:00+08:00`);
const dueShort = (ctx: TicketMailContext) => formatDateShort(ctx.ticket.dueAt);
const toUnit = (ctx: TicketMailContext) => `${ctx.unit.name}：`;
const toOffice = () => '您好：';

function optional(label: string, value: string | string[] | undefined): MailField[] {
  if (value === undefined || value.length === 0) return [];
  return [{ label, value }];
}

// What the unit still has to do depends on whether it has acknowledged the ticket yet.
function unitTodo(ctx: TicketMailContext): string {
  const submit = `完成整改，并在系统中提交书面整改情况和佐证材料（截图或链接）`;
  return ctx.ticket.state === 'issued' ? `请登录系统签收工单，于${due(ctx)}前${submit}。` : `请于${due(ctx)}前${submit}。`;
}

const templates: Record<NotificationKind, KindTemplate> = {
  issued: {
    tag: () => '整改通知',
    hint: (ctx) => `${dueShort(ctx)}前反馈`,
    greeting: toUnit,
    lead: () => '在本次政府网站与政务新媒体检查中，贵单位负责的以下检查对象存在问题，现下发整改工单，请按期整改并书面反馈。',
    fields: (ctx) => optional('说明', ctx.details?.comment),
    next: unitTodo,
  },
  reminder: {
    tag: () => '整改提醒',
    hint: (ctx) => (ctx.details?.daysBefore !== undefined ? `还剩${ctx.details.daysBefore}个工作日` : `${dueShort(ctx)}到期`),
    greeting: toUnit,
    lead: (ctx) =>
      `以下整改工单将于${due(ctx)}到期${ctx.details?.daysBefore !== undefined ? `（还剩${ctx.details.daysBefore}个工作日）` : ''}，系统尚未收到贵单位的整改情况。`,
    fields: () => [],
    next: (ctx) => `${unitTodo(ctx)}逾期未反馈的将进入逾期督办。`,
  },
  escalation: {
    tag: (ctx) => ladderOf(ctx.details?.level ?? ctx.ticket.escalationLevel) ?? '督办',
    hint: (ctx) => (ctx.details?.overdueWorkingDays !== undefined ? `已逾期${ctx.details.overdueWorkingDays}个工作日` : `${dueShort(ctx)}已到期`),
    greeting: toUnit,
    lead: (ctx) =>
      `以下整改工单已超过反馈期限${ctx.details?.overdueWorkingDays !== undefined ? `${ctx.details.overdueWorkingDays}个工作日` : ''}仍未提交整改情况，现予${ladderOf(ctx.details?.level ?? ctx.ticket.escalationLevel) ?? '督办'}。`,
    fields: (ctx) => [{ label: '督办级别', value: ladderOf(ctx.details?.level ?? ctx.ticket.escalationLevel) ?? '督办' }],
    next: (ctx) => `${ctx.ticket.state === 'issued' ? '请立即签收工单、' : '请立即'}完成整改并在系统中提交书面整改情况；逾期时间越长，督办级别越高。`,
  },
  submitted: {
    tag: () => '整改已提交',
    hint: () => '请核验',
    greeting: toOffice,
    lead: (ctx) => `${ctx.unit.name}已提交以下整改工单的整改情况，请核验。`,
    fields: (ctx) => [...optional('整改情况', ctx.details?.feedback), ...optional('佐证材料', ctx.details?.evidence)],
    next: () => '请在系统中核验整改情况：整改到位的点“核销”；未达到要求的点“退回”并写明理由。',
  },
  rejected: {
    tag: () => '整改被退回',
    hint: (ctx) => `请${dueShort(ctx)}前重新提交`,
    greeting: toUnit,
    lead: () => '贵单位提交的整改情况经核验未达到要求，已退回，请继续整改。',
    fields: (ctx) => optional('退回理由', ctx.details?.reason),
    next: (ctx) => `请按退回理由继续整改，于${due(ctx)}前在系统中重新提交整改情况和佐证材料。`,
  },
  verified: {
    tag: () => '整改已核销',
    hint: () => null,
    greeting: toUnit,
    lead: () => '贵单位提交的整改情况已通过核验，以下整改工单已核销。',
    fields: (ctx) => optional('核验意见', ctx.details?.comment),
    next: () => '本工单已办结，无需再做任何操作。请保持网站和账号的日常更新与互动，避免同类问题再次出现。',
  },
  withdrawn: {
    tag: () => '工单已撤销',
    hint: () => '无需整改',
    greeting: toUnit,
    lead: () => '经复核，以下整改工单已撤销。',
    fields: (ctx) => optional('撤销原因', ctx.details?.reason),
    next: () => '本工单已撤销，无需整改，也无需反馈。',
  },
  reassigned: {
    tag: () => '工单已转办',
    hint: (ctx) => `${dueShort(ctx)}前反馈`,
    greeting: toUnit,
    lead: (ctx) =>
      `以下整改工单${ctx.details?.previousUnitName ? `已由${ctx.details.previousUnitName}` : '已'}转交贵单位办理，请按期整改并书面反馈。`,
    fields: (ctx) => [...optional('原责任单位', ctx.details?.previousUnitName), ...optional('转办原因', ctx.details?.reason)],
    next: unitTodo,
  },
  extended: {
    tag: () => '期限已调整',
    hint: (ctx) => `调整为${dueShort(ctx)}`,
    greeting: toUnit,
    lead: (ctx) =>
      `以下整改工单的反馈期限${ctx.details?.previousDueAt ? `已由${formatDateLong(ctx.details.previousDueAt)}` : '已'}调整为${due(ctx)}。`,
    fields: (ctx) => [
      ...optional('原反馈期限', ctx.details?.previousDueAt ? formatDateLong(ctx.details.previousDueAt) : undefined),
      ...optional('调整原因', ctx.details?.reason),
    ],
    next: (ctx) =>
      ctx.ticket.state === 'rectified' ? '整改情况已提交，正在等待核验，无需再做操作。' : `请在新的期限前完成整改。${unitTodo(ctx)}`,
  },
  reassigned_away: {
    tag: () => '工单已转办',
    hint: () => '无需再反馈',
    // Addressed to the unit that had the ticket; the ticket's unit is now the new one.
    greeting: (ctx) => `${ctx.details?.previousUnitName ?? ctx.unit.name}：`,
    lead: (ctx) => `以下整改工单已转交${ctx.details?.newUnitName ?? '其他单位'}办理。`,
    fields: (ctx) => [...optional('现责任单位', ctx.details?.newUnitName), ...optional('转办原因', ctx.details?.reason)],
    next: (ctx) => `${ctx.details?.previousUnitName ?? ''}无需再就本工单整改和反馈。`,
  },
  extension_requested: {
    tag: () => '延期申请',
    hint: (ctx) => (ctx.details?.requestedUntil ? `申请延期至${formatDateShort(shanghaiNoon(ctx.details.requestedUntil))}` : '请审核'),
    greeting: toOffice,
    lead: (ctx) =>
      `${ctx.unit.name}申请将以下整改工单的反馈期限由${due(ctx)}延长至${ctx.details?.requestedUntil ? formatDateLong(shanghaiNoon(ctx.details.requestedUntil)) : '（未填写）'}。`,
    fields: (ctx) => optional('申请理由', ctx.details?.reason),
    next: () => '请在系统中审核：同意的点“同意延期”（可缩短延期日期）；不同意的点“不同意延期”并写明理由。审核前原反馈期限不变。',
  },
  extension_approved: {
    tag: () => '同意延期',
    hint: (ctx) => `${dueShort(ctx)}前反馈`,
    greeting: toUnit,
    lead: (ctx) => `${ctx.unit.name}的延期申请已获同意，以下整改工单的反馈期限调整为${due(ctx)}。`,
    fields: (ctx) => [
      ...optional('申请延期至', ctx.details?.requestedUntil ? formatDateLong(shanghaiNoon(ctx.details.requestedUntil)) : undefined),
      ...optional('审核意见', ctx.details?.comment),
    ],
    next: unitTodo,
  },
  extension_refused: {
    tag: () => '不同意延期',
    hint: (ctx) => `仍须${dueShort(ctx)}前反馈`,
    greeting: toUnit,
    lead: (ctx) => `${ctx.unit.name}的延期申请未获同意，反馈期限仍为${due(ctx)}。`,
    fields: (ctx) => optional('理由', ctx.details?.reason),
    next: unitTodo,
  },
  verify_reminder: {
    tag: () => '待核验提醒',
    hint: () => '单位已提交，请尽快核验',
    greeting: toOffice,
    lead: (ctx) => `${ctx.unit.name}提交的以下整改工单尚待核验。`,
    fields: (ctx) => [...optional('整改情况', ctx.details?.feedback), ...optional('佐证材料', ctx.details?.evidence)],
    next: () => '请尽快在系统中核验：整改到位的点“核销”；未达到要求的点“退回”并写明理由。',
  },
};

// A subject is one header line: names typed with line breaks must not split it.
const oneLine = (value: string) => value.replace(/\s+/g, ' ').trim();

/** Renders the Chinese subject, plain text and HTML of one ticket notification. */
export function renderTicketMail(kind: NotificationKind, ctx: TicketMailContext): RenderedMail {
  const template = templates[kind];
  const hint = template.hint(ctx);
  const subject = oneLine(
    `【${template.tag(ctx)}】${ctx.ticket.number} ${ctx.target.name}：${problemSummary(ctx.problems)}${hint ? `（${hint}）` : ''}`,
  );
  const { documentNumber, title } = ctx.inspection;
  const fields: MailField[] = [
    { label: '工单编号', value: ctx.ticket.number },
    { label: '检查通报', value: documentNumber ? `${title}（${documentNumber}）` : title },
    { label: '检查对象', value: targetLabel(ctx.target) },
    { label: '责任单位', value: ctx.unit.name },
    { label: '存在问题', value: ctx.problems.length > 0 ? ctx.problems.map(problemWords) : ['（未列明）'] },
    { label: '当前状态', value: stateLabels[ctx.ticket.state] },
    {
      label: '反馈期限',
      value: `${due(ctx)}${ctx.ticket.provisional ? '（超出已公布的节假日安排，暂按周末休息推算，可能调整）' : ''}`,
    },
    ...template.fields(ctx),
  ];
  const link = `${ctx.publicUrl.replace(/\/+$/, '')}/tickets/${ctx.ticket.id}`;
  const { text, html } = renderLayout({
    subject,
    greeting: template.greeting(ctx),
    lead: template.lead(ctx),
    fields,
    next: template.next(ctx),
    link,
  });
  return { subject, text, html };
}
