import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../db/schema/index.js';
import { hashPassword } from '../../core/password.js';
import { bulletinTitle } from '../../workflows/reports/bulletin.js';
import { loadDemo } from '../../server/commands/demo.command.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const run = promisify(execFile);
let t: TestApp;
let admin: string;
let inspectionId: number;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-bulletin-'));

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  admin = await t.login('admin');
  inspectionId = (await loadDemo(t.services)).inspectionId;
  // 益阳市交通运输局 rectifies its one ticket in time; the rest stay open until the sweep escalates them to 通报.
  const password = 'bulletin-test-password';
  await t.services.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.username, 'yy-jtj'));
  const officer = await t.login('yy-jtj', password);
  const ticket = (await t.request(admin, 'GET', `/api/tickets?inspection=${inspectionId}&unit=YY-JTJ`)).json().items[0].id as number;
  await t.request(officer, 'POST', `/api/tickets/${ticket}/events`, { type: 'ACKNOWLEDGE' });
  await t.request(officer, 'POST', `/api/tickets/${ticket}/events`, { type: 'SUBMIT_RECTIFICATION', feedback: '已修复菜单链接并安排专人回复留言' });
  t.clock.set('2021-07-20T02:00:00Z');
  await t.services.sweep.run({ now: t.clock.now(), logger: { info: () => {}, warn: () => {}, error: () => {} } });
}, 600_000);
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('bulletinTitle', () => {
  it('turns the inspection notice’s title into the follow-up’s', () => {
    expect(bulletinTitle('关于2021年全市政府网站与政务新媒体检查情况的通报')).toBe('关于2021年全市政府网站与政务新媒体检查发现问题整改情况的通报');
  });
});

describe('GET /api/inspections/:id/bulletin.docx', () => {
  it('gives a draft that LibreOffice opens, with the figures, the units in time, those at 通报 and the attachment tables', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/api/inspections/${inspectionId}/bulletin.docx`, headers: { authorization: `Bearer ${admin}` } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(response.headers['content-disposition']).toContain(encodeURIComponent('整改情况的通报'));
    const file = path.join(dir, 'bulletin.docx');
    fs.writeFileSync(file, response.rawPayload);

    // The 公文 page: A4 with margins 37/35/28/26 mm, title and body fonts.
    const { stdout: xml } = await run('unzip', ['-p', file, 'word/document.xml'], { maxBuffer: 10 * 1024 * 1024 });
    expect(xml).toMatch(/<w:pgSz w:w="11906" w:h="16838"/);
    expect(xml).toMatch(/<w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1587"/);
    expect(xml).toContain('w:eastAsia="方正小标宋简体"');
    expect(xml).toContain('w:eastAsia="仿宋_GB2312"');
    expect(xml).toMatch(/<w:sz w:val="44"\/>/);
    expect(xml).toMatch(/<w:sz w:val="32"\/>/);

    await run('soffice', ['--headless', `-env:UserInstallation=file://${dir}/profile`, '--convert-to', 'pdf', '--outdir', dir, file], { timeout: 240_000 });
    const { stdout: text } = await run('pdftotext', ['-layout', path.join(dir, 'bulletin.pdf'), '-']);
    const flat = text.replace(/\s+/g, '');
    expect(flat).toContain('关于2021年全市政府网站与政务新媒体检查发现问题整改情况的通报');
    expect(flat).toContain('益政务办发〔2021〕2号');
    expect(flat).toContain('检查发现的33个问题（其中突出问题21个）涉及');
    expect(flat).toContain('益阳市交通运输局等1家单位在反馈期限前提交了全部问题的整改情况');
    // Due Friday 25 June; by Tuesday 20 July 16 working days have ended since.
    expect(flat).toMatch(/以下\d+家单位仍有问题未按要求完成整改：安化县人民政府办公室（2个问题，逾期16个工作日）、.*益阳市卫生健康委员会（4个问题，逾期16个工作日）/);
    expect(flat).not.toMatch(/益阳市交通运输局（\d+个问题/);
    expect(flat).toContain("逾期达到通报级别的问题清单");
    // A table row read from the document itself: how the PDF wraps a narrow cell depends on the fonts installed.
    const rows = [...xml.matchAll(/<w:tr[ >].*?<\/w:tr>/gs)].map(([row]) => [...row.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]).join('|'));
    expect(rows).toContain('11|益阳市卫生健康委员会|“健康益阳”微信订阅号|互动回应差|16|待签收');
    expect(flat).toContain('本次检查未发现屡查屡犯问题');
    expect(flat).toContain('政府网站合格率83.7%，政务新媒体合格率94.0%');
    expect(flat).toContain('政务新媒体检查情况');
    expect(flat).toContain('合计2161394.0%');
    expect(flat).toContain('益阳市政务公开政务服务管理办公室2021年7月20日');
  }, 300_000);

  it('lists in the draft exactly the tickets GET …/bulletin-candidates lists, a late submission among them', async () => {
    // 益阳市乡村振兴局 submits its website's rectification only now, long after it reached 通报.
    const password = 'bulletin-test-password';
    await t.services.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.username, 'yy-xczx'));
    const officer = await t.login('yy-xczx', password);
    const ticket = (await t.request(admin, 'GET', `/api/tickets?inspection=${inspectionId}&unit=YY-XCZX`)).json().items[0] as { id: number; escalationLevel: number };
    expect(ticket.escalationLevel).toBe(3);
    await t.request(officer, 'POST', `/api/tickets/${ticket.id}/events`, { type: 'ACKNOWLEDGE' });
    expect((await t.request(officer, 'POST', `/api/tickets/${ticket.id}/events`, { type: 'SUBMIT_RECTIFICATION', feedback: '已更新全部栏目' })).statusCode).toBe(200);

    const api = (await t.request(admin, 'GET', `/api/inspections/${inspectionId}/bulletin-candidates`)).json().items as {
      ticket: { number: string; state: string }; unit: { name: string }; overdueWorkingDays: number;
    }[];
    expect(api.find((c) => c.unit.name === '益阳市乡村振兴局')).toMatchObject({ ticket: { state: 'rectified' }, overdueWorkingDays: 16 });
    const viewer = await t.services.users.findViewer({ id: (await t.services.users.findPublic({ username: 'admin' }))?.id ?? 0 });
    if (!viewer) throw new Error('admin is missing');
    const content = await t.services.bulletin.content({ inspectionId, viewer });
    const list = content.attachments.find((a) => a.title === '逾期达到通报级别的问题清单');
    expect(list?.rows.map((r) => [r[1], r[4], r[5]])).toEqual(api.map((c) => [c.unit.name, c.overdueWorkingDays, c.ticket.state === 'rectified' ? '待核验' : c.ticket.state === 'acknowledged' ? '整改中' : '待签收']));
    const third = content.paragraphs.find((p) => p.heading === '三、逾期未整改的单位')?.text ?? '';
    expect(third).toContain('益阳市乡村振兴局（1个问题，逾期16个工作日）等1家单位的问题逾期达到通报级别后才提交整改情况');
    expect(third).not.toMatch(/仍有问题未按要求完成整改：[^。]*益阳市乡村振兴局/);
  });

  it('answers 404 for an inspection out of reach', async () => {
    expect((await t.request(admin, 'GET', '/api/inspections/99999/bulletin.docx')).statusCode).toBe(404);
  });
});
