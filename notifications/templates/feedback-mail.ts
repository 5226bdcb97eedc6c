import type { FeedbackNotificationKind } from '../../db/schema/notifications.table.js';
import { formatDate, formatDateLong } from './dates.js';
import { renderLayout, type MailField } from './layout.js';
import type { RenderedMail } from './ticket-mail.js';

/** What a written-feedback email says: which unit reported on which notice, and the decision. */
export interface FeedbackMailContext {
  feedback: { inspectionId: number; dueAt: Date; submittedAt: Date | null };
  inspection: { title: string; documentNumber: string | null; shortCode: string };
  unit: { name: string };
  issuingOffice: { name: string };
  /** The files of the submission, by name (the link leads to the page, not to a file). */
  files?: string[];
  note?: string;
  comment?: string;
  reason?: string;
  publicUrl: string;
  /** The moment the email is written: the date of its sign-off. */
  at: Date;
}

interface KindTemplate {
  tag: string;
  hint(ctx: FeedbackMailContext): string | null;
  greeting(ctx: FeedbackMailContext): string;
  /** The body in the order a 公文 reads: what happened, why, what to do by when. */
  paragraphs(ctx: FeedbackMailContext): string[];
  fields(ctx: FeedbackMailContext): MailField[];
}

const notice = (ctx: FeedbackMailContext) => `《${ctx.inspection.title}》${ctx.inspection.documentNumber ? `（${ctx.inspection.documentNumber}）` : ''}`;
/** Words typed by a person, as one sentence with its own full stop or one added. */
const sentence = (words: string) => {
  const trimmed = words.trim().replace(/[，,；;、\s]+$/, '');
  return /[。！？.!?]$/.test(trimmed) ? trimmed : `${trimmed}。`;
};
const optional = (label: string, value: string | string[] | undefined): MailField[] => (value === undefined || value.length === 0 ? [] : [{ label, value }]);

const templates: Record<FeedbackNotificationKind, KindTemplate> = {
  feedback_submitted: {
    tag: '书面反馈已报送',
    hint: () => '请审核',
    greeting: (ctx) => `${ctx.issuingOffice.name}：`,
    paragraphs: (ctx) => [
      `${ctx.unit.name}已报送${notice(ctx)}反映问题整改情况的书面报告，请审核。`,
      '请登录系统审核书面报告：符合要求的予以接收；不符合要求的予以退回，并写明理由。',
    ],
    fields: (ctx) => [
      ...optional('报送时间', ctx.feedback.submittedAt ? formatDateLong(ctx.feedback.submittedAt) : undefined),
      ...optional('报告附件', ctx.files),
      ...optional('报送说明', ctx.note),
    ],
  },
  feedback_accepted: {
    tag: '书面反馈已接收',
    hint: () => null,
    greeting: (ctx) => `${ctx.unit.name}：`,
    paragraphs: (ctx) => [`${ctx.unit.name}报送的${notice(ctx)}反映问题整改情况书面报告，经审核已予接收。`, '书面反馈已办结，无需再做操作。'],
    fields: (ctx) => optional('审核意见', ctx.comment),
  },
  feedback_returned: {
    tag: '书面反馈被退回',
    hint: (ctx) => (ctx.at < ctx.feedback.dueAt ? `请于${formatDate(ctx.feedback.dueAt)}前报送` : '请尽快报送'),
    greeting: (ctx) => `${ctx.unit.name}：`,
    // The reason is the officer's own words and often asks for the report again itself: the request
    // after it names only the deadline, so that the email asks once.
    paragraphs: (ctx) => [
      `${ctx.unit.name}报送的${notice(ctx)}反映问题整改情况书面报告，经审核未达到要求，现予退回。`,
      ...(ctx.reason?.trim() ? [`退回理由：${sentence(ctx.reason)}`] : []),
      ctx.at < ctx.feedback.dueAt
        ? `请于${formatDateLong(ctx.feedback.dueAt)}前将修改完善并加盖公章的书面报告在系统中报送。`
        : '反馈期限已过，请尽快将修改完善并加盖公章的书面报告在系统中报送。',
    ],
    fields: () => [],
  },
};

/** The subject alone: the outbox keeps it beside the data for its lists. */
export function feedbackMailSubject(kind: FeedbackNotificationKind, ctx: FeedbackMailContext): string {
  const template = templates[kind];
  const hint = template.hint(ctx);
  return `【${template.tag}】${ctx.unit.name}：${ctx.inspection.shortCode} 整改情况书面报告${hint ? `（${hint}）` : ''}`.replace(/\s+/g, ' ').trim();
}

/** Renders the Chinese subject, plain text and HTML of one written-feedback notification. */
export function renderFeedbackMail(kind: FeedbackNotificationKind, ctx: FeedbackMailContext): RenderedMail {
  const template = templates[kind];
  const subject = feedbackMailSubject(kind, ctx);
  const fields: MailField[] = [
    { label: '检查通报', value: notice(ctx) },
    { label: '报送单位', value: ctx.unit.name },
    { label: '反馈期限', value: formatDateLong(ctx.feedback.dueAt) },
    ...template.fields(ctx),
  ];
  const link = `${ctx.publicUrl.replace(/\/+$/, '')}/inspections/${ctx.feedback.inspectionId}`;
  const { text, html } = renderLayout({
    subject,
    addressee: template.greeting(ctx).replace(/：$/, ''),
    paragraphs: template.paragraphs(ctx),
    facts: fields,
    link: { label: '办理地址', url: link },
    contact: null,
    signOff: { office: ctx.issuingOffice.name, date: formatDate(ctx.at) },
  });
  return { subject, text, html };
}
