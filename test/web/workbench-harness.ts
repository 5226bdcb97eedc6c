import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { webRoot } from '../../server/main.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { repoRoot } from '../helpers/rectify-process.js';

export const chromiumPath = '/usr/bin/chromium';
export const screensDir = path.join(repoRoot, 'test-results', 'screens');
export const desktop = { width: 1366, height: 768 };
export const phone = { width: 390, height: 844 };

export interface Workbench {
  t: TestApp;
  /** http://127.0.0.1:PORT of the listening server. */
  url: string;
  browser: Browser;
  /** A fresh browser profile: its own cookies, as one person at one computer. */
  newContext(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Builds web/dist if it is stale (as `npm start` does), then the real app listening on a fresh database, and Debian's Chromium. */
export async function startWorkbench(options: { now: string }): Promise<Workbench> {
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'bin/build-web.mjs'), '--if-stale'], { cwd: repoRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  fs.mkdirSync(screensDir, { recursive: true });

  const t = await buildTestApp({ now: options.now, webRoot });
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  return {
    t,
    url,
    browser,
    newContext: (viewport = desktop) => browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', baseURL: url }),
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** axe-core on the page once its transitions have ended: no serious or critical violations. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // A popper or dialog half-way through Vue's enter or leave transition is neither open nor gone.
  await eventually(() => page.locator('[class*="-enter-active"], [class*="-leave-active"]').count()).toBe(0);
  // Toasts are transient and measured mid-fade against the dialog's overlay: their own colours pass.
  const result = await new AxeBuilder({ page }).exclude('.el-message').analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`);
  expect(bad, `${what}: accessibility violations`).toEqual([]);
}

/**
 * Types a date into an Element Plus date picker as a person does: the field is clicked and its
 * panel has opened, the date is typed and confirmed with Enter, and the panel has closed. Typing
 * before the panel has opened races its opening, which can leave it open after the field is left.
 */
export async function pickDate(field: Locator, date: string): Promise<void> {
  const panels = field.page().locator('.el-picker__popper:visible');
  await field.click();
  await eventually(() => panels.count()).toBe(1);
  await field.fill(date);
  await field.press('Enter');
  await eventually(() => panels.count()).toBe(0);
}

/** A screenshot under test-results/screens/, named by page and width. */
/** Waits for the page to get there: the server and the browser share two busy cores. */
export const eventually = <T>(value: () => T | Promise<T>) => expect.poll(value, { timeout: 20_000, interval: 100 });

/**
 * Collects the page's uncaught errors and console errors into `into` (prefixed with `who` when
 * several pages share it); `expected` leaves out console errors a step asks for, such as a 401.
 */
export function collectBrowserErrors(page: Page, into: string[], { who, expected }: { who?: string; expected?: RegExp } = {}): void {
  const tag = (text: string) => (who ? `${who}: ${text}` : text);
  page.on('pageerror', (error) => into.push(tag(error.message)));
  page.on('console', (message) => {
    if (message.type() === 'error' && !expected?.test(message.text())) into.push(tag(message.text()));
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screensDir, `${name}-${page.viewportSize()?.width ?? 0}.png`), fullPage: true, animations: 'disabled' });
}

/** Fills in the sign-in form and sends it, whatever the answer (see signIn for a sign-in that must succeed). */
export async function submitSignIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码', { exact: true }).fill(password);
  await page.getByRole('button', { name: '登录' }).click();
}

/** Signs in through the sign-in page (the one the app redirected to, or /sign-in). */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  // The app itself sends a page without a session to sign-in, with the wanted page to return to.
  await page.waitForURL(/\/sign-in/);
  await submitSignIn(page, username, password);
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}
