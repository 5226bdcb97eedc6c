import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { png, samples } from '../helpers/evidence-files.js';
import { createInspection, PASSWORD, seedOrganisation } from '../helpers/fixtures.js';
import { collectBrowserErrors, eventually, desktop, expectAccessible, phone, screenshot, signIn, startWorkbench, type Workbench } from './workbench-harness.js';

// Evidence files and the unit's written feedback in Debian's Chromium against the real server: an
// officer attaches a screenshot to 提交整改 and asks for more time, the supervisor grants it on
// 督办台; the officer downloads the draft report and 报送 the stamped scan, the supervisor 退回 it,
// the officer 报送 again and the supervisor 接收 it. Controls are found by the SPEC's words only.
let w: Workbench;
let tokens: Record<string, string>;
let inspectionId = 0;
const ids: Record<string, number> = {};
let officer: { context: BrowserContext; page: Page };
let supervisor: { context: BrowserContext; page: Page };
const token = (who: string) => tokens[who] ?? '';
const id = (number: string) => ids[number] ?? 0;
const screenshotFile = png('整改后的互动栏目');

beforeAll(async () => {
  // Wednesday 2021-06-30: the notice's deadline (Friday 06-25) has passed and no unit has fed back.
  w = await startWorkbench({ now: '2021-06-30T10:00:00+08:00' });
  ({ tokens } = await seedOrganisation(w.t));
  inspectionId = (await createInspection(w.t, token('gov-sup'))).id;
  // Imported as the office does it: the import also opens each unit's written feedback.
  const imported = await w.t.request(token('gov-sup'), 'POST', `/api/inspections/${inspectionId}/findings`, {
    findings: [
      { targetKind: 'new_media', platform: 'wechat_subscription', targetName: '健康益阳', ownerUnit: '益阳市卫生健康委员会', problems: ['互动回应差'], outstanding: true },
      { targetKind: 'website', targetName: '益阳市卫生健康委员会网站', ownerUnit: '益阳市卫生健康委员会', problems: ['栏目更新不及时'], outstanding: false },
      { targetKind: 'website', targetName: '益阳市交通运输局网站', ownerUnit: '益阳市交通运输局', problems: ['链接不可用'], outstanding: true },
    ],
  });
  if (imported.statusCode !== 201) throw new Error(imported.body);
  for (const ticket of (imported.json() as { tickets: { id: number; number: string }[] }).tickets) ids[ticket.number] = ticket.id;
  const acknowledged = await w.t.request(token('wjw-off'), 'POST', `/api/tickets/${id('2021-2-001')}/events`, { type: 'ACKNOWLEDGE' });
  if (acknowledged.statusCode !== 200) throw new Error(acknowledged.body);

  const context = await w.newContext();
  officer = { context, page: await context.newPage() };
  const other = await w.newContext();
  supervisor = { context: other, page: await other.newPage() };
  for (const [who, page] of [['officer', officer.page], ['supervisor', supervisor.page]] as const) {
    collectBrowserErrors(page, browserErrors, { who });
  }
}, 240_000);

afterAll(async () => {
  await w?.close();
});

const browserErrors: string[] = [];
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  if (browserErrors.length) console.error(`browser errors:\n${browserErrors.join('\n')}`);
  for (const [who, page] of [['officer', officer?.page], ['supervisor', supervisor?.page]] as const) {
    if (page && !page.isClosed()) await screenshot(page, `failed-feedback-${who}`);
  }
});

async function feedbackOf(unitCode: string) {
  const response = await w.t.request(token('gov-sup'), 'GET', `/api/inspections/${inspectionId}/feedback/${unitCode}`);
  return response.json() as { feedback: { state: string; returns: number }; events: { type: string; attachments: { name: string; sha256: string }[] }[] };
}

describe('evidence files and written feedback in a browser', { timeout: 180_000 }, () => {
  it('an officer submits a rectification with a screenshot (a refused file explained, a wrong one removed)', async () => {
    const { page } = officer;
    await page.goto(`/tickets/${id('2021-2-001')}`);
    await signIn(page, 'wjw-off', PASSWORD);
    await page.getByRole('button', { name: '提交整改' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('整改情况').fill('已安排专人回复全部留言，整改后的互动栏目截图附后。');

    // The server decides what it takes, by content: a program named like a PDF is refused with its words.
    await dialog.getByLabel('佐证材料').setInputFiles({ name: '整改说明.pdf', mimeType: 'application/pdf', buffer: samples.exe });
    await eventually(() => dialog.getByRole('alert').textContent()).toMatch(/PNG|PDF|类型/);
    // A file chosen by mistake is removed before 确定.
    await dialog.getByLabel('佐证材料').setInputFiles([
      { name: '整改后截图.png', mimeType: 'image/png', buffer: screenshotFile },
      { name: '选错的截图.png', mimeType: 'image/png', buffer: png('选错了') },
    ]);
    const uploaded = dialog.getByRole('list', { name: /已上传的文件/ });
    await eventually(() => uploaded.getByRole('listitem').count()).toBe(2);
    expect(await uploaded.textContent()).toMatch(/整改后截图\.png\s*\d+\s*字节/);
    await dialog.getByRole('button', { name: '移除 选错的截图.png' }).click();
    await eventually(() => uploaded.getByRole('listitem').count()).toBe(1);
    await dialog.getByLabel('佐证链接').fill('https://www.example.gov.cn/hudong/1');
    await screenshot(page, 'ticket-submit-with-files');
    await expectAccessible(page, '提交整改 with files');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => page.locator('.state').first().textContent()).toBe('待核验');
  });

  it('the screenshot shows in 办理记录 and downloads as it was uploaded', async () => {
    const { page } = officer;
    const history = page.getByRole('region', { name: '办理记录' });
    await eventually(() => history.textContent()).toContain('整改后截图.png');
    expect(await history.textContent()).not.toContain('选错的截图.png');
    expect(await history.textContent()).toContain('https://www.example.gov.cn/hudong/1');
    const [download] = await Promise.all([page.waitForEvent('download'), history.getByRole('link', { name: '下载 整改后截图.png' }).click()]);
    expect(download.suggestedFilename()).toBe('整改后截图.png');
    expect(fs.readFileSync(await download.path())).toEqual(screenshotFile);
    // The audit event holds the file's hash, so the chain covers it.
    const detail = (await w.t.request(token('wjw-off'), 'GET', `/api/tickets/${id('2021-2-001')}`)).json() as { events: { type: string; attachments: { name: string }[] }[] };
    expect(detail.events.find((e) => e.type === 'SUBMIT_RECTIFICATION')?.attachments).toEqual([expect.objectContaining({ name: '整改后截图.png', size: screenshotFile.length })]);
    await page.setViewportSize(phone);
    await screenshot(page, 'ticket-with-files-officer');
    await expectAccessible(page, 'ticket with files on a phone');
    await page.setViewportSize(desktop);
  });

  it('an officer 申请延期; the supervisor sees it on 督办台 and 同意延期', async () => {
    const { page } = officer;
    await page.goto(`/tickets/${id('2021-2-002')}`);
    await page.getByRole('button', { name: '申请延期' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('新的反馈期限').fill('2021-07-09');
    await dialog.getByLabel('新的反馈期限').press('Enter');
    await dialog.getByLabel('理由').fill('网站改版需技术公司配合，须延期两周。');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => page.locator('main').textContent()).toContain('申请延期至 2021年7月9日（星期五）');

    const s = supervisor.page;
    await s.goto('/');
    await signIn(s, 'gov-sup', PASSWORD);
    await s.waitForURL(/\/dashboard/);
    const requests = s.getByRole('region', { name: '延期申请' });
    await eventually(() => requests.getByRole('link', { name: '2021-2-002' }).count()).toBe(1);
    const row = requests.getByRole('row', { name: /2021-2-002/ });
    for (const word of ['益阳市卫生健康委员会网站', '益阳市卫生健康委员会', '2021年7月9日（星期五）', '网站改版需技术公司配合']) expect(await row.textContent()).toContain(word);
    // No unit has fed back in writing, four working days after the deadline.
    const late = s.getByRole('region', { name: '书面反馈逾期未办结的单位' });
    await eventually(() => late.textContent()).toContain('益阳市交通运输局');
    expect(await late.textContent()).toContain('益阳市卫生健康委员会');
    await eventually(() => s.getByRole('img', { name: /各单位整改进度/ }).count()).toBe(1);
    await screenshot(s, 'dashboard-extensions');
    await expectAccessible(s, '督办台 with extension requests');

    await row.getByRole('button', { name: '同意延期', exact: true }).click();
    const decide = s.getByRole('dialog', { name: /同意延期/ });
    await decide.getByRole('button', { name: '确定' }).click();
    await eventually(() => requests.getByRole('link', { name: '2021-2-002' }).count()).toBe(0);
    const ticket = (await w.t.request(token('gov-sup'), 'GET', `/api/tickets/${id('2021-2-002')}`)).json() as { ticket: { dueAt: string; extensionRequest: unknown } };
    expect(ticket.ticket).toMatchObject({ dueAt: '2021-07-09T15:59:59.999Z', extensionRequest: null });
  });

  it('an officer downloads the draft report and 报送 the stamped scan', async () => {
    const { page } = officer;
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '书面反馈' }).click();
    await page.waitForURL(/\/feedback$/);
    const list = page.getByRole('list', { name: '书面反馈列表' });
    await eventually(() => list.textContent()).toContain('待报送');
    expect(await list.textContent()).toContain('2021年6月25日（星期五）');
    await screenshot(page, 'feedback-list-officer');
    await expectAccessible(page, '书面反馈 list');
    await page.setViewportSize(phone);
    await screenshot(page, 'feedback-list-officer');
    await page.setViewportSize(desktop);

    await list.getByRole('link', { name: /2021年全市政府网站与政务新媒体检查情况通报/ }).click();
    await page.waitForURL(new RegExp(`/inspections/${inspectionId}/feedback$`));
    const [draft] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载报告草稿' }).click()]);
    expect(draft.suggestedFilename()).toMatch(/益阳市卫生健康委员会.*\.docx$/);
    expect(fs.readFileSync(await draft.path()).subarray(0, 2).toString('latin1')).toBe('PK');

    await page.getByRole('button', { name: '报送' }).click();
    await eventually(() => page.locator('main').textContent()).toContain('请上传加盖公章的书面报告扫描件');
    await page.getByLabel('书面报告扫描件').setInputFiles({ name: '整改情况报告（盖章）.pdf', mimeType: 'application/pdf', buffer: samples.pdf });
    await eventually(() => page.getByRole('list', { name: /已上传的文件/ }).textContent()).toContain('整改情况报告（盖章）.pdf');
    await page.getByLabel('报送说明').fill('已加盖公章。');
    await screenshot(page, 'feedback-officer');
    await expectAccessible(page, 'the officer’s written feedback');
    await page.getByRole('button', { name: '报送' }).click();
    await eventually(() => page.locator('main').textContent()).toContain('已报送');
    await eventually(() => page.getByRole('button', { name: '报送' }).count()).toBe(0);
    expect((await feedbackOf('YY-WJW')).feedback.state).toBe('submitted');
  });

  it('the supervisor 退回 it with a reason; the officer sees why and 报送 again', async () => {
    const s = supervisor.page;
    await s.getByRole('link', { name: '各单位书面反馈' }).click();
    await s.waitForURL(new RegExp(`/inspections/${inspectionId}/feedback$`));
    const row = s.getByRole('row', { name: /益阳市卫生健康委员会/ });
    await eventually(() => row.textContent()).toContain('已报送');
    expect(await row.textContent()).toContain('逾期');
    const [scan] = await Promise.all([s.waitForEvent('download'), row.getByRole('link', { name: '下载 整改情况报告（盖章）.pdf' }).click()]);
    expect(fs.readFileSync(await scan.path())).toEqual(samples.pdf);
    expect(await s.getByRole('row', { name: /益阳市交通运输局/ }).textContent()).toContain('待报送');
    await screenshot(s, 'feedback-supervisor');
    await expectAccessible(s, 'the units’ written feedback');

    await row.getByRole('button', { name: '退回' }).click();
    const dialog = s.getByRole('dialog');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => dialog.textContent()).toContain('请填写退回理由');
    await dialog.getByLabel('退回理由').fill('报告未加盖公章，请盖章后重新报送。');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => row.textContent()).toContain('已退回');
    expect(await row.textContent()).toContain('退回理由：报告未加盖公章');

    const o = officer.page;
    await o.reload();
    await eventually(() => o.locator('main').textContent()).toContain('退回理由：报告未加盖公章，请盖章后重新报送。');
    await o.setViewportSize(phone);
    await screenshot(o, 'feedback-returned-officer');
    await expectAccessible(o, 'a returned written feedback on a phone');
    await o.getByLabel('书面报告扫描件').setInputFiles({ name: '整改情况报告（已盖章）.png', mimeType: 'image/png', buffer: png('盖章扫描件') });
    await eventually(() => o.getByRole('list', { name: /已上传的文件/ }).textContent()).toContain('整改情况报告（已盖章）.png');
    await o.getByRole('button', { name: '报送' }).click();
    await eventually(() => o.getByRole('button', { name: '报送' }).count()).toBe(0);
    await eventually(() => o.locator('main').textContent()).toContain('已报送');
    await o.setViewportSize(desktop);
  });

  it('the supervisor 接收 it: accepted, no longer listed as late on 督办台', async () => {
    const s = supervisor.page;
    await s.reload();
    const row = s.getByRole('row', { name: /益阳市卫生健康委员会/ });
    await eventually(() => row.textContent()).toContain('整改情况报告（已盖章）.png');
    await row.getByRole('button', { name: '接收' }).click();
    const dialog = s.getByRole('dialog');
    await dialog.getByLabel('接收意见').fill('已收悉。');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => row.textContent()).toContain('已接收');
    await eventually(() => row.getByRole('button').count()).toBe(0);
    const feedback = await feedbackOf('YY-WJW');
    expect(feedback.feedback).toMatchObject({ state: 'accepted', returns: 1 });
    expect(feedback.events.map((e) => e.type)).toEqual(['SUBMIT_FEEDBACK', 'RETURN_FEEDBACK', 'SUBMIT_FEEDBACK', 'ACCEPT_FEEDBACK']);
    expect(feedback.events[2]?.attachments).toEqual([expect.objectContaining({ name: '整改情况报告（已盖章）.png' })]);
    await screenshot(s, 'feedback-supervisor-accepted');

    await s.getByRole('link', { name: '督办台' }).first().click();
    const late = s.getByRole('region', { name: '书面反馈逾期未办结的单位' });
    await eventually(() => late.textContent()).toContain('益阳市交通运输局');
    expect(await late.textContent()).not.toContain('益阳市卫生健康委员会');

    const o = officer.page;
    await o.reload();
    await eventually(() => o.locator('main').textContent()).toContain('已接收');
    expect(await o.locator('main').textContent()).toContain('接收意见：已收悉。');
    await screenshot(o, 'feedback-accepted-officer');
  });
});
