import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../server/commands/demo.command.js';
import { collectBrowserErrors, eventually, desktop, expectAccessible, screensDir, screenshot, signIn, startWorkbench, type Workbench } from './workbench-harness.js';

// The report (报表) of the demo's 2021 notice in Debian's Chromium: what the page shows is what the
// API answers — pass rates, totals per kind, a unit's row — the downloads come with their types,
// and 屡查屡犯 lists what GET /api/reports/repeat-offenders lists.
let w: Workbench;
let supervisorToken: string;
let supervisorPassword: string;
let officerPassword: string;
let inspectionId: number;
let supervisor: { context: BrowserContext; page: Page };
const browserErrors: string[] = [];

interface Report {
  totals: { tickets: number; verified: number; overdue: number; onTimeRate: number | null; scope: Record<'website' | 'new_media', { checked: number | null; failed: number; passRate: number | null }> };
  byGroup: { group: string; targetKind: 'website' | 'new_media'; checked: number | null; failed: number; passRate: number | null; tickets: number; verified: number; overdue: number }[];
  byUnit: {
    rank: number;
    unitName: string;
    group: string;
    tickets: number;
    onTime: number;
    overdue: number;
    rejections: number;
    escalations: { level1: number; level2: number; level3: number };
    avgWorkingDaysToRectify: number | null;
    feedback: string;
  }[];
}

const get = async (url: string) => {
  const response = await w.t.request(supervisorToken, 'GET', url);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};
const percent = (rate: number | null) => (rate === null ? '—' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`);
/** The body rows of the table in a region, each as its cells' texts. */
const rowsIn = (page: Page, region: string) =>
  page
    .getByRole('region', { name: region })
    .locator('.el-table__body-wrapper tr.el-table__row')
    .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').trim())));

beforeAll(async () => {
  // Monday 2021-06-21: the units are at work on the notice of 17 June, due Friday 25 June.
  w = await startWorkbench({ now: '2021-06-21T10:00:00+08:00' });
  const demo = await loadDemo(w.t.services);
  inspectionId = demo.inspectionId;
  const passwordOf = (username: string) => demo.usersCreated.find((u) => u.username === username)?.password ?? '';
  supervisorPassword = passwordOf('zwb-sup');
  officerPassword = passwordOf('yy-jtj');
  supervisorToken = await w.t.login('zwb-sup', supervisorPassword);

  // 益阳市交通运输局 rectifies in time; everything else is left until the sweep climbs the ladder.
  const officer = await w.t.login('yy-jtj', officerPassword);
  const jtj = (await get(`/api/tickets?inspection=${inspectionId}&unit=YY-JTJ`)).items[0].id as number;
  for (const body of [{ type: 'ACKNOWLEDGE' }, { type: 'SUBMIT_RECTIFICATION', feedback: '已修复菜单链接，并安排专人回复留言。' }]) {
    expect((await w.t.request(officer, 'POST', `/api/tickets/${jtj}/events`, body)).statusCode).toBe(200);
  }
  // A July spot check finds 健康益阳 with the same problem again: a repeat offender (屡查屡犯).
  const later = await w.t.request(supervisorToken, 'POST', '/api/inspections', {
    title: '2021年7月政务新媒体抽查情况通报',
    documentNumber: '益政务办发〔2021〕5号',
    shortCode: '2021-5',
    issuedOn: '2021-07-01',
    feedbackDeadline: '2021-07-16',
    issuingUnitCode: 'YY-ZWB',
  });
  expect(later.statusCode, later.body).toBe(201);
  const findings = await w.t.request(supervisorToken, 'POST', `/api/inspections/${later.json().id}/findings`, {
    findings: [{ targetKind: 'new_media', platform: 'wechat_subscription', targetName: '健康益阳', ownerUnit: '益阳市卫生健康委员会', county: null, problems: ['互动回应差'], lastUpdatedOn: null, outstanding: true }],
  });
  expect(findings.statusCode, findings.body).toBe(201);

  // Thursday 2021-07-08: nine working days past the notice's deadline, every open ticket is at 通报.
  w.t.clock.set('2021-07-08T10:00:00+08:00');
  await w.t.services.sweep.run({ now: w.t.clock.now(), logger: { info: () => {}, warn: () => {}, error: () => {} } });

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
  if (supervisor?.page && !supervisor.page.isClosed()) await screenshot(supervisor.page, 'failed-reports');
});

describe('the report pages in a browser', { timeout: 180_000 }, () => {
  it('shows the notice’s tables, the totals per kind and each unit’s row as the API reports them', async () => {
    const { page } = supervisor;
    await page.goto(`/inspections/${inspectionId}/report`);
    await signIn(page, 'zwb-sup', supervisorPassword);
    expect(new URL(page.url()).pathname).toBe(`/inspections/${inspectionId}/report`);
    const report = (await get(`/api/inspections/${inspectionId}/report`)) as Report;
    // The demo reproduces the notice's 附件1/附件2.
    expect(report.totals.scope.website).toEqual({ checked: 49, failed: 8, passRate: 0.837 });
    expect(report.totals.scope.new_media).toEqual({ checked: 216, failed: 13, passRate: 0.94 });

    const attachments = [
      ['website', '附件1 全市政府网站检查情况', '政府网站（附件1）'],
      ['new_media', '附件2 全市政务新媒体检查情况', '政务新媒体（附件2）'],
    ] as const;
    for (const [kind, region, total] of attachments) {
      const groups = report.byGroup.filter((g) => g.targetKind === kind);
      const scope = report.totals.scope[kind];
      const expected = [
        ...groups.map((g, i) => [String(i + 1), g.group, String(g.checked ?? '—'), String(g.failed), percent(g.passRate), String(g.tickets), String(g.verified), String(g.overdue)]),
        ['合计', '', String(scope.checked), String(scope.failed), percent(scope.passRate), ...(['tickets', 'verified', 'overdue'] as const).map((k) => String(groups.reduce((n, g) => n + g[k], 0)))],
      ];
      await eventually(() => rowsIn(page, region)).toEqual(expected);
      const figures = (await page.locator('.total').filter({ hasText: total }).textContent())?.replace(/\s+/g, '') ?? '';
      expect(figures).toContain(`检查${scope.checked}个，存在突出问题${scope.failed}个合格率${percent(scope.passRate)}`);
    }

    const ranking = '各单位整改进度与排名';
    const feedbackWords: Record<string, string> = { pending: '待报送', submitted: '已报送', accepted: '已接收', returned: '已退回' };
    const unitRow = (u: Report['byUnit'][number]) => [
      String(u.rank),
      u.unitName,
      u.group,
      String(u.tickets),
      String(u.onTime),
      String(u.overdue),
      String(u.rejections),
      String(u.escalations.level1),
      String(u.escalations.level2),
      String(u.escalations.level3),
      String(u.avgWorkingDaysToRectify ?? '—'),
      expect.stringContaining(feedbackWords[u.feedback] ?? u.feedback),
    ];
    await eventually(() => rowsIn(page, ranking)).toEqual(report.byUnit.map(unitRow));
    const wjw = report.byUnit.find((u) => u.unitName === '益阳市卫生健康委员会');
    expect(wjw).toMatchObject({ tickets: 4, onTime: 0, overdue: 4, escalations: { level3: 4 } });
    const jtj = report.byUnit.find((u) => u.unitName === '益阳市交通运输局');
    expect(jtj).toMatchObject({ rank: 1, tickets: 1, onTime: 1, overdue: 0 });
    expect((await rowsIn(page, ranking))[0]?.slice(0, 5)).toEqual(['1', '益阳市交通运输局', '市直部门', '1', '1']);

    // Sortable: 逾期, most first, puts the health commission's four on top.
    await page.getByRole('region', { name: ranking }).getByRole('columnheader', { name: '逾期' }).click();
    await page.getByRole('region', { name: ranking }).getByRole('columnheader', { name: '逾期' }).click();
    await eventually(async () => (await rowsIn(page, ranking))[0]?.[1]).toBe('益阳市卫生健康委员会');

    const candidates = (await get(`/api/inspections/${inspectionId}/bulletin-candidates`)).items as { ticket: { number: string }; overdueWorkingDays: number }[];
    const overdue = (await get(`/api/reports/overdue?inspection=${inspectionId}&limit=200`)).items as { number: string }[];
    expect(candidates.length).toBeGreaterThan(0);
    await eventually(() => page.getByRole('heading', { name: `拟通报（${candidates.length}）` }).count()).toBe(1);
    expect((await rowsIn(page, `拟通报（${candidates.length}）`)).map((r) => [r[0], r[4]])).toEqual(candidates.map((c) => [c.ticket.number, String(c.overdueWorkingDays)]));
    expect((await rowsIn(page, `逾期工单（${overdue.length}）`)).map((r) => r[0])).toEqual(overdue.map((t) => t.number));

    await eventually(() => page.getByRole('img', { name: /各分组合格率：市直部门政府网站83.9%/ }).count()).toBe(1);
    await eventually(() => page.getByRole('img', { name: /各单位整改进度/ }).count()).toBe(1);
    await page.mouse.move(0, 0);
    await screenshot(page, 'report');
    // The first screen as a person sees it, beside the whole page.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(screensDir, 'report-first-screen-1366.png') });
    for (const [heading, name] of [['各分组合格率', 'charts'], ['各单位整改进度与排名', 'ranking'], [`拟通报（${candidates.length}）`, 'bulletin']] as const) {
      await page.getByRole('heading', { name: heading }).evaluate((element) => element.scrollIntoView());
      await page.screenshot({ path: path.join(screensDir, `report-${name}-1366.png`) });
    }
    await expectAccessible(page, '报表');
  });

  it('downloads the CSV, the workbook and the draft bulletin with their content types', async () => {
    const { page, context } = supervisor;
    const types: [string, string][] = [
      ['导出CSV', 'text/csv; charset=utf-8'],
      ['导出Excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ['通报草稿', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ];
    for (const [name, type] of types) {
      const href = await page.getByRole('link', { name }).getAttribute('href');
      expect(href, name).toMatch(new RegExp(`^/api/inspections/${inspectionId}/`));
      const response = await context.request.get(href ?? '');
      expect(response.status(), name).toBe(200);
      expect(response.headers()['content-type'], name).toBe(type);
      expect(response.headers()['content-disposition'], name).toContain('attachment');
      const body = await response.body();
      if (name === '导出CSV') expect(body.toString('utf8')).toContain('益政务办发〔2021〕2号');
      else expect(body.subarray(0, 2).toString('latin1')).toBe('PK');
    }
  });

  it('opens 屡查屡犯 from the report: the targets and tickets the API lists', async () => {
    const { page } = supervisor;
    await page.getByRole('link', { name: '屡查屡犯' }).click();
    await page.waitForURL(/\/reports\/repeat-offenders$/);
    const items = (await get('/api/reports/repeat-offenders')).items as { target: { name: string }; unitName: string; problem: { label: string }; findings: { ticket: { number: string } }[] }[];
    expect(items.map((i) => i.target.name)).toEqual(['健康益阳']);
    const region = `屡查屡犯问题（${items.length}）`;
    await eventually(() => page.getByRole('heading', { name: region }).count()).toBe(1);
    await eventually(async () => (await rowsIn(page, region)).map((r) => [r[0], r[2], r[3]])).toEqual(items.map((i) => [i.target.name, i.unitName, i.problem.label]));
    for (const item of items) {
      for (const f of item.findings) await eventually(() => page.getByRole('link', { name: f.ticket.number }).count()).toBe(1);
    }
    await screenshot(page, 'repeat-offenders');
    await expectAccessible(page, '屡查屡犯');

    // Only issued on or after 2021-07-01: one inspection is left, so nothing repeats.
    await page.getByLabel('检查印发日期不早于').fill('2021-07-01');
    await page.getByLabel('检查印发日期不早于').press('Enter');
    await page.getByRole('button', { name: '查询' }).click();
    expect((await get('/api/reports/repeat-offenders?since=2021-07-01')).items).toEqual([]);
    await eventually(() => page.getByRole('heading', { name: '屡查屡犯问题（0）' }).count()).toBe(1);
  });

  it('is not there for an officer', async () => {
    const context = await w.newContext(desktop);
    const page = await context.newPage();
    await page.goto(`/inspections/${inspectionId}/report`);
    await signIn(page, 'yy-jtj', officerPassword);
    await eventually(() => page.locator('main').textContent()).toContain('页面不存在');
    await context.close();
  });
});
