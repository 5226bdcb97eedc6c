import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

// A stand-in for web/dist: what matters here is how the server routes, not what Vite built.
let t: TestApp;
let root: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-web-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>检查整改工单系统</title><div id="app"></div>');
  fs.writeFileSync(path.join(root, 'assets', 'index-Ab12Cd.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await buildTestApp({ webRoot: root });
});
afterAll(async () => {
  await t.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const get = (url: string) => t.app.inject({ method: 'GET', url });

describe('the web workbench at /', () => {
  it('answers / and every client route (an email link /tickets/12) with index.html, never cached', async () => {
    for (const url of ['/', '/tickets/12', '/tickets?state=issued', '/dashboard', '/sign-in?redirect=%2Ftickets%2F3', '/no/such/page']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/^text\/html/);
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(response.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(response.body, url).toContain('<div id="app">');
    }
  });

  it('serves hashed assets for a year and other files with revalidation', async () => {
    const asset = await get('/assets/index-Ab12Cd.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    const icon = await get('/favicon.svg');
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('leaves the server paths alone: unknown /api/... and missing files stay problem+json 404s', async () => {
    for (const url of ['/api/nope', '/api', '/api/tickets/x/y', '/assets/index-Gone99.js', '/favicon.ico', '/healthz/x']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(response.json(), url).toMatchObject({ code: 'route.not_found' });
    }
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await get('/openapi.json')).json()).toMatchObject({ openapi: '3.1.0' });
    expect((await get('/api/tickets')).statusCode).toBe(401);
    const docs = await get('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('refuses changes to client routes: only GET and HEAD reach the page', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/tickets/12', payload: {} });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
