import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await buildTestApp();
  admin = await t.login('admin');
});
afterAll(() => t.close());

/** RFC 9457: type, title, status, code, requestId (the id the server logged), as application/problem+json. */
function expectProblem(response: LightMyRequestResponse, status: number, code?: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body.status).toBe(status);
  if (code !== undefined) expect(body.code).toBe(code);
  expect(body.code).toMatch(/^[a-z_]+\.[a-z_.]+$/);
  expect(body.type).toBe(`https://rectify.invalid/problems/${body.code}`);
  expect(body.title).toEqual(expect.any(String));
  expect(body.requestId).toEqual(expect.any(String));
  return body as { detail?: string; errors?: { field?: string; message: string }[]; requestId: string };
}

const postJson = (url: string, payload: string, contentType = 'application/json') =>
  t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, authorization: `Bearer ${admin}` } });

describe('problem+json errors', () => {
  it('answers an unknown route with 404 route.not_found naming it', async () => {
    const body = expectProblem(await t.app.inject({ method: 'GET', url: '/api/no-such-thing' }), 404, 'route.not_found');
    expect(body.detail).toContain('/api/no-such-thing');
    expectProblem(await t.app.inject({ method: 'DELETE', url: '/api/units' }), 404, 'route.not_found');
  });

  it('gives each request its own id', async () => {
    const first = expectProblem(await t.app.inject({ method: 'GET', url: '/nope' }), 404);
    const second = expectProblem(await t.app.inject({ method: 'GET', url: '/nope' }), 404);
    expect(first.requestId).not.toBe(second.requestId);
  });

  it('answers a malformed JSON body with 400, not 500', async () => {
    expectProblem(await postJson('/api/auth/login', '{"username": "admin", "password": '), 400);
    expectProblem(await postJson('/api/units', '{not json}'), 400);
  });

  it('answers an empty JSON body with 400', async () => {
    expectProblem(await postJson('/api/auth/login', ''), 400);
  });

  it('answers a JSON body that is not an object with 400 naming the body', async () => {
    const body = expectProblem(await postJson('/api/auth/login', '[1, 2]'), 400, 'request.validation_failed');
    expect(body.errors?.length).toBeGreaterThan(0);
  });

  it('answers a content type the route does not take with 415', async () => {
    expectProblem(await postJson('/api/auth/login', '<login><username>admin</username></login>', 'application/xml'), 415, 'request.unsupported_media_type');
    expectProblem(await postJson('/api/units', 'code=YY', 'application/x-www-form-urlencoded'), 415, 'request.unsupported_media_type');
  });

  it('answers a table upload type sent to a JSON route with 4xx, never 5xx', async () => {
    const response = await postJson('/api/auth/login', 'username,password\nadmin,x', 'text/csv');
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expectProblem(response, response.statusCode);
  });

  it('answers limit=abc with 400 naming querystring.limit', async () => {
    const response = await t.request(admin, 'GET', '/api/units?limit=abc');
    const body = expectProblem(response, 400, 'request.validation_failed');
    expect(body.errors?.map((e) => e.field)).toEqual(['querystring.limit']);
  });

  it('answers an unknown query parameter with 400 naming it', async () => {
    const body = expectProblem(await t.request(admin, 'GET', '/api/units?colour=red'), 400, 'request.validation_failed');
    expect(body.errors?.map((e) => e.field)).toEqual(['querystring.colour']);
  });

  it('answers 401 before anything else for a protected route without a token', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/units?limit=abc' }), 401, 'auth.unauthenticated');
  });
});
