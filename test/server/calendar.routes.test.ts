import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, tickets } from '../../db/schema/index.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;
let ticketId: number;

const call = (who: string, method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown) => t.request(tokens[who] ?? '', method, url, body);

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T10:00:00+08:00' });
  ({ tokens } = await seedOrganisation(t));
  const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
  ticketId = (await issueFindings(t, inspection.id, [{ unitCode: 'YY-WJW', targetName: '健康益阳' }])).tickets[0]?.id ?? 0;
});
afterAll(() => t.close());

describe('GET /api/calendar/:date', () => {
  it('answers any user whether a day is worked, and on what authority', async () => {
    expect((await call('wjw-off', 'GET', '/api/calendar/2021-06-14')).json()).toEqual({
      date: '2021-06-14',
      working: false,
      kind: 'restday',
      source: 'published',
      provisional: false,
      note: '端午假期',
    });
    expect((await call('wjw-off', 'GET', '/api/calendar/2021-09-26')).json()).toMatchObject({ working: true, kind: 'workday', source: 'published', note: '国庆节调休上班' });
    expect((await call('wjw-off', 'GET', '/api/calendar/2021-06-26')).json()).toMatchObject({ working: false, source: 'published', note: null });
  });

  it('says when only the statutory rule answers, past the published years', async () => {
    expect((await call('wjw-off', 'GET', '/api/calendar/2030-01-05')).json()).toEqual({
      date: '2030-01-05',
      working: false,
      kind: 'restday',
      source: 'statutory-rule',
      provisional: true,
      note: null,
    });
    expect((await call('wjw-off', 'GET', '/api/calendar/2027-02-05')).json()).toMatchObject({ working: false, source: 'statutory-rule', provisional: true, note: '春节（法定节假日，年度安排尚未公布）' });
  });

  it('answers 400 problem+json naming the field for a date that does not exist', async () => {
    for (const bad of ['2021-02-30', '2021-13-01', '21-06-01', '0999-01-01']) {
      const response = await call('wjw-off', 'GET', `/api/calendar/${bad}`);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'request.validation_failed', errors: [{ field: 'params.date' }] });
    }
  });

  it('answers 401 without a token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/calendar/2021-06-14' })).statusCode).toBe(401);
  });
});

describe('PUT /api/calendar/:date', () => {
  it('makes the sweep recompute: a day made a rest day moves reminder 3 earlier, and it goes out at once', async () => {
    await t.services.sweep.run({ now: t.clock.now() });
    const scheduled = async () => (await t.services.db.select({ next: tickets.nextActionAt }).from(tickets).where(eq(tickets.id, ticketId)))[0]?.next;
    // Office hours: from 09:00 of the day.
    expect(await scheduled()).toEqual(new Date('2021-06-22T09:00:00+08:00'));

    t.clock.set('2021-06-21T09:00:00+08:00');
    expect((await call('admin', 'PUT', '/api/calendar/2021-06-23', { kind: 'restday', note: '本地停电检修' })).statusCode).toBe(201);
    expect(await scheduled()).toEqual(new Date('2021-06-21T09:00:00+08:00'));
    // 06-24, 06-22, 06-21: reminder 3 is due from Monday 06-21, 09:00.
    expect(await t.services.sweep.run({ now: t.clock.now() })).toMatchObject({ reminders: 1 });
    expect(await scheduled()).toEqual(new Date('2021-06-24T09:00:00+08:00'));
    expect((await call('admin', 'DELETE', '/api/calendar/2021-06-23')).statusCode).toBe(204);
  });

  it('creates (201) and replaces (200) an override as admin, audit-logged, and the day answers from it', async () => {
    const created = await call('admin', 'PUT', '/api/calendar/2021-06-22', { kind: 'restday', note: '  市政府临时安排 ' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ date: '2021-06-22', kind: 'restday', note: '市政府临时安排' });
    expect((await call('wjw-off', 'GET', '/api/calendar/2021-06-22')).json()).toEqual({
      date: '2021-06-22',
      working: false,
      kind: 'restday',
      source: 'override',
      provisional: false,
      note: '市政府临时安排',
    });

    const replaced = await call('admin', 'PUT', '/api/calendar/2021-06-22', { kind: 'workday' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ date: '2021-06-22', kind: 'workday', note: null });
    expect((await call('wjw-off', 'GET', '/api/calendar/2021-06-22')).json()).toMatchObject({ working: true, source: 'override', note: null });

    const trail = await t.services.db.select().from(auditLog).where(eq(auditLog.entityKey, '2021-06-22'));
    expect(trail.map((row) => [row.entity, row.action, row.details])).toEqual([
      ['calendar_day', 'create', { kind: 'restday', note: '市政府临时安排', previous: null }],
      ['calendar_day', 'update', { kind: 'workday', note: null, previous: { kind: 'restday', note: '市政府临时安排' } }],
    ]);
  });

  it('is for administrators only', async () => {
    expect((await call('gov-sup', 'PUT', '/api/calendar/2021-06-28', { kind: 'restday' })).statusCode).toBe(403);
    expect((await call('wjw-off', 'PUT', '/api/calendar/2021-06-28', { kind: 'restday' })).statusCode).toBe(403);
    expect((await call('wjw-off', 'GET', '/api/calendar/2021-06-28')).json()).toMatchObject({ source: 'published', working: true });
  });

  it('answers 400 naming each bad field', async () => {
    const badDate = await call('admin', 'PUT', '/api/calendar/2021-02-30', { kind: 'restday' });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json()).toMatchObject({ errors: [{ field: 'params.date' }] });
    const badBody = await call('admin', 'PUT', '/api/calendar/2021-06-28', { kind: 'holiday', reason: '?' });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['kind', 'reason']);
    const missing = await call('admin', 'PUT', '/api/calendar/2021-06-28', {});
    expect(missing.json()).toMatchObject({ errors: [{ field: 'kind' }] });
  });
});

describe('GET /api/calendar and DELETE /api/calendar/:date', () => {
  it('lists the overrides in a range, oldest first', async () => {
    await call('admin', 'PUT', '/api/calendar/2021-10-09', { kind: 'restday', note: '本地不调休' });
    const all = (await call('ah-off', 'GET', '/api/calendar')).json();
    expect(all.items.map((item: { date: string; kind: string }) => [item.date, item.kind])).toEqual([
      ['2021-06-22', 'workday'],
      ['2021-10-09', 'restday'],
    ]);
    expect((await call('ah-off', 'GET', '/api/calendar?from=2021-07-01&to=2021-12-31')).json().items.map((item: { date: string }) => item.date)).toEqual(['2021-10-09']);
    const reversed = await call('ah-off', 'GET', '/api/calendar?from=2021-12-31&to=2021-07-01');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json()).toMatchObject({ code: 'calendar.invalid_range', errors: [{ field: 'querystring.from' }] });
  });

  it('removes an override as admin (204), then 404; the published arrangement answers again', async () => {
    expect((await call('gov-sup', 'DELETE', '/api/calendar/2021-10-09')).statusCode).toBe(403);
    expect((await call('admin', 'DELETE', '/api/calendar/2021-10-09')).statusCode).toBe(204);
    const again = await call('admin', 'DELETE', '/api/calendar/2021-10-09');
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'calendar.override_not_found' });
    expect((await call('wjw-off', 'GET', '/api/calendar/2021-10-09')).json()).toMatchObject({ working: true, source: 'published', note: '国庆节调休上班' });
    const trail = await t.services.db.select().from(auditLog).where(eq(auditLog.entityKey, '2021-10-09'));
    expect(trail.map((row) => row.action)).toEqual(['create', 'delete']);
  });
});
