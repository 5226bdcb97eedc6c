import Type from 'typebox';
import type { FeedbackView } from '../../../db/repositories/feedbacks.repository.js';
import { feedbackStates, type FeedbackEvent } from '../../../db/schema/index.js';
import { feedbackEventTypes } from '../../../workflows/feedback/feedback.machine.js';
import { Nullable, PageQuery, StrictObject, StringEnum } from '../../schemas/common.schemas.js';
import { NotificationSchema } from '../notifications/notifications.schemas.js';
import { TrailEventSchema } from '../../schemas/trail-event.schemas.js';

export const FeedbackParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
export const UnitFeedbackParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }), unitCode: Type.String({ minLength: 1, maxLength: 64 }) });

export const FeedbackSchema = Type.Object({
  inspectionId: Type.Integer(),
  unitCode: Type.String(),
  unitName: Type.String(),
  state: StringEnum(feedbackStates, { description: 'pending 待报送 | submitted 已报送 | accepted 已接收 | returned 已退回' }),
  dueAt: Type.String({ format: 'date-time' }),
  overdue: Type.Boolean({ description: 'past its due time and not accepted' }),
  onTime: Nullable(Type.Boolean({ description: 'first submitted by its due time; false when late or still missing past it; null while not yet due' })),
  submittedAt: Nullable(Type.String({ format: 'date-time' })),
  acceptedAt: Nullable(Type.String({ format: 'date-time' })),
  returns: Type.Integer(),
  version: Type.Integer(),
  allowedEvents: Type.Array(Type.String()),
});

export const FeedbackList = Type.Object({ items: Type.Array(FeedbackSchema) });

export const MyFeedbackQuery = StrictObject({ ...PageQuery });

export const FeedbackAcrossInspections = Type.Object({
  items: Type.Array(
    Type.Object({
      ...FeedbackSchema.properties,
      inspection: Type.Object({ id: Type.Integer(), title: Type.String(), documentNumber: Nullable(Type.String()), shortCode: Type.String() }),
    }),
  ),
  nextCursor: Nullable(Type.String()),
});

export const FeedbackEventSchema = TrailEventSchema;

export const FeedbackDetail = Type.Object({
  feedback: FeedbackSchema,
  tickets: Type.Array(Type.Object({ id: Type.Integer(), number: Type.String(), state: Type.String() })),
  events: Type.Array(FeedbackEventSchema),
  notifications: Type.Array(NotificationSchema),
});

export const FeedbackEventBody = StrictObject({
  type: StringEnum(feedbackEventTypes),
  expectedVersion: Type.Optional(Type.Integer({ minimum: 1 })),
  attachmentIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 20, description: 'SUBMIT_FEEDBACK: the stamped report as PDF, OFD or image, uploaded first' })),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
  comment: Type.Optional(Type.String({ maxLength: 2000 })),
  reason: Type.Optional(Type.String({ maxLength: 2000 })),
});

export const FeedbackEventResponse = Type.Object({ feedback: FeedbackSchema });

/** The files an audit event recorded (id, name, size, type, SHA-256), as the API lists them. */
export function attachmentsOf(payload: Record<string, unknown>) {
  const files = Array.isArray(payload.attachments) ? (payload.attachments as Record<string, unknown>[]) : [];
  return files.map((f) => ({ id: String(f.id), name: String(f.name), size: Number(f.size), contentType: String(f.contentType), sha256: String(f.sha256) }));
}

export function toFeedbackDto(f: FeedbackView, allowedEvents: string[], now: Date) {
  const late = f.dueAt.getTime() < now.getTime();
  return {
    inspectionId: f.inspectionId,
    unitCode: f.unitCode,
    unitName: f.unitName,
    state: f.state,
    dueAt: f.dueAt.toISOString(),
    overdue: f.state !== 'accepted' && late,
    onTime: f.firstSubmittedAt ? f.firstSubmittedAt.getTime() <= f.dueAt.getTime() : late ? false : null,
    submittedAt: f.submittedAt?.toISOString() ?? null,
    acceptedAt: f.acceptedAt?.toISOString() ?? null,
    returns: f.returns,
    version: f.version,
    allowedEvents,
  };
}

export function toFeedbackEventDto(e: FeedbackEvent) {
  return { seq: e.seq, type: e.type, from: e.fromState, to: e.toState, actor: e.actor, at: e.at.toISOString(), payload: e.payload, attachments: attachmentsOf(e.payload), hash: e.hash };
}
