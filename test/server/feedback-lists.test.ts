import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';
import { onPostgres } from '../helpers/test-database.js';

// The two lists the workbench needs beside the per-inspection ones: an officer's written feedback
// across inspections (GET /api/feedback) and the tickets whose extension request awaits a decision.
let t: TestApp;
let tokens: Record<string, string>;
const token = (name: string) => tokens[name] ?? '';
const inspections: number[] = [];
const ticketIds: Record<string, number> = {};

async function importFindings(inspectionId: number, findings: { targetName: string; ownerUnit: string }[]) {
  const response = await t.request(token('gov-sup'), 'POST', `/api/inspections/${inspectionId}/findings`, {
    findings: findings.map((f) => ({ targetKind: 'website', problems: ['链接不可用'], outstanding: true, ...f })),
  });
  if (response.statusCode !== 201) throw new Error(response.body);
  for (const ticket of (response.json() as { tickets: { id: number; number: string }[] }).tickets) ticketIds[ticket.number] = ticket.id;
}

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  const first = await createInspection(t, token('gov-sup'));
  const second = await createInspection(t, token('gov-sup'), { shortCode: '2021-3', documentNumber: '益政务办发〔2021〕3号', title: '第二次检查', feedbackDeadline: '2021-07-09' });
  inspections.push(first.id, second.id);
  await importFindings(first.id, [
    { targetName: '益阳市卫生健康委员会网站', ownerUnit: '益阳市卫生健康委员会' },
    { targetName: '益阳市交通运输局网站', ownerUnit: '益阳市交通运输局' },
    { targetName: '古楼乡政府网站', ownerUnit: '安化县古楼乡人民政府' },
  ]);
  await importFindings(second.id, [{ targetName: '益阳卫健信息网', ownerUnit: '益阳市卫生健康委员会' }]);
});
afterAll(async () => t?.close());

describe(`GET /api/feedback on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('gives an officer its own unit’s written feedback in every inspection, newest first, with what it may do', async () => {
    const response = await t.request(token('wjw-off'), 'GET', '/api/feedback');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [
        expect.objectContaining({ unitCode: 'YY-WJW', state: 'pending', allowedEvents: ['SUBMIT_FEEDBACK'], inspection: expect.objectContaining({ id: inspections[1], shortCode: '2021-3' }) }),
        expect.objectContaining({ unitCode: 'YY-WJW', inspection: { id: inspections[0], title: '2021年全市政府网站与政务新媒体检查情况通报', documentNumber: '益政务办发〔2021〕2号', shortCode: '2021-2' } }),
      ],
      nextCursor: null,
    });
  });

  it('gives a county office its county only and the city office all, page by page', async () => {
    const county = await t.request(token('ah-sup'), 'GET', '/api/feedback');
    expect(county.json().items.map((i: { unitCode: string }) => i.unitCode)).toEqual(['AH-GL']);
    const codes: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.request(token('gov-sup'), 'GET', `/api/feedback?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode).toBe(200);
      codes.push(...page.json().items.map((i: { unitCode: string; inspectionId: number }) => `${i.inspectionId}:${i.unitCode}`));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(codes.sort()).toEqual([`${inspections[0]}:AH-GL`, `${inspections[0]}:YY-JTJ`, `${inspections[0]}:YY-WJW`, `${inspections[1]}:YY-WJW`].sort());
  });

  it('answers an officer of a unit without tickets with an empty list, and refuses a foreign cursor', async () => {
    expect((await t.request(token('gov-off'), 'GET', '/api/feedback')).json()).toEqual({ items: [], nextCursor: null });
    const bad = await t.request(token('gov-off'), 'GET', '/api/feedback?cursor=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'request.invalid_cursor' });
  });
});

describe(`GET /api/tickets?extensionRequested=true on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('lists the tickets whose extension request awaits a decision, and drops them once decided', async () => {
    const wjw = ticketIds['2021-2-001'] ?? 0;
    const jtj = ticketIds['2021-2-002'] ?? 0;
    const listed = async (who: string) =>
      (await t.request(token(who), 'GET', `/api/tickets?extensionRequested=true&inspection=${inspections[0]}`)).json().items.map((i: { number: string }) => i.number);
    expect(await listed('gov-sup')).toEqual([]);
    for (const [who, id] of [['wjw-off', wjw], ['jtj-off', jtj]] as const) {
      const asked = await t.request(token(who), 'POST', `/api/tickets/${id}/events`, { type: 'REQUEST_EXTENSION', until: '2021-07-09', reason: '需协调技术公司改版' });
      expect(asked.statusCode).toBe(200);
    }
    expect(await listed('gov-sup')).toEqual(['2021-2-001', '2021-2-002']);
    expect(await listed('ah-sup')).toEqual([]);
    const refused = await t.request(token('gov-sup'), 'POST', `/api/tickets/${jtj}/events`, { type: 'REFUSE_EXTENSION', reason: '期限内可以完成' });
    expect(refused.statusCode).toBe(200);
    expect(await listed('gov-sup')).toEqual(['2021-2-001']);
    const others = await t.request(token('gov-sup'), 'GET', `/api/tickets?extensionRequested=false&inspection=${inspections[0]}`);
    expect(others.json().items.map((i: { number: string }) => i.number)).toEqual(['2021-2-002', '2021-2-003']);
  });
});
