import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUserCommand } from '../../server/commands/user.command.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { ADMIN_PASSWORD, buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { onPostgres } from '../helpers/test-database.js';

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ status, code });
  return body as { errors?: { field?: string; message: string; suggestions?: string[] }[]; detail?: string };
}

const tryLogin = (t: TestApp, username: string, password: string) => t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) } };
}

describe('accounts', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await buildTestApp();
    admin = await t.login('admin');
    for (const unit of [
      { code: 'YY-GOV', name: '益阳市人民政府办公室', kind: 'other', parentCode: 'ROOT' },
      { code: 'YY-WJW', name: '益阳市卫生健康委员会', aliases: ['市卫生健康委'], kind: 'city_department', parentCode: 'YY-GOV' },
    ]) {
      expect((await t.request(admin, 'POST', '/api/units', unit)).statusCode).toBe(201);
    }
  });
  afterAll(() => t.close());

  const createUser = async (username: string, extra: Record<string, unknown> = {}) => {
    const response = await t.request(admin, 'POST', '/api/users', { username, role: 'officer', unitCode: 'YY-WJW', ...extra });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: number; mustChangePassword: boolean; generatedPassword?: string };
  };

  describe('the password policy', () => {
    it('refuses a password shorter than 10 characters with 400 naming `password`', async () => {
      const body = expectProblem(await t.request(admin, 'POST', '/api/users', { username: 'short1', password: 'abc12345', role: 'officer', unitCode: 'YY-WJW' }), 400, 'request.validation_failed');
      expect(body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
      expect(await t.services.users.exists({ username: 'short1' })).toBe(false);
    });

    it('refuses common passwords and their trivial variants, however long', async () => {
      for (const password of ['password123', '1234567890', 'qwertyuiop', 'Password123!', 'iloveyou12']) {
        const body = expectProblem(await t.request(admin, 'POST', '/api/users', { username: 'common1', password, role: 'officer', unitCode: 'YY-WJW' }), 422, 'auth.password_policy');
        expect(body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
      }
    });

    it('applies to PUT /api/me/password, naming `newPassword`', async () => {
      await createUser('policy-user', { password: 'policy-user-pass-1' });
      const token = await t.login('policy-user', 'policy-user-pass-1');
      const short = expectProblem(await t.request(token, 'PUT', '/api/me/password', { currentPassword: 'policy-user-pass-1', newPassword: 'short-pw' }), 400, 'request.validation_failed');
      expect(short.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);
      const common = expectProblem(await t.request(token, 'PUT', '/api/me/password', { currentPassword: 'policy-user-pass-1', newPassword: 'password123' }), 422, 'auth.password_policy');
      expect(common.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);
      expect((await tryLogin(t, 'policy-user', 'policy-user-pass-1')).statusCode).toBe(200);
    });

    it('applies to RECTIFY_ADMIN_PASSWORD, without echoing the value', () => {
      for (const value of ['short', 'password123']) {
        let error: unknown;
        try {
          loadConfig({ RECTIFY_ADMIN_PASSWORD: value });
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toContain('RECTIFY_ADMIN_PASSWORD');
        expect((error as ConfigError).message).not.toContain(value);
      }
      expect(loadConfig({ RECTIFY_ADMIN_PASSWORD: ADMIN_PASSWORD }).adminPassword).toBe(ADMIN_PASSWORD);
    });
  });

  describe('a generated password must be changed first', () => {
    it('POST /api/users without a password answers the generated one once; until changed only me, password and logout work', async () => {
      const created = await createUser('newcomer');
      expect(created.mustChangePassword).toBe(true);
      expect(created.generatedPassword).toMatch(/^[A-Za-z0-9]{16}$/);
      const generated = created.generatedPassword ?? '';

      const login = await tryLogin(t, 'newcomer', generated);
      expect(login.statusCode).toBe(200);
      expect(login.json().user).toMatchObject({ username: 'newcomer', mustChangePassword: true });
      const token = login.json().token as string;

      expectProblem(await t.request(token, 'GET', '/api/tickets'), 403, 'auth.password_change_required');
      expectProblem(await t.request(token, 'GET', '/api/units'), 403, 'auth.password_change_required');
      const me = await t.request(token, 'GET', '/api/me');
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ user: { mustChangePassword: true }, unit: { code: 'YY-WJW', name: '益阳市卫生健康委员会' } });

      const wrong = expectProblem(await t.request(token, 'PUT', '/api/me/password', { currentPassword: 'not-it-at-all', newPassword: 'a-fresh-pass-for-me' }), 422, 'auth.wrong_password');
      expect(wrong.errors).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
      const same = expectProblem(await t.request(token, 'PUT', '/api/me/password', { currentPassword: generated, newPassword: generated }), 422, 'auth.password_policy');
      expect(same.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);

      expect((await t.request(token, 'PUT', '/api/me/password', { currentPassword: generated, newPassword: 'a-fresh-pass-for-me' })).statusCode).toBe(204);
      expect((await t.request(token, 'GET', '/api/tickets')).statusCode).toBe(200);
      expect((await t.request(token, 'GET', '/api/me')).json().user.mustChangePassword).toBe(false);
      expect((await tryLogin(t, 'newcomer', generated)).statusCode).toBe(401);
      expect((await tryLogin(t, 'newcomer', 'a-fresh-pass-for-me')).statusCode).toBe(200);
    });

    it('lets a user that must change its password sign out', async () => {
      const created = await createUser('leaver');
      const token = await t.login('leaver', created.generatedPassword);
      expect((await t.request(token, 'POST', '/api/auth/logout')).statusCode).toBe(204);
      expectProblem(await t.request(token, 'GET', '/api/me'), 401, 'auth.unauthenticated');
    });
  });

  it('a password change ends the user’s other sessions and keeps the one that made it', async () => {
    await createUser('two-tabs', { password: 'two-tabs-password-1' });
    const here = await t.login('two-tabs', 'two-tabs-password-1');
    const elsewhere = await t.login('two-tabs', 'two-tabs-password-1');
    expect((await t.request(here, 'PUT', '/api/me/password', { currentPassword: 'two-tabs-password-1', newPassword: 'two-tabs-password-2' })).statusCode).toBe(204);
    expect((await t.request(here, 'GET', '/api/me')).statusCode).toBe(200);
    expectProblem(await t.request(elsewhere, 'GET', '/api/me'), 401, 'auth.unauthenticated');
  });

  describe('POST /api/users/:id/reset-password', () => {
    it('answers a new generated password once, ends the user’s sessions, and makes it change the password at next sign-in', async () => {
      const user = await createUser('forgetful', { password: 'forgetful-password-1' });
      const session = await t.login('forgetful', 'forgetful-password-1');
      const response = await t.request(admin, 'POST', `/api/users/${user.id}/reset-password`);
      expect(response.statusCode).toBe(200);
      const body = response.json() as { user: { username: string; mustChangePassword: boolean }; generatedPassword: string };
      expect(body.user).toMatchObject({ username: 'forgetful', mustChangePassword: true });
      expect(body.generatedPassword).toMatch(/^[A-Za-z0-9]{16}$/);

      expectProblem(await t.request(session, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      expect((await tryLogin(t, 'forgetful', 'forgetful-password-1')).statusCode).toBe(401);
      const fresh = await t.login('forgetful', body.generatedPassword);
      expectProblem(await t.request(fresh, 'GET', '/api/tickets'), 403, 'auth.password_change_required');
    });

    it('is for admins only, and answers 404 for an unknown user', async () => {
      const user = await createUser('not-admin', { password: 'not-admin-password' });
      const token = await t.login('not-admin', 'not-admin-password');
      expectProblem(await t.request(token, 'POST', `/api/users/${user.id}/reset-password`), 403, 'auth.forbidden');
      expectProblem(await t.request(admin, 'POST', '/api/users/987654/reset-password'), 404, 'users.not_found');
    });
  });

  describe('PATCH /api/users/:id', () => {
    it('changes the display name, role and unit', async () => {
      const user = await createUser('mover', { password: 'mover-password-1' });
      const response = await t.request(admin, 'PATCH', `/api/users/${user.id}`, { displayName: '张三', role: 'supervisor', unitCode: 'YY-GOV' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: user.id, displayName: '张三', role: 'supervisor', unitCode: 'YY-GOV', unitName: '益阳市人民政府办公室', active: true });
      const token = await t.login('mover', 'mover-password-1');
      expect((await t.request(token, 'GET', '/api/me')).json()).toMatchObject({ user: { role: 'supervisor' }, unit: { code: 'YY-GOV' } });
    });

    it('deactivation ends live sessions at once and refuses sign-in; reactivation allows it again', async () => {
      const user = await createUser('paused', { password: 'paused-password-1' });
      const session = await t.login('paused', 'paused-password-1');
      expect((await t.request(admin, 'PATCH', `/api/users/${user.id}`, { active: false })).json()).toMatchObject({ active: false });
      expectProblem(await t.request(session, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      expectProblem(await tryLogin(t, 'paused', 'paused-password-1'), 401, 'auth.invalid_credentials');

      expect((await t.request(admin, 'PATCH', `/api/users/${user.id}`, { active: true })).statusCode).toBe(200);
      // The old session stays ended; a new sign-in works.
      expectProblem(await t.request(session, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      expect((await tryLogin(t, 'paused', 'paused-password-1')).statusCode).toBe(200);
    });

    it('refuses bad input with 4xx naming the field', async () => {
      const user = await createUser('patchy', { password: 'patchy-password-1' });
      const unknownUnit = expectProblem(await t.request(admin, 'PATCH', `/api/users/${user.id}`, { unitCode: 'NOPE' }), 422, 'users.unit_not_found');
      expect(unknownUnit.errors).toEqual([expect.objectContaining({ field: 'unitCode' })]);
      const unknownField = expectProblem(await t.request(admin, 'PATCH', `/api/users/${user.id}`, { password: 'x-y-z-w-v-u' }), 400, 'request.validation_failed');
      expect(unknownField.errors).toContainEqual(expect.objectContaining({ field: 'password' }));
      expectProblem(await t.request(admin, 'PATCH', `/api/users/${user.id}`, {}), 400, 'request.validation_failed');
      expectProblem(await t.request(admin, 'PATCH', `/api/users/${user.id}`, { role: 'boss' }), 400, 'request.validation_failed');
      expectProblem(await t.request(admin, 'PATCH', '/api/users/987654', { active: false }), 404, 'users.not_found');
      expectProblem(await t.request(admin, 'PATCH', '/api/users/99999999999', { active: false }), 400, 'request.validation_failed');
    });

    it('keeps at least one active admin: the last one can be neither deactivated nor demoted', async () => {
      const me = (await t.request(admin, 'GET', '/api/me')).json() as { user: { id: number } };
      expectProblem(await t.request(admin, 'PATCH', `/api/users/${me.user.id}`, { active: false }), 409, 'users.last_admin');
      expectProblem(await t.request(admin, 'PATCH', `/api/users/${me.user.id}`, { role: 'supervisor' }), 409, 'users.last_admin');
      expect((await t.request(admin, 'GET', '/api/me')).statusCode).toBe(200);
    });

    it('is for admins only', async () => {
      const user = await createUser('curious', { password: 'curious-password-1' });
      const token = await t.login('curious', 'curious-password-1');
      expectProblem(await t.request(token, 'PATCH', `/api/users/${user.id}`, { role: 'admin' }), 403, 'auth.forbidden');
    });
  });

  it('GET /api/users lists users with their unit and flags', async () => {
    const response = await t.request(admin, 'GET', '/api/users?limit=200');
    expect(response.statusCode).toBe(200);
    const items = (response.json() as { items: { username: string; unitName: string; mustChangePassword: boolean }[] }).items;
    expect(items.find((u) => u.username === 'admin')).toMatchObject({ unitName: '系统管理', mustChangePassword: false });
  });

  describe('rectify user', () => {
    it('add takes --unit as a code, a name or an alias; without --password prints one that must be changed', async () => {
      const byAlias = capture();
      expect(await runUserCommand(t.services, ['add', '--username', 'cli-one', '--role', 'officer', '--unit', '市卫生健康委'], byAlias.io)).toBe(0);
      expect(byAlias.out.join('\n')).toContain('YY-WJW 益阳市卫生健康委员会');
      const password = /: ([A-Za-z0-9]{16})$/.exec(byAlias.out.find((l) => l.startsWith('Password')) ?? '')?.[1] ?? '';
      const login = await tryLogin(t, 'cli-one', password);
      expect(login.json().user).toMatchObject({ unitCode: 'YY-WJW', mustChangePassword: true });

      const byName = capture();
      expect(await runUserCommand(t.services, ['add', '--username', 'cli-two', '--role', 'supervisor', '--unit', '益阳市人民政府办公室', '--password', 'cli-two-password'], byName.io)).toBe(0);
      expect((await tryLogin(t, 'cli-two', 'cli-two-password')).json().user).toMatchObject({ unitCode: 'YY-GOV', mustChangePassword: false });
    });

    it('add refuses an unknown unit with the closest names, and a weak password', async () => {
      await expect(runUserCommand(t.services, ['add', '--username', 'cli-x', '--role', 'officer', '--unit', '益阳市卫生委员会'], capture().io)).rejects.toMatchObject({
        code: 'users.unit_not_found',
        detail: expect.stringContaining('益阳市卫生健康委员会'),
      });
      await expect(runUserCommand(t.services, ['add', '--username', 'cli-x', '--role', 'officer', '--unit', 'YY-WJW', '--password', 'short'], capture().io)).rejects.toMatchObject({
        code: 'auth.password_policy',
        errors: [expect.objectContaining({ field: 'password' })],
      });
      expect(await t.services.users.exists({ username: 'cli-x' })).toBe(false);
    });

    it('passwd, disable, enable and list', async () => {
      await createUser('cli-three', { password: 'cli-three-password' });
      const session = await t.login('cli-three', 'cli-three-password');

      expect(await runUserCommand(t.services, ['passwd', 'cli-three', '--password', 'cli-three-password-2'], capture().io)).toBe(0);
      expectProblem(await t.request(session, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      expect((await tryLogin(t, 'cli-three', 'cli-three-password-2')).json().user.mustChangePassword).toBe(false);
      await expect(runUserCommand(t.services, ['passwd', 'cli-three', '--password', '12345'], capture().io)).rejects.toMatchObject({ code: 'auth.password_policy' });

      const generated = capture();
      expect(await runUserCommand(t.services, ['passwd', 'cli-three'], generated.io)).toBe(0);
      const password = /: ([A-Za-z0-9]{16})$/.exec(generated.out.at(-1) ?? '')?.[1] ?? '';
      expect((await tryLogin(t, 'cli-three', password)).json().user.mustChangePassword).toBe(true);

      const live = await t.login('cli-three', password);
      expect(await runUserCommand(t.services, ['disable', 'cli-three'], capture().io)).toBe(0);
      expectProblem(await t.request(live, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      expect((await tryLogin(t, 'cli-three', password)).statusCode).toBe(401);
      expect(await runUserCommand(t.services, ['enable', 'cli-three'], capture().io)).toBe(0);
      expect((await tryLogin(t, 'cli-three', password)).statusCode).toBe(200);

      const listed = capture();
      expect(await runUserCommand(t.services, ['list', '--unit', '市卫生健康委'], listed.io)).toBe(0);
      const lines = listed.out.join('\n');
      expect(lines).toContain('cli-three\tofficer\tYY-WJW 益阳市卫生健康委员会\tyes\tyes');
      expect(lines).not.toMatch(/^admin\t/m);
      await expect(runUserCommand(t.services, ['disable', 'admin'], capture().io)).rejects.toMatchObject({ code: 'users.last_admin' });
      await expect(runUserCommand(t.services, ['disable', 'nobody-by-that-name'], capture().io)).rejects.toMatchObject({ code: 'users.not_found' });
    });

    it('answers usage with exit code 2 for an unknown subcommand or option', async () => {
      const bad = capture();
      expect(await runUserCommand(t.services, ['rename', 'x'], bad.io)).toBe(2);
      expect(bad.err.join('\n')).toContain('rectify user passwd');
      expect(await runUserCommand(t.services, ['disable', 'x', '--force'], capture().io)).toBe(2);
    });
  });
});

describe.skipIf(!onPostgres)('two admins deactivating each other at once (PostgreSQL)', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('lets exactly one of them succeed, so an active admin remains', async () => {
    t = await buildTestApp();
    const admin = await t.login('admin');
    const created = await t.request(admin, 'POST', '/api/users', { username: 'admin2', password: 'second-admin-password', role: 'admin', unitCode: 'ROOT' });
    expect(created.statusCode).toBe(201);
    const admin2 = await t.login('admin2', 'second-admin-password');
    const ids = {
      admin: ((await t.request(admin, 'GET', '/api/me')).json() as { user: { id: number } }).user.id,
      admin2: (created.json() as { id: number }).id,
    };
    const results = await Promise.all([
      t.request(admin, 'PATCH', `/api/users/${ids.admin2}`, { active: false }),
      t.request(admin2, 'PATCH', `/api/users/${ids.admin}`, { active: false }),
    ]);
    const statuses = results.map((r) => r.statusCode).sort();
    // The loser is refused either as the last admin or, if the winner deactivated it first, as signed out.
    expect(statuses[0]).toBe(200);
    expect([401, 409]).toContain(statuses[1]);
    const active = (await t.services.users.listAll()).filter((u) => u.role === 'admin' && u.active);
    expect(active).toHaveLength(1);
  });
});
