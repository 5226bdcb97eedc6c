import iconv from 'iconv-lite';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../server/commands/demo.command.js';
import { png, uploadOk } from '../helpers/evidence-files.js';
import { collectBrowserErrors, eventually, expectAccessible, phone, screenshot, signIn, startWorkbench, type Workbench } from './workbench-harness.js';

// An inspection's 单位 and 检查范围 tabs in Debian's Chromium, on the demo's 2021 notice: each
// responsible unit's tickets by state, overdue and written feedback as the report API counts them;
// a unit's link opens the 工单 tab on its tickets; the scope (附件1/附件2) is replaced by uploading
// the attachment's table, a bad row listed and nothing changed until the file is right.
let w: Workbench;
let inspectionId: number;
let passwords: Record<string, string>;
let supervisor: { context: BrowserContext; page: Page };
const browserErrors: string[] = [];

interface UnitRow {
  unitCode: string;
  unitName: string;
  group: string;
  tickets: number;
  issued: number;
  acknowledged: number;
  rectified: number;
  verified: number;
  withdrawn: number;
  overdue: number;
  feedback: string;
  feedbackOnTime: boolean | null;
}
interface ScopeGroup {
  group: string;
  targetKind: string;
  checked: number;
  failed?: number;
}

const tokens = new Map<string, string>();
async function token(username: string): Promise<string> {
  const known = tokens.get(username);
  if (known) return known;
  const fresh = await w.t.login(username, passwords[username] ?? '');
  tokens.set(username, fresh);
  return fresh;
}
const get = async (url: string) => {
  const response = await w.t.request(await token('zwb-sup'), 'GET', url);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};
async function act(username: string, url: string, body: Record<string, unknown>) {
  const response = await w.t.request(await token(username), 'POST', url, body);
  expect(response.statusCode, `${username} ${url} ${response.body}`).toBe(200);
}
/** Table rows, each as its cells' texts. */
const cellsOf = (rows: Locator) => rows.evaluateAll((found) => found.map((row) => [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())));
/** The body rows of the table in a region. */
const rowsIn = (page: Page, region: string) => cellsOf(page.getByRole('region', { name: region }).locator('.el-table__body-wrapper tr.el-table__row'));
const footerIn = (page: Page, region: string) => cellsOf(page.getByRole('region', { name: region }).locator('.el-table__footer-wrapper tr'));

const UNITS = '各责任单位整改情况';
const feedbackWords: Record<string, string> = { pending: '待报送', submitted: '已报送', accepted: '已接收', returned: '已退回' };
const stateKeys = ['issued', 'acknowledged', 'rectified', 'verified', 'withdrawn'] as const;
const countKeys = ['tickets', ...stateKeys, 'overdue'] as const;

const csv = (lines: string[]) => iconv.encode(`${lines.join('\r\n')}\r\n`, 'gb18030');
const HEADER = '序号,单位,检查网站数,发现存在突出问题的网站数';
const badScope = csv([HEADER, '1,市直部门,32,5', '2,区县(市),八,3', '3,其他网站,10,0', '合计,,50,8']);
const goodScope = csv([HEADER, '1,市直部门,32,5', '2,区县(市),8,3', '3,其他网站,10,0', '合计,,50,8']);

beforeAll(async () => {
  // Monday 2021-06-21: the units are at work on the notice of 17 June, due Friday 25 June.
  w = await startWorkbench({ now: '2021-06-21T10:00:00+08:00' });
  const demo = await loadDemo(w.t.services);
  inspectionId = demo.inspectionId;
  passwords = Object.fromEntries(demo.usersCreated.map((u) => [u.username, u.password]));

  // 益阳市交通运输局 rectifies, is verified and has its written report accepted; 益阳市卫生健康委员会
  // signs for one ticket and has its report returned; everyone else waits past the deadline.
  const ticketsOf = async (unit: string) => (await get(`/api/tickets?inspection=${inspectionId}&unit=${unit}`)).items as { id: number }[];
  const [jtj] = await ticketsOf('YY-JTJ');
  const [wjw] = await ticketsOf('YY-WJW');
  await act('yy-jtj', `/api/tickets/${jtj?.id}/events`, { type: 'ACKNOWLEDGE' });
  await act('yy-jtj', `/api/tickets/${jtj?.id}/events`, { type: 'SUBMIT_RECTIFICATION', feedback: '已修复菜单链接，并安排专人回复留言。' });
  await act('zwb-sup', `/api/tickets/${jtj?.id}/events`, { type: 'VERIFY', comment: '整改到位' });
  await act('yy-wjw', `/api/tickets/${wjw?.id}/events`, { type: 'ACKNOWLEDGE' });
  for (const [username, unit, decision] of [
    ['yy-jtj', 'YY-JTJ', { type: 'ACCEPT_FEEDBACK' }],
    ['yy-wjw', 'YY-WJW', { type: 'RETURN_FEEDBACK', reason: '报告未加盖公章。' }],
  ] as const) {
    const [scan] = await uploadOk(w.t, await token(username), [{ name: '整改情况报告（盖章）.png', bytes: png(unit) }]);
    await act(username, `/api/inspections/${inspectionId}/feedback/${unit}/events`, { type: 'SUBMIT_FEEDBACK', attachmentIds: [scan?.id] });
    await act('zwb-sup', `/api/inspections/${inspectionId}/feedback/${unit}/events`, decision);
  }
  // Wednesday 30 June: three working days past the deadline.
  w.t.clock.set('2021-06-30T10:00:00+08:00');

  const context = await w.newContext();
  supervisor = { context, page: await context.newPage() };
  collectBrowserErrors(supervisor.page, browserErrors);
}, 300_000);

afterAll(async () => {
  await w?.close();
});

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  if (browserErrors.length) console.error(`browser errors:\n${browserErrors.join('\n')}`);
  if (supervisor?.page && !supervisor.page.isClosed()) await screenshot(supervisor.page, 'failed-inspection-units');
});

describe('an inspection’s units and scope in a browser', { timeout: 180_000 }, () => {
  it('单位: each unit’s tickets by state, overdue and written feedback are the report API’s', async () => {
    const { page } = supervisor;
    await page.goto(`/inspections/${inspectionId}?tab=units`);
    await signIn(page, 'zwb-sup', passwords['zwb-sup'] ?? '');
    await eventually(() => page.getByRole('tab', { name: '单位', selected: true }).count()).toBe(1);

    const byUnit = (await get(`/api/inspections/${inspectionId}/report`)).byUnit as UnitRow[];
    expect(byUnit.find((u) => u.unitCode === 'YY-JTJ')).toMatchObject({ tickets: 1, verified: 1, overdue: 0, feedback: 'accepted' });
    expect(byUnit.find((u) => u.unitCode === 'YY-WJW')).toMatchObject({ tickets: 4, acknowledged: 1, issued: 3, overdue: 4, feedback: 'returned' });
    const expected = byUnit.map((u) => [
      `${u.unitName}${u.group}`,
      ...countKeys.map((k) => String(u[k])),
      `${feedbackWords[u.feedback] ?? u.feedback}${u.feedbackOnTime === false ? '（逾期）' : ''}`,
      `查看工单：${u.unitName}`,
    ]);
    const byName = (rows: string[][]) => [...rows].sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
    await eventually(async () => byName(await rowsIn(page, UNITS))).toEqual(byName(expected));
    // The most overdue first; the 合计 row sums the API's counts.
    const shown = await rowsIn(page, UNITS);
    expect(Number(shown[0]?.[7])).toBe(Math.max(...byUnit.map((u) => u.overdue)));
    expect((await footerIn(page, UNITS))[0]?.slice(0, 8)).toEqual(['合计', ...countKeys.map((k) => String(byUnit.reduce((n, u) => n + u[k], 0)))]);
    const late = byUnit.filter((u) => u.overdue > 0).length;
    expect((await page.getByText(/本次检查共涉及责任单位/).textContent())?.replace(/\s+/g, '')).toBe(`本次检查共涉及责任单位${byUnit.length}个，其中有逾期工单的${late}个，书面反馈已接收1个。`);

    await page.mouse.move(0, 0);
    await screenshot(page, 'inspection-units');
    await expectAccessible(page, '单位 tab');
  });

  it('a unit’s link opens 工单 on that unit’s tickets, as GET /api/tickets?unit= lists them', async () => {
    const { page } = supervisor;
    await page.getByRole('link', { name: /^查看工单\s*：益阳市卫生健康委员会$/ }).click();
    await page.waitForURL((url) => url.searchParams.get('tab') === 'tickets' && url.searchParams.get('unit') === 'YY-WJW');
    await eventually(() => page.getByRole('tab', { name: '工单', selected: true }).count()).toBe(1);
    const numbers = ((await get(`/api/tickets?inspection=${inspectionId}&unit=YY-WJW`)).items as { number: string }[]).map((t) => t.number);
    expect(numbers).toHaveLength(4);
    await eventually(async () => (await rowsIn(page, '本次检查的工单')).map((r) => r[0])).toEqual(numbers);
    expect(new Set((await rowsIn(page, '本次检查的工单')).map((r) => r[3]))).toEqual(new Set(['益阳市卫生健康委员会']));
    await eventually(() => page.locator('.tickets .filters').textContent()).toContain('益阳市卫生健康委员会');
    await screenshot(page, 'inspection-unit-tickets');
    await expectAccessible(page, '工单 tab filtered by unit');

    // Back on 单位, another unit's link: its own tickets.
    await page.getByRole('tab', { name: '单位' }).click();
    await page.getByRole('link', { name: /^查看工单\s*：益阳市交通运输局$/ }).click();
    await page.waitForURL((url) => url.searchParams.get('unit') === 'YY-JTJ');
    const jtj = ((await get(`/api/tickets?inspection=${inspectionId}&unit=YY-JTJ`)).items as { number: string }[]).map((t) => t.number);
    await eventually(async () => (await rowsIn(page, '本次检查的工单')).map((r) => r[0])).toEqual(jtj);
  });

  it('检查范围 shows 附件1/附件2; a bad row is listed and changes nothing; the corrected file replaces 附件1 only', async () => {
    const { page } = supervisor;
    await page.getByRole('tab', { name: '检查范围' }).click();
    const before = (await get(`/api/inspections/${inspectionId}`)).scope as ScopeGroup[];
    const tableOf = (groups: ScopeGroup[], kind: string) => {
      const rows = groups.filter((g) => g.targetKind === kind);
      return [
        ...rows.map((g, i) => [String(i + 1), g.group, String(g.checked), String(g.failed ?? '—')]),
        ['合计', '', String(rows.reduce((n, g) => n + g.checked, 0)), String(rows.reduce((n, g) => n + (g.failed ?? 0), 0))],
      ];
    };
    await eventually(() => rowsIn(page, '附件1 全市政府网站检查情况')).toEqual(tableOf(before, 'website'));
    expect(await rowsIn(page, '附件2 全市政务新媒体检查情况')).toEqual(tableOf(before, 'new_media'));

    // The row the server refuses, as it refuses it.
    const file = page.locator(`#scope-file-${inspectionId}`);
    await file.setInputFiles({ name: '附件1.csv', mimeType: 'text/csv', buffer: badScope });
    const errorsRegion = '错误（1 处）';
    await eventually(() => page.getByRole('region', { name: errorsRegion }).count()).toBe(1);
    const [error] = await rowsIn(page, errorsRegion);
    expect(error?.slice(0, 4)).toEqual(['3', '检查网站数', '八', '检查数应为不小于 0 的整数']);
    expect(await page.getByRole('alert').textContent()).toContain('检查范围未导入');
    expect((await get(`/api/inspections/${inspectionId}`)).scope).toEqual(before);
    await screenshot(page, 'inspection-scope-error');
    await expectAccessible(page, '检查范围 with a row error');

    await file.setInputFiles({ name: '附件1（改正）.csv', mimeType: 'text/csv', buffer: goodScope });
    await eventually(() => page.getByRole('status').filter({ hasText: '更新检查范围' }).count()).toBe(1);
    expect(await page.getByRole('region', { name: errorsRegion }).count()).toBe(0);
    const after = (await get(`/api/inspections/${inspectionId}`)).scope as ScopeGroup[];
    expect(after.filter((g) => g.targetKind === 'website')).toEqual([
      { group: '市直部门', targetKind: 'website', checked: 32, failed: 5 },
      { group: '区县(市)', targetKind: 'website', checked: 8, failed: 3 },
      { group: '其他网站', targetKind: 'website', checked: 10, failed: 0 },
    ]);
    expect(after.filter((g) => g.targetKind === 'new_media')).toEqual(before.filter((g) => g.targetKind === 'new_media'));
    await eventually(() => rowsIn(page, '附件1 全市政府网站检查情况')).toEqual(tableOf(after, 'website'));
    expect((await get(`/api/inspections/${inspectionId}/report`)).totals.scope.website.checked).toBe(50);
    await page.mouse.move(0, 0);
    await screenshot(page, 'inspection-scope');
    await expectAccessible(page, '检查范围');
  });

  it('reads at a phone’s width', async () => {
    const context = await w.newContext(phone);
    const page = await context.newPage();
    await page.goto(`/inspections/${inspectionId}?tab=units`);
    await signIn(page, 'zwb-sup', passwords['zwb-sup'] ?? '');
    // One card per unit, each linking to its tickets.
    const byUnit = (await get(`/api/inspections/${inspectionId}/report`)).byUnit as UnitRow[];
    const cards = page.getByRole('region', { name: UNITS }).locator('article');
    await eventually(() => cards.count()).toBe(byUnit.length);
    expect((await cards.first().textContent())?.replace(/\s+/g, '')).toContain('益阳市卫生健康委员会市直部门工单4件，待签收3，整改中1，逾期4件书面反馈已退回');
    await screenshot(page, 'inspection-units');
    await expectAccessible(page, '单位 tab, phone');
    await page.getByRole('tab', { name: '检查范围' }).click();
    await eventually(async () => (await rowsIn(page, '附件2 全市政务新媒体检查情况')).length).toBeGreaterThan(0);
    await screenshot(page, 'inspection-scope');
    await context.close();
  });
});
