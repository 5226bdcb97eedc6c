import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../db/schema/index.js';
import { hashPassword } from '../../server/auth/password.js';
import { loadDemo } from '../../workflows/demo/load-demo.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

let t: TestApp;
let admin: string;
let inspectionId: number;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  admin = await t.login('admin');
  inspectionId = (await loadDemo(t.services)).inspectionId;
});
afterAll(() => t.close());

describe('GET /api/inspections/:id/report', () => {
  it('gives totals, progress per unit and per group of the 2021 notice, with the numbers checked', async () => {
    const response = await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report`);
    expect(response.statusCode).toBe(200);
    const report = response.json();
    expect(report.totals).toMatchObject({ tickets: 21, issued: 21, verified: 0, overdue: 0, onTimeRate: 0 });
    expect(report.byUnit.find((u: { unitCode: string }) => u.unitCode === 'YY-WJW')).toMatchObject({ tickets: 3, group: '市直部门' });
    const anhua = report.byGroup.find((g: { group: string }) => g.group === '安化县');
    // 安化县: its portal website plus two accounts; the notice checked 46 of its accounts.
    expect(anhua).toMatchObject({ tickets: 3, checked: 46 });
    expect(report.byGroup.reduce((n: number, g: { tickets: number }) => n + g.tickets, 0)).toBe(21);
  });

  it('counts a ticket rectified in time towards the on-time rate, and one past due as overdue', async () => {
    const list = (await t.request(admin, 'GET', `/api/tickets?inspection=${inspectionId}&q=${encodeURIComponent('健康益阳')}`)).json();
    const ticketId = list.items[0].id as number;
    const officer = await t.login('yy-wjw', await resetPassword('yy-wjw'));
    expect((await t.request(officer, 'POST', `/api/tickets/${ticketId}/events`, { type: 'ACKNOWLEDGE' })).statusCode).toBe(200);
    expect((await t.request(officer, 'POST', `/api/tickets/${ticketId}/events`, { type: 'SUBMIT_RECTIFICATION', feedback: '已整改' })).statusCode).toBe(200);
    t.clock.set('2021-06-26T02:00:00Z');
    const report = (await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report`)).json();
    expect(report.totals).toMatchObject({ rectified: 1, overdue: 20, onTimeRate: Math.round((1 / 21) * 1000) / 1000 });
  });

  it('exports the progress as CSV with a BOM and as an XLSX workbook', async () => {
    const csv = await t.request(admin, 'GET', `/api/inspections/${inspectionId}/report?format=csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.startsWith('\uFEFF序号,单位,分组,工单数')).toBe(true);
    expect(csv.body).toContain('益阳市卫生健康委员会,市直部门,3');

    const xlsx = await t.app.inject({ method: 'GET', url: `/api/inspections/${inspectionId}/report?format=xlsx`, headers: { authorization: `Bearer ${admin}` } });
    expect(xlsx.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['整改进度', '分组统计', '问题清单']);
    expect(workbook.getWorksheet('问题清单')?.rowCount).toBe(22);
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

/** Demo passwords are printed once; the test sets a known one through the same directory service. */
async function resetPassword(username: string): Promise<string> {
  const password = 'report-test-password';
  await t.services.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.username, username));
  return password;
}
