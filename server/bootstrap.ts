import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { users } from '../db/schema/index.js';
import { generatePassword } from '../core/password.js';
import type { Db } from '../db/client.js';
import { createSettingsRepository } from '../db/repositories/settings.repository.js';
import type { Config } from './config.js';
import type { Services } from './services.js';

/** JWT_SECRET when set; otherwise a secret generated once into DATA_DIR, so tokens survive a restart. */
export function resolveJwtSecret(config: Pick<Config, 'jwtSecret' | 'dataDir'>): string {
  if (config.jwtSecret) return config.jwtSecret;
  const file = path.join(config.dataDir, 'jwt-secret');
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export const ROOT_UNIT_CODE = 'ROOT';

/**
 * The first start creates the `admin` user (in a root unit, since every user belongs to one)
 * with RECTIFY_ADMIN_PASSWORD, or a generated password that is printed this once. Under the
 * start-up lock: instances starting together on a new database would otherwise both find no
 * admin, and the slower one would stop on the duplicate.
 */
export async function ensureAdmin(
  services: Pick<Services, 'database' | 'db' | 'units' | 'directory'>,
  options: { password: string | undefined; print: (line: string) => void },
): Promise<void> {
  await services.database.exclusively(() => createFirstAdmin(services, options));
}

async function createFirstAdmin(
  services: Pick<Services, 'db' | 'units' | 'directory'>,
  options: { password: string | undefined; print: (line: string) => void },
): Promise<void> {
  const [existing] = await services.db.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).limit(1);
  if (existing) return;
  let root = await services.units.findByCode({ code: ROOT_UNIT_CODE });
  if (!root) {
    const created = await services.units.create({
      input: { code: ROOT_UNIT_CODE, name: '系统管理', kind: 'other', parentId: null, aliases: [], emails: [] },
      parentPath: null,
    });
    root = { ...created, parentCode: null };
  }
  const password = options.password ?? generatePassword();
  await services.directory.createUser({
    fields: { username: 'admin', password, role: 'admin', unitCode: root.code, displayName: '系统管理员', mustChangePassword: !options.password },
    actor: null,
  });
  if (!options.password) {
    options.print(`Created the administrator "admin" with password: ${password}`);
    options.print('It is shown only this once and must be changed at the first sign-in (PUT /api/me/password, or the web sign-in page).');
    options.print('To choose it yourself instead, set RECTIFY_ADMIN_PASSWORD before the first start.');
  }
}

/**
 * The base of links in emails. The server stores the address it serves at; other commands (import,
 * sweep, demo) use PUBLIC_URL when given, else that stored address, so their links open the server
 * people use whatever port it runs on.
 */
export async function resolvePublicUrl(db: Db, config: Pick<Config, 'publicUrl' | 'publicUrlConfigured'>, role: 'server' | 'command'): Promise<string> {
  const settings = createSettingsRepository({ db });
  if (role === 'server') {
    await settings.set({ key: 'public_url', value: config.publicUrl });
    return config.publicUrl;
  }
  if (config.publicUrlConfigured) return config.publicUrl;
  return (await settings.get({ key: 'public_url' })) ?? config.publicUrl;
}
