import Type from 'typebox';
import { AttachmentSchema } from '../routes/attachments/attachments.schemas.js';
import { Nullable } from './common.schemas.js';

/** One link of an audit trail, a ticket's or a written feedback's: both are shown the same way. */
export const TrailEventSchema = Type.Object({
  seq: Type.Integer(),
  type: Type.String(),
  from: Nullable(Type.String()),
  to: Type.String(),
  actor: Type.String(),
  at: Type.String({ format: 'date-time' }),
  payload: Type.Record(Type.String(), Type.Unknown()),
  attachments: Type.Array(AttachmentSchema, { description: 'the files this event recorded' }),
  hash: Type.String(),
});
