import Type from 'typebox';
import type { CalendarOverride } from '../../../db/schema/index.js';
import { Nullable, StrictObject, StringEnum } from '../../schemas/common.schemas.js';

const dayKinds = ['workday', 'restday'] as const;

// Four-digit years from 1000: the range the working calendar computes in.
const Day = Type.String({ format: 'date', pattern: '^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD, a calendar date in Asia/Shanghai' });

export const DayParams = Type.Object({ date: Day });

export const DaySchema = Type.Object({
  date: Type.String({ format: 'date' }),
  working: Type.Boolean(),
  kind: StringEnum(dayKinds),
  source: StringEnum(['override', 'published', 'weekend-rule'] as const, {
    description: 'override: a local arrangement stored here; published: the State Council arrangement for that year; weekend-rule: beyond both, Saturdays and Sundays rest',
  }),
  provisional: Type.Boolean({ description: 'true when only the weekend rule answers' }),
  note: Nullable(Type.String()),
});

export const OverrideListQuery = StrictObject({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
});

export const OverrideBody = StrictObject({
  kind: StringEnum(dayKinds, { description: 'workday: people work that day (e.g. 调休); restday: they do not' }),
  note: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
});

export const OverrideSchema = Type.Object({
  date: Type.String({ format: 'date' }),
  kind: StringEnum(dayKinds),
  note: Nullable(Type.String()),
  updatedBy: Nullable(Type.Integer()),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const OverrideList = Type.Object({ items: Type.Array(OverrideSchema) });

export function toOverrideDto(row: CalendarOverride) {
  return { date: row.day, kind: row.kind, note: row.note, updatedBy: row.updatedBy, updatedAt: row.updatedAt.toISOString() };
}
