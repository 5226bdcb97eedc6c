import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

/** The CSP as a map of directive → sources. */
function cspOf(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = '', ...sources]) => [name, sources]),
  );
}

describe('security headers', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await buildTestApp();
    token = await t.login('admin');
  });
  afterAll(() => t.close());

  it('sends a CSP fit for a same-origin Vue + Element Plus page, nosniff, no framing and a same-origin referrer', async () => {
    for (const url of ['/healthz', '/api/me', '/no-such-page']) {
      const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      const csp = cspOf(response);
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
      expect(csp.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
      expect(csp.get('connect-src')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      // An intranet served over http must not have its requests upgraded to https.
      expect(csp.has('upgrade-insecure-requests')).toBe(false);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('same-origin');
    }
  });

  it('marks every /api answer, errors included, Cache-Control: no-store, and leaves the rest alone', async () => {
    const ok = await t.request(token, 'GET', '/api/me');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    const refused = await t.app.inject({ method: 'GET', url: '/api/tickets' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['cache-control']).toBe('no-store');
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'wrong-password-here' } });
    expect(login.headers['cache-control']).toBe('no-store');
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).headers['cache-control']).toBeUndefined();
  });

  it('serves the Swagger UI at /docs under the same policy: its page loads only its own script files', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    // No inline script: every <script> has a same-origin src, which script-src 'self' allows.
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', body = ''] of scripts) {
      expect(attributes).toMatch(/src="\.?\/?[^"/][^":]*"/);
      expect(body.trim()).toBe('');
    }
    for (const asset of ['/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/json']) {
      expect((await t.app.inject({ method: 'GET', url: asset })).statusCode).toBe(200);
    }
    expect((await t.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('in production asks for a signed-in user before /docs and /openapi.json (bearer or session cookie)', async () => {
    const production = await buildApp({ config: { jwtExpiresIn: '8h', loginMaxPerMinute: 1000, nodeEnv: 'production' }, jwtSecret: t.jwtSecret, services: t.services });
    try {
      // The UI's static files are the public Swagger UI bundle; the page and the description are what need a user.
      for (const url of ['/docs', '/docs/json', '/docs/yaml', '/openapi.json']) {
        const anonymous = await production.inject({ method: 'GET', url });
        expect(anonymous.statusCode, url).toBe(401);
        expect(anonymous.json()).toMatchObject({ code: 'auth.unauthenticated' });
      }
      expect((await production.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      expect((await production.inject({ method: 'GET', url: '/docs', headers: { cookie: `rectify_session=${token}` } })).statusCode).toBe(200);
    } finally {
      await production.close();
    }
  });
});
