import Type from 'typebox';
import { Nullable, PageQuery, StrictObject } from '../../schemas/common.schemas.js';
import { TicketSchema } from '../tickets/tickets.schemas.js';

export const OverdueQuery = StrictObject({
  ...PageQuery,
  unit: Type.Optional(Type.String({ maxLength: 64, description: 'unit code' })),
  inspection: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
});

export const OverdueTicketSchema = Type.Object({
  ...TicketSchema.properties,
  overdueWorkingDays: Type.Integer({ description: 'whole working days after the due day that have ended' }),
  overdueProvisional: Type.Boolean({ description: 'the count reaches past the published holiday calendar' }),
});

/** A unit whose written feedback (书面反馈) was not accepted by its due time. */
export const OverdueFeedbackSchema = Type.Object({
  inspectionId: Type.Integer(),
  inspectionShortCode: Type.String(),
  unitCode: Type.String(),
  unitName: Type.String(),
  state: Type.String({ description: 'pending | submitted | returned' }),
  dueAt: Type.String({ format: 'date-time' }),
});

export const OverdueList = Type.Object({
  items: Type.Array(OverdueTicketSchema),
  nextCursor: Nullable(Type.String()),
  feedbackOverdue: Type.Array(OverdueFeedbackSchema, { description: 'units without accepted written feedback after its due time (first page only)' }),
});
