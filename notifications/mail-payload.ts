import { ticketNotificationKinds, type NotificationKind, type TicketNotificationKind } from '../db/schema/notifications.table.js';
import { renderFeedbackMail, type FeedbackMailContext } from './templates/feedback-mail.js';
import { renderTicketMailData, type MailTicket, type RenderedMail, type TicketMailData, type TicketMailDetails } from './templates/ticket-mail.js';

/**
 * What the outbox stores of one email: the data its template needs, as of when it was queued
 * (names, deadlines, links, the sign-off's date), so that rendering it when it is delivered, resent
 * or shown gives the same email whatever has changed in the database since.
 */
export type MailPayload = { v: 1; ticket: TicketMailData } | { v: 1; feedback: FeedbackMailContext };

/** A value as JSON carries it: every Date an ISO string. */
export type Jsonified<T> = T extends Date ? string : T extends readonly (infer U)[] ? Jsonified<U>[] : T extends object ? { [K in keyof T]: Jsonified<T[K]> } : T;

export type MailPayloadJson = Jsonified<MailPayload>;

/** The payload as the database stores it (JSON.stringify writes each Date as its ISO string). */
export function payloadJson(payload: MailPayload): MailPayloadJson {
  return JSON.parse(JSON.stringify(payload)) as MailPayloadJson;
}

const date = (iso: string) => new Date(iso);
const dateOrNull = (iso: string | null) => (iso === null ? null : new Date(iso));

function ticketOf({ dueAt, rectifiedAt, ...rest }: Jsonified<MailTicket>): MailTicket {
  return { ...rest, dueAt: date(dueAt), ...(rectifiedAt === undefined ? {} : { rectifiedAt: dateOrNull(rectifiedAt) }) };
}

function detailsOf({ previousDueAt, ...rest }: Jsonified<TicketMailDetails>): TicketMailDetails {
  return { ...rest, ...(previousDueAt === undefined ? {} : { previousDueAt: date(previousDueAt) }) };
}

function ticketDataOf({ tickets, all, details, now, ...rest }: Jsonified<TicketMailData>): TicketMailData {
  return {
    ...rest,
    tickets: tickets.map(ticketOf),
    all: { ...all, commonDueAt: dateOrNull(all.commonDueAt) },
    ...(details === undefined ? {} : { details: detailsOf(details) }),
    now: date(now),
  };
}

function feedbackDataOf({ feedback, at, ...rest }: Jsonified<FeedbackMailContext>): FeedbackMailContext {
  return { ...rest, feedback: { ...feedback, dueAt: date(feedback.dueAt), submittedAt: dateOrNull(feedback.submittedAt) }, at: date(at) };
}

const isTicketKind = (kind: NotificationKind): kind is TicketNotificationKind => (ticketNotificationKinds as readonly string[]).includes(kind);

/** Renders a stored payload; throws when it is not one this version writes (a row the outbox then marks failed). */
export function renderPayload(kind: NotificationKind, stored: unknown): RenderedMail {
  if (typeof stored !== 'object' || stored === null || !('v' in stored) || stored.v !== 1) throw new Error('payload: not a version 1 mail payload');
  // Written only by payloadJson above, in the same shape.
  const payload = stored as MailPayloadJson;
  if ('ticket' in payload && isTicketKind(kind)) return renderTicketMailData(kind, ticketDataOf(payload.ticket));
  if ('feedback' in payload && !isTicketKind(kind)) return renderFeedbackMail(kind, feedbackDataOf(payload.feedback));
  throw new Error(`payload: no ${kind} mail data`);
}

/** An outbox row as far as its content goes: older rows hold their rendered email, newer ones its data. */
export interface StoredMail {
  kind: NotificationKind;
  subject: string;
  bodyText: string | null;
  bodyHtml: string | null;
  payload: unknown;
}

/** The email a row stands for: rendered from its data, or as it was rendered when queued (rows from before the data). */
export function renderStoredMail(row: StoredMail): RenderedMail {
  if (row.payload !== null && row.payload !== undefined) return renderPayload(row.kind, row.payload);
  if (row.bodyText === null || row.bodyHtml === null) throw new Error('payload: a row with neither data nor a rendered body');
  return { subject: row.subject, text: row.bodyText, html: row.bodyHtml };
}
