import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkingCalendar, endOfShanghaiDay } from '../../workflows/deadlines/calendar.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, inspection2021, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;
let sup: string;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  sup = tokens['gov-sup'] ?? '';
});
afterAll(() => t.close());

const token = (username: string) => tokens[username] ?? '';

const defaultPolicy = {
  remindBeforeWorkingDays: [3, 1],
  escalateAfterWorkingDays: 1,
  escalateEveryWorkingDays: 3,
  maxLevel: 3,
  verifyWithinWorkingDays: 5,
  reworkWorkingDays: 5,
  maxExtensions: 2,
  sendAt: '09:00',
};

const specBody = { ...inspection2021, policy: defaultPolicy };

function finding(targetName: string, ownerUnit: string) {
  return { targetKind: 'new_media', platform: 'wechat_subscription', targetName, ownerUnit, county: null, problems: ['互动回应差'], lastUpdatedOn: null, outstanding: true };
}

async function importFindings(inspectionId: number, findings: ReturnType<typeof finding>[]) {
  const response = await t.request(sup, 'POST', `/api/inspections/${inspectionId}/findings`, { findings });
  if (response.statusCode !== 201) throw new Error(`import: ${response.statusCode} ${response.body}`);
  return response.json() as { created: number; tickets: { id: number; number: string }[] };
}

function fieldsOf(body: { errors?: { field?: string }[] }): (string | undefined)[] {
  return (body.errors ?? []).map((e) => e.field);
}

describe('POST /api/inspections', () => {
  it('creates an inspection from the SPEC shape and shows it back', async () => {
    const response = await t.request(sup, 'POST', '/api/inspections', specBody);
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json();
    const issuingUnit = await t.services.units.findByCode({ code: 'YY-GOV' });
    expect(created).toMatchObject({
      id: expect.any(Number),
      title: specBody.title,
      documentNumber: '益政务办发〔2021〕2号',
      shortCode: '2021-2',
      issuedOn: '2021-06-17',
      samplingFrom: '2021-05-26',
      samplingTo: '2021-06-09',
      feedbackDeadline: '2021-06-25',
      dueWorkingDays: null,
      issuingUnitId: issuingUnit?.id,
      policy: specBody.policy,
    });

    const shown = await t.request(sup, 'GET', `/api/inspections/${created.id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ id: created.id, shortCode: '2021-2', counts: { tickets: 0, issued: 0 } });
  });

  it('fills the default escalation policy, and merges a partial one into it', async () => {
    const { policy: _policy, ...withoutPolicy } = specBody;
    const plain = await t.request(sup, 'POST', '/api/inspections', { ...withoutPolicy, shortCode: 'pol-1' });
    expect(plain.statusCode, plain.body).toBe(201);
    expect(plain.json().policy).toEqual(defaultPolicy);

    const partial = await t.request(sup, 'POST', '/api/inspections', { ...withoutPolicy, shortCode: 'pol-2', policy: { maxLevel: 2, escalateEveryWorkingDays: 2 } });
    expect(partial.statusCode, partial.body).toBe(201);
    expect(partial.json().policy).toEqual({ ...defaultPolicy, maxLevel: 2, escalateEveryWorkingDays: 2 });
  });

  it('takes dueWorkingDays instead of a deadline, and its tickets fall due on the working-day calendar', async () => {
    const response = await t.request(sup, 'POST', '/api/inspections', {
      title: '国庆前专项检查',
      shortCode: 'wd-3',
      issuedOn: '2021-09-29',
      dueWorkingDays: 3,
      issuingUnitCode: 'YY-GOV',
    });
    expect(response.statusCode, response.body).toBe(201);
    const inspection = response.json();
    expect(inspection).toMatchObject({ feedbackDeadline: null, dueWorkingDays: 3 });

    // 09-30 (Thu) is the first working day; 10-01…10-07 is National Day; 10-08 (Fri) and the adjusted
    // working Saturday 10-09 are the second and third. Due: the end of 2021-10-09 in Shanghai.
    const calendar = createWorkingCalendar(new Map());
    expect(calendar.addWorkingDays('2021-09-29', 3)).toBe('2021-10-09');
    expect(endOfShanghaiDay('2021-10-09').toISOString()).toBe('2021-10-09T15:59:59.999Z');

    const { tickets } = await importFindings(inspection.id, [finding('健康益阳', '益阳市卫生健康委员会')]);
    const ticket = (await t.request(sup, 'GET', `/api/tickets/${tickets[0]?.id}`)).json().ticket;
    expect(ticket).toMatchObject({ dueAt: '2021-10-09T15:59:59.999Z', dueProvisional: false });
  });

  it('answers 400 naming issuedOn for a date that does not exist', async () => {
    const response = await t.request(sup, 'POST', '/api/inspections', { ...specBody, shortCode: 'bad-date', issuedOn: '2021-02-30', feedbackDeadline: '2021-03-10' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(fieldsOf(response.json())).toContain('issuedOn');
  });

  it('answers 422 naming feedbackDeadline when the deadline is before the issue date', async () => {
    const response = await t.request(sup, 'POST', '/api/inspections', { ...specBody, shortCode: 'early', feedbackDeadline: '2021-06-16' });
    expect(response.statusCode).toBe(422);
    expect(fieldsOf(response.json())).toContain('feedbackDeadline');
    expect((await t.services.inspections.findByShortCode({ shortCode: 'early' })) ?? null).toBeNull();
  });

  it('answers 422 when both a deadline and dueWorkingDays are given, or neither', async () => {
    const both = await t.request(sup, 'POST', '/api/inspections', { ...specBody, shortCode: 'both', dueWorkingDays: 5 });
    expect(both.statusCode).toBe(422);
    expect(fieldsOf(both.json())).toContain('feedbackDeadline');

    const { feedbackDeadline: _deadline, ...noDeadline } = specBody;
    const neither = await t.request(sup, 'POST', '/api/inspections', { ...noDeadline, shortCode: 'neither' });
    expect(neither.statusCode).toBe(422);
    expect(fieldsOf(neither.json())).toContain('feedbackDeadline');

    const explicitNulls = await t.request(sup, 'POST', '/api/inspections', { ...noDeadline, shortCode: 'nulls', feedbackDeadline: null, dueWorkingDays: null });
    expect(explicitNulls.statusCode).toBe(422);
  });

  it('answers 409 naming shortCode when the short code is taken', async () => {
    await createInspection(t, sup, { shortCode: 'dup-1' });
    const response = await t.request(sup, 'POST', '/api/inspections', { ...specBody, shortCode: 'dup-1' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'inspections.short_code_taken' });
    expect(fieldsOf(response.json())).toContain('shortCode');
  });

  it("answers 422 naming issuingUnitCode when the issuing unit is outside the supervisor's subtree", async () => {
    const response = await t.request(token('ah-sup'), 'POST', '/api/inspections', { ...specBody, shortCode: 'ah-out' });
    expect(response.statusCode).toBe(422);
    expect(fieldsOf(response.json())).toContain('issuingUnitCode');
  });

  it('answers 403 to officers, for creating, listing and reading', async () => {
    const officer = token('wjw-off');
    expect((await t.request(officer, 'POST', '/api/inspections', { ...specBody, shortCode: 'by-officer' })).statusCode).toBe(403);
    expect((await t.request(officer, 'GET', '/api/inspections')).statusCode).toBe(403);
    const some = await createInspection(t, sup, { shortCode: 'off-read' });
    expect((await t.request(officer, 'GET', `/api/inspections/${some.id}`)).statusCode).toBe(403);
    expect((await t.services.inspections.findByShortCode({ shortCode: 'by-officer' })) ?? null).toBeNull();
  });
});

describe('GET /api/inspections and /api/inspections/:id', () => {
  let cityOnly: number;
  let withCountyTicket: number;
  let countyOwn: number;

  beforeAll(async () => {
    // Issued by the city with tickets only for city departments: not the county's business.
    cityOnly = (await createInspection(t, sup, { shortCode: 'scope-city' })).id;
    await importFindings(cityOnly, [finding('健康益阳', '益阳市卫生健康委员会'), finding('益阳交通', '益阳市交通运输局')]);
    // Issued by the city with one ticket for a township of the county.
    withCountyTicket = (await createInspection(t, sup, { shortCode: 'scope-mixed' })).id;
    await importFindings(withCountyTicket, [finding('印象古楼', '安化县古楼乡人民政府'), finding('益阳智慧医疗', '益阳市卫生健康委员会')]);
    // Issued by the county office itself, no tickets yet.
    countyOwn = (await createInspection(t, token('ah-sup'), { shortCode: 'scope-county', issuingUnitCode: 'AH-GOV' })).id;
  });

  it('shows a county supervisor the inspections issued in its subtree or with tickets there, and no others', async () => {
    const response = await t.request(token('ah-sup'), 'GET', '/api/inspections?limit=200');
    expect(response.statusCode).toBe(200);
    const ids = (response.json().items as { id: number }[]).map((i) => i.id);
    expect(ids).toEqual([countyOwn, withCountyTicket]);
    expect(ids).not.toContain(cityOnly);
  });

  it('pages through every inspection, newest first, with a cursor', async () => {
    const all = (await t.request(sup, 'GET', '/api/inspections?limit=200')).json();
    expect(all.nextCursor).toBeNull();
    const expected = (all.items as { id: number }[]).map((i) => i.id);
    expect(expected.length).toBeGreaterThan(4);
    expect(expected).toEqual([...expected].sort((a, b) => b - a));
    expect(expected.slice(0, 3)).toEqual([countyOwn, withCountyTicket, cityOnly]);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/inspections?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await t.request(sup, 'GET', url)).json() as { items: { id: number }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 2));
  });

  it('counts tickets by state, in the viewer scope, and the counts move with the tickets', async () => {
    const before = (await t.request(sup, 'GET', `/api/inspections/${withCountyTicket}`)).json();
    expect(before.counts).toEqual({ tickets: 2, issued: 2, acknowledged: 0, rectified: 0, verified: 0, withdrawn: 0, overdue: 0, escalated: 0 });
    const county = (await t.request(token('ah-sup'), 'GET', `/api/inspections/${withCountyTicket}`)).json();
    expect(county.counts).toMatchObject({ tickets: 1, issued: 1 });

    const list = (await t.request(sup, 'GET', `/api/tickets?inspection=${withCountyTicket}&unit=YY-WJW`)).json();
    const ticket = list.items[0] as { id: number; version: number };
    const acknowledged = await t.request(token('wjw-off'), 'POST', `/api/tickets/${ticket.id}/events`, { type: 'ACKNOWLEDGE', expectedVersion: ticket.version });
    expect(acknowledged.statusCode, acknowledged.body).toBe(200);

    const after = (await t.request(sup, 'GET', `/api/inspections/${withCountyTicket}`)).json();
    expect(after.counts).toMatchObject({ tickets: 2, issued: 1, acknowledged: 1 });

    // Past the deadline (2021-06-25, end of day in Shanghai) both open tickets count as overdue.
    t.clock.set('2021-06-25T16:00:00Z');
    try {
      const late = (await t.request(sup, 'GET', `/api/inspections/${withCountyTicket}`)).json();
      expect(late.counts).toMatchObject({ overdue: 2 });
    } finally {
      t.clock.set('2021-06-18T02:00:00Z');
    }
  });

  it('lists each inspection with its ticket counts in the viewer scope, as its own page counts them', async () => {
    const city = (await t.request(sup, 'GET', '/api/inspections?limit=200')).json().items as { id: number; counts: Record<string, number> }[];
    for (const item of city.filter((i) => [cityOnly, withCountyTicket, countyOwn].includes(i.id))) {
      expect(item.counts).toEqual((await t.request(sup, 'GET', `/api/inspections/${item.id}`)).json().counts);
    }
    expect(city.find((i) => i.id === cityOnly)?.counts).toMatchObject({ tickets: 2 });
    expect(city.find((i) => i.id === countyOwn)?.counts).toMatchObject({ tickets: 0, issued: 0 });
    const county = (await t.request(token('ah-sup'), 'GET', '/api/inspections?limit=200')).json().items as { id: number; counts: Record<string, number> }[];
    expect(county.find((i) => i.id === withCountyTicket)?.counts).toMatchObject({ tickets: 1, issued: 1 });
  });

  it('answers 404 for an inspection out of scope, and for one that does not exist', async () => {
    const hidden = await t.request(token('ah-sup'), 'GET', `/api/inspections/${cityOnly}`);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().code).toBe('inspections.not_found');
    expect((await t.request(sup, 'GET', '/api/inspections/999999')).statusCode).toBe(404);
  });
});
