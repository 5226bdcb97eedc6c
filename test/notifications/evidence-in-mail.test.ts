import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../notifications/mailer.js';
import { createOutboxWorker, type OutboxLogger, type OutboxWorker } from '../../notifications/outbox.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { png, samples, uploadOk } from '../helpers/evidence-files.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';
import { startSmtpTestServer, type ReceivedMail, type SmtpTestServer } from '../helpers/smtp-test-server.js';
import { onPostgres } from '../helpers/test-database.js';

/**
 * The supervising office reads what each unit submitted in the emails that tell it: the daily 待核验
 * digest and the 核验提醒 list, per ticket, the unit's written feedback and the names of its evidence
 * files (linking to the ticket, never to a file); the written report's email names its scan. Sent by the
 * real outbox worker to a real SMTP server and read as received.
 */

const silent: OutboxLogger = { info: () => {}, warn: () => {}, error: () => {} };
const FEEDBACK = '已安排专人每日查看并回复公众留言，积压的12条留言已于6月18日全部答复。\n已建立留言办理台账。';

let t: TestApp;
let tokens: Record<string, string>;
let smtp: SmtpTestServer;
let mailer: Mailer;
let outbox: OutboxWorker;
let inspectionId: number;
const tickets: Record<string, { id: number; number: string }> = {};
const fileIds: string[] = [];

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  smtp = await startSmtpTestServer();
  mailer = createMailer({ smtpUrl: smtp.url, dataDir: t.db.dataDir, from: 'Rectify <rectify@rectify.test>' });
  // Rows are due from the database's now(), so the worker's clock runs ahead of real time.
  outbox = createOutboxWorker({ db: t.db.db, mailer, from: 'Rectify <rectify@rectify.test>', logger: silent, now: () => new Date(Date.now() + 60_000), maxAttempts: 1 });
  inspectionId = (await createInspection(t, token('gov-sup'))).id;
  const rows: [key: string, targetName: string, ownerUnit: string][] = [
    ['wjw', '健康益阳', '益阳市卫生健康委员会'],
    ['jtj', '益阳交通', '益阳市交通运输局'],
  ];
  const response = await t.request(token('gov-sup'), 'POST', `/api/inspections/${inspectionId}/findings`, {
    findings: rows.map(([, targetName, ownerUnit]) => ({ targetKind: 'new_media', platform: 'wechat_subscription', targetName, ownerUnit, county: null, problems: ['互动回应差'], lastUpdatedOn: null, outstanding: true })),
  });
  if (response.statusCode !== 201) throw new Error(`import: ${response.body}`);
  (response.json().tickets as { id: number; number: string }[]).forEach((ticket, i) => (tickets[rows[i]?.[0] ?? ''] = ticket));
  await deliverAll();
  smtp.reset();
});

afterAll(async () => {
  await outbox.stop();
  await mailer.close();
  await smtp.close();
  await t.close();
});

function token(username: string): string {
  const value = tokens[username];
  if (!value) throw new Error(`no token for ${username}`);
  return value;
}

function ticket(key: string): { id: number; number: string } {
  const value = tickets[key];
  if (!value) throw new Error(`no ticket ${key}`);
  return value;
}

async function deliverAll(): Promise<void> {
  for (;;) {
    const report = await outbox.deliverDue();
    if (report.sent + report.retried + report.failed === 0) return;
  }
}

async function act(username: string, key: string, event: Record<string, unknown>) {
  const response = await t.request(token(username), 'POST', `/api/tickets/${ticket(key).id}/events`, event);
  expect(response.statusCode, response.body).toBe(200);
}

/** The one message of this subject's opening the SMTP server received. */
async function receivedMail(subjectStart: string): Promise<ReceivedMail> {
  await deliverAll();
  const mails = smtp.received.filter((m) => m.subject?.startsWith(subjectStart));
  expect(mails, smtp.received.map((m) => m.subject).join('\n')).toHaveLength(1);
  return mails[0] as ReceivedMail;
}

describe(`evidence named in the office's emails, over SMTP on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('lists in the 待核验 digest, per ticket, the unit’s feedback and its files by name, linking to the ticket', async () => {
    const files = await uploadOk(t, token('wjw-off'), [
      { name: '整改前截图（留言未回复）.png', bytes: png('before') },
      { name: '整改后截图（已回复）.png', bytes: png('after') },
      { name: '留言办理台账.pdf', bytes: samples.pdf },
    ]);
    fileIds.push(...files.map((f) => f.id));
    await act('wjw-off', 'wjw', { type: 'ACKNOWLEDGE' });
    await act('wjw-off', 'wjw', { type: 'SUBMIT_RECTIFICATION', feedback: FEEDBACK, attachmentIds: fileIds, evidence: ['https://www.yiyang.gov.cn/wjw/hdjl/'], rectifiedOn: '2021-06-18' });
    await act('jtj-off', 'jtj', { type: 'ACKNOWLEDGE' });
    await act('jtj-off', 'jtj', { type: 'SUBMIT_RECTIFICATION', feedback: '已恢复更新。' });

    // Monday 2021-06-21, 09:00: the first working day's digest.
    await t.services.sweep.run({ now: new Date('2021-06-21T01:00:00Z'), logger: silent });
    const mail = await receivedMail('【待核验】');
    expect(mail.envelopeTo).toEqual(['gov@yiyang.test']);
    expect(mail.subject).toBe('【待核验】益阳市人民政府办公室：2项整改事项（截至2021年6月21日共2项）');
    const text = mail.text ?? '';
    const wjw = text.slice(text.indexOf(`1. ${ticket('wjw').number}`), text.indexOf(`2. ${ticket('jtj').number}`));
    expect(wjw).toContain('整改情况：已安排专人每日查看并回复公众留言，积压的12条留言已于6月18日全部答复。');
    expect(wjw).toContain('已建立留言办理台账。');
    expect(wjw).toContain('佐证材料：整改前截图（留言未回复）.png、整改后截图（已回复）.png、留言办理台账.pdf（共3份）；佐证链接：https://www.yiyang.gov.cn/wjw/hdjl/');
    expect(wjw).toContain(`办理地址：https://rectify.test/tickets/${ticket('wjw').id}`);
    const jtj = text.slice(text.indexOf(`2. ${ticket('jtj').number}`));
    expect(jtj).toContain('整改情况：已恢复更新。');
    expect(jtj).toContain('佐证材料：未附佐证材料');
    expect(text).toContain('佐证材料请登录系统，在各事项办理页面查阅。');
    // The files are named, never linked: the link is the ticket's page.
    for (const id of fileIds) {
      expect(text).not.toContain(id);
      expect(mail.html).not.toContain(id);
    }
    expect(text).not.toContain('/api/attachments');
    expect(mail.html).not.toContain('/api/attachments');
    expect(mail.html).toContain('整改后截图（已回复）.png');
    expect(mail.html).toContain(`href="https://rectify.test/tickets/${ticket('wjw').id}"`);
    expect(text).not.toMatch(/贵单位|attachment|undefined|null/);
  });

  it('lists them again in the 核验提醒 once the verification allowance has run out', async () => {
    smtp.reset();
    // Submitted Friday 06-18; five working days after it end on Friday 06-25: the reminder goes out Monday 06-28 at 09:00.
    await t.services.sweep.run({ now: new Date('2021-06-28T01:00:00Z'), logger: silent });
    const mail = await receivedMail('【核验提醒】');
    expect(mail.envelopeTo).toEqual(['gov@yiyang.test']);
    expect(mail.text).toContain('佐证材料：整改前截图（留言未回复）.png、整改后截图（已回复）.png、留言办理台账.pdf（共3份）');
    expect(mail.text).toContain('整改情况：已安排专人每日查看并回复公众留言');
    expect(mail.text).not.toContain('/api/attachments');
  });

  it('names the scan of the unit’s written report in the email to the issuing office', async () => {
    smtp.reset();
    const [scan] = await uploadOk(t, token('wjw-off'), [{ name: '关于健康益阳整改情况的报告（盖章）.pdf', bytes: Buffer.concat([samples.pdf, Buffer.from('% stamped')]) }]);
    const response = await t.request(token('wjw-off'), 'POST', `/api/inspections/${inspectionId}/feedback/YY-WJW/events`, { type: 'SUBMIT_FEEDBACK', attachmentIds: [scan?.id], note: '已加盖公章。' });
    expect(response.statusCode, response.body).toBe(200);
    const mail = await receivedMail('【书面反馈已报送】');
    expect(mail.envelopeTo).toEqual(['gov@yiyang.test']);
    expect(mail.text).toMatch(/报告附件：\n {2}1\. 关于健康益阳整改情况的报告（盖章）\.pdf/);
    expect(mail.text).toContain(`办理地址：https://rectify.test/inspections/${inspectionId}`);
    expect(mail.text).not.toContain(scan?.id ?? 'no id');
    expect(mail.text).not.toContain('/api/attachments');
  });
});
