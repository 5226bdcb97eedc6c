import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chineseDate, chineseNumber } from '../../workflows/feedback/feedback-draft.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { png, uploadOk } from '../helpers/evidence-files.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';
import { onPostgres } from '../helpers/test-database.js';

const run = promisify(execFile);

let t: TestApp;
let tokens: Record<string, string>;
let inspectionId: number;
let workDir: string;
const token = (name: string) => tokens[name] ?? '';

const problems = ['互动回应差：2021年5月以来群众留言3条未回复', '首页“政务公开”栏目超过2周未更新'];

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  inspectionId = (await createInspection(t, token('gov-sup'))).id;
  const imported = await t.request(token('gov-sup'), 'POST', `/api/inspections/${inspectionId}/findings`, {
    findings: [
      { targetKind: 'new_media', platform: 'wechat_subscription', targetName: '健康益阳', ownerUnit: '益阳市卫生健康委员会', problems: [problems[0]], outstanding: true },
      { targetKind: 'website', targetName: '益阳市卫生健康委员会网站', ownerUnit: '益阳市卫生健康委员会', problems: [problems[1]], outstanding: false },
      { targetKind: 'website', targetName: '益阳市交通运输局网站', ownerUnit: '益阳市交通运输局', problems: ['链接不可用'], outstanding: true },
    ],
  });
  if (imported.statusCode !== 201) throw new Error(imported.body);
  const [first] = imported.json().tickets as { id: number }[];
  const [shot] = await uploadOk(t, token('wjw-off'), [{ name: '留言回复截图.png', bytes: png('draft') }]);
  await t.request(token('wjw-off'), 'POST', `/api/tickets/${first?.id}/events`, { type: 'ACKNOWLEDGE' });
  const submitted = await t.request(token('wjw-off'), 'POST', `/api/tickets/${first?.id}/events`, {
    type: 'SUBMIT_RECTIFICATION',
    feedback: '已安排专人负责“健康益阳”公众号留言办理，3条留言已全部回复。\n建立留言办理台账，每周检查一次。',
    rectifiedOn: '2021-06-22',
    evidence: ['https://wjw.yiyang.gov.cn/hdjl/'],
    attachmentIds: [shot?.id],
  });
  if (submitted.statusCode !== 200) throw new Error(submitted.body);
  t.clock.set('2021-06-24T03:00:00Z');
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-draft-'));
});
afterAll(async () => {
  await t?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe(`GET /api/inspections/:id/feedback/:unitCode/draft.docx on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('writes numbers and dates the way a 公文 does', () => {
    expect([1, 10, 12, 20, 21].map(chineseNumber)).toEqual(['一', '十', '十二', '二十', '二十一']);
    expect(chineseDate('2021-06-24')).toBe('2021年6月24日');
  });

  it('is a document LibreOffice opens, with the unit, each ticket number and the problems in the inspector’s words', async () => {
    const response = await t.request(token('wjw-off'), 'GET', `/api/inspections/${inspectionId}/feedback/YY-WJW/draft.docx`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename=".*"; filename\*=UTF-8''/);
    const docx = path.join(workDir, 'draft.docx');
    fs.writeFileSync(docx, response.rawPayload);

    // Its own LibreOffice profile, so that a desktop session or another test run does not block the conversion.
    await run('soffice', [`-env:UserInstallation=file://${path.join(workDir, 'profile')}`, '--headless', '--convert-to', 'pdf', '--outdir', workDir, docx], { timeout: 120_000 });
    const { stdout: text } = await run('pdftotext', ['-layout', path.join(workDir, 'draft.pdf'), '-']);
    const flat = text.replace(/\s+/g, '');
    expect(flat).toContain('关于《2021年全市政府网站与政务新媒体检查情况通报》（益政务办发〔2021〕2号）反映问题整改情况的报告');
    expect(flat).toContain('益阳市人民政府办公室：');
    expect(flat).toContain('益阳市卫生健康委员会');
    expect(flat).toContain('2021-2-001');
    expect(flat).toContain('2021-2-002');
    expect(flat).not.toContain('2021-2-003');
    for (const problem of problems) expect(flat).toContain(problem.replace(/\s+/g, ''));
    expect(flat).toContain('3条留言已全部回复');
    expect(flat).toContain('2021年6月22日');
    expect(flat).toContain('留言回复截图.png');
    expect(flat).toContain('特此报告。');
    expect(flat).toContain('2021年6月24日');
  }, 180_000);

  it('is refused outside the unit’s scope (404)', async () => {
    expect((await t.request(token('jtj-off'), 'GET', `/api/inspections/${inspectionId}/feedback/YY-WJW/draft.docx`)).statusCode).toBe(404);
    expect((await t.request(token('ah-sup'), 'GET', `/api/inspections/${inspectionId}/feedback/YY-WJW/draft.docx`)).statusCode).toBe(404);
    expect((await t.request(token('gov-sup'), 'GET', `/api/inspections/${inspectionId}/feedback/YY-WJW/draft.docx`)).statusCode).toBe(200);
  });
});
