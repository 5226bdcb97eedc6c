import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../notifications/mailer.js';
import { createOutboxWorker, type DeliveryReport, type OutboxLogger, type OutboxWorker } from '../../notifications/outbox.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';
import { startSmtpTestServer, type ReceivedMail, type SmtpTestServer } from '../helpers/smtp-test-server.js';
import { onPostgres } from '../helpers/test-database.js';

/**
 * Who hears what, end to end: the ticket API writes the outbox rows, the real outbox worker sends
 * them over SMTP to an in-process server, and the admin API and ticket view show what happened.
 */

let t: TestApp;
let tokens: Record<string, string>;
let smtp: SmtpTestServer;
let mailer: Mailer;
let outbox: OutboxWorker;
// The worker's clock. Rows are due from the database's now(), so it runs ahead of real time.
let workerNow = new Date(Date.now() + 60_000);
const silent: OutboxLogger = { info: () => {}, warn: () => {}, error: () => {} };

const DUE = '2021年6月25日（星期五）';

interface NotificationDto {
  id: number;
  ticketId: number | null;
  kind: string;
  to: string[];
  subject: string;
  status: string;
  attempts: number;
  lastError: string | null;
  messageId: string;
  nextAttemptAt: string;
}

interface Issued {
  id: number;
  number: string;
}

const tickets: Record<string, Issued> = {};

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  smtp = await startSmtpTestServer();
  mailer = createMailer({ smtpUrl: smtp.url, dataDir: t.db.dataDir, from: 'Rectify <rectify@rectify.test>' });
  outbox = createOutboxWorker({ db: t.db.db, mailer, from: 'Rectify <rectify@rectify.test>', logger: silent, now: () => workerNow, maxAttempts: 3 });

  const inspection = await createInspection(t, token('gov-sup'));
  const rows: [key: string, targetName: string, ownerUnit: string][] = [
    ['wjw', '健康益阳', '益阳市卫生健康委员会'],
    ['gulou', '印象古楼', '安化县古楼乡人民政府'],
    ['withdraw', '益阳智慧医疗', '益阳市卫生健康委员会'],
    ['extend', '益阳交通', '益阳市交通运输局'],
    ['reassign', '益阳卫健发布', '益阳市卫生健康委员会'],
    ['swj', '安化招商引资', '安化县商务局'],
    ['down', '益阳交通发布', '益阳市交通运输局'],
    ['bounce', '益阳公路', '益阳市交通运输局'],
  ];
  const response = await t.request(token('gov-sup'), 'POST', `/api/inspections/${inspection.id}/findings`, {
    findings: rows.map(([, targetName, ownerUnit]) => ({
      targetKind: 'new_media',
      platform: 'wechat_subscription',
      targetName,
      ownerUnit,
      county: null,
      problems: ['互动回应差'],
      lastUpdatedOn: null,
      outstanding: true,
    })),
  });
  if (response.statusCode !== 201) throw new Error(`import: ${response.body}`);
  const issued = response.json().tickets as Issued[];
  rows.forEach(([key], i) => {
    const ticket = issued[i];
    if (!ticket) throw new Error(`no ticket for ${key}`);
    tickets[key] = ticket;
  });
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

function ticket(key: string): Issued {
  const value = tickets[key];
  if (!value) throw new Error(`no ticket ${key}`);
  return value;
}

/** Runs worker passes until nothing due is left, at `at` (the worker's clock). */
async function drain(at = new Date(Date.now() + 60_000)): Promise<DeliveryReport> {
  workerNow = at;
  const total: DeliveryReport = { sent: 0, retried: 0, failed: 0 };
  for (;;) {
    const report = await outbox.deliverDue();
    total.sent += report.sent;
    total.retried += report.retried;
    total.failed += report.failed;
    if (report.sent + report.retried + report.failed === 0) return total;
  }
}

async function act(username: string, key: string, event: Record<string, unknown>) {
  const response = await t.request(token(username), 'POST', `/api/tickets/${ticket(key).id}/events`, event);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().ticket as { state: string; unitCode: string };
}

async function notificationsOf(key: string): Promise<NotificationDto[]> {
  const response = await t.request(token('admin'), 'GET', `/api/notifications?ticket=${ticket(key).id}&limit=200`);
  expect(response.statusCode).toBe(200);
  return response.json().items as NotificationDto[];
}

/** The newest notification of this kind for the ticket, and the one message the SMTP server got for it. */
async function delivered(key: string, kind: string): Promise<{ row: NotificationDto; mail: ReceivedMail }> {
  await drain();
  const row = (await notificationsOf(key)).find((n) => n.kind === kind);
  if (!row) throw new Error(`no ${kind} notification for ticket ${key}`);
  expect(row.status, row.lastError ?? '').toBe('sent');
  const mails = smtp.received.filter((m) => m.messageId === row.messageId);
  expect(mails).toHaveLength(1);
  return { row, mail: mails[0] as ReceivedMail };
}

/** A decision on one ticket: its number and target in the subject; a batch names the unit instead. */
function expectTicketMail(mail: ReceivedMail, key: string, tag: string, targetName: string, due = DUE) {
  const { id, number } = ticket(key);
  expect(mail.subject?.startsWith(`【${tag}】${number} ${targetName}：互动回应差`) || mail.subject?.startsWith(`【${tag}】益阳市`), mail.subject).toBe(true);
  expect(mail.text).toContain(number);
  expect(mail.text).toContain('联系人：');
  expect(mail.text).not.toContain('贵单位');
  expect(mail.text).toContain(due);
  expect(mail.text).toContain(`https://rectify.test/tickets/${id}`);
  expect(mail.html).toContain(`href="https://rectify.test/tickets/${id}"`);
}

describe(`who hears what, over SMTP on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('sends 【整改通知】 for issued tickets to the responsible unit only, one email per unit listing its tickets', async () => {
    const { row, mail } = await delivered('wjw', 'issued');
    expect(mail.envelopeTo).toEqual(['wjw@yiyang.test']);
    expect(mail.to).toEqual(['wjw@yiyang.test']);
    expect(row.to).toEqual(['wjw@yiyang.test']);
    expectTicketMail(mail, 'wjw', '整改通知', '健康益阳');
    expect(mail.subject).toBe('【整改通知】益阳市卫生健康委员会：3项整改事项（请于2021年6月25日前反馈）');
    for (const key of ['withdraw', 'reassign']) expect(mail.text).toContain(ticket(key).number);
    // The same email is listed on each of its tickets.
    expect((await notificationsOf('withdraw')).find((n) => n.kind === 'issued')?.id).toBe(row.id);

    const township = await delivered('gulou', 'issued');
    expect(township.mail.envelopeTo).toEqual(['gulou@yiyang.test']);
    expectTicketMail(township.mail, 'gulou', '整改通知', '印象古楼');
  });

  it('lists submissions for the issuing office, and for a county office its own units, in one 【待核验】 digest each working day', async () => {
    await act('wjw-off', 'wjw', { type: 'ACKNOWLEDGE' });
    await act('wjw-off', 'wjw', { type: 'SUBMIT_RECTIFICATION', feedback: '已安排专人每日回复留言。', evidence: ['https://example.gov.cn/shot.png'], rectifiedOn: '2021-06-20' });
    await act('gl-off', 'gulou', { type: 'ACKNOWLEDGE' });
    await act('gl-off', 'gulou', { type: 'SUBMIT_RECTIFICATION', feedback: '已恢复更新。' });
    // A submission alone emails nobody; the digest goes out at 09:00 on the next working day, Monday 06-21.
    expect((await notificationsOf('wjw')).filter((n) => n.kind === 'submitted')).toEqual([]);
    await t.services.sweep.run({ now: new Date('2021-06-21T00:59:00Z'), logger: silent });
    expect((await notificationsOf('wjw')).filter((n) => n.kind === 'submitted')).toEqual([]);
    await t.services.sweep.run({ now: new Date('2021-06-21T01:00:00Z'), logger: silent });
    await t.services.sweep.run({ now: new Date('2021-06-21T05:00:00Z'), logger: silent });

    const office = await delivered('wjw', 'submitted');
    expect(office.mail.envelopeTo).toEqual(['gov@yiyang.test']);
    expect(office.mail.subject).toBe('【待核验】益阳市人民政府办公室：2项整改事项（截至2021年6月21日共2项）');
    expect(office.mail.text).toMatch(/^益阳市人民政府办公室：/);
    for (const key of ['wjw', 'gulou']) expect(office.mail.text).toContain(ticket(key).number);
    const county = (await notificationsOf('gulou')).filter((n) => n.kind === 'submitted' && n.to.includes('ah@yiyang.test'));
    expect(county).toHaveLength(1);
    expect(county[0]?.subject).toBe('【待核验】安化县人民政府办公室：1项整改事项（截至2021年6月21日共1项）');
    // Once per working day.
    expect((await notificationsOf('wjw')).filter((n) => n.kind === 'submitted')).toHaveLength(1);
  });

  it('sends 【整改退回】 and then 【整改销号】 to the responsible unit', async () => {
    await act('gov-sup', 'wjw', { type: 'REJECT', reason: '截图未显示回复时间。' });
    const rejected = await delivered('wjw', 'rejected');
    expect(rejected.mail.envelopeTo).toEqual(['wjw@yiyang.test']);
    expectTicketMail(rejected.mail, 'wjw', '整改退回', '健康益阳', rejected.mail.text?.match(/前重新报送/) ? (rejected.mail.text.match(/并于(\d{4}年\d+月\d+日（星期.）)前重新报送/)?.[1] ?? DUE) : DUE);
    expect(rejected.mail.text).toContain('（理由：截图未显示回复时间）');

    await act('wjw-off', 'wjw', { type: 'SUBMIT_RECTIFICATION', feedback: '已补充带时间的截图。' });
    await act('gov-sup', 'wjw', { type: 'VERIFY', comment: '整改到位。' });
    const verified = await delivered('wjw', 'verified');
    expect(verified.mail.envelopeTo).toEqual(['wjw@yiyang.test']);
    expectTicketMail(verified.mail, 'wjw', '整改销号', '健康益阳', '');
    expect(verified.mail.text).toContain('予以销号');
  });

  it('sends 【撤销整改事项】 to the responsible unit', async () => {
    await act('gov-sup', 'withdraw', { type: 'WITHDRAW', reason: '复核时已恢复更新。' });
    const { mail } = await delivered('withdraw', 'withdrawn');
    expect(mail.envelopeTo).toEqual(['wjw@yiyang.test']);
    expectTicketMail(mail, 'withdraw', '撤销整改事项', '益阳智慧医疗');
  });

  it('sends 【延期】 with the old and the new date to the responsible unit', async () => {
    await act('gov-sup', 'extend', { type: 'EXTEND_DEADLINE', dueAt: '2021-06-30', reason: '需采购服务。' });
    const { mail } = await delivered('extend', 'extended');
    expect(mail.envelopeTo).toEqual(['jtj@yiyang.test']);
    expectTicketMail(mail, 'extend', '延期', '益阳交通', '2021年6月30日（星期三）');
    expect(mail.text).toContain(`由${DUE}延至2021年6月30日（星期三）`);
    expect(mail.subject).toContain('（延至2021年6月30日）');
  });

  it('sends 【转办】 to the new unit, and tells the old one it need not report', async () => {
    const moved = await act('gov-sup', 'reassign', { type: 'REASSIGN', unitCode: 'YY-JTJ', reason: '账号已移交交通运输局。' });
    expect(moved).toMatchObject({ unitCode: 'YY-JTJ', state: 'issued' });
    const { mail } = await delivered('reassign', 'reassigned');
    expect(mail.envelopeTo).toEqual(['jtj@yiyang.test']);
    expectTicketMail(mail, 'reassign', '转办', '益阳卫健发布', mail.text?.match(/并于(\d{4}年\d+月\d+日（星期.）)前/)?.[1] ?? DUE);
    expect(mail.text).toContain('原由益阳市卫生健康委员会办理');
    const away = await delivered('reassign', 'reassigned_away');
    expect(away.mail.envelopeTo).toEqual(['wjw@yiyang.test']);
    expect(away.mail.text).toContain('已转益阳市交通运输局办理');
    expect(away.mail.text).toContain('你单位无需报送');
  });

  it('fails the notification of a unit without an email address, visibly, in the admin list and the ticket view', async () => {
    await drain();
    const [row] = (await notificationsOf('swj')).filter((n) => n.kind === 'issued');
    expect(row).toMatchObject({ status: 'failed', to: [] });
    expect(row?.lastError).toMatch(/no_recipients/);

    const failed = (await t.request(token('admin'), 'GET', '/api/notifications?status=failed&limit=200')).json().items as NotificationDto[];
    expect(failed.map((n) => n.id)).toContain(row?.id);
    expect(failed.every((n) => n.status === 'failed')).toBe(true);

    const view = await t.request(token('gov-sup'), 'GET', `/api/tickets/${ticket('swj').id}`);
    expect(view.statusCode).toBe(200);
    expect(view.json().notifications).toEqual([expect.objectContaining({ id: row?.id, kind: 'issued', status: 'failed', lastError: expect.stringMatching(/no_recipients/) })]);
  });

  it('delivers to the address a unit got after its mail failed for want of one, on resend', async () => {
    await drain();
    const [row] = (await notificationsOf('swj')).filter((n) => n.kind === 'issued');
    expect(row?.status).toBe('failed');
    const patched = await t.request(token('admin'), 'PATCH', '/api/units/AH-SWJ', { emails: ['swj@yiyang.test'] });
    expect(patched.statusCode, patched.body).toBe(200);

    const resent = await t.request(token('admin'), 'POST', `/api/notifications/${row?.id}/resend`);
    expect(resent.statusCode, resent.body).toBe(200);
    const { mail } = await delivered('swj', 'issued');
    expect(mail.envelopeTo).toEqual(['swj@yiyang.test']);
    expectTicketMail(mail, 'swj', '整改通知', '安化招商引资');
  });

  it('lets the ticket action succeed while the mail server is down, retries, and delivers exactly once when it is back', async () => {
    await drain();
    await smtp.stop();
    try {
      await act('gov-sup', 'down', { type: 'WITHDRAW', reason: '重复检查对象。' });
      const at = new Date(Date.now() + 60_000);
      expect(await drain(at)).toEqual({ sent: 0, retried: 1, failed: 0 });
      const [waiting] = (await notificationsOf('down')).filter((n) => n.kind === 'withdrawn');
      expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
      expect(waiting?.lastError).toMatch(/^transient: /);

      await smtp.restart();
      // Not due yet at the same moment: the retry waits for its back-off.
      expect(await drain(at)).toEqual({ sent: 0, retried: 0, failed: 0 });
      expect(await drain(new Date(waiting?.nextAttemptAt ?? 0))).toEqual({ sent: 1, retried: 0, failed: 0 });
      expect(await drain(new Date(Date.parse(waiting?.nextAttemptAt ?? '') + 3_600_000))).toEqual({ sent: 0, retried: 0, failed: 0 });
    } finally {
      await smtp.restart();
    }
    const { row, mail } = await delivered('down', 'withdrawn');
    expect(row.attempts).toBe(2);
    expect(mail.envelopeTo).toEqual(['jtj@yiyang.test']);
    expect(smtp.received.filter((m) => m.messageId === row.messageId)).toHaveLength(1);
  });

  it('re-sends a failed notification on POST /api/notifications/:id/resend, and answers 409 for one already sent', async () => {
    await drain();
    smtp.rejectRecipients(['jtj@yiyang.test']);
    await act('gov-sup', 'bounce', { type: 'WITHDRAW', reason: '账号已注销。' });
    expect(await drain()).toMatchObject({ failed: 1 });
    const [failed] = (await notificationsOf('bounce')).filter((n) => n.kind === 'withdrawn');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed?.lastError).toMatch(/^permanent: 550/);
    expect(smtp.received.filter((m) => m.messageId === failed?.messageId)).toHaveLength(0);

    smtp.reset();
    const resent = await t.request(token('admin'), 'POST', `/api/notifications/${failed?.id}/resend`);
    expect(resent.statusCode, resent.body).toBe(200);
    expect(resent.json()).toMatchObject({ id: failed?.id, status: 'pending', attempts: 0, messageId: failed?.messageId });
    const { row, mail } = await delivered('bounce', 'withdrawn');
    expect(row.id).toBe(failed?.id);
    expect(mail.envelopeTo).toEqual(['jtj@yiyang.test']);

    const again = await t.request(token('admin'), 'POST', `/api/notifications/${row.id}/resend`);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('notifications.not_failed');
    expect((await t.request(token('admin'), 'POST', '/api/notifications/999999/resend')).statusCode).toBe(409);
  });
});

describe('GET /api/notifications', () => {
  it('is for admins only', async () => {
    expect((await t.request(token('gov-sup'), 'GET', '/api/notifications')).statusCode).toBe(403);
    expect((await t.request(token('wjw-off'), 'GET', '/api/notifications')).statusCode).toBe(403);
    const failed = (await t.request(token('admin'), 'GET', '/api/notifications?status=failed&limit=200')).json().items as NotificationDto[];
    const resend = await t.request(token('gov-sup'), 'POST', `/api/notifications/${failed[0]?.id ?? 1}/resend`);
    expect(resend.statusCode).toBe(403);
  });

  it('filters by status and by ticket', async () => {
    await drain();
    const all = (await t.request(token('admin'), 'GET', '/api/notifications?limit=200')).json().items as NotificationDto[];
    expect(new Set(all.map((n) => n.status))).toEqual(new Set(['sent']));
    const sent = (await t.request(token('admin'), 'GET', '/api/notifications?status=sent&limit=200')).json().items as NotificationDto[];
    expect(sent.map((n) => n.id)).toEqual(all.map((n) => n.id));
    expect((await t.request(token('admin'), 'GET', '/api/notifications?status=pending')).json().items).toEqual([]);

    const forTicket = await notificationsOf('wjw');
    expect(forTicket.map((n) => n.kind)).toEqual(['verified', 'rejected', 'submitted', 'issued']);
    // The decisions concern this ticket alone; the issue notice and the digest list others too.
    expect(forTicket.filter((n) => n.ticketId === ticket('wjw').id).map((n) => n.kind)).toEqual(['verified', 'rejected']);
    expect((await t.request(token('admin'), 'GET', '/api/notifications?status=bogus')).statusCode).toBe(400);
  });

  it('pages through the outbox, newest first, with a cursor', async () => {
    const all = (await t.request(token('admin'), 'GET', '/api/notifications?limit=200')).json();
    expect(all.nextCursor).toBeNull();
    const expected = (all.items as NotificationDto[]).map((n) => n.id);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected).toEqual([...expected].sort((a, b) => b - a));

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/notifications?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await t.request(token('admin'), 'GET', url)).json() as { items: NotificationDto[]; nextCursor: string | null };
      seen.push(...page.items.map((n) => n.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 3));
  });
});
