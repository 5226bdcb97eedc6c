import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { AuditLogRepository } from '../../db/repositories/audit-log.repository.js';
import type { InspectionsRepository } from '../../db/repositories/inspections.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { UnitsRepository } from '../../db/repositories/units.repository.js';
import { defaultEscalationPolicy, type EscalationPolicy, type Inspection, type InspectionScopeGroup } from '../../db/schema/index.js';
import { conflict, notFound, unprocessable, type FieldError } from '../../core/errors.js';
import type { TableSource } from '../imports/decode-table.js';
import { readTable } from '../imports/read-table.js';
import { parseScopeRows, scopeTableSpec } from '../imports/scope.parse.js';

export interface NewInspectionFields {
  title: string;
  documentNumber?: string | null;
  shortCode: string;
  issuedOn: string;
  samplingFrom?: string | null;
  samplingTo?: string | null;
  feedbackDeadline?: string | null;
  dueWorkingDays?: number | null;
  issuingUnitCode: string;
  policy?: Partial<EscalationPolicy>;
  scope?: InspectionScopeGroup[];
  contact?: InspectionContact | null;
}

export interface InspectionContact {
  name: string;
  phone: string;
}

interface Deps {
  db: Db;
  inspections: InspectionsRepository;
  units: Pick<UnitsRepository, 'findByCode'>;
  auditLog: AuditLogRepository;
}

function checkDates(fields: NewInspectionFields): FieldError[] {
  const errors: FieldError[] = [];
  const hasDeadline = Boolean(fields.feedbackDeadline);
  const hasDays = fields.dueWorkingDays !== undefined && fields.dueWorkingDays !== null;
  if (hasDeadline === hasDays) {
    errors.push({ field: 'feedbackDeadline', message: '请填写书面反馈期限（feedbackDeadline）或下发后工作日数（dueWorkingDays），二者选一' });
  }
  if (fields.feedbackDeadline && fields.feedbackDeadline < fields.issuedOn) {
    errors.push({ field: 'feedbackDeadline', value: fields.feedbackDeadline, message: '反馈期限不能早于通报印发日期' });
  }
  if (fields.samplingFrom && fields.samplingTo && fields.samplingFrom > fields.samplingTo) {
    errors.push({ field: 'samplingTo', value: fields.samplingTo, message: '采样结束日期不能早于开始日期' });
  }
  errors.push(...checkScope(fields.scope ?? []));
  const policy = { ...defaultEscalationPolicy, ...fields.policy };
  if (new Set(policy.remindBeforeWorkingDays).size !== policy.remindBeforeWorkingDays.length) {
    errors.push({ field: 'policy.remindBeforeWorkingDays', message: '提醒天数不能重复' });
  }
  return errors;
}

/** One row per group and kind; a group cannot have failed more targets than it had checked. */
function checkScope(scope: InspectionScopeGroup[]): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  scope.forEach((entry, i) => {
    if (entry.group.trim() === '') errors.push({ field: `scope.${i}.group`, value: entry.group, message: '分组名称不能为空，如 市直部门、区县(市)、南县' });
    const key = `${entry.targetKind}\u0000${entry.group.trim()}`;
    if (seen.has(key)) errors.push({ field: `scope.${i}.group`, value: entry.group, message: `分组「${entry.group}」的${entry.targetKind === 'website' ? '政府网站' : '政务新媒体'}检查数重复填写` });
    seen.add(key);
    if (entry.failed !== undefined && entry.failed > entry.checked) {
      errors.push({ field: `scope.${i}.failed`, value: entry.failed, message: `分组「${entry.group}」存在突出问题的数量不能多于检查数（${entry.checked}）` });
    }
  });
  return errors;
}

const trimScope = (scope: InspectionScopeGroup[]) => scope.map((entry) => ({ ...entry, group: entry.group.trim() }));

export interface InspectionChanges {
  contact?: InspectionContact | null;
  scope?: InspectionScopeGroup[];
}

/** Inspections (检查/通报): created by supervisors for a unit in their subtree, with the escalation policy. */
export function createInspectionsService({ db, inspections, units, auditLog }: Deps) {
  return {
    async create({ fields, actor }: { fields: NewInspectionFields; actor: Viewer }): Promise<Inspection> {
      const errors = checkDates(fields);
      const issuingUnit = await units.findByCode({ code: fields.issuingUnitCode, viewer: actor });
      if (!issuingUnit) errors.push({ field: 'issuingUnitCode', value: fields.issuingUnitCode, message: '印发单位不存在或不在您的管辖范围内' });
      if (errors.length > 0 || !issuingUnit) {
        throw unprocessable('inspections.invalid', errors.map((e) => e.message).join('；'), { errors });
      }
      const policy: EscalationPolicy = { ...defaultEscalationPolicy, ...fields.policy };
      policy.remindBeforeWorkingDays = [...policy.remindBeforeWorkingDays].sort((a, b) => b - a);
      try {
        return await db.transaction(async (tx) => {
          const inspection = await inspections.create(
            {
              title: fields.title.trim(),
              documentNumber: fields.documentNumber ?? null,
              shortCode: fields.shortCode,
              issuedOn: fields.issuedOn,
              samplingFrom: fields.samplingFrom ?? null,
              samplingTo: fields.samplingTo ?? null,
              feedbackDeadline: fields.feedbackDeadline ?? null,
              dueWorkingDays: fields.dueWorkingDays ?? null,
              issuingUnitId: issuingUnit.id,
              policy,
              scope: trimScope(fields.scope ?? []),
              contactName: fields.contact?.name.trim() ?? null,
              contactPhone: fields.contact?.phone.trim() ?? null,
              createdBy: actor.userId,
            },
            tx,
          );
          await auditLog.record({ actorUserId: actor.userId, action: 'create', entity: 'inspection', entityKey: inspection.shortCode, details: { ...fields } }, tx);
          return inspection;
        });
      } catch (error) {
        if (isUniqueViolation(error, 'inspections_short_code_unique')) {
          throw conflict('inspections.short_code_taken', `简称 ${fields.shortCode} 已被另一次检查使用`, {
            errors: [{ field: 'shortCode', value: fields.shortCode, message: '简称已存在' }],
          });
        }
        throw error;
      }
    },

    /** Changes the contact printed in the inspection's emails and its scope (附件1/附件2); only supervisors over its issuing unit may. */
    async update({ id, changes, actor }: { id: number; changes: InspectionChanges; actor: Viewer }): Promise<Inspection> {
      const errors = changes.scope ? checkScope(changes.scope) : [];
      if (errors.length > 0) throw unprocessable('inspections.invalid', errors.map((e) => e.message).join('；'), { errors });
      return db.transaction(async (tx) => {
        const updated = await inspections.update(
          {
            id,
            viewer: actor,
            values: {
              ...(changes.contact !== undefined ? { contactName: changes.contact?.name.trim() ?? null, contactPhone: changes.contact?.phone.trim() ?? null } : {}),
              ...(changes.scope ? { scope: trimScope(changes.scope) } : {}),
            },
          },
          tx,
        );
        if (!updated) throw notFound('inspections.not_found', `检查 ${id} 不存在。`);
        await auditLog.record({ actorUserId: actor.userId, action: 'update', entity: 'inspection', entityKey: updated.shortCode, details: { ...changes } }, tx);
        return updated;
      });
    },

    /**
     * Reads the notice's 附件1 or 附件2 (CSV, XLSX or JSON) and replaces the inspection's scope of the
     * kinds the table gives, keeping the other kind's. All or nothing: any bad row changes nothing.
     */
    async importScope({ id, source, actor }: { id: number; source: TableSource; actor: Viewer }): Promise<Inspection> {
      const table = await readTable(source, scopeTableSpec);
      const { kinds, groups, errors } = parseScopeRows(table);
      if (errors.length > 0) {
        throw unprocessable('import.invalid_rows', `文件中有 ${errors.length} 处错误，检查范围未导入，请改正后重新导入。`, { title: '导入文件有错误', errors });
      }
      const current = await inspections.find({ id, viewer: actor });
      if (!current) throw notFound('inspections.not_found', `检查 ${id} 不存在。`);
      return this.update({ id, changes: { scope: [...current.scope.filter((s) => !kinds.includes(s.targetKind)), ...groups] }, actor });
    },
  };
}

export type InspectionsService = ReturnType<typeof createInspectionsService>;
