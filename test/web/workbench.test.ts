import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInspection, issueFindings, PASSWORD, seedOrganisation } from '../helpers/fixtures.js';
import { collectBrowserErrors, eventually, desktop, expectAccessible, phone, screenshot, signIn, startWorkbench, submitSignIn, type Workbench } from './workbench-harness.js';

// The workbench in Debian's Chromium against the real server on a fresh embedded database: an
// officer and a supervisor take one ticket from 待签收 to 已销号, by the SPEC's words only.
let w: Workbench;
let tokens: Record<string, string>;
const ids: Record<string, number> = {};
let officer: { context: BrowserContext; page: Page };
let supervisor: { context: BrowserContext; page: Page };

const act = async (who: string, id: number, body: object) => {
  const response = await w.t.request(tokens[who] ?? '', 'POST', `/api/tickets/${id}/events`, body);
  if (response.statusCode !== 200) throw new Error(`${who} ${JSON.stringify(body)}: ${response.body}`);
};
const rectify = async (who: string, id: number) => {
  await act(who, id, { type: 'ACKNOWLEDGE' });
  await act(who, id, { type: 'SUBMIT_RECTIFICATION', feedback: '已更新全部栏目', evidence: ['https://www.example.gov.cn/jt/1'] });
};
const id = (number: string) => ids[number] ?? 0;

beforeAll(async () => {
  // Wednesday 2021-06-30: the notice's deadline (Friday 06-25) is two working days behind.
  w = await startWorkbench({ now: '2021-06-30T10:00:00+08:00' });
  ({ tokens } = await seedOrganisation(w.t));
  const notice = await createInspection(w.t, tokens['gov-sup'] ?? '');
  const issued = await issueFindings(w.t, notice.id, [
    { unitCode: 'YY-WJW', targetName: '健康益阳', problems: [{ code: 'poor_interaction', text: '留言超过3个月未回复' }], problemsText: '留言超过3个月未回复' },
    { unitCode: 'YY-WJW', targetName: '益阳市卫生健康委员会网站', targetKind: 'website', platform: null, url: 'http://wjw.yiyang.gov.cn', outstanding: false },
    { unitCode: 'YY-JTJ', targetName: '益阳交通' },
    { unitCode: 'YY-JTJ', targetName: '益阳公路' },
    { unitCode: 'YY-JTJ', targetName: '益阳运管' },
    { unitCode: 'YY-JTJ', targetName: '益阳港航' },
    { unitCode: 'AH-GL', targetName: '古楼乡人民政府网', targetKind: 'website', platform: null, county: '安化县' },
  ]);
  const later = await createInspection(w.t, tokens['gov-sup'] ?? '', { shortCode: '2021-3', documentNumber: '益政务办发〔2021〕3号', feedbackDeadline: '2021-07-09', title: '2021年第二季度政务新媒体抽查情况通报' });
  const second = await issueFindings(w.t, later.id, [{ unitCode: 'YY-WJW', targetName: '益阳卫健微博', platform: 'weibo' }]);
  for (const ticket of [...issued.tickets, ...second.tickets]) ids[ticket.number] = ticket.id;
  // Overdue tickets reach 催办 in the sweep; three of the transport bureau's wait for verification.
  await w.t.services.sweep.run({ now: w.t.clock.now() });
  for (const number of ['2021-2-003', '2021-2-004', '2021-2-005', '2021-2-006']) await rectify('jtj-off', id(number));
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

// What the browser showed and said when a step failed, beside the regular screenshots.
const browserErrors: string[] = [];
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  if (browserErrors.length) console.error(`browser errors:\n${browserErrors.join('\n')}`);
  for (const [who, page] of [['officer', officer?.page], ['supervisor', supervisor?.page]] as const) {
    if (page && !page.isClosed()) await screenshot(page, `failed-${who}`);
  }
});

async function chooseInspection(page: Page, documentNumber: string) {
  // Element Plus lays the chosen title over its input; the click reaches the select through it.
  await page.getByRole('combobox', { name: '检查' }).click({ force: true });
  await page.getByRole('option', { name: new RegExp(documentNumber) }).click();
}

/** The ticket numbers linked in a region (a list or table), i.e. its rows. */
const numbersIn = (page: Page, region: string) => page.getByRole('region', { name: region }).getByRole('link', { name: /^\d{4}-\d+-\d{3}$/ });

describe('the web workbench in a browser', { timeout: 180_000 }, () => {
  it('opens an email link after sign-in: the officer signs in and lands on the ticket', async () => {
    const { page } = officer;
    await page.goto(`/tickets/${id('2021-2-001')}`);
    await page.waitForURL(/\/sign-in\?redirect=/);
    await eventually(() => page.getByRole('button', { name: '登录' }).isVisible()).toBe(true);
    await screenshot(page, 'sign-in');
    await expectAccessible(page, 'sign-in');
    await page.setViewportSize(phone);
    await screenshot(page, 'sign-in');
    await page.setViewportSize(desktop);

    await submitSignIn(page, 'wjw-off', 'wrong-password');
    await eventually(() => page.getByRole('alert').textContent()).toContain('用户名或密码错误');

    await signIn(page, 'wjw-off', PASSWORD);
    expect(new URL(page.url()).pathname).toBe(`/tickets/${id('2021-2-001')}`);
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('健康益阳');
    const body = await page.locator('main').textContent();
    expect(body).toContain('留言超过3个月未回复');
    expect(body).toContain('2021年6月25日（星期五）');
    expect(body).toContain('逾期2个工作日');
    expect(body).toContain('催办');
  });

  it('the officer sees the unit’s tickets, with working days overdue or left', async () => {
    const { page } = officer;
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '工单' }).click();
    await page.waitForURL(/\/tickets$/);
    const rows = numbersIn(page, '工单列表');
    await eventually(() => rows.count()).toBe(3);
    const text = (await page.locator('main').textContent()) ?? '';
    for (const word of ['健康益阳', '益阳市卫生健康委员会网站', '益阳卫健微博', '逾期2个工作日', '还剩8个工作日', '2021年7月9日（星期五）']) expect(text).toContain(word);
    // Only the own unit's tickets.
    expect(text).not.toContain('益阳交通');
    for (const header of ['工单编号', '检查对象', '存在问题', '责任单位', '状态', '反馈期限', '督办级别']) {
      await eventually(() => page.getByRole('columnheader', { name: header }).count()).toBeGreaterThan(0);
    }
    await page.getByLabel('搜索').fill('微博');
    await page.getByRole('button', { name: '搜索' }).click();
    await eventually(() => rows.count()).toBe(1);
    await page.getByLabel('搜索').fill('');
    await page.getByRole('button', { name: '搜索' }).click();
    await eventually(() => rows.count()).toBe(3);
    await screenshot(page, 'tickets-officer');
    await expectAccessible(page, 'ticket list');
    await page.setViewportSize(phone);
    await eventually(() => page.getByRole('link', { name: '2021-2-001' }).isVisible()).toBe(true);
    await screenshot(page, 'tickets-officer');
    await expectAccessible(page, 'ticket list on a phone');
    await page.setViewportSize(desktop);
  });

  it('the officer 签收 and 提交整改 with feedback and a link; the ticket shows 待核验', async () => {
    const { page } = officer;
    await page.goto(`/tickets/${id('2021-2-001')}`);
    await page.getByRole('button', { name: '签收' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '确定' }).click();
    await eventually(() => page.locator('main').textContent()).toContain('整改中');

    await page.getByRole('button', { name: '提交整改' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => dialog.textContent()).toContain('请填写整改情况');
    await dialog.getByLabel('整改情况').fill('已安排专人回复全部留言，并建立留言办理台账。');
    await dialog.getByLabel('佐证链接').fill('https://www.example.gov.cn/hudong/1');
    await screenshot(page, 'ticket-submit-officer');
    await expectAccessible(page, 'submit form');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => page.locator('.state').first().textContent()).toBe('待核验');
    const history = (await page.getByRole('region', { name: '办理记录' }).textContent()) ?? '';
    expect(history).toContain('已安排专人回复全部留言');
    expect(history).toContain('https://www.example.gov.cn/hudong/1');
    await eventually(() => page.getByRole('button', { name: '提交整改' }).count()).toBe(0);
    await page.setViewportSize(phone);
    await screenshot(page, 'ticket-officer');
    await expectAccessible(page, 'ticket page on a phone');
    await page.setViewportSize(desktop);
  });

  it('the supervisor sees it on 督办台 and 退回 it with a reason; the officer re-submits', async () => {
    const { page } = supervisor;
    await page.goto('/');
    await signIn(page, 'gov-sup', PASSWORD);
    await page.waitForURL(/\/dashboard/);
    // The newest inspection is shown first; the notice of 2021-2 is chosen from the list.
    await chooseInspection(page, '益政务办发〔2021〕2号');
    const waiting = page.getByRole('region', { name: '待核验工单' });
    await eventually(() => numbersIn(page, '待核验工单').count()).toBe(5);
    await eventually(() => waiting.textContent()).toContain('健康益阳');
    await eventually(() => page.getByRole('img', { name: /各单位整改进度/ }).count()).toBe(1);
    await screenshot(page, 'dashboard');
    await expectAccessible(page, '督办台');

    await waiting.getByRole('link', { name: '2021-2-001' }).click();
    await page.getByRole('button', { name: '退回' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => dialog.textContent()).toContain('请填写退回理由');
    await dialog.getByLabel('退回理由').fill('仍有3条留言未回复，请逐条回复后再报。');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => page.locator('.state').first().textContent()).toBe('整改中');

    const o = officer.page;
    await o.reload();
    await eventually(() => o.getByRole('region', { name: '办理记录' }).textContent()).toContain('仍有3条留言未回复');
    await o.getByRole('button', { name: '提交整改' }).click();
    await o.getByRole('dialog').getByLabel('整改情况').fill('已逐条回复全部留言。');
    await o.getByRole('dialog').getByRole('button', { name: '确定' }).click();
    await eventually(() => o.locator('.state').first().textContent()).toBe('待核验');
  });

  it('the supervisor 通过核验: the ticket is 已销号, with the whole 办理记录 and 邮件记录', async () => {
    const { page } = supervisor;
    await page.reload();
    await page.getByRole('button', { name: '通过核验' }).click();
    await page.getByRole('dialog').getByLabel('核验意见').fill('经复核，留言已全部回复。');
    await page.getByRole('dialog').getByRole('button', { name: '确定' }).click();
    await eventually(() => page.locator('.state').first().textContent()).toBe('已销号');
    const history = (await page.getByRole('region', { name: '办理记录' }).textContent()) ?? '';
    for (const step of ['下发工单', '签收', '提交整改', '退回重新整改', '核验通过，予以销号', '经复核，留言已全部回复。']) expect(history).toContain(step);
    await eventually(() => page.getByRole('region', { name: '邮件记录' }).count()).toBe(1);
    await eventually(() => page.getByRole('button', { name: '通过核验' }).count()).toBe(0);
    await screenshot(page, 'ticket');
    await expectAccessible(page, 'ticket page');
  });

  it('an officer of another unit opening that ticket’s URL gets the not-found page', async () => {
    const context = await w.newContext();
    const page = await context.newPage();
    await page.goto(`/tickets/${id('2021-2-001')}`);
    await signIn(page, 'jtj-off', PASSWORD);
    await eventually(() => page.getByRole('heading', { name: '页面不存在' }).isVisible()).toBe(true);
    expect(await page.locator('main').textContent()).not.toContain('健康益阳');
    // A ticket that does not exist looks exactly the same.
    await page.goto('/tickets/999999');
    await eventually(() => page.getByRole('heading', { name: '页面不存在' }).isVisible()).toBe(true);
    await screenshot(page, 'not-found');
    await expectAccessible(page, 'not found');
    // 督办台 is for supervisors: an officer sees the same page.
    await page.goto('/dashboard');
    await eventually(() => page.getByRole('heading', { name: '页面不存在' }).isVisible()).toBe(true);
    await page.setViewportSize(phone);
    await screenshot(page, 'not-found');
    await context.close();
  });

  it('a generated password must be changed first (当前密码, 新密码, 确认新密码, 修改密码), then the wanted page opens', async () => {
    const created = await w.t.request(tokens.admin ?? '', 'POST', '/api/users', { username: 'gl-new', role: 'officer', unitCode: 'AH-GL', displayName: '古楼乡联络员' });
    expect(created.statusCode).toBe(201);
    const generated = (created.json() as { generatedPassword: string }).generatedPassword;
    const context = await w.newContext();
    const page = await context.newPage();
    await page.goto('/tickets');
    await signIn(page, 'gl-new', generated);
    await page.waitForURL(/\/change-password/);
    await page.getByLabel('当前密码').fill(generated);
    await page.getByLabel('新密码', { exact: true }).fill('Gulou-2021-zhenggai');
    await page.getByLabel('确认新密码').fill('Gulou-2021-zhengga');
    await page.getByRole('button', { name: '修改密码' }).click();
    await eventually(() => page.locator('main').textContent()).toContain('两次输入的新密码不一致');
    await screenshot(page, 'change-password');
    await expectAccessible(page, 'change password');
    await page.setViewportSize(phone);
    await screenshot(page, 'change-password');
    await page.getByLabel('确认新密码').fill('Gulou-2021-zhenggai');
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.waitForURL(/\/tickets$/);
    await eventually(() => numbersIn(page, '工单列表').count()).toBe(1);
    await context.close();
  });

  it('a stale page’s action answers the 409 path: a message, and the ticket shown afresh', async () => {
    const { page } = supervisor;
    await page.goto(`/tickets/${id('2021-2-006')}`);
    await eventually(() => page.getByRole('button', { name: '通过核验' }).isVisible()).toBe(true);
    // Someone else decides first, while this page still shows 待核验.
    await act('gov-sup', id('2021-2-006'), { type: 'VERIFY', comment: '已核验' });
    await page.getByRole('button', { name: '通过核验' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '确定' }).click();
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('最新情况');
    await eventually(() => page.locator('.state').first().textContent()).toBe('已销号');
    await eventually(() => page.getByRole('button', { name: '通过核验' }).count()).toBe(0);
  });

  it('bulk 退回 of three tickets on 督办台 shows each item’s result', async () => {
    const { page } = supervisor;
    await page.getByRole('link', { name: '督办台' }).click();
    await chooseInspection(page, '益政务办发〔2021〕2号');
    // 2021-2-001 and 2021-2-006 were verified above: the transport bureau's other three wait.
    await eventually(() => numbersIn(page, '待核验工单').count()).toBe(3);
    // Element Plus draws its own box over the real (transparent) checkbox: the click goes to the real one.
    for (const number of ['2021-2-003', '2021-2-004', '2021-2-005']) await page.getByRole('checkbox', { name: `选择 ${number}` }).dispatchEvent('click');
    await eventually(() => page.getByRole('region', { name: '批量办理' }).textContent()).toContain('已选 3 件');
    await page.getByRole('region', { name: '批量办理' }).getByRole('button', { name: '退回' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('退回理由').fill('栏目仍未更新，请整改到位后再报。');
    await dialog.getByRole('button', { name: '确定' }).click();
    await eventually(() => numbersIn(page, '批量办理结果').count()).toBe(3);
    expect((await page.getByRole('region', { name: '批量办理结果' }).textContent())?.match(/成功/g)).toHaveLength(3);
    await eventually(() => numbersIn(page, '待核验工单').count()).toBe(0);
    for (const number of ['2021-2-003', '2021-2-004', '2021-2-005']) {
      const detail = await w.t.request(tokens['gov-sup'] ?? '', 'GET', `/api/tickets/${id(number)}`);
      expect(detail.json()).toMatchObject({ ticket: { state: 'acknowledged', rejections: 1 } });
    }
    await screenshot(page, 'dashboard-bulk');
    await expectAccessible(page, '督办台 after a bulk action');
  });

  it('退出登录 ends the session: the old cookie gets 401', async () => {
    const { page, context } = officer;
    await page.goto('/tickets');
    const cookie = (await context.cookies()).find((c) => c.name === 'rectify_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    const me = () => fetch(`${w.url}/api/me`, { headers: { cookie: `rectify_session=${cookie?.value ?? ''}` } });
    expect((await me()).status).toBe(200);
    // No token in script-readable storage.
    expect(await page.evaluate('JSON.stringify({ ...localStorage, ...sessionStorage })')).toBe('{}');
    await page.getByRole('button', { name: '用户菜单' }).click();
    await page.getByRole('menuitem', { name: '退出登录' }).click();
    await page.waitForURL(/\/sign-in/);
    expect((await me()).status).toBe(401);
    await page.goto('/tickets');
    await page.waitForURL(/\/sign-in\?redirect=(%2F|\/)tickets$/);
  });
});
