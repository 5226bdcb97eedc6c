import { parseArgs } from 'node:util';
import { roles, type Role } from '../../db/schema/index.js';
import { createUnitResolver } from '../../workflows/imports/unit-names.js';
import { generatePassword } from '../../core/password.js';
import { notFound, unprocessable } from '../../core/errors.js';
import type { Services } from '../services.js';

export interface UserCommandIo {
  out(line: string): void;
  err(line: string): void;
}

export const userUsage = `Usage:
  rectify user add --username U --role admin|supervisor|officer --unit UNIT [--password P] [--display-name N]
  rectify user passwd U [--password P]     set U's password; without --password one is generated, printed once,
                                           and must be changed at the next sign-in; U's sessions end
  rectify user disable U                   deactivate U; its sessions end at once
  rectify user enable U                    reactivate U
  rectify user list [--unit UNIT]          list users (of one unit)
UNIT is a unit's code, name or alias, as in an import. Passwords: at least 10 characters, not a common password.`;

type Deps = Pick<Services, 'directory' | 'units' | 'users'>;

/** A unit given by code, name or alias; an unknown one is refused with the closest names. */
async function resolveUnit(services: Deps, text: string): Promise<{ id: number; code: string; name: string }> {
  const directory = await services.units.directory();
  const resolution = createUnitResolver(directory)(text);
  const unit = 'unitId' in resolution ? directory.find((u) => u.id === resolution.unitId) : undefined;
  if (unit) return unit;
  const suggestions = 'suggestions' in resolution ? resolution.suggestions : [];
  const hint = suggestions.length > 0 ? `，是否为：${suggestions.join('、')}？` : '。';
  throw unprocessable('users.unit_not_found', `找不到单位“${text}”（按单位代码、名称或别名查找）${hint}`, {
    errors: [{ field: 'unit', value: text, message: '单位不存在', ...(suggestions.length > 0 ? { suggestions } : {}) }],
  });
}

async function findUser(services: Deps, username: string) {
  const user = await services.users.findPublic({ username });
  if (!user) throw notFound('users.not_found', `用户 ${username} 不存在。`);
  return user;
}

/**
 * `rectify user add|passwd|disable|enable|list`. Returns the exit code; a refused change (unknown
 * unit, weak password, the last admin) is thrown as an AppError for the caller to explain.
 */
export async function runUserCommand(services: Deps, args: string[], io: UserCommandIo): Promise<number> {
  const [sub, ...rest] = args;
  const parsed = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: false,
    options: {
      username: { type: 'string' },
      role: { type: 'string' },
      unit: { type: 'string' },
      password: { type: 'string' },
      'display-name': { type: 'string' },
    },
  });
  const text = (name: string): string | undefined => {
    const value = parsed.values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const allowed: Record<string, string[]> = {
    add: ['username', 'role', 'unit', 'password', 'display-name'],
    passwd: ['username', 'password'],
    disable: ['username'],
    enable: ['username'],
    list: ['unit'],
  };
  const known = sub ? allowed[sub] : undefined;
  const unknown = Object.keys(parsed.values).filter((key) => !known?.includes(key) || typeof parsed.values[key] !== 'string');
  if (!known || unknown.length > 0 || parsed.positionals.length > (sub === 'add' || sub === 'list' ? 0 : 1)) {
    io.err(unknown.length > 0 ? `Unknown or incomplete option: --${unknown.join(', --')}\n\n${userUsage}` : userUsage);
    return 2;
  }
  const username = text('username') ?? parsed.positionals[0];

  switch (sub) {
    case 'add': {
      const role = text('role');
      const unitText = text('unit');
      if (!username || !unitText || !roles.includes(role as Role)) {
        io.err(`user add needs --username, --unit and --role admin|supervisor|officer\n\n${userUsage}`);
        return 2;
      }
      const unit = await resolveUnit(services, unitText);
      const given = text('password');
      const password = given ?? generatePassword();
      await services.directory.createUser({
        fields: { username, password, role: role as Role, unitCode: unit.code, displayName: text('display-name') ?? null, mustChangePassword: given === undefined },
        actor: null,
      });
      io.out(`Created ${role} "${username}" in ${unit.code} ${unit.name}.`);
      if (given === undefined) io.out(`Password (shown only this once, to be changed at the first sign-in): ${password}`);
      return 0;
    }
    case 'passwd': {
      if (!username) {
        io.err(userUsage);
        return 2;
      }
      const user = await findUser(services, username);
      const { generatedPassword } = await services.directory.resetPassword({ id: user.id, password: text('password'), actor: null });
      io.out(`Password of "${username}" changed; its sessions have ended.`);
      if (generatedPassword) io.out(`New password (shown only this once, to be changed at the next sign-in): ${generatedPassword}`);
      return 0;
    }
    case 'disable':
    case 'enable': {
      if (!username) {
        io.err(userUsage);
        return 2;
      }
      const user = await findUser(services, username);
      await services.directory.updateUser({ id: user.id, patch: { active: sub === 'enable' }, actor: null });
      io.out(sub === 'enable' ? `Enabled "${username}".` : `Disabled "${username}"; its sessions have ended.`);
      return 0;
    }
    case 'list': {
      const unitText = text('unit');
      const unit = unitText === undefined ? undefined : await resolveUnit(services, unitText);
      const rows = await services.users.listAll(unit ? { unitId: unit.id } : {});
      io.out(['username', 'role', 'unit', 'active', 'must change password', 'display name'].join('\t'));
      for (const row of rows) {
        io.out([row.username, row.role, `${row.unitCode} ${row.unitName}`, row.active ? 'yes' : 'no', row.mustChangePassword ? 'yes' : 'no', row.displayName ?? ''].join('\t'));
      }
      io.out(`${rows.length} user${rows.length === 1 ? '' : 's'}${unit ? ` in ${unit.code} ${unit.name}` : ''}.`);
      return 0;
    }
    default:
      io.err(userUsage);
      return 2;
  }
}
