import fs from 'node:fs';
import path from 'node:path';
import { eq, ne, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client.js';
import { createNotificationsRepository } from '../../db/repositories/notifications.repository.js';
import { OUTBOX_CHANNEL, ticketNotificationKinds as notificationKinds, notifications, type NewNotification, type Notification } from '../../db/schema/notifications.table.js';
import { emlFileName } from '../../notifications/eml-file.driver.js';
import { mailFileStem } from '../../notifications/mail-message.js';
import { createMailer, MailDeliveryError, type Mailer } from '../../notifications/mailer.js';
import {
  createOutboxWorker,
  mailDomain,
  newMessageId,
  retryDelayMs,
  type OutboxLogger,
  type OutboxWorkerOptions,
} from '../../notifications/outbox.js';
import { payloadJson } from '../../notifications/mail-payload.js';
import { renderTicketMail, ticketMailData, type TicketMailContext } from '../../notifications/templates/ticket-mail.js';
import { addressesOf, startSmtpTestServer, type SmtpTestServer } from '../helpers/smtp-test-server.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-database.js';

const FROM = 'Rectify <rectify@example.gov.cn>';
const DOMAIN = 'example.gov.cn';

let database: TestDatabase;
let smtp: SmtpTestServer;
let mailer: Mailer;
let clock: Date;
const logs: { level: string; message: string; details: object }[] = [];
const logger: OutboxLogger = {
  info: (details, message) => logs.push({ level: 'info', message, details }),
  warn: (details, message) => logs.push({ level: 'warn', message, details }),
  error: (details, message) => logs.push({ level: 'error', message, details }),
};

beforeAll(async () => {
  database = await createTestDatabase();
  smtp = await startSmtpTestServer();
  mailer = createMailer({ smtpUrl: smtp.url, dataDir: database.dataDir, from: FROM });
});
afterAll(async () => {
  await mailer.close();
  await smtp.close();
  await database.destroy();
});
beforeEach(async () => {
  await database.db.delete(notifications);
  await smtp.restart();
  smtp.reset();
  logs.length = 0;
  // Ahead of the database clock, so a row just queued (next_attempt_at = now()) is due.
  clock = new Date(Date.now() + 60_000);
});

function worker(options: Partial<OutboxWorkerOptions> = {}) {
  return createOutboxWorker({ db: database.db, mailer, from: FROM, logger, now: () => clock, ...options });
}

/**
 * A queued row with its email already rendered, as Rectify wrote rows before the outbox stored data
 * (such rows must still go out). The notifiers' rows, stored as data, are tested through their own
 * path in test/notifications/batching.test.ts; here only the worker's side is under test.
 */
async function enqueue(recipients: string[], row: Partial<NewNotification> = {}): Promise<Notification> {
  const [inserted] = await database.db
    .insert(notifications)
    .values({ kind: 'issued', recipients, subject: '【整改通知】2021-2-001 测试', bodyText: '正文', bodyHtml: '<p>正文</p>', messageId: newMessageId(DOMAIN), ...row })
    .returning();
  if (!inserted) throw new Error('inserting a notification returned no row');
  return inserted;
}

async function load(id: number): Promise<Notification> {
  const [row] = await database.db.select().from(notifications).where(eq(notifications.id, id));
  if (!row) throw new Error(`notification ${id} is gone`);
  return row;
}

function receivedWith(messageId: string) {
  return smtp.received.filter((m) => m.messageId === messageId);
}

const ticketContext: TicketMailContext = {
  inspection: { id: 1, title: '全市政府网站与政务新媒体检查情况通报', documentNumber: '益政务办发〔2021〕2号', shortCode: '2021-2' },
  office: { name: '益阳市政务公开政务服务管理办公室', contact: { name: '文雪飞', phone: '0737-4382206' } },
  addressee: { name: '益阳市卫生健康委员会', code: 'YY-WJW' },
  tickets: [
    {
      id: 3,
      number: '2021-2-003',
      state: 'issued',
      dueAt: new Date('2021-06-25T15:59:59.999Z'),
      target: { kind: 'new_media', platform: 'wechat_subscription', name: '健康益阳' },
      problems: [{ code: 'poor_interaction', label: '互动回应差' }],
      unitName: '益阳市卫生健康委员会',
    },
  ],
  publicUrl: 'http://127.0.0.1:3000',
  now: new Date('2021-06-18T02:00:00Z'),
};

describe('mailDomain', () => {
  it('takes the Message-ID domain from MAIL_FROM', () => {
    expect(mailDomain('Rectify <rectify@Example.GOV.cn>')).toBe('example.gov.cn');
    expect(mailDomain('rectify@localhost')).toBe('localhost');
    expect(mailDomain('Rectify')).toBe('rectify.local');
    expect(mailDomain(undefined)).toBe('rectify.local');
  });
});

describe('retryDelayMs', () => {
  it('retries first within 30 s, then grows, capped at an hour', () => {
    expect(retryDelayMs(1, () => 0)).toBe(15_000);
    expect(retryDelayMs(1, () => 1)).toBe(30_000);
    expect(retryDelayMs(2, () => 0)).toBe(30_000);
    expect(retryDelayMs(4, () => 1)).toBe(240_000);
    expect(retryDelayMs(30, () => 1)).toBe(3_600_000);
    const spread = new Set(Array.from({ length: 20 }, () => retryDelayMs(3)));
    expect(spread.size).toBeGreaterThan(1);
  });
});

describe(`outbox worker over SMTP on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('delivers every kind to its addresses with its Chinese subject and body', async () => {
    const rows = new Map<string, { row: Notification; recipients: string[] }>();
    for (const kind of notificationKinds) {
      const mail = renderTicketMail(kind, { ...ticketContext, details: { daysBefore: 1, level: 1, reason: '复核' } });
      const recipients = kind === 'submitted' ? ['office@example.gov.cn', 'county@example.gov.cn'] : [`${kind}@example.gov.cn`];
      // An escalation's copies go in Cc, and so to the SMTP server as recipients too.
      const cc = kind === 'escalation' ? ['leader@example.gov.cn', 'county@example.gov.cn'] : [];
      const row = await enqueue(recipients, { kind, cc, subject: mail.subject, bodyText: mail.text, bodyHtml: mail.html });
      rows.set(kind, { row, recipients });
    }

    expect(await worker().deliverDue()).toEqual({ sent: notificationKinds.length, retried: 0, failed: 0 });

    expect(smtp.received).toHaveLength(notificationKinds.length);
    for (const [kind, { row, recipients }] of rows) {
      const [message] = receivedWith(row.messageId);
      expect(message?.envelopeTo).toEqual([...recipients, ...row.cc]);
      expect(message?.to).toEqual(recipients);
      expect(addressesOf(message?.parsed.cc)).toEqual(row.cc);
      expect(message?.subject).toBe(row.subject);
      expect(message?.subject).toMatch(/^【[^】]+】(2021-2-003 健康益阳：互动回应差|益阳市卫生健康委员会：1项整改事项)/);
      expect(message?.text).toContain('2021-2-003');
      expect(message?.text).toContain('联系人：文雪飞，联系电话：0737-4382206。');
      if (kind !== 'submitted' && kind !== 'verify_reminder') expect(message?.text).toContain('2021年6月25日（星期五）');
      expect(message?.text).toContain('http://127.0.0.1:3000/tickets/3');
      expect(message?.html).toContain('href="http://127.0.0.1:3000/tickets/3"');
      expect(addressesOf(message?.parsed.from)).toEqual(['rectify@example.gov.cn']);
      expect(message?.parsed.headers.get('auto-submitted')).toBe('auto-generated');
      expect(await load(row.id), kind).toMatchObject({ status: 'sent', attempts: 1, lockedUntil: null, sentAt: clock, lastError: null });
    }
    expect(receivedWith(rows.get('escalation')?.row.messageId ?? '')[0]?.subject).toBe('【催办】2021-2-003 健康益阳：互动回应差');
  });

  it('keeps a row while the mail server is down and sends it exactly once when it is back', async () => {
    const row = await enqueue(['wjw@example.gov.cn']);
    await smtp.stop();
    const outbox = worker();

    expect(await outbox.deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    const waiting = await load(row.id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, lockedUntil: null, sentAt: null });
    expect(waiting.lastError).toMatch(/^transient: ECONNREFUSED/);
    expect(waiting.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(clock.getTime() + 15_000);
    expect(waiting.nextAttemptAt.getTime()).toBeLessThanOrEqual(clock.getTime() + 30_000);

    // Not due yet: nothing is claimed, even with the server back.
    await smtp.restart();
    expect(await outbox.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });

    clock = waiting.nextAttemptAt;
    expect(await outbox.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await outbox.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(receivedWith(row.messageId)).toHaveLength(1);
    expect(await load(row.id)).toMatchObject({ status: 'sent', attempts: 2, sentAt: clock });
  });

  it('fails a row after MAIL_MAX_ATTEMPTS transient errors, waiting longer each time', async () => {
    const row = await enqueue(['wjw@example.gov.cn']);
    await smtp.stop();
    const outbox = worker({ maxAttempts: 3 });
    const waits: number[] = [];
    for (const expected of [{ retried: 1 }, { retried: 1 }, { failed: 1 }]) {
      expect(await outbox.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0, ...expected });
      const current = await load(row.id);
      waits.push(current.nextAttemptAt.getTime() - clock.getTime());
      clock = new Date(Math.max(clock.getTime(), current.nextAttemptAt.getTime()));
    }
    expect(waits[1]).toBeGreaterThanOrEqual(30_000);
    expect(await load(row.id)).toMatchObject({ status: 'failed', attempts: 3, lockedUntil: null });
    expect((await load(row.id)).lastError).toMatch(/^transient: ECONNREFUSED/);
  });

  it('fails a row at once when the server answers 550 for its recipient', async () => {
    smtp.rejectRecipients(['nobody@example.gov.cn']);
    const row = await enqueue(['nobody@example.gov.cn']);

    expect(await worker().deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    const failed = await load(row.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lockedUntil: null });
    expect(failed.lastError).toMatch(/^permanent: 550: .*nobody@example\.gov\.cn/);
    expect(smtp.received).toHaveLength(0);
  });

  it('fails a row whose other recipients got it, rather than sending it to them twice', async () => {
    smtp.rejectRecipients(['nobody@example.gov.cn']);
    const row = await enqueue(['wjw@example.gov.cn', 'nobody@example.gov.cn']);

    expect(await worker().deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(receivedWith(row.messageId).map((m) => m.envelopeTo)).toEqual([['wjw@example.gov.cn']]);
    const failed = await load(row.id);
    expect(failed.lastError).toContain('recipients rejected: nobody@example.gov.cn 550');
    expect(failed.lastError).toContain('delivered to: wjw@example.gov.cn');
  });

  it('retries a row the server answers with 451', async () => {
    smtp.rejectRecipients(['busy@example.gov.cn'], 451);
    const row = await enqueue(['busy@example.gov.cn']);
    expect(await worker().deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect((await load(row.id)).lastError).toMatch(/^transient: 451/);
  });

  it('fails a row without recipients at once and says why', async () => {
    const row = await enqueue([], { unitIds: [42] });
    expect(await worker().deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    const failed = await load(row.id);
    expect(failed.status).toBe('failed');
    expect(failed.lastError).toMatch(/^no_recipients: .*42/);
    expect(smtp.received).toHaveLength(0);
  });

  it('delivers a row stored as data rendered as its template renders that data, and fails at once a row whose data it cannot read', async () => {
    const rendered = renderTicketMail('issued', ticketContext);
    const row = await enqueue(['wjw@example.gov.cn'], { subject: rendered.subject, bodyText: null, bodyHtml: null, payload: payloadJson({ v: 1, ticket: ticketMailData(ticketContext) }) });
    const unreadable = await enqueue(['wjw@example.gov.cn'], { bodyText: null, bodyHtml: null, payload: { v: 99 } });
    expect(await worker().deliverDue()).toEqual({ sent: 1, retried: 0, failed: 1 });
    expect(smtp.received.map((m) => [m.messageId, m.subject, m.text?.trim(), m.html])).toEqual([[row.messageId, rendered.subject, rendered.text.trim(), rendered.html]]);
    expect((await load(unreadable.id)).lastError).toMatch(/^permanent: payload: /);
  });

  it('re-queues a failed row on resend and delivers it', async () => {
    smtp.rejectRecipients(['wjw@example.gov.cn']);
    const row = await enqueue(['wjw@example.gov.cn']);
    const outbox = worker();
    await outbox.deliverDue();
    expect((await load(row.id)).status).toBe('failed');

    smtp.reset();
    const repository = createNotificationsRepository({ db: database.db });
    const requeued = await repository.requeueFailed({ id: row.id, now: clock });
    expect(requeued).toMatchObject({ id: row.id, status: 'pending', attempts: 0, nextAttemptAt: clock, messageId: row.messageId });
    expect(await outbox.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(receivedWith(row.messageId)).toHaveLength(1);

    expect(await repository.requeueFailed({ id: row.id, now: clock })).toBeNull();
    expect(await repository.requeueFailed({ id: 999_999, now: clock })).toBeNull();
  });

  it('reclaims a row left sending by a crashed instance, with the same Message-ID, and leaves live claims alone', async () => {
    const stale = await enqueue(['stale@example.gov.cn']);
    const held = await enqueue(['held@example.gov.cn']);
    await database.db
      .update(notifications)
      .set({ status: 'sending', attempts: 1, lockedUntil: new Date(clock.getTime() - 1_000) })
      .where(eq(notifications.id, stale.id));
    await database.db
      .update(notifications)
      .set({ status: 'sending', attempts: 1, lockedUntil: new Date(clock.getTime() + 60_000) })
      .where(eq(notifications.id, held.id));

    expect(await worker().deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(receivedWith(stale.messageId)).toHaveLength(1);
    expect(await load(stale.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await load(held.id)).toMatchObject({ status: 'sending', attempts: 1 });
  });

  it('does not send again a row whose crashed attempts used up MAIL_MAX_ATTEMPTS', async () => {
    const row = await enqueue(['wjw@example.gov.cn']);
    await database.db
      .update(notifications)
      .set({ status: 'sending', attempts: 3, lockedUntil: new Date(clock.getTime() - 1_000) })
      .where(eq(notifications.id, row.id));
    expect(await worker({ maxAttempts: 3 }).deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect((await load(row.id)).lastError).toMatch(/^attempts_exhausted/);
    expect(smtp.received).toHaveLength(0);
  });

  it('lets the send in flight finish on stop and hands the rest back to the queue', async () => {
    smtp.delayData(300);
    const rows = [await enqueue(['a@example.gov.cn']), await enqueue(['b@example.gov.cn']), await enqueue(['c@example.gov.cn'])];
    const outbox = worker({ concurrency: 1 });

    const pass = outbox.deliverDue();
    await smtp.waitForMessages(1);
    await outbox.stop();

    expect(await pass).toEqual({ sent: 1, retried: 0, failed: 0 });
    const after = await Promise.all(rows.map((r) => load(r.id)));
    expect(after.map((r) => r.status)).toEqual(['sent', 'pending', 'pending']);
    expect(after.slice(1).map((r) => [r.attempts, r.lockedUntil])).toEqual([
      [0, null],
      [0, null],
    ]);
    expect(await outbox.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });

    const next = worker();
    expect(await next.deliverDue()).toEqual({ sent: 2, retried: 0, failed: 0 });
    expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(3);
    expect(smtp.received).toHaveLength(3);
  });

  it('delivers on its timer until stopped', async () => {
    const outbox = worker();
    outbox.start(20);
    const row = await enqueue(['timer@example.gov.cn']);
    await smtp.waitForMessages(1);
    await outbox.stop();
    expect(await load(row.id)).toMatchObject({ status: 'sent' });
    expect(receivedWith(row.messageId)).toHaveLength(1);
  });

  it('sends a queued email as soon as its transaction commits, not at its next tick', async () => {
    const outbox = worker();
    const listening = await database.listen(OUTBOX_CHANNEL, () => outbox.wake());
    try {
      // The first pass runs at start and sends this one; the next tick is ten minutes away.
      const first = await enqueue(['first@example.gov.cn']);
      outbox.start(600_000);
      await smtp.waitForMessages(1);
      const second = await database.db.transaction(async (tx) => {
        const [row] = await tx.insert(notifications).values({ kind: 'issued', recipients: ['second@example.gov.cn'], subject: '【整改通知】2021-2-002 测试', bodyText: '正文', bodyHtml: '<p>正文</p>', messageId: newMessageId(DOMAIN) }).returning();
        return row;
      });
      await smtp.waitForMessages(2);
      expect(receivedWith(first.messageId)).toHaveLength(1);
      expect(receivedWith(second?.messageId ?? '')).toHaveLength(1);
    } finally {
      await listening.close();
      await outbox.stop();
    }
  });

  it.runIf(onPostgres)('listens again after its connection is cut, and meanwhile says so', async () => {
    const errors: Error[] = [];
    let heard = 0;
    const listening = await database.listen(OUTBOX_CHANNEL, () => (heard += 1), { onError: (error) => errors.push(error), retryMs: 50 });
    try {
      await database.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = ${`listen "${OUTBOX_CHANNEL}"`}`);
      await expect.poll(() => errors.length).toBeGreaterThan(0);
      // Once it listens again, an insert is heard.
      await expect
        .poll(async () => {
          await enqueue(['again@example.gov.cn']);
          return heard;
        })
        .toBeGreaterThan(0);
    } finally {
      await listening.close();
    }
  });

  it.runIf(onPostgres)('shares the work between two instances on one database without sending a row twice', async () => {
    const second = await createDatabase({ databaseUrl: database.url, dataDir: database.dataDir, poolSize: 4 });
    const secondMailer = createMailer({ smtpUrl: smtp.url, dataDir: database.dataDir, from: FROM });
    try {
      smtp.delayData(5);
      for (let i = 0; i < 50; i++) await enqueue([`unit${i}@example.gov.cn`]);
      const instances = [
        worker({ batchSize: 5 }),
        createOutboxWorker({ db: second.db, mailer: secondMailer, from: FROM, logger, now: () => clock, batchSize: 5 }),
      ];
      const unsent = async () =>
        (await database.db.select({ n: sql<number>`count(*)::int` }).from(notifications).where(ne(notifications.status, 'sent')))[0]?.n ?? 0;
      const drain = async (instance: (typeof instances)[number]) => {
        let sent = 0;
        while ((await unsent()) > 0) sent += (await instance.deliverDue()).sent;
        return sent;
      };

      const counts = await Promise.all(instances.map(drain));

      expect(counts[0]! + counts[1]!).toBe(50);
      expect(counts.every((n) => n > 0)).toBe(true);
      expect(smtp.received).toHaveLength(50);
      expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(50);
    } finally {
      await secondMailer.close();
      await second.close();
    }
  });
});

describe('outbox worker writing .eml files', () => {
  it('writes each message as a valid RFC 5322 file in DATA_DIR/outbox through the same status updates', async () => {
    const emlMailer = createMailer({ dataDir: database.dataDir, from: FROM });
    const mail = renderTicketMail('issued', ticketContext);
    const row = await enqueue(['wjw@example.gov.cn', 'office@example.gov.cn'], { subject: mail.subject, bodyText: mail.text, bodyHtml: mail.html, ticketId: null, reference: '2021-2-003' });

    expect(await worker({ mailer: emlMailer }).deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await load(row.id)).toMatchObject({ status: 'sent', attempts: 1 });

    const outboxDir = path.join(database.dataDir, 'outbox');
    // Named by the day it was written (Beijing time), its kind and its ticket.
    const file = path.join(outboxDir, emlFileName(row.messageId, mailFileStem(row)));
    expect(path.basename(file)).toMatch(new RegExp(`^${mailFileStem(row).slice(0, 8)}-issued-2021-2-003-[0-9a-f]{8}\\.eml$`));
    const raw = fs.readFileSync(file);
    expect(raw.toString('latin1')).toContain('\r\n');
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('【整改通知】2021-2-003 健康益阳：互动回应差（请于2021年6月25日前反馈）');
    expect(parsed.messageId).toBe(row.messageId);
    expect(addressesOf(parsed.to)).toEqual(['wjw@example.gov.cn', 'office@example.gov.cn']);
    expect(addressesOf(parsed.from)).toEqual(['rectify@example.gov.cn']);
    expect(parsed.text).toContain('2021年6月25日（星期五）');
    expect(parsed.html).toContain('http://127.0.0.1:3000/tickets/3');
    expect(parsed.date).toBeInstanceOf(Date);

    // A retry of the same message replaces the file instead of adding another.
    await emlMailer.send({ messageId: row.messageId, from: FROM, to: row.recipients, subject: mail.subject, text: mail.text, html: mail.html, fileStem: mailFileStem(row) });
    expect(fs.readdirSync(outboxDir)).toEqual([path.basename(file)]);
    await emlMailer.close();
  });

  it('reports a folder it cannot write to as a transient error', async () => {
    const blocker = path.join(database.dataDir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const emlMailer = createMailer({ dataDir: blocker, from: FROM });
    const error = await emlMailer
      .send({ messageId: '<x@example.gov.cn>', from: FROM, to: ['a@example.gov.cn'], subject: '主题', text: '正文', html: '<p>正文</p>' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ permanent: false });
  });
});
