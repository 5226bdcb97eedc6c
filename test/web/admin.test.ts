import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../notifications/mailer.js';
import { createOutboxWorker, type OutboxLogger, type OutboxWorker } from '../../notifications/outbox.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { ADMIN_PASSWORD } from '../helpers/build-test-app.js';
import { startSmtpTestServer, type SmtpTestServer } from '../helpers/smtp-test-server.js';
import { collectBrowserErrors, eventually, expectAccessible, pickDate, screenshot, signIn, startWorkbench, submitSignIn, type Workbench } from './workbench-harness.js';

// The administrator's pages in Debian's Chromium against the real server: units, users (and the
// officer they create signing in, then being stopped), the outbox with a real SMTP server, the
// working calendar; and every user's 我的账户.
let w: Workbench;
let tokens: Record<string, string>;
let smtp: SmtpTestServer;
let outbox: OutboxWorker;
let admin: { context: BrowserContext; page: Page };
let officer: { context: BrowserContext; page: Page };
let generatedPassword = '';
const NEW_PASSWORD = 'Shenji-2021-qinglian';
const silent: OutboxLogger = { info: () => {}, warn: () => {}, error: () => {} };
const browserErrors: string[] = [];

/** Runs the outbox until nothing due is left (its clock a minute ahead: rows are due from the database's now()). */
async function drain(): Promise<{ sent: number; failed: number }> {
  const total = { sent: 0, failed: 0 };
  for (;;) {
    const report = await outbox.deliverDue();
    total.sent += report.sent;
    total.failed += report.failed;
    if (report.sent + report.retried + report.failed === 0) return total;
  }
}

function watch(who: string, page: Page) {
  // Answers the steps ask for: 401 once the session was ended on purpose, 422 for the file with a bad row.
  collectBrowserErrors(page, browserErrors, { who, expected: /status of (401|422)\b/ });
}

beforeAll(async () => {
  w = await startWorkbench({ now: '2021-06-18T10:00:00+08:00' });
  ({ tokens } = await seedOrganisation(w.t));
  smtp = await startSmtpTestServer();
  const mailer = createMailer({ smtpUrl: smtp.url, dataDir: w.t.db.dataDir, from: 'Rectify <rectify@rectify.test>' });
  outbox = createOutboxWorker({ db: w.t.db.db, mailer, from: 'Rectify <rectify@rectify.test>', logger: silent, now: () => new Date(Date.now() + 60_000), maxAttempts: 1 });
  // The transport bureau's mail server refuses the address: its 整改通知 fails.
  const notice = await createInspection(w.t, tokens['gov-sup'] ?? '');
  await issueFindings(w.t, notice.id, [{ unitCode: 'YY-JTJ', targetName: '益阳交通', problems: [{ code: 'poor_interaction', text: '留言超过3个月未回复' }] }]);
  smtp.rejectRecipients(['jtj@yiyang.test']);
  expect(await drain()).toMatchObject({ failed: 1 });

  const a = await w.newContext();
  admin = { context: a, page: await a.newPage() };
  const o = await w.newContext();
  officer = { context: o, page: await o.newPage() };
  watch('admin', admin.page);
  watch('officer', officer.page);
}, 240_000);

afterAll(async () => {
  await smtp?.close();
  await w?.close();
});

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  if (browserErrors.length) console.error(`browser errors:\n${browserErrors.join('\n')}`);
  for (const [who, page] of [['admin', admin?.page], ['officer', officer?.page]] as const) {
    if (page && !page.isClosed()) await screenshot(page, `failed-admin-${who}`);
  }
});

describe('the administration pages in a browser', { timeout: 180_000 }, () => {
  it('单位: the admin sees the unit tree with the warning on leader emails, and adds a unit', async () => {
    const { page } = admin;
    await page.goto('/admin/units');
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL(/\/admin\/units$/);
    const nav = page.getByRole('navigation', { name: '主导航' });
    for (const link of ['单位', '用户', '邮件', '工作日历']) await eventually(() => nav.getByRole('link', { name: link }).count()).toBe(1);
    const tree = page.getByRole('region', { name: '单位名录' });
    await eventually(() => tree.textContent()).toContain('安化县古楼乡人民政府');
    await eventually(() => page.locator('main').textContent()).toContain('未登记单位负责人邮箱');
    await screenshot(page, 'admin-units');
    await expectAccessible(page, '单位');

    await page.getByRole('button', { name: '新增单位' }).click();
    const dialog = page.getByRole('dialog', { name: '新增单位' });
    await dialog.getByLabel('单位代码').fill('YY-SJJ');
    await dialog.getByLabel('单位名称').fill('益阳市审计局');
    await dialog.getByLabel('简称').fill('市审计局');
    await dialog.getByLabel('上级单位').selectOption({ label: '益阳市人民政府办公室' });
    await dialog.getByLabel('联络员邮箱').fill('sjj@yiyang.test');
    await dialog.getByLabel('负责人邮箱').fill('sjj.leader@yiyang.test');
    await dialog.getByLabel('联系人').fill('李明');
    await dialog.getByLabel('联系电话').fill('0737-4220000');
    await screenshot(page, 'admin-unit-new');
    await expectAccessible(page, '新增单位');
    await dialog.getByRole('button', { name: '保存' }).click();
    await eventually(() => tree.textContent()).toContain('益阳市审计局');
    const created = await w.t.request(tokens.admin ?? '', 'GET', '/api/units/YY-SJJ');
    expect(created.json()).toMatchObject({ name: '益阳市审计局', aliases: ['市审计局'], kind: 'city_department', parentCode: 'YY-GOV', leaderEmails: ['sjj.leader@yiyang.test'], contact: { name: '李明', phone: '0737-4220000' } });

    // Editing: the transport bureau gets its leaders' address.
    await tree.getByRole('button', { name: '修改 益阳市交通运输局' }).click();
    const edit = page.getByRole('dialog', { name: /修改单位/ });
    await edit.getByLabel('负责人邮箱').fill('jtj.leader@yiyang.test');
    await edit.getByRole('button', { name: '保存' }).click();
    await eventually(async () => (await w.t.request(tokens.admin ?? '', 'GET', '/api/units/YY-JTJ')).json().leaderEmails).toEqual(['jtj.leader@yiyang.test']);
  });

  it('单位: a unit table is checked first, its row errors shown with suggestions, then imported', async () => {
    const { page } = admin;
    const header = '代码,名称,简称,类型,上级,邮箱,联系人,电话';
    const bad = `${header}\r\nYY-TJJ,益阳市统计局,市统计局,市直部门,益阳市人民政府办公室,tjj@yiyang.test,,\r\nYY-TJJ-ZD,益阳市统计局直属队,,其他,益阳市统计具,,,\r\n`;
    await page.getByRole('button', { name: '导入单位名录' }).click();
    const dialog = page.getByRole('dialog', { name: '导入单位名录' });
    await dialog.getByLabel('单位名录文件').setInputFiles({ name: '单位名录.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await dialog.getByRole('button', { name: '检查文件' }).click();
    const errors = dialog.getByRole('region', { name: '文件中的错误' });
    await eventually(() => errors.textContent()).toContain('益阳市统计具');
    for (const header of ['行', '列', '内容', '问题', '建议']) await eventually(() => errors.getByRole('columnheader', { name: header, exact: true }).count()).toBe(1);
    const text = (await errors.textContent()) ?? '';
    expect(text).toContain('上级');
    expect(text).toContain('是否应为：益阳市统计局');
    expect(await dialog.getByRole('button', { name: '确认导入' }).isDisabled()).toBe(true);
    await screenshot(page, 'admin-units-import-errors');
    await expectAccessible(page, '导入单位名录 with errors');
    // The check wrote nothing.
    expect((await w.t.request(tokens.admin ?? '', 'GET', '/api/units/YY-TJJ')).statusCode).toBe(404);

    await dialog.getByLabel('单位名录文件').setInputFiles({ name: '单位名录.csv', mimeType: 'text/csv', buffer: Buffer.from(bad.replace('益阳市统计具', '益阳市统计局')) });
    await dialog.getByRole('button', { name: '检查文件' }).click();
    await eventually(() => dialog.textContent()).toContain('将新增 2 个单位');
    expect((await w.t.request(tokens.admin ?? '', 'GET', '/api/units/YY-TJJ')).statusCode).toBe(404);
    await dialog.getByRole('button', { name: '确认导入' }).click();
    await eventually(() => page.getByRole('region', { name: '单位名录' }).textContent()).toContain('益阳市统计局直属队');
    expect((await w.t.request(tokens.admin ?? '', 'GET', '/api/units/YY-TJJ-ZD')).json().parentCode).toBe('YY-TJJ');
  });

  it('用户: the admin adds an officer for the new unit and is shown the generated password once', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '用户' }).click();
    await page.waitForURL(/\/admin\/users$/);
    const list = page.getByRole('region', { name: '用户列表' });
    await eventually(() => list.textContent()).toContain('wjw-off');
    await page.getByRole('button', { name: '新增用户' }).click();
    const dialog = page.getByRole('dialog', { name: '新增用户' });
    for (const label of ['用户名', '姓名', '角色', '所属单位', '初始密码']) await eventually(() => dialog.getByLabel(label, { exact: true }).count()).toBeGreaterThan(0);
    await dialog.getByLabel('用户名').fill('sjj-off');
    await dialog.getByLabel('姓名').fill('张审计');
    await dialog.getByLabel('所属单位').selectOption({ label: '益阳市审计局' });
    await screenshot(page, 'admin-user-new');
    await expectAccessible(page, '新增用户');
    await dialog.getByRole('button', { name: '保存' }).click();
    const shown = page.getByRole('dialog', { name: '用户已新增' });
    await eventually(() => shown.locator('.password').textContent()).toMatch(/\S{10,}/);
    generatedPassword = ((await shown.locator('.password').textContent()) ?? '').trim();
    await screenshot(page, 'admin-user-password');
    await shown.getByRole('button', { name: '已记下' }).click();
    await eventually(() => list.textContent()).toContain('张审计');
    expect(await list.textContent()).toContain('待改密码');
    await screenshot(page, 'admin-users');
    await expectAccessible(page, '用户');
  });

  it('the officer signs in with the generated password, must change it, and sees 我的账户', async () => {
    const { page } = officer;
    await page.goto('/');
    await signIn(page, 'sjj-off', generatedPassword);
    await page.waitForURL(/\/change-password/);
    await page.getByLabel('当前密码').fill(generatedPassword);
    await page.getByLabel('新密码', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('确认新密码').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.waitForURL(/\/tickets$/);
    // Officers have no administration links.
    const nav = page.getByRole('navigation', { name: '主导航' });
    await eventually(() => nav.getByRole('link', { name: '工单' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: '用户' }).count()).toBe(0);

    await page.getByRole('button', { name: '用户菜单' }).click();
    await page.getByRole('menuitem', { name: '我的账户' }).click();
    await page.waitForURL(/\/account$/);
    const main = page.locator('main');
    await eventually(() => main.textContent()).toContain('益阳市审计局');
    for (const word of ['张审计', 'sjj-off', '整改联络员']) expect(await main.textContent()).toContain(word);
    await screenshot(page, 'account');
    await expectAccessible(page, '我的账户');
    // An administration page is, for an officer, a page that does not exist.
    await page.goto('/admin/users');
    await eventually(() => page.locator('main').textContent()).toContain('不存在');
  });

  it('用户: the admin deactivates the officer, whose open session ends: the next action lands on 登录', async () => {
    const { page } = admin;
    const list = page.getByRole('region', { name: '用户列表' });
    await list.getByRole('button', { name: '停用 sjj-off' }).click();
    await page.getByRole('dialog', { name: '停用用户' }).getByRole('button', { name: '停用' }).click();
    await eventually(() => list.getByRole('button', { name: '启用 sjj-off' }).count()).toBe(1);
    expect(await list.textContent()).toContain('已停用');

    const o = officer.page;
    await o.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '工单' }).click();
    await o.waitForURL(/\/sign-in/);
    await eventually(() => o.getByRole('button', { name: '登录' }).isVisible()).toBe(true);
    // Signing in again is refused while the user is deactivated.
    await submitSignIn(o, 'sjj-off', NEW_PASSWORD);
    await eventually(() => o.getByRole('alert').count()).toBeGreaterThan(0);
    expect(new URL(o.url()).pathname).toBe('/sign-in');
  });

  it('邮件: the admin reads a failed email and 重发 it once the address is accepted', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '邮件' }).click();
    await page.waitForURL(/\/admin\/emails$/);
    const list = page.getByRole('region', { name: '邮件列表' });
    await eventually(() => list.textContent()).toContain('jtj@yiyang.test');
    expect(await list.textContent()).toContain('拒收');
    await screenshot(page, 'admin-emails');
    await expectAccessible(page, '邮件');

    await list.getByRole('button', { name: /整改/ }).first().click();
    const dialog = page.getByRole('dialog', { name: '邮件内容' });
    const body = dialog.getByRole('region', { name: '邮件正文' });
    await eventually(() => body.textContent()).toContain('益阳市交通运输局');
    expect(await body.textContent()).toContain('留言超过3个月未回复');
    await screenshot(page, 'admin-email');
    await expectAccessible(page, '邮件内容');

    smtp.reset();
    await dialog.getByRole('button', { name: '重发' }).click();
    await eventually(() => list.textContent()).toContain('没有这一类邮件');
    expect(await drain()).toMatchObject({ sent: 1, failed: 0 });
    expect(smtp.received.map((m) => m.envelopeTo)).toEqual([['jtj@yiyang.test']]);
    await page.getByRole('tab', { name: '已发送' }).click();
    await eventually(() => list.textContent()).toContain('jtj@yiyang.test');
  });

  it('工作日历: the month marks holidays, a local override is set with a note, a year not yet published is flagged and then imported', async () => {
    const { page } = admin;
    await page.goto('/admin/calendar?month=2021-06');
    const month = page.getByRole('table', { name: '2021年6月工作日历' });
    // 端午节 2021: Monday 14 June is a holiday.
    await eventually(() => month.getByRole('button', { name: /2021年6月14日（星期一），休息日/ }).count()).toBe(1);
    await month.getByRole('button', { name: /2021年6月19日（星期六）/ }).click();
    const dialog = page.getByRole('dialog', { name: /调整2021年6月19日/ });
    await dialog.getByText('上班').click();
    await dialog.getByRole('button', { name: '保存' }).click();
    await eventually(() => dialog.textContent()).toContain('请写明调整依据');
    await dialog.getByLabel('说明').fill('市政府办通知：集中开展整改督查');
    await dialog.getByRole('button', { name: '保存' }).click();
    await eventually(() => month.getByRole('button', { name: /2021年6月19日（星期六），工作日，本地调整，市政府办通知/ }).count()).toBe(1);
    expect((await w.t.request(tokens.admin ?? '', 'GET', '/api/calendar/2021-06-19')).json()).toMatchObject({ working: true, source: 'override' });
    await screenshot(page, 'admin-calendar');
    await expectAccessible(page, '工作日历');

    await page.goto('/admin/calendar?month=2030-01');
    await eventually(() => page.locator('main').textContent()).toContain('2030年节假日安排尚未导入');
    await page.getByRole('button', { name: '导入年度安排' }).click();
    const arrangement = page.getByRole('dialog', { name: '导入年度安排' });
    await pickDate(arrangement.getByLabel('元旦 放假起始日期'), '2030-01-01');
    await pickDate(arrangement.getByLabel('元旦 放假结束日期'), '2030-01-01');
    await screenshot(page, 'admin-calendar-import');
    await expectAccessible(page, '导入年度安排');
    await arrangement.getByRole('button', { name: '导入', exact: true }).click();
    await eventually(() => page.locator('main').textContent()).not.toContain('尚未导入');
    expect((await w.t.request(tokens.admin ?? '', 'GET', '/api/calendar/2030-01-01')).json()).toMatchObject({ working: false, provisional: false });
    expect(browserErrors).toEqual([]);
  });
});
