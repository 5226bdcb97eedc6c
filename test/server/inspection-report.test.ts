import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../db/schema/index.js';
import { hashPassword } from '../../core/password.js';
import { loadDemo } from '../../server/commands/demo.command.js';
import { rankUnits } from '../../workflows/reports/inspection-report.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

let t: TestApp;
let admin: string;
let inspectionId: number;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  admin = await t.login('admin');
  inspectionId = (await loadDemo(t.services)).inspectionId;
}, 600_000);
afterAll(() => t.close());

// 附件1 and 附件2 of the notice: group, kind, checked, with outstanding problems, pass rate.
const notice: [string, string, number, number, number][] = [
  ['市直部门', 'website', 31, 5, 0.839],
  ['区县(市)', 'website', 8, 3, 0.625],
  ['其他网站', 'website', 10, 0, 1],
  ['市直部门', 'new_media', 49, 6, 0.878],
  ['大通湖区', 'new_media', 13, 0, 1],
  ['益阳高新区', 'new_media', 6, 0, 1],
  ['东部新区', 'new_media', 2, 0, 1],
  ['南县', 'new_media', 14, 1, 0.929],
  ['沅江市', 'new_media', 26, 1, 0.962],
  ['资阳区', 'new_media', 15, 1, 0.933],
  ['赫山区', 'new_media', 18, 0, 1],
  ['桃江县', 'new_media', 27, 2, 0.926],
  ['安化县', 'new_media', 46, 2, 0.957],
];

type GroupRow = { group: string; targetKind: string; checked: number; failed: number; passRate: number; tickets: number };
type UnitRow = { unitCode: string; rank: number; tickets: number; onTime: number; onTimeRate: number; rejections: number; escalations: Record<string, number>; avgWorkingDaysToRectify: number | null; group: string };

describe('GET /api/inspections/:id/report', () => {
  it('gives the notice’s 附件1/附件2 exactly: one row per group and kind, groups without failures too', async () => {
    const response = await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report`);
    expect(response.statusCode).toBe(200);
    const report = response.json();
    expect(report.byGroup.map((g: GroupRow) => [g.group, g.targetKind, g.checked, g.failed, g.passRate])).toEqual(notice);
    expect(report.totals.scope).toEqual({ website: { checked: 49, failed: 8, passRate: 0.837 }, new_media: { checked: 216, failed: 13, passRate: 0.94 } });
    // The problems the body names (not 单否) are tickets, but no failures.
    expect(report.totals).toMatchObject({ tickets: 33, issued: 33, verified: 0, overdue: 0, onTimeRate: 0 });
    expect(report.byGroup.reduce((n: number, g: GroupRow) => n + g.tickets, 0)).toBe(33);
    const anhua = report.byGroup.find((g: GroupRow) => g.group === '安化县');
    // 安化县's two accounts of 附件3 and 「茶溪小镇·冷市慢城」; its portal website counts under 区县(市).
    expect(anhua).toMatchObject({ targetKind: 'new_media', tickets: 3, checked: 46, failed: 2 });
    expect(report.byUnit.find((u: UnitRow) => u.unitCode === 'YY-WJW')).toMatchObject({ tickets: 4, group: '市直部门', onTime: 0, rejections: 0 });
    // A county's own units are in the county's group (附件2 lists counties), not in 其他网站.
    expect(report.byUnit.find((u: UnitRow) => u.unitCode === 'ZY-YJJ')?.group).toBe('资阳区');
    expect(report.byUnit.find((u: UnitRow) => u.unitCode === 'TJ-SJZX')?.group).toBe('桃江县');
  });

  it('ranks units: on time first, a rejection and the working days to rectify counted', async () => {
    const officer = await t.login('yy-wjw', await resetPassword('yy-wjw'));
    const supervisor = await t.login('zwb-sup', await resetPassword('zwb-sup'));
    const ticketOf = async (q: string) => (await t.request(admin, 'GET', `/api/tickets?inspection=${inspectionId}&q=${encodeURIComponent(q)}`)).json().items[0].id as number;
    const [healthy, smart, site, duplicate] = [await ticketOf('健康益阳'), await ticketOf('益阳智慧医疗'), await ticketOf('益阳市卫生健康委员会网站'), await ticketOf('同一平台多个账号')];
    t.clock.set('2021-06-22T02:00:00Z'); // Tuesday: 2 working days after the Friday of issue
    for (const id of [healthy, smart, site, duplicate]) {
      expect((await t.request(officer, 'POST', `/api/tickets/${id}/events`, { type: 'ACKNOWLEDGE' })).statusCode).toBe(200);
      expect((await t.request(officer, 'POST', `/api/tickets/${id}/events`, { type: 'SUBMIT_RECTIFICATION', feedback: '=已整改，见截图' })).statusCode).toBe(200);
    }
    expect((await t.request(supervisor, 'POST', `/api/tickets/${healthy}/events`, { type: 'REJECT', reason: '仍有留言未回复' })).statusCode).toBe(200);
    // Before the due day ends: a rejection's fresh rework period is the deadlines' business, not the report's.
    t.clock.set('2021-06-24T02:00:00Z');
    const report = (await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report`)).json();
    expect(report.totals).toMatchObject({ rectified: 3, acknowledged: 1, overdue: 0, onTimeRate: Math.round((4 / 33) * 1000) / 1000 });
    const wjw = report.byUnit.find((u: UnitRow) => u.unitCode === 'YY-WJW');
    expect(wjw).toMatchObject({ rank: 1, tickets: 4, onTime: 4, onTimeRate: 1, rejections: 1, overdue: 0, avgWorkingDaysToRectify: 2, escalations: { level1: 0, level2: 0, level3: 0 } });
    expect(report.byUnit[0].unitCode).toBe('YY-WJW');
    // Every other unit is equal: none submitted, none overdue yet; they share rank 2.
    expect(new Set(report.byUnit.slice(1).map((u: UnitRow) => u.rank))).toEqual(new Set([2]));
    expect(report.byUnit.every((u: UnitRow) => u.avgWorkingDaysToRectify === null || u.unitCode === 'YY-WJW')).toBe(true);
  });

  it('exports CSV with a BOM, a title row with the 文号 and the as-of time, and no cell a spreadsheet takes for a formula', async () => {
    // A unit whose name starts like a formula, with one finding.
    const unit = await t.request(admin, 'POST', '/api/units', { code: 'EVIL', name: '=HYPERLINK("http://x","局")', kind: 'city_department', parentCode: 'YY-ZWB' });
    expect(unit.statusCode).toBe(201);
    const imported = await t.request(admin, 'POST', `/api/inspections/${inspectionId}/findings`, {
      findings: [{ targetKind: 'website', targetName: '@某网站', ownerUnit: 'EVIL', problems: ['站点无法访问'] }],
    });
    expect(imported.statusCode).toBe(201);

    const csv = await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report?format=csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('\uFEFF益政务办发〔2021〕2号 关于2021年全市政府网站与政务新媒体检查情况的通报 — 整改情况统计（截至2021年6月24日（星期四）10时）');
    expect(lines[3]?.startsWith('排名,单位,分组,工单数,按期反馈,按期整改率')).toBe(true);
    expect(lines[4]).toMatch(/^1,益阳市卫生健康委员会,市直部门,4,4,100%,0,1,/);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://x"",""局"")"`);
    for (const line of lines) for (const cell of line.split(',')) expect(cell, line).not.toMatch(/^[=+\-@\t]/);
    expect(csv.body).toContain('政府网站,市直部门,31,6,19.4%,80.6%');
    expect(csv.body).toContain('政务新媒体,合计,216,13,6%,94%');
  });

  it('exports XLSX with a title row, numbers and percentage formats, a frozen header, widths and the 问题清单', async () => {
    const xlsx = await t.app.inject({ method: 'GET', url: `/api/inspections/${inspectionId}/report?format=xlsx`, headers: { authorization: `Bearer ${admin}` } });
    expect(xlsx.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['整改进度', '分组统计', '问题清单']);
    for (const ws of workbook.worksheets) {
      expect(String(ws.getCell('A1').value)).toMatch(/^益政务办发〔2021〕2号 .*（截至2021年6月24日（星期四）10时）$/);
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
      expect(ws.getColumn(2).width).toBeGreaterThan(10);
    }
    const units = workbook.getWorksheet('整改进度');
    const rateColumn = (units?.getRow(2).values as string[]).indexOf('按期整改率');
    expect(units?.getRow(3).getCell(rateColumn).value).toBe(1);
    expect(units?.getRow(3).getCell(rateColumn).numFmt).toBe('0.0%');
    expect(units?.getCell('B3').value).toBe('益阳市卫生健康委员会');

    const groups = workbook.getWorksheet('分组统计');
    const passColumn = (groups?.getRow(2).values as string[]).indexOf('合格率');
    expect(groups?.getRow(3).getCell(passColumn).value).toBe(0.806);
    expect(groups?.getRow(3).getCell(passColumn).numFmt).toBe('0.0%');
    expect(groups?.getRow(3).getCell(3).value).toBe(31);

    const issues = workbook.getWorksheet('问题清单');
    expect(issues?.rowCount).toBe(2 + 34);
    const header = issues?.getRow(2).values as string[];
    for (const name of ['反馈期限', '整改状态', '督办级别', '单位反馈', '检查原文']) expect(header).toContain(name);
    const row = issues?.getRow(3).values as unknown[];
    expect(row[header.indexOf('反馈期限')]).toBe('2021-06-25');
    const health = issues?.getRows(3, 34)?.find((r) => r.getCell(3).value === '健康益阳');
    expect(health?.getCell(header.indexOf('单位反馈')).value).toBe('=已整改，见截图');
    expect(health?.getCell(header.indexOf('单位反馈')).type).toBe(ExcelJS.ValueType.String);
    expect(health?.getCell(header.indexOf('整改状态')).value).toBe('整改中');
  });

  it('answers 404 out of scope and 400 for an unknown format', async () => {
    expect((await t.request(admin, 'GET', '/api/inspections/99999/report')).statusCode).toBe(404);
    expect((await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report?format=pdf`)).statusCode).toBe(400);
  });

  it('writes a unit name that looks like a formula into the CSV as text', async () => {
    const renamed = await t.request(admin, 'PATCH', '/api/units/YY-JTJ', { name: '=HYPERLINK("http://evil.example","益阳市交通运输局")' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const csv = await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report?format=csv`);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil.example"",""益阳市交通运输局"")"`);
    expect(csv.body).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });
});

describe('rankUnits', () => {
  const unit = (unitCode: string, over: Partial<Parameters<typeof rankUnits>[0][number]> = {}) => ({
    unitCode, unitName: unitCode, group: 'g', tickets: 2, issued: 0, acknowledged: 0, rectified: 0, verified: 2, withdrawn: 0, overdue: 0, escalated: 0,
    onTime: 2, onTimeRate: 1, rejections: 0, escalations: { level1: 0, level2: 0, level3: 0 }, avgWorkingDaysToRectify: 2, repeats: 0, ...over,
  });
  it('orders by on-time rate, overdue, 通报/督办/催办, rejections, working days; equals share a rank', () => {
    const ranked = rankUnits([
      unit('F', { onTimeRate: null }),
      unit('E', { onTimeRate: 0.5 }),
      unit('D', { escalations: { level1: 0, level2: 0, level3: 1 } }),
      unit('C', { escalations: { level1: 2, level2: 0, level3: 0 } }),
      unit('B', { rejections: 1 }),
      unit('A2', { avgWorkingDaysToRectify: 1 }),
      unit('A1', { avgWorkingDaysToRectify: 1 }),
    ]);
    expect(ranked.map((u) => `${u.rank}${u.unitCode}`)).toEqual(['1A1', '1A2', '3B', '4C', '5D', '6E', '7F']);
  });
});

/** Demo passwords are printed once; the test sets a known one. */
async function resetPassword(username: string): Promise<string> {
  const password = 'report-test-password';
  await t.services.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.username, username));
  return password;
}
