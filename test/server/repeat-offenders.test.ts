import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;
let earlier: number;
let later: number;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  tokens = (await seedOrganisation(t)).tokens;
  const sup = tokens['gov-sup'] ?? '';
  earlier = (await createInspection(t, sup, { shortCode: '2020-4', issuedOn: '2020-11-10', samplingFrom: null, samplingTo: null, feedbackDeadline: '2020-11-30' })).id;
  later = (await createInspection(t, sup)).id;
  const website = { targetKind: 'website' as const, platform: null };
  await issueFindings(t, earlier, [
    { unitCode: 'YY-WJW', targetName: '健康益阳' },
    { unitCode: 'AH-GL', targetName: '印象古楼', problems: [{ code: 'no_recent_update', text: '监测时间点前2周内无更新' }] },
    { unitCode: 'YY-JTJ', targetName: '益阳市交通运输局网站', ...website, problems: [{ code: 'other', text: '发布内容违规' }] },
    { unitCode: 'YY-JTJ', targetName: '益阳交通', problems: [{ code: 'other', text: '头像模糊' }] },
  ]);
  await issueFindings(t, later, [
    { unitCode: 'YY-WJW', targetName: '健康益阳', problems: [{ code: 'poor_interaction', text: '互动回应差' }, { code: 'menu_link_error', text: '菜单链接错误' }] },
    { unitCode: 'AH-GL', targetName: '印象古楼' },
    { unitCode: 'YY-JTJ', targetName: '益阳市交通运输局网站', ...website, problems: [{ code: 'other', text: '发布内容违规' }] },
    { unitCode: 'YY-JTJ', targetName: '益阳交通', problems: [{ code: 'other', text: '简介过时' }] },
  ]);
});
afterAll(() => t.close());

type Ticket = { number: string; target: { name: string }; repeatOf: { inspection: string; number: string }[] };

describe('repeatOf on tickets', () => {
  it('names the earlier ticket of the same target with the same problem, and nothing for a different problem or other words', async () => {
    const items = (await t.request(tokens['gov-sup'] ?? '', 'GET', `/api/tickets?inspection=${later}`)).json().items as Ticket[];
    const byName = new Map(items.map((i) => [i.target.name, i.repeatOf]));
    expect(byName.get('健康益阳')).toEqual([{ inspection: '2020-4', number: '2020-4-001' }]);
    expect(byName.get('益阳市交通运输局网站')).toEqual([{ inspection: '2020-4', number: '2020-4-003' }]);
    expect(byName.get('印象古楼')).toEqual([]);
    expect(byName.get('益阳交通')).toEqual([]);
    const first = (await t.request(tokens['gov-sup'] ?? '', 'GET', `/api/tickets?inspection=${earlier}`)).json().items as Ticket[];
    expect(first.every((i) => i.repeatOf.length === 0)).toBe(true);
  });

  it('are counted per unit in the report', async () => {
    const report = (await t.request(tokens['gov-sup'] ?? '', 'GET', `/api/inspections/${later}/report`)).json();
    const repeats = Object.fromEntries(report.byUnit.map((u: { unitCode: string; repeats: number }) => [u.unitCode, u.repeats]));
    expect(repeats).toEqual({ 'YY-WJW': 1, 'YY-JTJ': 1, 'AH-GL': 0 });
  });
});

describe('GET /api/reports/repeat-offenders', () => {
  it('lists the targets found with the same problem in more than one inspection, with the inspections and tickets', async () => {
    const response = await t.request(tokens['gov-sup'] ?? '', 'GET', '/api/reports/repeat-offenders');
    expect(response.statusCode).toBe(200);
    const items = response.json().items;
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      target: { name: '健康益阳', kind: 'new_media' },
      unitCode: 'YY-WJW',
      problem: { code: 'poor_interaction', label: '互动回应差' },
      findings: [
        { inspection: { shortCode: '2020-4', issuedOn: '2020-11-10' }, ticket: { number: '2020-4-001', state: 'issued' } },
        { inspection: { shortCode: '2021-2', documentNumber: '益政务办发〔2021〕2号' }, ticket: { number: '2021-2-001' } },
      ],
    });
    expect(items[1]).toMatchObject({ target: { name: '益阳市交通运输局网站' }, problem: { code: 'other', label: '其他', text: '发布内容违规' } });
  });

  it('counts only inspections issued since the date given', async () => {
    const response = await t.request(tokens['gov-sup'] ?? '', 'GET', '/api/reports/repeat-offenders?since=2021-01-01');
    expect(response.json().items).toEqual([]);
    expect((await t.request(tokens['gov-sup'] ?? '', 'GET', '/api/reports/repeat-offenders?since=2021-13-01')).statusCode).toBe(400);
  });

  it('keeps to the caller’s subtree, and is for supervisors', async () => {
    expect((await t.request(tokens['ah-sup'] ?? '', 'GET', '/api/reports/repeat-offenders')).json().items).toEqual([]);
    const wjw = (await t.request(tokens['wjw-sup'] ?? '', 'GET', '/api/reports/repeat-offenders')).json().items;
    expect(wjw.map((i: { target: { name: string } }) => i.target.name)).toEqual(['健康益阳']);
    expect((await t.request(tokens['wjw-off'] ?? '', 'GET', '/api/reports/repeat-offenders')).statusCode).toBe(403);
  });
});
