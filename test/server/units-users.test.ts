import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp();
  ({ tokens } = await seedOrganisation(t));
});
afterAll(() => t.close());

const as = (who: string) => tokens[who] ?? '';
const get = (who: string, url: string) => t.request(as(who), 'GET', url);

interface UnitDto {
  code: string;
  name: string;
  aliases: string[];
  kind: string;
  parentCode: string | null;
  emails: string[];
  contact: { name: string | null; phone: string | null };
}

/** Every page of GET /api/units for this user, following nextCursor. */
async function allUnits(who: string, limit = 50): Promise<{ codes: string[]; pages: number }> {
  const codes: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await get(who, `/api/units?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.statusCode).toBe(200);
    const body = response.json() as { items: UnitDto[]; nextCursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    codes.push(...body.items.map((u) => u.code));
    cursor = body.nextCursor;
    pages++;
    expect(pages).toBeLessThan(50);
  } while (cursor);
  return { codes, pages };
}

/** Every error is RFC 9457 problem+json with our stable code and the request id. */
function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ status, code });
  expect(body.type).toEqual(expect.any(String));
  expect(body.title).toEqual(expect.any(String));
  expect(body.requestId).toEqual(expect.any(String));
  return body as { errors?: { field?: string; message: string; value?: unknown }[]; detail?: string };
}

const counts = async () => {
  const [row] = await queryRows<{ units: number; users: number; audit: number }>(sql`select (select count(*)::int from units) as units, (select count(*)::int from users) as users, (select count(*)::int from audit_log) as audit`,
    t.db.db,
  );
  return row;
};

describe('POST /api/units', () => {
  it('creates a unit in the SPEC shape and GET /api/units/:code returns it as created', async () => {
    const body = {
      code: 'YY-JYJ',
      name: '益阳市教育局',
      aliases: ['市教育局'],
      kind: 'city_department',
      parentCode: 'YY-GOV',
      emails: ['jyj@yiyang.test'],
      leaderEmails: ['leader.jyj@yiyang.test'],
      contact: { name: '张三', phone: '0737-1234567' },
    };
    const created = await t.request(as('admin'), 'POST', '/api/units', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ ...body, warnings: [] });
    const read = await get('admin', '/api/units/YY-JYJ');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ ...body, warnings: [] });
  });

  it('trims names and aliases, lower-cases and de-duplicates emails', async () => {
    const created = await t.request(as('admin'), 'POST', '/api/units', {
      code: 'YY-SWJ',
      name: '  益阳市商务局 ',
      aliases: [' 市商务局', '市商务局'],
      kind: 'city_department',
      parentCode: 'YY-GOV',
      emails: ['SWJ@Yiyang.test', 'swj@yiyang.test'],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: '益阳市商务局', aliases: ['市商务局'], emails: ['swj@yiyang.test'], contact: { name: null, phone: null } });
  });

  it('answers 409 units.code_taken for a code that exists', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-WJW', name: '另一个卫健委', kind: 'city_department', parentCode: 'YY-GOV' });
    expectProblem(response, 409, 'units.code_taken');
  });

  it('answers 409 units.name_taken for a name that exists', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-WJW2', name: '益阳市卫生健康委员会', kind: 'city_department', parentCode: 'YY-GOV' });
    expectProblem(response, 409, 'units.name_taken');
  });

  it('answers 422 naming parentCode when the parent does not exist', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-X', name: '无上级单位', kind: 'other', parentCode: 'NOPE' });
    const body = expectProblem(response, 422, 'units.parent_not_found');
    expect(body.errors).toEqual([expect.objectContaining({ field: 'parentCode', value: 'NOPE' })]);
  });

  it('answers 400 naming emails.0 for an address that is not one', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-Y', name: '坏邮箱单位', kind: 'other', parentCode: 'YY-GOV', emails: ['not-an-email'] });
    const body = expectProblem(response, 400, 'request.validation_failed');
    expect(body.errors?.map((e) => e.field)).toContain('emails.0');
  });

  it('answers 400 naming each bad field, unknown fields included', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/units', { code: '-bad', name: '', kind: 'ministry', colour: 'red' });
    const body = expectProblem(response, 400, 'request.validation_failed');
    expect(body.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['code', 'name', 'kind', 'colour']));
  });

  it('answers 400 naming name for a blank name (not 500 from the database check)', async () => {
    const created = await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-BLANK', name: '   ', kind: 'other', parentCode: 'YY-GOV' });
    expect(expectProblem(created, 400, 'request.validation_failed').errors?.map((e) => e.field)).toEqual(['name']);
    const renamed = await t.request(as('admin'), 'PATCH', '/api/units/YY-WJW', { name: ' ' });
    expect(expectProblem(renamed, 400, 'request.validation_failed').errors?.map((e) => e.field)).toEqual(['name']);
  });

  it('answers 403 to a supervisor or an officer', async () => {
    const unit = { code: 'YY-Z', name: '越权单位', kind: 'other', parentCode: 'YY-GOV' };
    expectProblem(await t.request(as('gov-sup'), 'POST', '/api/units', unit), 403, 'auth.forbidden');
    expectProblem(await t.request(as('wjw-off'), 'POST', '/api/units', unit), 403, 'auth.forbidden');
    expectProblem(await t.request(as('gov-sup'), 'PATCH', '/api/units/YY-WJW', { name: '改名' }), 403, 'auth.forbidden');
  });
});

describe('POST /api/users', () => {
  it('creates a user in the SPEC shape who can then log in', async () => {
    const created = await t.request(as('admin'), 'POST', '/api/users', {
      username: 'jyj1',
      password: 'jyj1-password',
      role: 'officer',
      unitCode: 'YY-JYJ',
      displayName: '教育局联络员',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ username: 'jyj1', role: 'officer', unitCode: 'YY-JYJ', displayName: '教育局联络员', active: true });
    const token = await t.login('jyj1', 'jyj1-password');
    expect((await t.request(token, 'GET', '/api/me')).json()).toMatchObject({ user: { username: 'jyj1' }, unit: { code: 'YY-JYJ', name: '益阳市教育局' } });
  });

  it('answers 409 users.username_taken for a username that exists', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/users', { username: 'wjw-off', password: 'another-password', role: 'officer', unitCode: 'YY-WJW' });
    expectProblem(response, 409, 'users.username_taken');
  });

  it('answers 422 naming unitCode when the unit does not exist', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/users', { username: 'ghost', password: 'ghost-password', role: 'officer', unitCode: 'NOPE' });
    const body = expectProblem(response, 422, 'users.unit_not_found');
    expect(body.errors).toEqual([expect.objectContaining({ field: 'unitCode' })]);
  });

  it('answers 400 for a role that does not exist and a password that is too short', async () => {
    const response = await t.request(as('admin'), 'POST', '/api/users', { username: 'weak', password: 'short', role: 'root', unitCode: 'YY-WJW' });
    const body = expectProblem(response, 400, 'request.validation_failed');
    expect(body.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['password', 'role']));
  });

  it('answers 403 to anyone but an admin, for reading and creating', async () => {
    expectProblem(await get('gov-sup', '/api/users'), 403, 'auth.forbidden');
    expectProblem(
      await t.request(as('gov-sup'), 'POST', '/api/users', { username: 'sneaky', password: 'sneaky-password', role: 'admin', unitCode: 'YY-GOV' }),
      403,
      'auth.forbidden',
    );
  });
});

describe('GET /api/units', () => {
  it('shows an officer of a department its own unit only', async () => {
    expect((await allUnits('wjw-off')).codes).toEqual(['YY-WJW']);
  });

  it('shows a county supervisor its subtree', async () => {
    expect((await allUnits('ah-sup')).codes).toEqual(['AH-GL', 'AH-GOV', 'AH-SWJ']);
  });

  it('shows the admin every unit, in code order', async () => {
    const { codes } = await allUnits('admin');
    expect(codes).toEqual(['AH-GL', 'AH-GOV', 'AH-SWJ', 'ROOT', 'YY-GOV', 'YY-JTJ', 'YY-JYJ', 'YY-SWJ', 'YY-WJW']);
  });

  it('pages with keyset cursors: every unit exactly once, in order, and the last page says there is no next one', async () => {
    const whole = await allUnits('admin');
    const paged = await allUnits('admin', 2);
    expect(paged.codes).toEqual(whole.codes);
    expect(paged.pages).toBe(Math.ceil(whole.codes.length / 2));
  });

  it('keeps pages stable when a unit is added before the cursor', async () => {
    const first = (await get('admin', '/api/units?limit=3')).json() as { items: UnitDto[]; nextCursor: string };
    expect(first.items.map((u) => u.code)).toEqual(['AH-GL', 'AH-GOV', 'AH-SWJ']);
    expect((await t.request(as('admin'), 'POST', '/api/units', { code: 'AA-NEW', name: '新加单位', kind: 'other', parentCode: 'YY-GOV' })).statusCode).toBe(201);
    const second = (await get('admin', `/api/units?limit=3&cursor=${encodeURIComponent(first.nextCursor)}`)).json() as { items: UnitDto[] };
    expect(second.items.map((u) => u.code)).toEqual(['ROOT', 'YY-GOV', 'YY-JTJ']);
  });

  it('answers 400 naming querystring.cursor for a cursor that is not one', async () => {
    const body = expectProblem(await get('admin', '/api/units?cursor=garbage'), 400, 'request.invalid_cursor');
    expect(body.errors?.map((e) => e.field)).toEqual(['querystring.cursor']);
  });

  it('finds units by name, code or alias with q', async () => {
    const byAlias = (await get('admin', `/api/units?q=${encodeURIComponent('市卫生健康委')}`)).json() as { items: UnitDto[] };
    expect(byAlias.items.map((u) => u.code)).toEqual(['YY-WJW']);
    const scoped = (await get('ah-sup', `/api/units?q=${encodeURIComponent('卫生')}`)).json() as { items: UnitDto[] };
    expect(scoped.items).toEqual([]);
  });
});

describe('GET /api/units/:code', () => {
  it('answers 404 (not 403) for a unit outside the viewer’s scope', async () => {
    expectProblem(await get('wjw-off', '/api/units/YY-JTJ'), 404, 'units.not_found');
    expectProblem(await get('ah-sup', '/api/units/YY-GOV'), 404, 'units.not_found');
    expect((await get('ah-sup', '/api/units/AH-GL')).statusCode).toBe(200);
  });

  it('answers 404 for a code that does not exist at all, in the same words', async () => {
    const missing = expectProblem(await get('admin', '/api/units/NOPE'), 404, 'units.not_found');
    expect(missing.detail).toContain('NOPE');
  });
});

describe('PATCH /api/units/:code', () => {
  beforeAll(async () => {
    // A small subtree under the county: an office with a section below it.
    for (const unit of [
      { code: 'AH-JYJ', name: '安化县教育局', kind: 'other', parentCode: 'AH-GOV' },
      { code: 'AH-JYJ-1', name: '安化县教育局电教站', kind: 'other', parentCode: 'AH-JYJ' },
    ]) {
      expect((await t.request(as('admin'), 'POST', '/api/units', unit)).statusCode).toBe(201);
    }
  });

  it('changes fields and keeps the rest', async () => {
    const response = await t.request(as('admin'), 'PATCH', '/api/units/YY-JTJ', { contact: { phone: '0737-7654321' }, aliases: ['市交通局'] });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ code: 'YY-JTJ', name: '益阳市交通运输局', aliases: ['市交通局'], parentCode: 'YY-GOV', contact: { phone: '0737-7654321' } });
  });

  it('moves a unit with its whole subtree, and scope follows the new parent', async () => {
    expectProblem(await get('wjw-sup', '/api/units/AH-JYJ-1'), 404, 'units.not_found');
    expect((await get('ah-sup', '/api/units/AH-JYJ-1')).statusCode).toBe(200);

    const moved = await t.request(as('admin'), 'PATCH', '/api/units/AH-JYJ', { parentCode: 'YY-WJW' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ code: 'AH-JYJ', parentCode: 'YY-WJW' });

    // The child moved too: the new parent's supervisor sees both, the old one neither.
    expect((await allUnits('wjw-sup')).codes).toEqual(['AH-JYJ', 'AH-JYJ-1', 'YY-WJW']);
    expect((await get('wjw-sup', '/api/units/AH-JYJ-1')).json()).toMatchObject({ code: 'AH-JYJ-1', parentCode: 'AH-JYJ' });
    expect((await allUnits('ah-sup')).codes).toEqual(['AH-GL', 'AH-GOV', 'AH-SWJ']);
    expectProblem(await get('ah-sup', '/api/units/AH-JYJ-1'), 404, 'units.not_found');

    // The stored paths agree with the parent links for every unit.
    const broken = await queryRows<{ code: string }>(sql`select c.code from units c left join units p on p.id = c.parent_id
          where c.path <> coalesce(p.path, '/') || c.id || '/'`,
      t.db.db,
    );
    expect(broken).toEqual([]);
  });

  it('answers 422 units.parent_cycle when the new parent is the unit itself or one of its descendants', async () => {
    const before = await counts();
    const intoChild = await t.request(as('admin'), 'PATCH', '/api/units/AH-JYJ', { parentCode: 'AH-JYJ-1' });
    const body = expectProblem(intoChild, 422, 'units.parent_cycle');
    expect(body.errors).toEqual([expect.objectContaining({ field: 'parentCode' })]);
    expectProblem(await t.request(as('admin'), 'PATCH', '/api/units/AH-JYJ', { parentCode: 'AH-JYJ' }), 422, 'units.parent_cycle');
    expectProblem(await t.request(as('admin'), 'PATCH', '/api/units/YY-GOV', { parentCode: 'AH-JYJ-1' }), 422, 'units.parent_cycle');
    expect((await get('admin', '/api/units/AH-JYJ')).json()).toMatchObject({ parentCode: 'YY-WJW' });
    expect(await counts()).toEqual(before);
  });

  it('answers 409 units.name_taken when renaming onto another unit’s name', async () => {
    expectProblem(await t.request(as('admin'), 'PATCH', '/api/units/AH-JYJ', { name: '益阳市交通运输局' }), 409, 'units.name_taken');
    expect((await get('admin', '/api/units/AH-JYJ')).json()).toMatchObject({ name: '安化县教育局' });
  });

  it('answers 404 for a unit that does not exist and 422 for a parent that does not', async () => {
    expectProblem(await t.request(as('admin'), 'PATCH', '/api/units/NOPE', { name: '无' }), 404, 'units.not_found');
    const body = expectProblem(await t.request(as('admin'), 'PATCH', '/api/units/AH-JYJ', { parentCode: 'NOPE' }), 422, 'units.parent_not_found');
    expect(body.errors?.map((e) => e.field)).toEqual(['parentCode']);
  });

  it('refuses a change of code (unknown field) with 400', async () => {
    const body = expectProblem(await t.request(as('admin'), 'PATCH', '/api/units/AH-JYJ', { code: 'AH-JYJ-NEW' }), 400, 'request.validation_failed');
    expect(body.errors?.map((e) => e.field)).toEqual(['code']);
  });
});

describe('refused requests', () => {
  it('leave nothing half-written: no unit, user or audit row appears', async () => {
    const before = await counts();
    const refused = [
      await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-WJW', name: '重复代码', kind: 'other', parentCode: 'YY-GOV' }),
      await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-DUP', name: '益阳市交通运输局', kind: 'other', parentCode: 'YY-GOV' }),
      await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-ORPHAN', name: '孤儿单位', kind: 'other', parentCode: 'NOPE' }),
      await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-MAIL', name: '坏邮箱', kind: 'other', emails: ['x'] }),
      await t.request(as('gov-sup'), 'POST', '/api/units', { code: 'YY-SUP', name: '越权', kind: 'other' }),
      await t.request(as('admin'), 'POST', '/api/users', { username: 'admin', password: 'whatever-password', role: 'admin', unitCode: 'ROOT' }),
      await t.request(as('admin'), 'POST', '/api/users', { username: 'nounit', password: 'whatever-password', role: 'officer', unitCode: 'NOPE' }),
      await t.request(as('admin'), 'PATCH', '/api/units/YY-GOV', { parentCode: 'AH-GL' }),
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([409, 409, 422, 400, 403, 409, 422, 422]);
    for (const response of refused) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await counts()).toEqual(before);
  });

  it('every accepted change writes one audit row', async () => {
    const before = await counts();
    expect((await t.request(as('admin'), 'POST', '/api/units', { code: 'YY-AUDIT', name: '审计单位', kind: 'other', parentCode: 'YY-GOV' })).statusCode).toBe(201);
    expect((await t.request(as('admin'), 'PATCH', '/api/units/YY-AUDIT', { name: '审计单位（改）' })).statusCode).toBe(200);
    expect((await t.request(as('admin'), 'POST', '/api/users', { username: 'auditee', password: 'auditee-password', role: 'officer', unitCode: 'YY-AUDIT' })).statusCode).toBe(201);
    expect(await counts()).toEqual({ units: (before?.units ?? 0) + 1, users: (before?.users ?? 0) + 1, audit: (before?.audit ?? 0) + 3 });
    const [userAudit] = await queryRows<{ details: Record<string, unknown> }>(sql`select details from audit_log where entity = 'user' and entity_key = 'auditee'`, t.db.db);
    expect(userAudit?.details).not.toHaveProperty('password');
  });
});
