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
  source: StringEnum(['override', 'published', 'statutory-rule'] as const, {
    description:
      'override: a local arrangement stored here; published: the State Council arrangement for that year (packaged or imported); statutory-rule: beyond both, the statutory holidays of the 全国年节及纪念日放假办法, Saturdays and Sundays rest',
  }),
  provisional: Type.Boolean({ description: 'true when only the statutory rule answers: the year’s 调休 are not yet known' }),
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

export const ArrangementBody = StrictObject({
  year: Type.Integer({ minimum: 1000, maximum: 9999 }),
  holidays: Type.Array(
    StrictObject({
      name: Type.String({ minLength: 1, maxLength: 50, description: '如 春节' }),
      from: Day,
      to: Day,
      workdays: Type.Optional(Type.Array(Day, { maxItems: 10, description: '调休上班的日期' })),
    }),
    { minItems: 1, maxItems: 20 },
  ),
});

export const ArrangementResult = Type.Object({
  year: Type.Integer(),
  restDays: Type.Integer(),
  workdays: Type.Integer(),
  replaced: Type.Boolean({ description: 'an earlier import of the same year was replaced' }),
});
