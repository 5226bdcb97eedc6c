import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../notifications/mailer.js';
import { createOutboxWorker, type OutboxLogger, type OutboxWorker } from '../../notifications/outbox.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';
import { startSmtpTestServer, type ReceivedMail, type SmtpTestServer } from '../helpers/smtp-test-server.js';
import { onPostgres } from '../helpers/test-database.js';

/**
 * 申请延期 over HTTP on a real server: who may send REQUEST_EXTENSION, APPROVE_EXTENSION and
 * REFUSE_EXTENSION, one pending request at a time, policy.maxExtensions, the emails as the real SMTP
 * server received them, and the warning for a new deadline on a rest day.
 */

// Friday 2021-06-18, 10:00 in Shanghai; the tickets are due at the end of Friday 2021-06-25.
const NOW = '2021-06-18T02:00:00Z';
const silent: OutboxLogger = { info: () => {}, warn: () => {}, error: () => {} };

let t: TestApp;
let tokens: Record<string, string>;
let smtp: SmtpTestServer;
let mailer: Mailer;
let outbox: OutboxWorker;
let inspectionId: number;
const tickets: Record<string, { id: number; number: string }> = {};

interface TicketDto {
  state: string;
  dueAt: string;
  escalationLevel: number;
  version: number;
  extensionRequest: { until: string; reason: string; requestedAt: string } | null;
}

beforeAll(async () => {
  t = await buildTestApp({ now: NOW });
  ({ tokens } = await seedOrganisation(t));
  smtp = await startSmtpTestServer();
  mailer = createMailer({ smtpUrl: smtp.url, dataDir: t.db.dataDir, from: 'Rectify <rectify@rectify.test>' });
  // Rows are due from the database's now(), so the worker's clock runs ahead of real time.
  outbox = createOutboxWorker({ db: t.db.db, mailer, from: 'Rectify <rectify@rectify.test>', logger: silent, now: () => new Date(Date.now() + 60_000), maxAttempts: 1 });
  const inspection = await createInspection(t, token('gov-sup'));
  inspectionId = inspection.id;
  const rows: [key: string, targetName: string, ownerUnit: string][] = [
    ['wjw', '健康益阳', '益阳市卫生健康委员会'],
    ['gulou', '印象古楼', '安化县古楼乡人民政府'],
    ['jtj', '益阳交通', '益阳市交通运输局'],
  ];
  const response = await t.request(token('gov-sup'), 'POST', `/api/inspections/${inspectionId}/findings`, {
    findings: rows.map(([, targetName, ownerUnit]) => ({
      targetKind: 'new_media',
      platform: 'wechat_subscription',
      targetName,
      ownerUnit,
      county: null,
      problems: ['互动回应差'],
      lastUpdatedOn: null,
      outstanding: false,
    })),
  });
  if (response.statusCode !== 201) throw new Error(`import: ${response.body}`);
  const issued = response.json().tickets as { id: number; number: string }[];
  rows.forEach(([key], i) => {
    const ticket = issued[i];
    if (!ticket) throw new Error(`no ticket for ${key}`);
    tickets[key] = ticket;
  });
  await deliverAll();
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

function send(username: string, key: string, event: Record<string, unknown>) {
  return t.request(token(username), 'POST', `/api/tickets/${ticket(key).id}/events`, event);
}

async function accepted(username: string, key: string, event: Record<string, unknown>) {
  const response = await send(username, key, event);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { ticket: TicketDto; warnings?: { code: string; field: string; day: string; nextWorkingDay: string; message: string }[] };
}

async function detail(key: string, username = 'admin') {
  const response = await t.request(token(username), 'GET', `/api/tickets/${ticket(key).id}`);
  expect(response.statusCode).toBe(200);
  return response.json() as { ticket: TicketDto; events: { type: string; payload: Record<string, unknown> }[]; allowedEvents: string[]; notifications: { kind: string; to: string[]; messageId: string; status: string }[] };
}

/** The messages the SMTP server received for this ticket's notifications of `kind`, in the order they were queued. */
async function mailsOf(key: string, kind: string): Promise<ReceivedMail[]> {
  await deliverAll();
  const rows = (await detail(key)).notifications.filter((n) => n.kind === kind);
  return rows.map((row) => {
    expect(row.status).toBe('sent');
    const mails = smtp.received.filter((m) => m.messageId === row.messageId);
    expect(mails).toHaveLength(1);
    return mails[0] as ReceivedMail;
  });
}

/** The end of a Shanghai day, as the API shows a due time. */
const endOf = (day: string) => new Date(`${day}T23:59:59.999+08:00`).toISOString();

describe(`申请延期 over HTTP on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('lets only an officer of the responsible unit ask, and answers others 403, or 404 outside their scope', async () => {
    const ask = { type: 'REQUEST_EXTENSION', until: '2021-07-02', reason: '需协调技术服务公司改版互动栏目。' };
    for (const username of ['gov-sup', 'wjw-sup', 'admin', 'gov-off']) {
      const response = await send(username, 'wjw', ask);
      expect(response.statusCode, username).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    for (const username of ['jtj-off', 'gl-off', 'ah-sup']) expect((await send(username, 'wjw', ask)).statusCode, username).toBe(404);
    // A day not after the current due day asks for nothing.
    const same = await send('wjw-off', 'wjw', { ...ask, until: '2021-06-25' });
    expect(same.statusCode).toBe(422);
    expect(same.json().errors).toEqual([expect.objectContaining({ field: 'until' })]);
    expect((await send('wjw-off', 'wjw', { type: 'REQUEST_EXTENSION', until: '2021-07-02' })).statusCode).toBe(400);

    const { ticket: asked } = await accepted('wjw-off', 'wjw', ask);
    expect(asked.extensionRequest).toEqual({ until: '2021-07-02', reason: ask.reason, requestedAt: '2021-06-18T02:00:00.000Z' });
    // The clock keeps running while the office decides.
    expect(asked.dueAt).toBe(endOf('2021-06-25'));
    expect((await detail('wjw', 'gov-sup')).allowedEvents).toEqual(expect.arrayContaining(['APPROVE_EXTENSION', 'REFUSE_EXTENSION']));
    expect((await detail('wjw', 'wjw-off')).allowedEvents).not.toContain('REQUEST_EXTENSION');
  });

  it('keeps one request pending at a time: a second answers 409 with the state and the events allowed', async () => {
    const again = await send('wjw-off', 'wjw', { type: 'REQUEST_EXTENSION', until: '2021-07-09', reason: '再次申请。' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'tickets.extension_pending', state: 'issued' });
    expect(again.json().allowedEvents).not.toContain('REQUEST_EXTENSION');
    expect((await detail('wjw')).ticket.extensionRequest?.until).toBe('2021-07-02');
  });

  it('emails the supervising office the request, and for a county’s own unit the county office too', async () => {
    const [request] = await mailsOf('wjw', 'extension_requested');
    expect(request?.envelopeTo).toEqual(['gov@yiyang.test']);
    expect(request?.subject).toBe(`【延期申请】${ticket('wjw').number} 健康益阳：互动回应差（申请延至2021年7月2日）`);
    expect(request?.text).toMatch(/^益阳市人民政府办公室：/);
    expect(request?.text).toContain('益阳市卫生健康委员会申请将');
    expect(request?.text).toContain('由2021年6月25日（星期五）延至2021年7月2日（星期五）（理由：需协调技术服务公司改版互动栏目）');
    expect(request?.text).toContain('办理结果通知前，原反馈期限不变');
    expect(request?.text).toContain(`https://rectify.test/tickets/${ticket('wjw').id}`);
    expect(request?.text).not.toContain('贵单位');

    await accepted('gl-off', 'gulou', { type: 'REQUEST_EXTENSION', until: '2021-07-09', reason: '乡政府网站迁移至集约化平台。' });
    const letters = await mailsOf('gulou', 'extension_requested');
    expect(letters.map((m) => m.envelopeTo)).toEqual([['gov@yiyang.test'], ['ah@yiyang.test']]);
    expect(letters[1]?.text).toMatch(/^安化县人民政府办公室：/);
    expect(letters[1]?.text).toContain('安化县古楼乡人民政府申请将');
  });

  it('lets an independent supervisor in scope approve or refuse, and nobody else', async () => {
    const approve = { type: 'APPROVE_EXTENSION' };
    const refuse = { type: 'REFUSE_EXTENSION', reason: '理由不充分。' };
    for (const event of [approve, refuse]) {
      // The unit itself, an officer of the county above it, the responsible unit's own supervisor.
      for (const username of ['gl-off', 'ah-off']) expect((await send(username, 'gulou', event)).statusCode, `${username} ${event.type}`).toBe(403);
      expect((await send('wjw-sup', 'wjw', event)).statusCode, `wjw-sup ${event.type}`).toBe(403);
      expect((await send('wjw-off', 'wjw', event)).statusCode, `wjw-off ${event.type}`).toBe(403);
      for (const username of ['jtj-off', 'wjw-sup']) expect((await send(username, 'gulou', event)).statusCode, `${username} ${event.type}`).toBe(404);
    }
    expect((await send('gov-sup', 'wjw', { type: 'REFUSE_EXTENSION' })).statusCode).toBe(400);
    // No later than the day asked for, and not in the past.
    const later = await send('gov-sup', 'wjw', { type: 'APPROVE_EXTENSION', until: '2021-07-09' });
    expect(later.statusCode).toBe(422);
    expect(later.json().errors).toEqual([expect.objectContaining({ field: 'until' })]);
    expect((await send('gov-sup', 'wjw', { type: 'APPROVE_EXTENSION', until: '2021-06-17' })).statusCode).toBe(422);
    expect((await detail('wjw')).ticket.extensionRequest?.until).toBe('2021-07-02');
  });

  it('approves: the due time becomes the end of the day asked for, escalation starts again, the unit is told', async () => {
    await t.services.ticketWorkflow.apply({ ticketId: ticket('wjw').id, sender: { kind: 'system' }, input: { type: 'ESCALATE' } });
    const { ticket: granted, warnings } = await accepted('gov-sup', 'wjw', { type: 'APPROVE_EXTENSION', comment: '请按期完成。' });
    expect(granted).toMatchObject({ dueAt: endOf('2021-07-02'), escalationLevel: 0, extensionRequest: null });
    expect(warnings).toBeUndefined();
    const approval = (await detail('wjw')).events.at(-1);
    expect(approval).toMatchObject({ type: 'APPROVE_EXTENSION', payload: { requestedUntil: '2021-07-02', dueAt: endOf('2021-07-02'), previousDueAt: endOf('2021-06-25') } });

    const [mail] = await mailsOf('wjw', 'extension_approved');
    expect(mail?.envelopeTo).toEqual(['wjw@yiyang.test']);
    expect(mail?.subject).toBe(`【同意延期】${ticket('wjw').number} 健康益阳：互动回应差（延至2021年7月2日）`);
    expect(mail?.text).toMatch(/^益阳市卫生健康委员会：/);
    expect(mail?.text).toContain('同意将整改情况书面反馈期限延至2021年7月2日（星期五）（请按期完成）');
    // Nothing pending any more.
    const none = await send('gov-sup', 'wjw', { type: 'APPROVE_EXTENSION' });
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ code: 'tickets.no_extension_request' });
    expect((await send('gov-sup', 'wjw', { type: 'REFUSE_EXTENSION', reason: '无申请。' })).json()).toMatchObject({ code: 'tickets.no_extension_request' });
  });

  it('refuses: the request is cleared, the due time stays, the unit is told why', async () => {
    const { ticket: refused } = await accepted('ah-sup', 'gulou', { type: 'REFUSE_EXTENSION', reason: '迁移工作不影响问题整改。' });
    expect(refused).toMatchObject({ dueAt: endOf('2021-06-25'), extensionRequest: null });
    const [mail] = await mailsOf('gulou', 'extension_refused');
    expect(mail?.envelopeTo).toEqual(['gulou@yiyang.test']);
    expect(mail?.subject).toBe(`【不同意延期】${ticket('gulou').number} 印象古楼：互动回应差（仍于2021年6月25日前反馈）`);
    expect(mail?.text).toContain('不同意延期（理由：迁移工作不影响问题整改），整改情况书面反馈期限仍为2021年6月25日（星期五）');
    // Refused is not granted: the unit may ask again.
    await accepted('gl-off', 'gulou', { type: 'REQUEST_EXTENSION', until: '2021-06-30', reason: '补充说明。' });
  });

  it('grants at most policy.maxExtensions (default 2); a refused request does not count', async () => {
    await accepted('wjw-off', 'wjw', { type: 'REQUEST_EXTENSION', until: '2021-07-16', reason: '第二次申请。' });
    await accepted('gov-sup', 'wjw', { type: 'REFUSE_EXTENSION', reason: '不同意。' });
    await accepted('wjw-off', 'wjw', { type: 'REQUEST_EXTENSION', until: '2021-07-16', reason: '第三次申请。' });
    // The office may grant less than asked.
    const { ticket: shorter } = await accepted('gov-sup', 'wjw', { type: 'APPROVE_EXTENSION', until: '2021-07-09' });
    expect(shorter.dueAt).toBe(endOf('2021-07-09'));
    const third = await send('wjw-off', 'wjw', { type: 'REQUEST_EXTENSION', until: '2021-07-23', reason: '再申请。' });
    expect(third.statusCode).toBe(409);
    expect(third.json()).toMatchObject({ code: 'tickets.extension_limit', state: 'issued' });
    expect(third.json().detail).toContain('已获同意延期2次');
    expect((await detail('wjw', 'wjw-off')).allowedEvents).toEqual(['ACKNOWLEDGE']);
    // The office can still move the deadline itself.
    await accepted('gov-sup', 'wjw', { type: 'EXTEND_DEADLINE', dueAt: '2021-07-23', reason: '统一调整。' });
  });

  it('takes a limit of 1 from the inspection’s policy', async () => {
    const strict = await createInspection(t, token('gov-sup'), { shortCode: '2021-3', documentNumber: '益政务办发〔2021〕3号', policy: { maxExtensions: 1 } });
    const response = await t.request(token('gov-sup'), 'POST', `/api/inspections/${strict.id}/findings`, {
      findings: [{ targetKind: 'new_media', platform: 'wechat_subscription', targetName: '益阳公路', ownerUnit: '益阳市交通运输局', county: null, problems: ['互动回应差'], lastUpdatedOn: null, outstanding: false }],
    });
    expect(response.statusCode, response.body).toBe(201);
    tickets.strict = (response.json().tickets as { id: number; number: string }[])[0] ?? { id: 0, number: '' };
    await accepted('jtj-off', 'strict', { type: 'REQUEST_EXTENSION', until: '2021-07-02', reason: '网站改版。' });
    await accepted('gov-sup', 'strict', { type: 'APPROVE_EXTENSION' });
    expect((await send('jtj-off', 'strict', { type: 'REQUEST_EXTENSION', until: '2021-07-09', reason: '再申请。' })).json()).toMatchObject({ code: 'tickets.extension_limit' });
  });

  it('accepts a new deadline on a rest day as given, with a warning naming the next working day', async () => {
    // Saturday 2021-07-03 → Monday 07-05.
    await accepted('jtj-off', 'jtj', { type: 'REQUEST_EXTENSION', until: '2021-07-03', reason: '网站改版。' });
    const approved = await accepted('gov-sup', 'jtj', { type: 'APPROVE_EXTENSION' });
    expect(approved.ticket.dueAt).toBe(endOf('2021-07-03'));
    expect(approved.warnings).toEqual([
      { code: 'deadline.rest_day', field: 'until', day: '2021-07-03', nextWorkingDay: '2021-07-05', message: expect.stringContaining('2021-07-05') },
    ]);
    // 中秋 2021: 9-19 to 9-21 rest, the next working day is Wednesday 9-22.
    const extended = await accepted('gov-sup', 'jtj', { type: 'EXTEND_DEADLINE', dueAt: '2021-09-20', reason: '统一调整。' });
    expect(extended.ticket.dueAt).toBe(endOf('2021-09-20'));
    expect(extended.warnings).toEqual([expect.objectContaining({ code: 'deadline.rest_day', field: 'dueAt', day: '2021-09-20', nextWorkingDay: '2021-09-22' })]);
    // 9-18 is a Saturday made a working day (调休): no warning.
    expect((await accepted('gov-sup', 'jtj', { type: 'EXTEND_DEADLINE', dueAt: '2021-09-18', reason: '调休上班日。' })).warnings).toBeUndefined();
    // An inspection's feedback date: Sunday 2021-06-27 → Monday 06-28.
    const created = await t.request(token('gov-sup'), 'POST', '/api/inspections', {
      title: '2021年第二季度政府网站抽查情况通报',
      documentNumber: '益政务办发〔2021〕4号',
      shortCode: '2021-4',
      issuedOn: '2021-06-17',
      feedbackDeadline: '2021-06-27',
      issuingUnitCode: 'YY-GOV',
      contact: { name: '文雪飞', phone: '0737-4382206' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ feedbackDeadline: '2021-06-27', warnings: [expect.objectContaining({ code: 'deadline.rest_day', field: 'feedbackDeadline', nextWorkingDay: '2021-06-28' })] });
    const workday = await t.request(token('gov-sup'), 'POST', '/api/inspections', {
      title: '2021年第三季度政府网站抽查情况通报',
      shortCode: '2021-5',
      issuedOn: '2021-06-17',
      feedbackDeadline: '2021-06-28',
      issuingUnitCode: 'YY-GOV',
      contact: { name: '文雪飞', phone: '0737-4382206' },
    });
    expect(workday.statusCode, workday.body).toBe(201);
    expect(workday.json()).not.toHaveProperty('warnings');
  });
});
