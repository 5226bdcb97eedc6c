import Type from 'typebox';
import type { NotificationSummary } from '../../../db/repositories/notifications.repository.js';
import { notificationStatuses } from '../../../db/schema/index.js';
import { Nullable, PageQuery, StrictObject, StringEnum } from '../../schemas/common.schemas.js';

export const NotificationSchema = Type.Object({
  id: Type.Integer(),
  ticketId: Nullable(Type.Integer()),
  kind: Type.String(),
  to: Type.Array(Type.String()),
  cc: Type.Array(Type.String({ description: 'copies: leaders and supervising units on the ladder' })),
  ticketCount: Type.Optional(Type.Integer({ description: 'how many tickets the email concerns (a batch lists several)' })),
  subject: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  messageId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  nextAttemptAt: Type.String({ format: 'date-time' }),
  sentAt: Nullable(Type.String({ format: 'date-time' })),
});

export const NotificationDetail = Type.Object({
  ...NotificationSchema.properties,
  text: Type.String({ description: 'the plain-text body as sent (or to be sent)' }),
});

export const NotificationListQuery = StrictObject({
  ...PageQuery,
  status: Type.Optional(StringEnum(notificationStatuses)),
  ticket: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
});

export const NotificationList = Type.Object({ items: Type.Array(NotificationSchema), nextCursor: Nullable(Type.String()) });
// The column is a PostgreSQL integer: a larger id would fail in the database, not as a 400.
export const NotificationParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });

export function toNotificationDto(n: Omit<NotificationSummary, 'ticketCount'> & { ticketCount?: number }) {
  return {
    id: n.id,
    ticketId: n.ticketId,
    kind: n.kind,
    to: n.recipients,
    cc: n.cc,
    ...(n.ticketCount === undefined ? {} : { ticketCount: n.ticketCount }),
    subject: n.subject,
    status: n.status,
    attempts: n.attempts,
    lastError: n.lastError,
    messageId: n.messageId,
    createdAt: n.createdAt.toISOString(),
    nextAttemptAt: n.nextAttemptAt.toISOString(),
    sentAt: n.sentAt ? n.sentAt.toISOString() : null,
  };
}
