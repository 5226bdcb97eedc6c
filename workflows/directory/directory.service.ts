import { isUniqueViolation } from '../../db/errors.js';
import type { AuditLogRepository } from '../../db/repositories/audit-log.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { UnitInput, UnitsRepository, UnitWithParent } from '../../db/repositories/units.repository.js';
import type { SessionsRepository } from '../../db/repositories/sessions.repository.js';
import type { PublicUser, UsersRepository } from '../../db/repositories/users.repository.js';
import type { Db } from '../../db/client.js';
import type { Role, UnitKind } from '../../db/schema/index.js';
import { generatePassword, hashPassword, verifyPassword } from '../../core/password.js';
import { assertPasswordPolicy } from '../../core/password-policy.js';
import { conflict, notFound, unprocessable } from '../../core/errors.js';

export interface UnitFields {
  code: string;
  name: string;
  aliases?: string[];
  kind: UnitKind;
  parentCode?: string | null;
  emails?: string[];
  leaderEmails?: string[];
  contact?: { name?: string | null; phone?: string | null };
}

export interface NewUserFields {
  username: string;
  password: string;
  role: Role;
  unitCode: string;
  displayName?: string | null;
  email?: string | null;
  /** For a generated password: the user must choose its own at first sign-in. */
  mustChangePassword?: boolean;
}

/** What an administrator may change on a user (PATCH /api/users/:id, `rectify user disable|enable`). */
export interface UserPatch {
  displayName?: string | null;
  email?: string | null;
  role?: Role;
  unitCode?: string;
  active?: boolean;
}

interface Deps {
  db: Db;
  units: UnitsRepository;
  users: UsersRepository;
  sessions: SessionsRepository;
  auditLog: AuditLogRepository;
}

const uniqueMessages: Record<string, [string, string]> = {
  units_code_unique: ['units.code_taken', '单位代码已存在'],
  units_name_unique: ['units.name_taken', '单位名称已存在'],
  users_username_unique: ['users.username_taken', '用户名已存在'],
};

function rethrowUnique(error: unknown): never {
  for (const [constraint, [code, message]] of Object.entries(uniqueMessages)) {
    if (isUniqueViolation(error, constraint)) throw conflict(code, message);
  }
  throw error;
}

/** Units and users: the directory administrators keep, with every change in the audit log. */
export function createDirectoryService({ db, units, users, sessions, auditLog }: Deps) {
  async function parentFor(parentCode: string | null | undefined, tx: Db) {
    if (parentCode === null || parentCode === undefined) return null;
    const parent = await units.findByCode({ code: parentCode }, tx);
    if (!parent) {
      throw unprocessable('units.parent_not_found', `上级单位 ${parentCode} 不存在`, {
        errors: [{ field: 'parentCode', value: parentCode, message: '上级单位不存在' }],
      });
    }
    return parent;
  }

  function toInput(fields: Partial<UnitFields>): Partial<UnitInput> {
    const input: Partial<UnitInput> = {};
    if (fields.code !== undefined) input.code = fields.code;
    if (fields.name !== undefined) input.name = fields.name.trim();
    if (fields.aliases !== undefined) input.aliases = [...new Set(fields.aliases.map((a) => a.trim()).filter(Boolean))];
    if (fields.kind !== undefined) input.kind = fields.kind;
    if (fields.emails !== undefined) input.emails = [...new Set(fields.emails.map((e) => e.trim().toLowerCase()))];
    if (fields.leaderEmails !== undefined) input.leaderEmails = [...new Set(fields.leaderEmails.map((e) => e.trim().toLowerCase()))];
    if (fields.contact !== undefined) {
      if (fields.contact.name !== undefined) input.contactName = fields.contact.name;
      if (fields.contact.phone !== undefined) input.contactPhone = fields.contact.phone;
    }
    return input;
  }

  return {
    async createUnit({ fields, actor }: { fields: UnitFields; actor: Viewer | null }): Promise<UnitWithParent> {
      try {
        return await db.transaction(async (tx) => {
          const parent = await parentFor(fields.parentCode, tx);
          const input = { ...toInput(fields), parentId: parent?.id ?? null } as UnitInput;
          const unit = await units.create({ input, parentPath: parent?.path ?? null }, tx);
          await auditLog.record({ actorUserId: actor?.userId ?? null, action: 'create', entity: 'unit', entityKey: unit.code, details: { ...fields } }, tx);
          return { ...unit, parentCode: parent?.code ?? null };
        });
      } catch (error) {
        rethrowUnique(error);
      }
    },

    async updateUnit({ code, fields, actor }: { code: string; fields: Partial<Omit<UnitFields, 'code'>>; actor: Viewer }): Promise<UnitWithParent> {
      try {
        return await db.transaction(async (tx) => {
          const unit = await units.findByCode({ code, viewer: actor }, tx);
          if (!unit) throw notFound('units.not_found', `单位 ${code} 不存在`);
          let newParent: UnitWithParent | null | undefined;
          if (fields.parentCode !== undefined) {
            newParent = await parentFor(fields.parentCode, tx);
            if (newParent && newParent.path.startsWith(unit.path)) {
              throw unprocessable('units.parent_cycle', '上级单位不能是本单位或其下级单位', {
                errors: [{ field: 'parentCode', value: fields.parentCode, message: '会形成循环的上下级关系' }],
              });
            }
          }
          const updated = await units.update({ unit, patch: toInput(fields), newParent }, tx);
          await auditLog.record({ actorUserId: actor.userId, action: 'update', entity: 'unit', entityKey: code, details: { ...fields } }, tx);
          const parentCode = newParent !== undefined ? (newParent?.code ?? null) : unit.parentCode;
          return { ...updated, parentCode };
        });
      } catch (error) {
        rethrowUnique(error);
      }
    },

    async createUser({ fields, actor }: { fields: NewUserFields; actor: Viewer | null }): Promise<PublicUser> {
      assertPasswordPolicy(fields.password, 'password');
      const passwordHash = await hashPassword(fields.password);
      try {
        return await db.transaction(async (tx) => {
          const unit = await units.findByCode({ code: fields.unitCode }, tx);
          if (!unit) {
            throw unprocessable('users.unit_not_found', `单位 ${fields.unitCode} 不存在`, {
              errors: [{ field: 'unitCode', value: fields.unitCode, message: '单位不存在' }],
            });
          }
          const user = await users.create(
            {
              username: fields.username,
              passwordHash,
              role: fields.role,
              unitId: unit.id,
              displayName: fields.displayName ?? null,
              email: fields.email ?? null,
              mustChangePassword: fields.mustChangePassword ?? false,
            },
            tx,
          );
          const { password: _secret, ...logged } = fields;
          await auditLog.record({ actorUserId: actor?.userId ?? null, action: 'create', entity: 'user', entityKey: user.username, details: logged }, tx);
          const { passwordHash: _hash, ...rest } = user;
          return { ...rest, unitCode: unit.code, unitName: unit.name };
        });
      } catch (error) {
        rethrowUnique(error);
      }
    },

    async updateUser({ id, patch, actor }: { id: number; patch: UserPatch; actor: Viewer | null }): Promise<PublicUser> {
      return db.transaction(async (tx) => {
        const user = await users.findPublic({ id }, tx);
        if (!user) throw notFound('users.not_found', `用户 ${id} 不存在。`);
        let unitId: number | undefined;
        if (patch.unitCode !== undefined) {
          const unit = await units.findByCode({ code: patch.unitCode }, tx);
          if (!unit) {
            throw unprocessable('users.unit_not_found', `单位 ${patch.unitCode} 不存在`, {
              errors: [{ field: 'unitCode', value: patch.unitCode, message: '单位不存在' }],
            });
          }
          unitId = unit.id;
        }
        const losesAdmin = user.role === 'admin' && user.active && ((patch.role !== undefined && patch.role !== 'admin') || patch.active === false);
        if (losesAdmin) {
          const admins = await users.lockActiveAdmins(tx);
          if (!admins.some((adminId) => adminId !== user.id)) {
            throw conflict('users.last_admin', '这是唯一在用的管理员账号，不能停用或改为其他角色；请先为另一位用户设置管理员角色。', {
              errors: [{ field: patch.active === false ? 'active' : 'role', message: '至少需要保留一名在用的管理员' }],
            });
          }
        }
        const { unitCode: _code, ...columns } = patch;
        await users.update({ id, patch: { ...columns, ...(unitId !== undefined ? { unitId } : {}) } }, tx);
        // Deactivation ends every session now (authenticate also checks `active`), so re-enabling
        // the account later does not bring old tokens back.
        if (patch.active === false) await sessions.revokeAllOfUser({ userId: id, at: new Date() }, tx);
        await auditLog.record({ actorUserId: actor?.userId ?? null, action: 'update', entity: 'user', entityKey: user.username, details: { ...patch } }, tx);
        const updated = await users.findPublic({ id }, tx);
        if (!updated) throw notFound('users.not_found', `用户 ${id} 不存在。`);
        return updated;
      });
    },

    /**
     * An administrator sets a password for a user: a generated one (shown once, to be changed at the
     * next sign-in) unless `password` is given (the command line's `user passwd --password`). Either
     * way every session of the user ends.
     */
    async resetPassword({ id, password, actor }: { id: number; password?: string; actor: Viewer | null }): Promise<{ user: PublicUser; generatedPassword: string | undefined }> {
      if (password !== undefined) assertPasswordPolicy(password, 'password');
      const chosen = password ?? generatePassword();
      const passwordHash = await hashPassword(chosen);
      return db.transaction(async (tx) => {
        const user = await users.findPublic({ id }, tx);
        if (!user) throw notFound('users.not_found', `用户 ${id} 不存在。`);
        await users.setPassword({ id, passwordHash, mustChangePassword: password === undefined }, tx);
        await sessions.revokeAllOfUser({ userId: id, at: new Date() }, tx);
        await auditLog.record({ actorUserId: actor?.userId ?? null, action: 'reset_password', entity: 'user', entityKey: user.username, details: { generated: password === undefined } }, tx);
        const updated = await users.findPublic({ id }, tx);
        if (!updated) throw notFound('users.not_found', `用户 ${id} 不存在。`);
        return { user: updated, generatedPassword: password === undefined ? chosen : undefined };
      });
    },

    /** A user changes its own password: the current one is checked, every other session of the user ends. */
    async changeOwnPassword({ userId, sessionId, currentPassword, newPassword }: { userId: number; sessionId: string; currentPassword: string; newPassword: string }): Promise<void> {
      const credentials = await users.findCredentials({ id: userId });
      if (!credentials || !(await verifyPassword(currentPassword, credentials.passwordHash))) {
        throw unprocessable('auth.wrong_password', '当前密码不正确。', { errors: [{ field: 'currentPassword', message: '当前密码不正确' }] });
      }
      if (newPassword === currentPassword) {
        throw unprocessable('auth.password_policy', '新密码不能与当前密码相同。', {
          title: '密码不符合要求',
          errors: [{ field: 'newPassword', message: '新密码不能与当前密码相同' }],
        });
      }
      assertPasswordPolicy(newPassword, 'newPassword');
      const passwordHash = await hashPassword(newPassword);
      await db.transaction(async (tx) => {
        await users.setPassword({ id: userId, passwordHash, mustChangePassword: false }, tx);
        await sessions.revokeAllOfUser({ userId, except: sessionId, at: new Date() }, tx);
        await auditLog.record({ actorUserId: userId, action: 'change_password', entity: 'user', entityKey: credentials.username, details: {} }, tx);
      });
    },
  };
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;
