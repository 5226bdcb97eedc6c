import Type from 'typebox';
import type { UnitWithParent } from '../../../db/repositories/units.repository.js';
import { unitKinds } from '../../../db/schema/index.js';
import { Nullable, PageQuery, StrictObject, StringEnum } from '../../schemas/common.schemas.js';

const UnitCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'stable unit code, e.g. YY-WJW' });
const UnitKind = StringEnum(unitKinds);
const Email = Type.String({ format: 'email', maxLength: 254 });
// At least one non-blank character: names are stored trimmed, and the database refuses an empty one.
const UnitName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Contact = StrictObject({
  name: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
});

export const UnitSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  aliases: Type.Array(Type.String()),
  kind: Type.String(),
  parentCode: Nullable(Type.String()),
  emails: Type.Array(Type.String()),
  leaderEmails: Type.Array(Type.String(), { description: '主要负责人/分管负责人：督办起抄送，通报时收件' }),
  contact: Type.Object({ name: Nullable(Type.String()), phone: Nullable(Type.String()) }),
  warnings: Type.Array(Type.Object({ code: Type.String(), field: Type.String(), message: Type.String() }), {
    description: 'what the administrator should complete, e.g. leader emails for the ladder',
  }),
});

export const CreateUnitBody = StrictObject({
  code: UnitCode,
  name: UnitName,
  aliases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  kind: UnitKind,
  parentCode: Type.Optional(Nullable(UnitCode)),
  emails: Type.Optional(Type.Array(Email, { maxItems: 20 })),
  leaderEmails: Type.Optional(Type.Array(Email, { maxItems: 20 })),
  contact: Type.Optional(Contact),
});

export const UpdateUnitBody = StrictObject({
  name: Type.Optional(UnitName),
  aliases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  kind: Type.Optional(UnitKind),
  parentCode: Type.Optional(Nullable(UnitCode)),
  emails: Type.Optional(Type.Array(Email, { maxItems: 20 })),
  leaderEmails: Type.Optional(Type.Array(Email, { maxItems: 20 })),
  contact: Type.Optional(Contact),
});

export const UnitParams = Type.Object({ code: UnitCode });
export const UnitListQuery = StrictObject({ ...PageQuery, q: Type.Optional(Type.String({ maxLength: 100 })) });
export const UnitList = Type.Object({ items: Type.Array(UnitSchema), nextCursor: Nullable(Type.String()) });

export function toUnitDto(unit: UnitWithParent) {
  return {
    code: unit.code,
    name: unit.name,
    aliases: unit.aliases,
    kind: unit.kind,
    parentCode: unit.parentCode,
    emails: unit.emails,
    leaderEmails: unit.leaderEmails,
    contact: { name: unit.contactName, phone: unit.contactPhone },
    warnings: unitWarnings(unit),
  };
}

/** A unit the ladder cannot fully reach: 督办 and 通报 still go out to whom they can. */
function unitWarnings(unit: UnitWithParent) {
  if (unit.leaderEmails.length > 0) return [];
  return [{ code: 'units.no_leader_emails', field: 'leaderEmails', message: '未登记单位负责人邮箱：督办时无法抄送、通报时无法送达单位负责人，请补充。' }];
}

export const UnitsImportQuery = StrictObject({
  dryRun: Type.Optional(Type.Boolean({ description: 'true: only check the file and count what would be created or updated; nothing is written' })),
});

export const UnitsImportResult = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  dryRun: Type.Optional(Type.Boolean({ description: 'present (true) when the file was only checked and nothing was written' })),
});
