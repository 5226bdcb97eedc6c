import iconv from 'iconv-lite';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, seedOrganisation } from '../helpers/fixtures.js';
import { collectBrowserErrors, eventually, expectAccessible, pickDate, screenshot, signIn, startWorkbench, type Workbench } from './workbench-harness.js';

// 检查 in Debian's Chromium against the real server on a fresh embedded database: a supervisor
// creates an inspection, imports the notice's table as Chinese Excel saves it (GB18030) with one
// row naming an unknown unit, sees the row error with the unit to write instead, corrects the file
// and imports it; the tickets appear on the inspection's 工单 tab.
let w: Workbench;
let tokens: Record<string, string>;
let supervisor: { context: BrowserContext; page: Page };
let inspectionId = 0;

const HEADER = '序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间';
const ROWS = [
  '1,健康益阳,益阳市卫生健康委员会,微信订阅号,,互动回应差,',
  '2,益阳交通,益阳市交通运输局,微信订阅号,,"监测时间点前2周内无更新，发布内容违规",5.18',
  // 益阳市卫健委员会 is no unit's name or alias: the check suggests 益阳市卫生健康委员会.
  '3,益阳卫健微博,益阳市卫健委员会,微博,,互动回应差,',
];
const gb18030 = (lines: string[]) => iconv.encode(`${[HEADER, ...lines].join('\r\n')}\r\n`, 'gb18030');
const withBadRow = gb18030(ROWS);
const corrected = gb18030(ROWS.map((row) => row.replace('益阳市卫健委员会', '益阳市卫生健康委员会')));

beforeAll(async () => {
  w = await startWorkbench({ now: '2021-06-18T10:00:00+08:00' });
  ({ tokens } = await seedOrganisation(w.t));
  const context = await w.newContext();
  supervisor = { context, page: await context.newPage() };
  collectBrowserErrors(supervisor.page, browserErrors);
}, 240_000);

afterAll(async () => {
  await w?.close();
});

// What the browser showed and said when a step failed.
const browserErrors: string[] = [];
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  if (browserErrors.length) console.error(`browser errors:\n${browserErrors.join('\n')}`);
  const page = supervisor?.page;
  if (page && !page.isClosed()) await screenshot(page, 'failed-inspections');
});

const ticketsOfInspection = async () => {
  const response = await w.t.request(tokens['gov-sup'] ?? '', 'GET', `/api/tickets?inspection=${inspectionId}&limit=200`);
  return (response.json().items as { number: string }[]).map((ticket) => ticket.number);
};

const pickDateIn = (page: Page, label: string, date: string) =>
  pickDate(page.getByRole('region', { name: '新建检查' }).getByLabel(label, { exact: true }), date);

describe('检查 in a browser', { timeout: 180_000 }, () => {
  it('the supervisor opens 检查 from the navigation: no inspection yet', async () => {
    const { page } = supervisor;
    await page.goto('/inspections');
    await signIn(page, 'gov-sup', PASSWORD);
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '检查' }).click();
    await page.waitForURL(/\/inspections$/);
    await eventually(() => page.getByRole('region', { name: '检查列表' }).textContent()).toContain('暂无检查');
    await expectAccessible(page, 'inspection list, empty');
  });

  it('新建检查: the policy is filled in working days; a missing deadline is named at its field', async () => {
    const { page } = supervisor;
    await page.getByRole('button', { name: '新建检查' }).click();
    const dialog = page.getByRole('region', { name: '新建检查' });
    await eventually(() => dialog.getByLabel('到期提醒').isVisible()).toBe(true);
    const policy = (await dialog.textContent()) ?? '';
    for (const words of ['期满前3个工作日', '期满前1个工作日', '个工作日', '09:00']) expect(policy).toContain(words);
    expect(await dialog.getByLabel('逾期后催办').inputValue()).toBe('1');
    expect(await dialog.getByLabel('核验时限').inputValue()).toBe('5');

    await dialog.getByLabel('标题', { exact: true }).fill('关于2021年全市政府网站与政务新媒体检查情况的通报');
    await dialog.getByLabel('文号').fill('益政务办发〔2021〕2号');
    await dialog.getByLabel('编号').fill('2021-2');
    await pickDateIn(page, '印发日期', '2021-06-17');
    await dialog.getByLabel('联系人').fill('文雪飞');
    await dialog.getByLabel('联系电话').fill('0737-4382206');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => dialog.textContent()).toContain('请选择反馈期限');
    await pickDateIn(page, '反馈期限', '2021-06-25');
    await eventually(() => dialog.textContent()).toContain('2021年6月25日（星期五）');
    await screenshot(page, 'inspection-new');
    await expectAccessible(page, '新建检查');

    await dialog.getByRole('button', { name: '确定' }).click();
    await page.waitForURL(/\/inspections\/\d+\?tab=import/);
    inspectionId = Number(new URL(page.url()).pathname.split('/').pop());
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('关于2021年全市政府网站与政务新媒体检查情况的通报');
    const facts = (await page.locator('main').textContent()) ?? '';
    for (const words of ['益政务办发〔2021〕2号', '2021年6月17日（星期四）', '2021年6月25日（星期五）', '文雪飞，0737-4382206']) expect(facts).toContain(words);
  });

  it('导入问题 checks the GB18030 file first: the bad row with the unit to write instead, and nothing issued', async () => {
    const { page } = supervisor;
    await eventually(() => page.getByRole('tab', { name: '导入问题', selected: true }).count()).toBe(1);
    const template = page.getByRole('link', { name: '下载导入模板' });
    expect(await template.getAttribute('href')).toBe('/api/imports/templates/findings.csv');

    await page.getByLabel('问题清单文件').setInputFiles({ name: '附件3.csv', mimeType: 'text/csv', buffer: withBadRow });
    const errors = page.getByRole('region', { name: /错误/ });
    await eventually(() => errors.isVisible()).toBe(true);
    for (const header of ['行', '列', '内容', '问题', '建议']) {
      await eventually(() => errors.getByRole('columnheader', { name: header, exact: true }).count()).toBe(1);
    }
    const badRow = errors.getByRole('row').filter({ hasText: '益阳市卫健委员会' });
    await eventually(() => badRow.count()).toBe(1);
    const cells = (await badRow.getByRole('cell').allTextContents()).map((text) => text.trim());
    expect(cells[0]).toBe('4');
    expect(cells[1]).toBe('开设主体');
    expect(cells[2]).toBe('益阳市卫健委员会');
    expect(cells[3]).toContain('找不到单位');
    expect(cells[4]).toBe('请将“益阳市卫健委员会”改为“益阳市卫生健康委员会”');
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('整个文件未导入');
    // The warning: a problem outside the catalogue, kept in the inspector's words.
    const warnings = page.getByRole('region', { name: /请核对/ });
    await eventually(() => warnings.textContent()).toContain('发布内容违规');
    expect(await page.getByRole('button', { name: '确认导入' }).count()).toBe(0);
    expect(await ticketsOfInspection()).toEqual([]);
    await screenshot(page, 'inspection-import-errors');
    await expectAccessible(page, '导入问题 with row errors');
  });

  it('the corrected file checks clean, 确认导入 issues the tickets, and the 工单 tab lists them', async () => {
    const { page } = supervisor;
    await page.getByLabel('问题清单文件').setInputFiles({ name: '附件3.csv', mimeType: 'text/csv', buffer: corrected });
    await eventually(() => page.getByRole('status').filter({ hasText: '核查无误' }).textContent()).toContain('将新建工单 3 件');
    expect(await page.getByRole('region', { name: /错误/ }).count()).toBe(0);
    await eventually(() => page.getByRole('region', { name: /请核对/ }).textContent()).toContain('发布内容违规');
    // The check kept nothing.
    expect(await ticketsOfInspection()).toEqual([]);
    await screenshot(page, 'inspection-import-checked');
    await expectAccessible(page, '导入问题 checked');

    await page.getByRole('button', { name: '确认导入' }).click();
    await eventually(() => page.getByRole('status').filter({ hasText: '导入完成' }).textContent()).toContain('新建工单 3 件，保持不变 0 件');
    expect(await ticketsOfInspection()).toEqual(['2021-2-001', '2021-2-002', '2021-2-003']);
    await screenshot(page, 'inspection-import-done');

    await page.getByRole('button', { name: '查看工单' }).click();
    await eventually(() => page.getByRole('tab', { name: '工单', selected: true }).count()).toBe(1);
    const list = page.getByRole('region', { name: '本次检查的工单' });
    await eventually(() => list.getByRole('link', { name: /^2021-2-\d{3}$/ }).allTextContents()).toEqual(['2021-2-001', '2021-2-002', '2021-2-003']);
    const text = (await list.textContent()) ?? '';
    for (const words of ['健康益阳', '益阳交通', '益阳卫健微博', '益阳市卫生健康委员会', '益阳市交通运输局', '待签收', '发布内容违规']) expect(text).toContain(words);
    await eventually(() => page.locator('main').textContent()).toContain('共 3 件，已销号 0 件');
    await screenshot(page, 'inspection-tickets');
    await expectAccessible(page, 'the inspection’s 工单 tab');
  });

  it('the list shows the inspection’s progress and links its title to its page; the other tabs open', async () => {
    const { page } = supervisor;
    await page.getByRole('navigation', { name: '位置' }).getByRole('link', { name: '检查' }).click();
    await page.waitForURL(/\/inspections$/);
    const list = page.getByRole('region', { name: '检查列表' });
    await eventually(() => list.textContent()).toContain('已销号 0 / 3 件');
    expect(await list.textContent()).toContain('益政务办发〔2021〕2号');
    await screenshot(page, 'inspections');
    await expectAccessible(page, 'inspection list');

    await list.getByRole('link', { name: '关于2021年全市政府网站与政务新媒体检查情况的通报' }).click();
    await page.waitForURL(new RegExp(`/inspections/${inspectionId}$`));
    for (const tab of ['书面反馈', '报表', '导入问题', '工单']) {
      await page.getByRole('tab', { name: tab }).click();
      await eventually(() => page.getByRole('tab', { name: tab, selected: true }).count()).toBe(1);
    }
  });

  it('an officer has no 检查 link, and the page answers as one that does not exist', async () => {
    const context = await w.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`/inspections/${inspectionId}`);
      await signIn(page, 'wjw-off', PASSWORD);
      await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('页面不存在');
      expect(await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '检查' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
