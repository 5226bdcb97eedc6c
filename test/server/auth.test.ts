import { createHmac } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { ADMIN_PASSWORD, buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT built by hand: base64url header and payload, HS256 signature over both (or none at all). */
function handMadeJwt(payload: Record<string, unknown>, secret: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = header.alg === 'none' ? '' : createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(typeof body.requestId).toBe('string');
  return body as { status: number; code: string; title: string; detail?: string; errors?: { field?: string; message: string }[] };
}

const login = (t: TestApp, username: string, password: string, remoteAddress = '127.0.0.1') =>
  t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

const me = (t: TestApp, token?: string) =>
  t.app.inject({ method: 'GET', url: '/api/me', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe('authentication', () => {
  let t: TestApp;
  let adminId: number;
  /** The session id (`jti`) of a real sign-in: hand-made tokens below name it, so only their defect differs. */
  let jti: string;

  beforeAll(async () => {
    t = await buildTestApp();
    const admin = await t.login('admin');
    const created = await t.request(admin, 'POST', '/api/users', { username: 'clerk', password: 'clerk-password', role: 'officer', unitCode: 'ROOT' });
    expect(created.statusCode).toBe(201);
  });
  afterAll(() => t.close());

  describe('POST /api/auth/login', () => {
    it('returns a token and the user, and GET /api/me answers with that token', async () => {
      const response = await login(t, 'admin', ADMIN_PASSWORD);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(typeof body.token).toBe('string');
      expect(body.token.split('.')).toHaveLength(3);
      expect(body.user).toMatchObject({ username: 'admin', role: 'admin', unitCode: 'ROOT' });
      expect(Number.isInteger(body.user.id)).toBe(true);
      adminId = body.user.id;
      jti = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString()).jti;
      expect(typeof jti).toBe('string');

      const whoami = await me(t, body.token);
      expect(whoami.statusCode).toBe(200);
      expect(whoami.json()).toMatchObject({ user: { id: adminId, username: 'admin', role: 'admin', unitCode: 'ROOT' }, unit: { code: 'ROOT' } });
    });

    it('answers a wrong password with 401 auth.invalid_credentials', async () => {
      expectProblem(await login(t, 'admin', 'not-the-password'), 401, 'auth.invalid_credentials');
    });

    it('answers an unknown username exactly like a wrong password (no user enumeration)', async () => {
      const wrongPassword = expectProblem(await login(t, 'admin', 'not-the-password'), 401, 'auth.invalid_credentials');
      const unknownUser = expectProblem(await login(t, 'nobody-here', 'not-the-password'), 401, 'auth.invalid_credentials');
      expect(unknownUser.title).toBe(wrongPassword.title);
      expect(unknownUser.detail).toBe(wrongPassword.detail);
    });

    it('refuses an unknown body field with 400 naming it', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD, rememberMe: true },
      });
      const body = expectProblem(response, 400, 'request.validation_failed');
      expect(body.errors).toContainEqual(expect.objectContaining({ field: 'rememberMe' }));
    });

    it('refuses a missing password with 400 naming it', async () => {
      const response = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin' } });
      const body = expectProblem(response, 400, 'request.validation_failed');
      expect(body.errors).toContainEqual(expect.objectContaining({ field: 'password' }));
    });
  });

  describe('bearer tokens', () => {
    it('accept a hand-made HS256 token signed with the server key (so the refusals below are about the defect only)', async () => {
      const token = handMadeJwt({ sub: String(adminId), role: 'admin', jti, iat: nowSeconds(), exp: nowSeconds() + 600 }, t.jwtSecret);
      expect((await me(t, token)).statusCode).toBe(200);
    });

    it('refuse an expired token with 401 auth.token_expired', async () => {
      const token = handMadeJwt({ sub: String(adminId), role: 'admin', jti, iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }, t.jwtSecret);
      expectProblem(await me(t, token), 401, 'auth.token_expired');
    });

    it('refuse a correctly signed token without exp (one that would never expire)', async () => {
      const token = handMadeJwt({ sub: String(adminId), role: 'admin', jti, iat: nowSeconds() }, t.jwtSecret);
      expectProblem(await me(t, token), 401, 'auth.unauthenticated');
    });

    it('refuse a correctly signed token without a session id, or naming no session', async () => {
      expectProblem(await me(t, handMadeJwt({ sub: String(adminId), role: 'admin', iat: nowSeconds(), exp: nowSeconds() + 600 }, t.jwtSecret)), 401, 'auth.unauthenticated');
      expectProblem(await me(t, handMadeJwt({ sub: String(adminId), role: 'admin', jti: 'made-up', iat: nowSeconds(), exp: nowSeconds() + 600 }, t.jwtSecret)), 401, 'auth.unauthenticated');
    });

    it('refuse a non-numeric or huge subject with 401, not 500', async () => {
      for (const sub of ['admin', '99999999999999', '-1']) {
        expectProblem(await me(t, handMadeJwt({ sub, role: 'admin', jti, iat: nowSeconds(), exp: nowSeconds() + 600 }, t.jwtSecret)), 401, 'auth.unauthenticated');
      }
    });

    it('refuse a token signed with another key', async () => {
      const token = handMadeJwt({ sub: String(adminId), role: 'admin', jti, iat: nowSeconds(), exp: nowSeconds() + 600 }, `${t.jwtSecret}-not`);
      expectProblem(await me(t, token), 401, 'auth.unauthenticated');
    });

    it('refuse an unsigned alg "none" token', async () => {
      const token = handMadeJwt({ sub: String(adminId), role: 'admin', jti, iat: nowSeconds(), exp: nowSeconds() + 600 }, t.jwtSecret, { alg: 'none', typ: 'JWT' });
      expect(token.endsWith('.')).toBe(true);
      expectProblem(await me(t, token), 401, 'auth.unauthenticated');
    });

    it('refuse a correctly signed token for a user that does not exist', async () => {
      const token = handMadeJwt({ sub: '987654', role: 'admin', jti, iat: nowSeconds(), exp: nowSeconds() + 600 }, t.jwtSecret);
      expectProblem(await me(t, token), 401, 'auth.unauthenticated');
    });

    it('refuse a request without an Authorization header', async () => {
      expectProblem(await me(t), 401, 'auth.unauthenticated');
      expectProblem(await t.app.inject({ method: 'GET', url: '/api/units' }), 401, 'auth.unauthenticated');
    });

    it('refuse a malformed bearer value', async () => {
      expectProblem(await me(t, 'not.a.jwt'), 401, 'auth.unauthenticated');
      expectProblem(await me(t, ''), 401, 'auth.unauthenticated');
    });
  });

  it('never sends password material: not in /api/me, /api/users, nor a created user', async () => {
    const admin = await t.login('admin');
    const responses = [
      await t.request(admin, 'GET', '/api/me'),
      await t.request(admin, 'GET', '/api/users'),
      await t.request(admin, 'POST', '/api/users', { username: 'clerk2', password: 'secret-clerk2-pw', role: 'officer', unitCode: 'ROOT' }),
      await t.request(await t.login('clerk', 'clerk-password'), 'GET', '/api/me'),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 201, 200]);
    const listed = responses[1]?.json() as { items: { username: string }[] };
    expect(listed.items.map((u) => u.username)).toEqual(expect.arrayContaining(['admin', 'clerk']));
    for (const response of responses) {
      // The one field allowed to mention it is the flag saying a password must be changed.
      expect(response.body.replaceAll('"mustChangePassword"', '')).not.toMatch(/password/i);
      expect(response.body).not.toContain('scrypt$');
      expect(response.body).not.toContain('secret-clerk2-pw');
    }
  });
});

describe('login attempt limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ loginMaxPerMinute: 3 });
  });
  afterAll(() => t.close());

  it('answers the 4th wrong attempt for one username with 429, while another username from the same address still gets 401', async () => {
    const address = '10.0.0.1';
    for (let attempt = 1; attempt <= 3; attempt++) {
      expectProblem(await login(t, 'admin', `wrong-${attempt}`, address), 401, 'auth.invalid_credentials');
    }
    const limited = await login(t, 'admin', 'wrong-4', address);
    expectProblem(limited, 429, 'request.rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The budget is per username: the same address may still try another name.
    expectProblem(await login(t, 'someone-else', 'wrong', address), 401, 'auth.invalid_credentials');
  });

  it('does not lock the real admin out: wrong attempts from elsewhere leave the admin’s own address alone', async () => {
    // 10.0.0.1 has used up its budget for admin (above); the real admin at another address signs in.
    expectProblem(await login(t, 'ADMIN', 'wrong', '10.0.0.1'), 429, 'request.rate_limited');
    expect((await login(t, 'admin', ADMIN_PASSWORD, '10.0.0.2')).statusCode).toBe(200);
    // Even the right password waits at the blocked address.
    expectProblem(await login(t, 'admin', ADMIN_PASSWORD, '10.0.0.1'), 429, 'request.rate_limited');
  });

  it('makes the delays grow: after the first wait one more attempt, then a longer wait; a success starts afresh', async () => {
    const address = '10.0.0.9';
    const start = t.clock.now();
    const at = (seconds: number) => t.clock.set(new Date(start.getTime() + seconds * 1000));
    try {
      for (let attempt = 1; attempt <= 3; attempt++) expectProblem(await login(t, 'admin', 'wrong', address), 401, 'auth.invalid_credentials');
      const first = await login(t, 'admin', 'wrong', address);
      expectProblem(first, 429, 'request.rate_limited');
      expect(Number(first.headers['retry-after'])).toBe(60);

      at(61);
      expectProblem(await login(t, 'admin', 'wrong', address), 401, 'auth.invalid_credentials');
      const second = await login(t, 'admin', 'wrong', address);
      expectProblem(second, 429, 'request.rate_limited');
      expect(Number(second.headers['retry-after'])).toBe(120);

      at(61 + 121);
      expect((await login(t, 'admin', ADMIN_PASSWORD, address)).statusCode).toBe(200);
      // The pair's count is gone: three free failures again.
      for (let attempt = 1; attempt <= 3; attempt++) expectProblem(await login(t, 'admin', 'wrong', address), 401, 'auth.invalid_credentials');
      expectProblem(await login(t, 'admin', 'wrong', address), 429, 'request.rate_limited');
    } finally {
      t.clock.set(start);
    }
  });

  it('counts per client behind a trusted proxy (TRUST_PROXY), and ignores X-Forwarded-For from anyone else', async () => {
    const behindProxy = await buildApp({ config: { jwtExpiresIn: '8h', loginMaxPerMinute: 3, trustProxy: ['127.0.0.1'] }, jwtSecret: t.jwtSecret, services: t.services });
    try {
      const via = (client: string, password: string) =>
        behindProxy.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password }, remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
      for (let attempt = 1; attempt <= 3; attempt++) expectProblem(await via('203.0.113.7', 'wrong'), 401, 'auth.invalid_credentials');
      expectProblem(await via('203.0.113.7', 'wrong'), 429, 'request.rate_limited');
      expect((await via('203.0.113.8', ADMIN_PASSWORD)).statusCode).toBe(200);
    } finally {
      await behindProxy.close();
    }
    // Not trusted: a client cannot escape its own count by claiming to forward for someone else.
    const spoofed = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD }, remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1' } });
    expectProblem(spoofed, 429, 'request.rate_limited');
  });

  it('answers 429 from one address after 3× the budget, whatever the usernames', async () => {
    const address = '10.0.0.3';
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 12; attempt++) {
      const response = await login(t, `guess-${attempt}`, 'wrong', address);
      statuses.push(response.statusCode);
      if (response.statusCode === 429) expectProblem(response, 429, 'request.rate_limited');
    }
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(401));
    expect(statuses.slice(9)).toEqual([429, 429, 429]);
  });
});
