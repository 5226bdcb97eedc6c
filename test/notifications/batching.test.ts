import { createFolderFileStore } from '../../storage/folder.driver.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client.js';
import { notifications, notificationTickets, ticketEvents, units } from '../../db/schema/index.js';
import { renderStoredMail } from '../../notifications/mail-payload.js';
import { createMailer, type Mailer } from '../../notifications/mailer.js';
import { createOutboxWorker, type OutboxLogger } from '../../notifications/outbox.js';
import { createServices, type Services } from '../../server/services.js';
import { createSweep, type SweepLogger } from '../../workflows/deadlines/sweep.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { startSmtpTestServer, addressesOf, type SmtpTestServer } from '../helpers/smtp-test-server.js';
import { onPostgres } from '../helpers/test-database.js';
import { loadAuditKey } from '../../server/audit-key.js';

/** An instant written in Shanghai local time. */
const at = (local: string) => new Date(`${local.replace(' ', 'T')}+08:00`);
const silent: SweepLogger & OutboxLogger = { info: () => {}, warn: () => {}, error: () => {} };

let t: TestApp;
let tokens: Record<string, string>;
let smtp: SmtpTestServer;
let mailer: Mailer;

beforeAll(async () => {
  t = await buildTestApp({ now: at('2021-06-18 10:00') });
  ({ tokens } = await seedOrganisation(t));
  const leaders = await t.request(tokens.admin ?? '', 'PATCH', '/api/units/AH-GL', { leaderEmails: ['gulou-leader@yiyang.test'] });
  expect(leaders.statusCode, leaders.body).toBe(200);
  smtp = await startSmtpTestServer();
  mailer = createMailer({ smtpUrl: smtp.url, dataDir: t.db.dataDir, from: 'Rectify <rectify@rectify.test>' });
});

afterAll(async () => {
  await mailer.close();
  await smtp.close();
  await t.close();
});

/** The emails of one kind that list any of these tickets, each with the tickets it lists. */
async function emailsAbout(ticketIds: number[], kind: string) {
  const rows = await t.services.db
    .select({ id: notifications.id, ticketId: notificationTickets.ticketId })
    .from(notifications)
    .innerJoin(notificationTickets, eq(notificationTickets.notificationId, notifications.id))
    .where(and(eq(notifications.kind, kind as 'issued'), inArray(notificationTickets.ticketId, ticketIds)));
  const byEmail = new Map<number, number[]>();
  for (const row of rows) byEmail.set(row.id, [...(byEmail.get(row.id) ?? []), row.ticketId]);
  const full = await t.services.db.select().from(notifications).where(inArray(notifications.id, [...byEmail.keys(), 0]));
  // bodyText: the email's text as it will be sent, rendered from the stored data.
  return full.map((n) => ({ ...n, bodyText: renderStoredMail(n).text, ticketIds: (byEmail.get(n.id) ?? []).sort((a, b) => a - b) })).sort((a, b) => a.id - b.id);
}

async function sweepAt(local: string) {
  t.clock.set(at(local));
  return t.services.sweep.run({ now: at(local), logger: silent });
}

async function deliverAll() {
  const outbox = createOutboxWorker({ db: t.db.db, mailer, from: 'Rectify <rectify@rectify.test>', logger: silent, now: () => new Date(Date.now() + 60_000) });
  for (;;) {
    const report = await outbox.deliverDue();
    if (report.sent + report.retried + report.failed === 0) break;
  }
}

describe(`one email per unit, on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('an import of 3 findings for one unit and 2 for another sends exactly 2 issue emails, listing 3 and 2 tickets', async () => {
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'batch-1' });
    const findings = [
      ['健康益阳', '益阳市卫生健康委员会'],
      ['益阳智慧医疗', '益阳市卫生健康委员会'],
      ['益阳卫健发布', '益阳市卫生健康委员会'],
      ['益阳交通', '益阳市交通运输局'],
      ['益阳公路', '益阳市交通运输局'],
    ].map(([targetName, ownerUnit]) => ({ targetKind: 'new_media', platform: 'wechat_subscription', targetName, ownerUnit, county: null, problems: ['发布内容违规', '互动回应差'], lastUpdatedOn: null, outstanding: true }));
    const response = await t.request(tokens['gov-sup'] ?? '', 'POST', `/api/inspections/${inspection.id}/findings`, { findings });
    expect(response.statusCode, response.body).toBe(201);
    const ids = (response.json().tickets as { id: number }[]).map((ticket) => ticket.id);

    const emails = await emailsAbout(ids, 'issued');
    expect(emails.map((e) => [e.recipients, e.ticketIds.length])).toEqual([
      [['wjw@yiyang.test'], 3],
      [['jtj@yiyang.test'], 2],
    ]);
    const [wjw] = emails;
    expect(wjw?.subject).toBe('【整改通知】益阳市卫生健康委员会：3项整改事项（请于2021年6月25日前反馈）');
    expect(wjw?.bodyText).toContain('其他：发布内容违规；互动回应差');
    expect(wjw?.bodyText).toContain('联系人：文雪飞，联系电话：0737-4382206。');
    expect(wjw?.bodyText).toContain(`https://rectify.test/tickets?inspection=${inspection.id}&unit=YY-WJW`);
    // Each ticket's page lists the batch it was in.
    const view = await t.request(tokens['wjw-off'] ?? '', 'GET', `/api/tickets/${ids[1]}`);
    expect(view.json().notifications).toEqual([expect.objectContaining({ id: wjw?.id, kind: 'issued', ticketCount: 3 })]);
  });

  it('a sweep escalating 10 tickets of one unit sends one email per level and recipient set, delivered with its Cc', async () => {
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'batch-2' });
    const { tickets } = await issueFindings(t, inspection.id, Array.from({ length: 10 }, (_, i) => ({ unitCode: 'AH-GL', targetName: `古楼乡账号${i + 1}` })));
    const ids = tickets.map((ticket) => ticket.id);
    await deliverAll();
    smtp.reset();

    // 催办: to the township alone, one email for its 10 tickets.
    await sweepAt('2021-06-29 10:00');
    let emails = await emailsAbout(ids, 'escalation');
    expect(emails.map((e) => [e.subject, e.recipients, e.cc, e.ticketIds.length])).toEqual([
      ['【催办】安化县古楼乡人民政府：10项整改事项（已逾期1个工作日）', ['gulou@yiyang.test'], [], 10],
    ]);

    // 督办: copied to its leaders and to the county office above it.
    await sweepAt('2021-07-02 10:00');
    emails = await emailsAbout(ids, 'escalation');
    const level2 = emails[1];
    expect(emails).toHaveLength(2);
    expect(level2).toMatchObject({ recipients: ['gulou@yiyang.test'], cc: ['gulou-leader@yiyang.test', 'ah@yiyang.test'] });
    expect(level2?.ticketIds).toEqual([...ids].sort((a, b) => a - b));
    expect(level2?.bodyText).toContain('现已逾期4个工作日，仍未收到你单位整改情况。现予督办');
    expect(level2?.bodyText).toContain('抄送：安化县古楼乡人民政府负责同志，安化县人民政府办公室。请督促安化县古楼乡人民政府抓紧办理。');

    await deliverAll();
    const received = smtp.received.filter((m) => m.messageId === level2?.messageId);
    expect(received).toHaveLength(1);
    expect(received[0]?.to).toEqual(['gulou@yiyang.test']);
    expect(addressesOf(received[0]?.parsed.cc)).toEqual(['gulou-leader@yiyang.test', 'ah@yiyang.test']);
    expect([...(received[0]?.envelopeTo ?? [])].sort()).toEqual(['ah@yiyang.test', 'gulou-leader@yiyang.test', 'gulou@yiyang.test']);
    // The township got two emails for its ten tickets' two levels.
    expect(smtp.received.filter((m) => m.envelopeTo.includes('gulou@yiyang.test'))).toHaveLength(2);
  });

  it('catching up, the trail has every level but each recipient set gets one email, at the highest', async () => {
    t.clock.set(at('2021-06-18 10:00'));
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'batch-3' });
    const { tickets } = await issueFindings(t, inspection.id, Array.from({ length: 10 }, (_, i) => ({ unitCode: 'YY-WJW', targetName: `卫健账号${i + 1}` })));
    const ids = tickets.map((ticket) => ticket.id);

    await sweepAt('2021-07-20 10:00');
    const trail = await t.services.db.select({ payload: ticketEvents.payload }).from(ticketEvents).where(and(inArray(ticketEvents.ticketId, ids), eq(ticketEvents.type, 'ESCALATE')));
    expect(trail).toHaveLength(30);
    const emails = await emailsAbout(ids, 'escalation');
    expect(emails.map((e) => [e.subject, e.recipients, e.cc, e.ticketIds.length])).toEqual([
      ['【通报】益阳市卫生健康委员会：10项整改事项（已逾期16个工作日）', ['wjw@yiyang.test'], ['gov@yiyang.test'], 10],
    ]);
    expect(emails[0]?.bodyText).toContain('现列入拟通报名单');
  });
});

describe(`the daily 待核验 digest, on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  let other: Database | undefined;
  let otherServices: Services | undefined;
  let dataDir: string | undefined;
  let ids: number[];

  beforeAll(async () => {
    t.clock.set(at('2021-06-18 10:00'));
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'digest-1', feedbackDeadline: '2021-07-30' });
    const issued = await issueFindings(t, inspection.id, [
      { unitCode: 'YY-JTJ', targetName: '交通账号1' },
      { unitCode: 'YY-JTJ', targetName: '交通账号2' },
    ]);
    ids = issued.tickets.map((ticket) => ticket.id);
    for (const id of ids) {
      for (const body of [{ type: 'ACKNOWLEDGE' }, { type: 'SUBMIT_RECTIFICATION', feedback: '已恢复更新。' }]) {
        const response = await t.request(tokens['jtj-off'] ?? '', 'POST', `/api/tickets/${id}/events`, body);
        expect(response.statusCode, response.body).toBe(200);
      }
    }
    if (onPostgres) {
      // A second instance: its own connection pool on the same database.
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-digest-'));
      other = await createDatabase({ databaseUrl: t.db.url, dataDir, command: 'vitest' });
      otherServices = createServices({ database: other, publicUrl: 'https://rectify.test', mailFrom: 'Rectify <rectify@rectify.test>', now: t.clock.now, files: createFolderFileStore({ root: path.join(dataDir, 'files') }), auditKey: loadAuditKey({ dataDir: t.db.dataDir }) });
    }
  });

  afterAll(async () => {
    await other?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function bothAt(local: string) {
    t.clock.set(at(local));
    const sweeps = [t.services, otherServices ?? t.services].map((services) => createSweep({ ...services, loadCalendar: services.calendarService.current, logger: silent }));
    await Promise.all(sweeps.flatMap((sweep) => [sweep.run({ now: at(local) }), sweep.run({ now: at(local) })]));
    return (await emailsAbout(ids, 'submitted')).filter((e) => e.recipients.includes('gov@yiyang.test'));
  }

  it('goes out once per working day from 09:00, however many instances sweep', async () => {
    expect(await bothAt('2021-06-18 18:00')).toHaveLength(1);
    expect(await bothAt('2021-06-19 10:00')).toHaveLength(1);
    expect(await bothAt('2021-06-20 10:00')).toHaveLength(1);
    expect(await bothAt('2021-06-21 08:59')).toHaveLength(1);
    const monday = await bothAt('2021-06-21 09:00');
    expect(monday).toHaveLength(2);
    expect(await bothAt('2021-06-21 16:00')).toHaveLength(2);
    expect(await bothAt('2021-06-22 09:30')).toHaveLength(3);

    const [, digest] = monday;
    expect(digest?.subject).toBe('【待核验】益阳市人民政府办公室：2项整改事项（截至2021年6月21日共2项）');
    expect(digest?.ticketIds).toEqual(ids);
    expect(digest?.bodyText).toContain('截至2021年6月21日（星期一）9时');
    expect(digest?.bodyText).toContain('整改到位的予以销号；未整改到位的予以退回，并写明理由。');
  });
});

describe(`the ticket notifier, the one way an email enters the outbox, on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('queues each email pending, with its own Message-ID on the MAIL_FROM domain, each address once, and the tickets it lists', async () => {
    const [unit] = await t.services.db.select().from(units).where(eq(units.code, 'YY-WJW'));
    await t.services.db.update(units).set({ emails: ['Wjw@Yiyang.test', ' wjw@yiyang.test ', '', 'office@yiyang.test'] }).where(eq(units.code, 'YY-WJW'));
    try {
      const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'live-1' });
      const ids = (await issueFindings(t, inspection.id, [
        { unitCode: 'YY-WJW', targetName: '健康益阳' },
        { unitCode: 'YY-WJW', targetName: '益阳卫健发布' },
      ])).tickets.map((ticket) => ticket.id);
      const [email, ...others] = await emailsAbout(ids, 'issued');
      expect(others).toEqual([]);
      expect(email).toMatchObject({ status: 'pending', attempts: 0, recipients: ['wjw@yiyang.test', 'office@yiyang.test'], ticketIds: [...ids].sort((a, b) => a - b) });
      expect(email?.messageId).toMatch(/^<rectify\.n\.[0-9a-f-]{36}@rectify\.test>$/);
      const [other] = await emailsAbout([ids[0] ?? 0], 'issued');
      expect(other?.messageId).toBe(email?.messageId);
    } finally {
      await t.services.db.update(units).set({ emails: unit?.emails ?? [] }).where(eq(units.code, 'YY-WJW'));
    }
  });

  it('stores the email as data and sends, shows and resends it as it read when queued, whatever changed since', async () => {
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'data-1' });
    const ids = (await issueFindings(t, inspection.id, [{ unitCode: 'YY-JTJ', targetName: '益阳交通' }])).tickets.map((ticket) => ticket.id);
    const [email] = await emailsAbout(ids, 'issued');
    expect(email).toMatchObject({ bodyText: expect.stringContaining('益阳市交通运输局：') });
    const [stored] = await t.services.db.select().from(notifications).where(eq(notifications.id, email?.id ?? 0));
    expect(stored).toMatchObject({ bodyHtml: null, payload: { v: 1, ticket: { addressee: { name: '益阳市交通运输局', code: 'YY-JTJ' } } } });
    const queued = stored && renderStoredMail(stored);

    const [unit] = await t.services.db.select().from(units).where(eq(units.code, 'YY-JTJ'));
    await t.services.db.update(units).set({ name: '益阳市交通局（改名）' }).where(eq(units.code, 'YY-JTJ'));
    try {
      const shown = await t.request(tokens.admin ?? '', 'GET', `/api/notifications/${email?.id ?? 0}`);
      expect(shown.json().text).toBe(queued?.text);
      smtp.reset();
      await deliverAll();
      const sent = smtp.received.find((m) => m.messageId === email?.messageId);
      expect(sent?.subject).toBe(queued?.subject);
      expect(sent?.text?.trim()).toBe(queued?.text.trim());
      expect(sent?.html).toBe(queued?.html);
      expect(sent?.text).toContain('益阳市交通运输局：');
    } finally {
      await t.services.db.update(units).set({ name: unit?.name ?? '' }).where(eq(units.code, 'YY-JTJ'));
    }
  });

  it("records on a one-ticket issue email its ticket's ISSUE event, and none on an email listing several", async () => {
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'event-1' });
    const [single, ...pair] = (await issueFindings(t, inspection.id, [
      { unitCode: 'YY-JTJ', targetName: '益阳交通' },
      { unitCode: 'YY-WJW', targetName: '健康益阳' },
      { unitCode: 'YY-WJW', targetName: '益阳卫健发布' },
    ])).tickets.map((ticket) => ticket.id);
    const [issue] = await t.services.db.select({ id: ticketEvents.id }).from(ticketEvents).where(and(eq(ticketEvents.ticketId, single ?? 0), eq(ticketEvents.type, 'ISSUE')));
    const [alone] = await emailsAbout([single ?? 0], 'issued');
    expect(alone).toMatchObject({ ticketId: single, eventId: issue?.id, ticketIds: [single] });
    const [listing] = await emailsAbout(pair, 'issued');
    expect(listing).toMatchObject({ ticketId: null, eventId: null, ticketIds: [...pair].sort((a, b) => a - b) });
  });

  it('leaves no email when the transaction that queued it rolls back', async () => {
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'live-2' });
    const { tickets: [issued] } = await issueFindings(t, inspection.id, [{ unitCode: 'YY-JTJ', targetName: '益阳交通' }]);
    const ticket = await t.services.tickets.findView({ id: issued?.id ?? 0 });
    if (!ticket) throw new Error('the issued ticket is missing');
    const before = await emailsAbout([ticket.id], 'verified');
    await expect(
      t.services.db.transaction(async (tx) => {
        expect(await t.services.notifier.queueMany({ mails: [{ kind: 'verified', ticket, eventId: null }] }, tx)).toBe(1);
        throw new Error('the event was refused');
      }),
    ).rejects.toThrow('the event was refused');
    expect(await emailsAbout([ticket.id], 'verified')).toEqual(before);
  });
});
