import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;
const ids: Record<string, number> = {};

const get = (who: string, url: string) => t.request(tokens[who] ?? '', 'GET', url);
const numbers = (body: { items: { number: string }[] }) => body.items.map((item) => item.number);

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T10:00:00+08:00' });
  ({ tokens } = await seedOrganisation(t));
  const notice = await createInspection(t, tokens['gov-sup'] ?? '');
  const first = await issueFindings(t, notice.id, [
    { unitCode: 'YY-WJW', targetName: '健康益阳' },
    { unitCode: 'YY-JTJ', targetName: '益阳交通' },
    { unitCode: 'AH-GL', targetName: '古楼乡人民政府网' },
    { unitCode: 'AH-SWJ', targetName: '安化商务' },
  ]);
  const later = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: '2021-3', documentNumber: '益政务办发〔2021〕3号', feedbackDeadline: '2021-06-30' });
  const second = await issueFindings(t, later.id, [{ unitCode: 'YY-WJW', targetName: '益阳市卫生健康委员会网站' }]);
  for (const ticket of [...first.tickets, ...second.tickets]) ids[ticket.number] = ticket.id;

  // 益阳交通 submitted its rectification in time: waiting on the supervisor is not overdue.
  t.clock.set('2021-06-24T10:00:00+08:00');
  for (const body of [{ type: 'ACKNOWLEDGE' }, { type: 'SUBMIT_RECTIFICATION', feedback: '已更新' }]) {
    const response = await t.request(tokens['jtj-off'] ?? '', 'POST', `/api/tickets/${ids['2021-2-002']}/events`, body);
    if (response.statusCode !== 200) throw new Error(response.body);
  }
  // Monday 2021-07-05 10:00: five whole working days after 06-25 have ended, two after 06-30.
  t.clock.set('2021-07-05T10:00:00+08:00');
  await t.services.sweep.run({ now: t.clock.now() });
});
afterAll(() => t.close());

describe('GET /api/reports/overdue', () => {
  it('lists the overdue tickets in scope, oldest due first, with working days overdue and escalation level', async () => {
    const response = await get('gov-sup', '/api/reports/overdue');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(numbers(body)).toEqual(['2021-2-001', '2021-2-003', '2021-2-004', '2021-3-001']);
    expect(body.items.map((item: { overdueWorkingDays: number; escalationLevel: number }) => [item.overdueWorkingDays, item.escalationLevel])).toEqual([
      [5, 2],
      [5, 2],
      [5, 2],
      [2, 1],
    ]);
    expect(body.items[0]).toMatchObject({ unitCode: 'YY-WJW', state: 'issued', overdue: true, dueAt: '2021-06-25T15:59:59.999Z', overdueProvisional: false });
    expect(body.nextCursor).toBeNull();
  });

  it("shows a county office only its own subtree's tickets", async () => {
    expect(numbers((await get('ah-sup', '/api/reports/overdue')).json())).toEqual(['2021-2-003', '2021-2-004']);
  });

  it('is for supervisors: an officer, even of a unit with overdue tickets, gets 403', async () => {
    const response = await get('wjw-off', '/api/reports/overdue');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'auth.forbidden' });
  });

  it('pages with a cursor and filters by unit and inspection', async () => {
    const first = (await get('admin', '/api/reports/overdue?limit=3')).json();
    expect(numbers(first)).toEqual(['2021-2-001', '2021-2-003', '2021-2-004']);
    const second = (await get('admin', `/api/reports/overdue?limit=3&cursor=${first.nextCursor}`)).json();
    expect(numbers(second)).toEqual(['2021-3-001']);
    expect(second.nextCursor).toBeNull();
    expect(numbers((await get('admin', '/api/reports/overdue?unit=YY-WJW')).json())).toEqual(['2021-2-001', '2021-3-001']);
    const inspectionId = (await get('admin', `/api/tickets/${ids['2021-3-001']}`)).json().ticket.inspectionId;
    expect(numbers((await get('admin', `/api/reports/overdue?inspection=${inspectionId}`)).json())).toEqual(['2021-3-001']);
  });

  it('answers 400 naming the field for a bad cursor or an unknown parameter', async () => {
    const cursor = await get('gov-sup', '/api/reports/overdue?cursor=nonsense');
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json()).toMatchObject({ code: 'request.invalid_cursor', errors: [{ field: 'querystring.cursor' }] });
    const unknown = await get('gov-sup', '/api/reports/overdue?sort=desc');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([expect.objectContaining({ field: 'querystring.sort' })]);
  });

  it('counts working days with the local calendar overrides', async () => {
    const put = await t.request(tokens.admin ?? '', 'PUT', '/api/calendar/2021-07-01', { kind: 'restday', note: '建党100周年（本地安排）' });
    expect(put.statusCode).toBe(201);
    const body = (await get('gov-sup', '/api/reports/overdue')).json();
    expect(body.items.map((item: { overdueWorkingDays: number }) => item.overdueWorkingDays)).toEqual([4, 4, 4, 1]);
  });
});
