import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../db/schema/index.js';
import { buildApp } from '../../server/app.js';
import { createServices } from '../../server/services.js';
import { ADMIN_PASSWORD, buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { loadAuditKey } from '../../server/audit-key.js';

const COOKIE = 'rectify_session';

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ status, code });
}

function setCookieOf(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const value = Array.isArray(header) ? header.find((h) => h.startsWith(`${COOKIE}=`)) : header;
  if (!value) throw new Error(`no ${COOKIE} cookie in ${JSON.stringify(response.headers)}`);
  return value;
}

/** Signs in over HTTP and returns the bearer token and the cookie the browser would send back. */
async function signIn(t: TestApp, username: string, password: string) {
  const response = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  expect(response.statusCode).toBe(200);
  const setCookie = setCookieOf(response);
  const cookie = setCookie.split(';')[0] ?? '';
  return { token: (response.json() as { token: string }).token, cookie, setCookie, body: response.json() };
}

const withCookie = (t: TestApp, cookie: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, options: { csrf?: boolean; body?: object } = {}) =>
  t.app.inject({
    method,
    url,
    headers: { cookie, ...(options.csrf ? { 'x-rectify-request': '1' } : {}) },
    ...(options.body ? { payload: options.body } : {}),
  });

describe('browser sessions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
    const admin = await t.login('admin');
    const created = await t.request(admin, 'POST', '/api/users', { username: 'clerk', password: 'clerk-password', role: 'officer', unitCode: 'ROOT' });
    expect(created.statusCode).toBe(201);
  });
  afterAll(() => t.close());

  describe('POST /api/auth/login', () => {
    it('answers {token, user} and sets an HttpOnly, SameSite=Strict, Path=/ cookie holding the token (Secure, as PUBLIC_URL is https)', async () => {
      const { token, cookie, setCookie, body } = await signIn(t, 'admin', ADMIN_PASSWORD);
      expect(body.user).toMatchObject({ username: 'admin', role: 'admin', unitCode: 'ROOT', mustChangePassword: false });
      expect(cookie).toBe(`${COOKIE}=${token}`);
      const attributes = setCookie.split(';').map((a) => a.trim().toLowerCase());
      expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/', 'secure']));
      expect(attributes.find((a) => a.startsWith('max-age='))).toBe(`max-age=${8 * 3600}`);
    });

    it('leaves Secure off when the public address is plain http', async () => {
      // A second app on the same database, as a server configured with PUBLIC_URL=http://… would be.
      const services = createServices({ database: t.db, publicUrl: 'http://127.0.0.1:3000', mailFrom: 'Rectify <rectify@rectify.test>', now: t.clock.now, files: t.services.files, auditKey: loadAuditKey({ dataDir: t.db.dataDir }) });
      const plain = await buildApp({ config: { jwtExpiresIn: '8h', loginMaxPerMinute: 1000 }, jwtSecret: t.jwtSecret, services });
      try {
        const response = await plain.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } });
        const setCookie = setCookieOf(response).toLowerCase();
        expect(setCookie).not.toContain('secure');
        expect(setCookie).toContain('httponly');
      } finally {
        await plain.close();
      }
    });
  });

  describe('a request with the cookie alone', () => {
    it('reads: GET /api/me answers the user, its unit (code and name) and mustChangePassword', async () => {
      const { cookie } = await signIn(t, 'clerk', 'clerk-password');
      const response = await withCookie(t, cookie, 'GET', '/api/me');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        user: { username: 'clerk', role: 'officer', unitCode: 'ROOT', unitName: '系统管理', mustChangePassword: false },
        unit: { code: 'ROOT', name: '系统管理' },
      });
    });

    it('changes something only with X-Rectify-Request: 1; without it the answer is 403 auth.csrf and nothing changes', async () => {
      const { cookie } = await signIn(t, 'admin', ADMIN_PASSWORD);
      const unit = { code: 'CSRF-1', name: '跨站测试单位', kind: 'other', parentCode: 'ROOT' };
      expectProblem(await withCookie(t, cookie, 'POST', '/api/units', { body: unit }), 403, 'auth.csrf');
      expect(await t.services.units.findByCode({ code: 'CSRF-1' })).toBeUndefined();
      const wrongValue = await t.app.inject({ method: 'POST', url: '/api/units', headers: { cookie, 'x-rectify-request': 'yes' }, payload: unit });
      expectProblem(wrongValue, 403, 'auth.csrf');
      const allowed = await withCookie(t, cookie, 'POST', '/api/units', { body: unit, csrf: true });
      expect(allowed.statusCode).toBe(201);
    });

    it('leaves bearer-token requests alone: no header needed, even when a cookie is sent too', async () => {
      const { token, cookie } = await signIn(t, 'admin', ADMIN_PASSWORD);
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/units',
        headers: { authorization: `Bearer ${token}`, cookie },
        payload: { code: 'CSRF-2', name: '令牌测试单位', kind: 'other', parentCode: 'ROOT' },
      });
      expect(response.statusCode).toBe(201);
    });

    it('is refused with 401 when the cookie holds no valid token', async () => {
      expectProblem(await withCookie(t, `${COOKIE}=not.a.token`, 'GET', '/api/me'), 401, 'auth.unauthenticated');
    });
  });

  describe('POST /api/auth/logout', () => {
    it('ends the session: afterwards both its cookie and its token answer 401, and the cookie is cleared', async () => {
      const { token, cookie } = await signIn(t, 'clerk', 'clerk-password');
      const other = await signIn(t, 'clerk', 'clerk-password');
      expect((await withCookie(t, cookie, 'GET', '/api/me')).statusCode).toBe(200);

      const response = await withCookie(t, cookie, 'POST', '/api/auth/logout', { csrf: true });
      expect(response.statusCode).toBe(204);
      const cleared = setCookieOf(response).toLowerCase();
      expect(cleared.startsWith(`${COOKIE}=;`)).toBe(true);
      expect(cleared).toContain('max-age=0');

      expectProblem(await withCookie(t, cookie, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      expectProblem(await t.request(token, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      // Only that session: the same user's other sign-in goes on.
      expect((await t.request(other.token, 'GET', '/api/me')).statusCode).toBe(200);
    });

    it('ends a bearer session too', async () => {
      const { token } = await signIn(t, 'clerk', 'clerk-password');
      expect((await t.request(token, 'POST', '/api/auth/logout')).statusCode).toBe(204);
      expectProblem(await t.request(token, 'GET', '/api/me'), 401, 'auth.unauthenticated');
    });

    it('refuses a cookie logout without X-Rectify-Request (a cross-site page cannot sign the user out) and keeps the session', async () => {
      const { cookie } = await signIn(t, 'clerk', 'clerk-password');
      expectProblem(await withCookie(t, cookie, 'POST', '/api/auth/logout'), 403, 'auth.csrf');
      expect((await withCookie(t, cookie, 'GET', '/api/me')).statusCode).toBe(200);
    });

    it('clears the cookie even when the session is already gone', async () => {
      const response = await withCookie(t, `${COOKIE}=stale`, 'POST', '/api/auth/logout', { csrf: true });
      expect(response.statusCode).toBe(204);
      expect(setCookieOf(response)).toContain('Max-Age=0');
    });
  });

  it('stops a deactivated user at once: a live session answers 401 on its next request', async () => {
    const { cookie, token } = await signIn(t, 'clerk', 'clerk-password');
    expect((await withCookie(t, cookie, 'GET', '/api/me')).statusCode).toBe(200);
    await t.db.db.update(users).set({ active: false }).where(eq(users.username, 'clerk'));
    try {
      expectProblem(await withCookie(t, cookie, 'GET', '/api/me'), 401, 'auth.unauthenticated');
      expectProblem(await t.request(token, 'GET', '/api/tickets'), 401, 'auth.unauthenticated');
    } finally {
      await t.db.db.update(users).set({ active: true }).where(eq(users.username, 'clerk'));
    }
  });
});
