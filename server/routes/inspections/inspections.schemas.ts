import Type from 'typebox';
import type { StateCounts } from '../../../db/repositories/inspections.repository.js';
import { resolvePolicy, type Inspection } from '../../../db/schema/index.js';
import { DateString, Nullable, PageQuery, StrictObject, StringEnum } from '../../schemas/common.schemas.js';
import { DeadlineWarningSchema, TicketSchema } from '../tickets/tickets.schemas.js';

const WorkingDays = Type.Integer({ minimum: 0, maximum: 60 });

export const PolicySchema = StrictObject({
  remindBeforeWorkingDays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 30 }), { maxItems: 5 })),
  escalateAfterWorkingDays: Type.Optional(WorkingDays),
  escalateEveryWorkingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
  maxLevel: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  verifyWithinWorkingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
  reworkWorkingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: '退回、转办后的整改期：其后第N个工作日结束' })),
  maxExtensions: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: '单位申请延期可获同意的次数' })),
  sendAt: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: '提醒和督办的发送时刻（北京时间，工作日）' })),
});

export const ScopeGroupSchema = StrictObject({
  group: Type.String({ minLength: 1, maxLength: 100, description: '如 市直部门、区县(市)、其他网站、南县' }),
  targetKind: StringEnum(['website', 'new_media'] as const),
  checked: Type.Integer({ minimum: 0 }),
  failed: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const ContactBody = StrictObject(
  {
    name: Type.String({ minLength: 1, maxLength: 50, description: '联系人，如 文雪飞' }),
    phone: Type.String({ minLength: 1, maxLength: 50, description: '联系电话，如 0737-4382206' }),
  },
  { description: '印发单位的联系人和联系电话，印在每封邮件中' },
);

export const CreateInspectionBody = StrictObject({
  title: Type.String({ minLength: 1, maxLength: 300 }),
  documentNumber: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  shortCode: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$', description: '工单编号前缀，如 2021-2' }),
  issuedOn: DateString,
  samplingFrom: Type.Optional(Nullable(DateString)),
  samplingTo: Type.Optional(Nullable(DateString)),
  feedbackDeadline: Type.Optional(Nullable(DateString)),
  dueWorkingDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 365 }))),
  issuingUnitCode: Type.String({ minLength: 1, maxLength: 64 }),
  policy: Type.Optional(PolicySchema),
  scope: Type.Optional(Type.Array(ScopeGroupSchema, { maxItems: 200 })),
  contact: Type.Optional(Nullable(ContactBody)),
});

/** What may change after an inspection is created: its contact (null clears it) and its scope (replaced as a whole). */
export const UpdateInspectionBody = Type.Object(
  {
    contact: Type.Optional(Nullable(ContactBody)),
    scope: Type.Optional(Type.Array(ScopeGroupSchema, { maxItems: 200, description: '检查范围（附件1、附件2 各分组的检查数），整体替换' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

const countFields = {
  tickets: Type.Integer(),
  issued: Type.Integer(),
  acknowledged: Type.Integer(),
  rectified: Type.Integer(),
  verified: Type.Integer(),
  withdrawn: Type.Integer(),
  overdue: Type.Integer(),
  escalated: Type.Integer(),
};
const Counts = Type.Object(countFields);

export const InspectionSchema = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  documentNumber: Nullable(Type.String()),
  shortCode: Type.String(),
  issuedOn: Type.String(),
  samplingFrom: Nullable(Type.String()),
  samplingTo: Nullable(Type.String()),
  feedbackDeadline: Nullable(Type.String()),
  dueWorkingDays: Nullable(Type.Integer()),
  issuingUnitId: Type.Integer(),
  policy: Type.Object({
    remindBeforeWorkingDays: Type.Array(Type.Integer()),
    escalateAfterWorkingDays: Type.Integer(),
    escalateEveryWorkingDays: Type.Integer(),
    maxLevel: Type.Integer(),
    verifyWithinWorkingDays: Type.Integer(),
    reworkWorkingDays: Type.Integer(),
    maxExtensions: Type.Integer(),
    sendAt: Type.String(),
  }),
  scope: Type.Array(Type.Object({ group: Type.String(), targetKind: Type.String(), checked: Type.Integer(), failed: Type.Optional(Type.Integer()) })),
  contact: Nullable(Type.Object({ name: Type.String(), phone: Type.String() })),
  createdAt: Type.String({ format: 'date-time' }),
  counts: Type.Optional(Counts),
  levels: Type.Optional(
    Type.Array(Type.Object({ level: Type.Integer({ minimum: 1 }), tickets: Type.Integer() }), {
      description: 'unfinished tickets per escalation level (1 催办, 2 督办, 3 通报); levels with none are left out',
    }),
  ),
  warnings: Type.Optional(Type.Array(DeadlineWarningSchema, { description: 'e.g. the feedback deadline falls on a rest day (kept as given)' })),
});

export const InspectionParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
export const InspectionListQuery = StrictObject({ ...PageQuery });
export const InspectionList = Type.Object({ items: Type.Array(InspectionSchema), nextCursor: Nullable(Type.String()) });

export function toInspectionDto(inspection: Inspection, counts?: StateCounts, levels?: { level: number; tickets: number }[]) {
  return {
    id: inspection.id,
    title: inspection.title,
    documentNumber: inspection.documentNumber,
    shortCode: inspection.shortCode,
    issuedOn: inspection.issuedOn,
    samplingFrom: inspection.samplingFrom,
    samplingTo: inspection.samplingTo,
    feedbackDeadline: inspection.feedbackDeadline,
    dueWorkingDays: inspection.dueWorkingDays,
    issuingUnitId: inspection.issuingUnitId,
    policy: resolvePolicy(inspection.policy),
    scope: inspection.scope,
    contact: inspection.contactName || inspection.contactPhone ? { name: inspection.contactName ?? '', phone: inspection.contactPhone ?? '' } : null,
    createdAt: inspection.createdAt.toISOString(),
    ...(counts ? { counts } : {}),
    ...(levels ? { levels } : {}),
  };
}

export const ImportWarning = Type.Object({ row: Type.Integer(), column: Type.String(), value: Type.String(), message: Type.String() });

export const ImportQuery = StrictObject({
  dryRun: Type.Optional(Type.Boolean({ default: false, description: 'check the file as the import would and keep nothing (200 instead of 201)' })),
});

export const ImportResult = Type.Object({
  created: Type.Integer({ description: 'tickets created (with dryRun: that would be created)' }),
  unchanged: Type.Integer({ description: 'rows already imported for this inspection, left as they are' }),
  tickets: Type.Array(Type.Object({ id: Type.Integer(), number: Type.String() }), { description: 'the new tickets; empty for a dry run' }),
  warnings: Type.Array(ImportWarning, { description: 'rows imported as written but worth checking, e.g. a problem outside the catalogue kept as 其他 with its words (the first 1,000)' }),
  dryRun: Type.Boolean({ description: 'true when nothing was kept' }),
  totalWarnings: Type.Integer({ description: 'all the warnings, listed or not' }),
});

const Rate = (description: string) => Nullable(Type.Number({ description }));
const ReportCounts = {
  ...countFields,
  onTimeRate: Rate('share of tickets (withdrawn aside) whose first rectification was submitted by the due time'),
};
const ScopeFigures = Type.Object({
  checked: Nullable(Type.Integer({ description: 'targets checked, from the inspection scope (附件1/附件2)' })),
  failed: Type.Integer({ description: 'targets with an outstanding (单否) finding, withdrawn ones aside' }),
  passRate: Rate('(checked − failed) ÷ checked, 合格率'),
});

export const ReportQuery = StrictObject({ format: Type.Optional(StringEnum(['json', 'csv', 'xlsx'] as const)) });

export const ReportSchema = Type.Object({
  inspection: InspectionSchema,
  asOf: Type.String({ format: 'date-time' }),
  totals: Type.Object({ ...ReportCounts, scope: Type.Object({ website: ScopeFigures, new_media: ScopeFigures }) }),
  byUnit: Type.Array(
    Type.Object({
      rank: Type.Integer({ description: 'best first; equal units share a rank (README: the rank rule)' }),
      unitCode: Type.String(),
      unitName: Type.String(),
      group: Type.String(),
      ...ReportCounts,
      onTime: Type.Integer({ description: 'tickets whose first submission came by the due time' }),
      rejections: Type.Integer(),
      escalations: Type.Object({ level1: Type.Integer({ description: '催办' }), level2: Type.Integer({ description: '督办' }), level3: Type.Integer({ description: '通报' }) }),
      avgWorkingDaysToRectify: Nullable(Type.Number()),
      repeats: Type.Integer({ description: 'tickets whose target had the same problem in an earlier inspection' }),
      feedback: Type.String({ description: 'the written feedback (书面反馈): pending | submitted | accepted | returned' }),
      feedbackOnTime: Nullable(Type.Boolean({ description: 'first submitted by its due time; false when late or still missing past it; null while not yet due' })),
    }),
  ),
  byGroup: Type.Array(
    Type.Object({ group: Type.String(), targetKind: StringEnum(['website', 'new_media'] as const), ...ScopeFigures.properties, ...ReportCounts }),
  ),
});

export const BulletinCandidateSchema = Type.Object({
  ticket: TicketSchema,
  unit: Type.Object({ code: Type.String(), name: Type.String() }),
  overdueWorkingDays: Type.Integer({ description: 'whole working days after the due day that have ended (until the submission, for a submitted ticket)' }),
  overdueProvisional: Type.Boolean(),
  since: Nullable(Type.String({ format: 'date-time', description: 'when the ticket reached 通报' })),
});
export const BulletinCandidateList = Type.Object({ items: Type.Array(BulletinCandidateSchema) });
