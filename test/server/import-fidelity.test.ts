import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemCatalogue } from '../../db/problem-catalogue.js';
import { problemTypes } from '../../db/schema/index.js';
import { decodeTable } from '../../workflows/imports/decode-table.js';
import { findingsTableSpec, parseFindingRows, parseNoticeDate } from '../../workflows/imports/findings.parse.js';
import { createUnitResolver } from '../../workflows/imports/unit-names.js';
import { unitsTableSpec } from '../../workflows/imports/units.parse.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let sup: string;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  const { tokens } = await seedOrganisation(t);
  sup = tokens['gov-sup'] ?? '';
});
afterAll(() => t.close());

const HEADER = '序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间';
const ctx = {
  year: 2021,
  resolveUnit: createUnitResolver([{ id: 1, code: 'U1', name: '益阳市卫生健康委员会', aliases: [] }]),
  problemCatalogue,
};
const parse = async (rows: string[]) => parseFindingRows(await decodeTable({ bytes: Buffer.from([HEADER, ...rows].join('\n')), spec: findingsTableSpec }), ctx);

describe('the problem catalogue', () => {
  it('holds the national veto items with severity and the target kinds they apply to, seeded into the database', async () => {
    const rows = await t.services.db.select().from(problemTypes);
    const byCode = new Map(rows.map((r) => [r.code, r]));
    for (const code of ['serious_error', 'security_incident', 'site_unreachable', 'homepage_not_updated', 'blank_columns', 'broken_links', 'poor_interaction', 'service_unusable']) {
      expect(byCode.get(code)?.severity, code).toBe('veto');
    }
    expect(byCode.get('poor_interaction')?.appliesTo).toBe('any');
    expect(byCode.get('no_recent_update')).toMatchObject({ appliesTo: 'any', severity: 'veto' });
    expect(byCode.get('little_information')?.severity).toBe('deduction');
    expect(rows).toHaveLength(problemCatalogue.length);
  });
});

describe('reading a problem cell', () => {
  it('keeps 「机构职能、领导信息、通知公告栏目未按要求更新」 as one problem in its words, and warns', async () => {
    const { findings, warnings, errors } = await parse(['1,健康益阳,益阳市卫生健康委员会,微信订阅号,,机构职能、领导信息、通知公告栏目未按要求更新,']);
    expect(errors).toEqual([]);
    expect(findings[0]?.problems).toEqual([{ code: 'other', text: '机构职能、领导信息、通知公告栏目未按要求更新' }]);
    expect(warnings).toEqual([{ row: 2, column: '存在的问题', value: '机构职能、领导信息、通知公告栏目未按要求更新', message: expect.stringContaining('其他') }]);
  });

  it('splits a cell whose every part is a problem, a catalogue one or not', async () => {
    const { findings, warnings } = await parse(['1,健康益阳,益阳市卫生健康委员会,微信订阅号,,"互动回应差，发布内容违规；菜单链接错误",']);
    expect(findings[0]?.problems).toEqual([
      { code: 'poor_interaction', text: '互动回应差' },
      { code: 'other', text: '发布内容违规' },
      { code: 'menu_link_error', text: '菜单链接错误' },
    ]);
    expect(warnings.map((w) => w.value)).toEqual(['发布内容违规']);
  });

  it('reads the platforms the national list lacks as platforms of their own', async () => {
    const { findings, errors } = await parse([
      '1,益阳发布,益阳市卫生健康委员会,微信视频号,,互动回应差,',
      '2,益阳快讯,益阳市卫生健康委员会,快手,,互动回应差,',
      '3,益阳生活,益阳市卫生健康委员会,小红书,,互动回应差,',
      '4,益阳通,益阳市卫生健康委员会,政务App,,互动回应差,',
    ]);
    expect(errors).toEqual([]);
    expect(findings.map((f) => f.platform)).toEqual(['wechat_channels', 'kuaishou', 'xiaohongshu', 'gov_app']);
  });
});

describe('4.21-style dates', () => {
  it('are read in the sampling year, or the year before when that would follow the sampling', () => {
    expect(parseNoticeDate('4.21', 2021, '2021-06-09')).toEqual({ date: '2021-04-21' });
    // A notice of January 2022 on December's sampling.
    expect(parseNoticeDate('12.20', 2022, '2022-01-10')).toEqual({ date: '2021-12-20' });
    expect(parseNoticeDate('12.20', 2021, '2021-12-25')).toEqual({ date: '2021-12-20' });
    expect(parseNoticeDate('2022-12-20', 2022, '2022-01-10')).toEqual({ date: '2022-12-20' });
  });

  it('take the year from the inspection’s sampling period on import', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'jan-1', issuedOn: '2022-01-10', samplingFrom: '2021-12-20', samplingTo: '2021-12-30', feedbackDeadline: '2022-01-25' });
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/inspections/${inspection.id}/findings`,
      headers: { authorization: `Bearer ${sup}`, 'content-type': 'text/csv' },
      payload: [HEADER, '1,健康益阳,益阳市卫生健康委员会,微信订阅号,,监测时间点前2周内无更新,12.2'].join('\n'),
    });
    expect(response.statusCode).toBe(201);
    const detail = (await t.request(sup, 'GET', `/api/tickets/${response.json().tickets[0].id}`)).json();
    expect(detail.finding.lastUpdatedOn).toBe('2021-12-02');
  });
});

describe('POST /api/inspections/:id/findings with a problem outside the catalogue', () => {
  it('imports it as 其他 with its words, answers a warning, and shows the words on the ticket and in its email', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'other-1' });
    const response = await t.request(sup, 'POST', `/api/inspections/${inspection.id}/findings`, {
      findings: [{ targetKind: 'new_media', platform: 'douyin', targetName: '健康益阳', ownerUnit: '益阳市卫生健康委员会', problems: ['发布内容违规'], outstanding: false }],
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().warnings).toEqual([{ row: 1, column: 'problems', value: '发布内容违规', message: expect.any(String) }]);
    const id = response.json().tickets[0].id as number;
    const detail = (await t.request(sup, 'GET', `/api/tickets/${id}`)).json();
    expect(detail.ticket).toMatchObject({ outstanding: false, problems: [{ code: 'other', label: '其他', text: '发布内容违规' }] });
    const list = (await t.request(sup, 'GET', `/api/tickets?inspection=${inspection.id}`)).json();
    expect(list.items[0].problems).toEqual([{ code: 'other', label: '其他', text: '发布内容违规' }]);
    expect(detail.notifications[0].subject).toContain('发布内容违规');
  });
});

describe('GET /api/imports/templates/:name.csv', () => {
  it('gives each import a template whose header its own parser accepts', async () => {
    for (const [name, spec] of [['findings', findingsTableSpec], ['units', unitsTableSpec]] as const) {
      const response = await t.request(sup, 'GET', `/api/imports/templates/${name}.csv`);
      expect(response.statusCode, name).toBe(200);
      expect(response.headers['content-type']).toContain('text/csv');
      expect(response.body.startsWith('\uFEFF')).toBe(true);
      const table = await decodeTable({ bytes: Buffer.from(response.body), spec });
      const required = spec.columns.filter((c) => c.required).map((c) => c.headers[0]);
      for (const header of required) expect(table.headers, `${name}: ${header}`).toContain(header);
      expect(table.rows.length).toBeGreaterThan(0);
    }
    expect((await t.request(sup, 'GET', '/api/imports/templates/nothing.csv')).statusCode).toBe(400);
  });

  it('heads the units template with every column the import reads, 领导邮箱 among them', async () => {
    const template = (await t.request(sup, 'GET', '/api/imports/templates/units.csv')).body;
    const [header, first] = template.replace('\uFEFF', '').split('\r\n');
    expect(header).toBe('代码,名称,简称,类型,上级,邮箱,领导邮箱,联系人,电话');
    expect(first).toContain('"wjw-zr@example.gov.cn, wjw-fg@example.gov.cn"');
  });

  it('is read by the import as it is: only the example units this organisation lacks are refused', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'tpl-1' });
    const template = (await t.request(sup, 'GET', '/api/imports/templates/findings.csv')).body;
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/inspections/${inspection.id}/findings`,
      headers: { authorization: `Bearer ${sup}`, 'content-type': 'text/csv' },
      payload: template,
    });
    // 益阳市卫生健康委员会 is in this test's organisation; the other two example units are not.
    expect(response.statusCode).toBe(422);
    expect(response.json().errors.map((e: { column: string; value: string }) => [e.column, e.value])).toEqual([
      ['开设主体', '益阳市水利局'],
      ['开设主体', '桃江县数据资源服务中心'],
    ]);
  });
});

describe('the catalogue in the database', () => {
  it('refuses a severity outside veto and deduction', async () => {
    await expect(t.services.db.update(problemTypes).set({ severity: 'fatal' as 'veto' }).where(eq(problemTypes.code, 'other'))).rejects.toThrow();
  });
});
