// SPEC "Deadlines, reminders, escalation" and "Notifications": each reminder and each escalation
// happens exactly once however many instances run the sweep, and no email is sent twice. Here two
// real `rectify serve` processes share one PostgreSQL database, each with its sweep timer and
// outbox worker running, the sweep also triggered on both at once over HTTP, and a real SMTP
// server receiving what they send.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFolderFileStore } from '../../storage/folder.driver.js';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, queryRows, type Database } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { notifications, notificationTickets, ticketDeadlineActions, ticketEvents, tickets, users } from '../../db/schema/index.js';
import { ensureAdmin } from '../../server/bootstrap.js';
import { createServices } from '../../server/services.js';
import { httpCall, httpLogin, startRectifyProcess, waitFor, type RectifyProcess } from '../helpers/rectify-process.js';
import { startSmtpTestServer, type SmtpTestServer } from '../helpers/smtp-test-server.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-database.js';
import { loadAuditKey } from '../../server/audit-key.js';

const ADMIN_PASSWORD = 'two-instances-admin-password';
// Per inspection: the overdue one earns 3 escalation levels per ticket, the one due tomorrow 1
// reminder. Enough emails that both outbox workers keep claiming full batches at the same time.
const PER_INSPECTION = 50;
const LEVELS = 3;

const units = [
  { code: 'YY-GOV', name: '益阳市人民政府办公室', kind: 'other', parentCode: 'ROOT', emails: ['gov@yiyang.test'] },
  { code: 'YY-WJW', name: '益阳市卫生健康委员会', kind: 'city_department', parentCode: 'YY-GOV', emails: ['wjw@yiyang.test'] },
  { code: 'YY-JTJ', name: '益阳市交通运输局', kind: 'city_department', parentCode: 'YY-GOV', emails: ['jtj@yiyang.test', 'jtj-office@yiyang.test'] },
  { code: 'AH-GOV', name: '安化县人民政府办公室', kind: 'county', parentCode: 'YY-GOV', emails: ['ah@yiyang.test'] },
  { code: 'AH-GL', name: '安化县古楼乡人民政府', kind: 'township', parentCode: 'AH-GOV', emails: ['gulou@yiyang.test'] },
];

function findingsFor(prefix: string) {
  const owners = ['益阳市卫生健康委员会', '益阳市交通运输局', '安化县人民政府办公室', '安化县古楼乡人民政府'];
  return {
    findings: Array.from({ length: PER_INSPECTION }, (_, i) => ({
      targetKind: 'new_media',
      platform: 'wechat_subscription',
      targetName: `${prefix}账号${i + 1}`,
      ownerUnit: owners[i % owners.length],
      county: null,
      problems: ['互动回应差'],
      lastUpdatedOn: null,
      outstanding: i % 2 === 0,
    })),
  };
}

/** Today's date in Asia/Shanghai, the zone every deadline is read in. */
function shanghaiToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

/** Notification ids the process logged as sent (pino JSON lines at level info). */
function sentIdsLogged(output: string): number[] {
  const ids: number[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; notificationId?: unknown };
      if (entry.msg === 'notification sent' && typeof entry.notificationId === 'number') ids.push(entry.notificationId);
    } catch {
      // A line that is not a log entry.
    }
  }
  return ids;
}

describe.runIf(onPostgres)('two Rectify instances on one PostgreSQL database', { timeout: 240_000 }, () => {
  let smtp: SmtpTestServer;
  let database: TestDatabase;
  const instances: RectifyProcess[] = [];
  const folders: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    // Not migrated: the two instances start together and migrate under the advisory lock.
    database = await createTestDatabase({ migrated: false });
    // Sessions are JWTs: every instance behind the load balancer signs with the same key.
    const jwtSecret = randomBytes(32).toString('base64url');
    await Promise.all(
      ['a', 'b'].map(async (name, i) => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `rectify-instance-${name}-`));
        folders.push(dataDir);
        // Kept as each comes up, so that afterAll ends it even when the other fails to start.
        instances[i] = await startRectifyProcess({
          DATA_DIR: dataDir,
          DATABASE_URL: database.url ?? '',
          JWT_SECRET: jwtSecret,
          RECTIFY_ADMIN_PASSWORD: ADMIN_PASSWORD,
          SMTP_URL: smtp.url,
          MAIL_FROM: 'Rectify <rectify@yiyang.test>',
          SWEEP_INTERVAL_S: '1',
          LOG_LEVEL: 'info',
        });
      }),
    );
  });

  afterAll(async () => {
    for (const instance of instances) await instance?.kill();
    await smtp?.close();
    await database?.destroy();
    for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes every reminder and escalation exactly once, and delivers every email exactly once', async () => {
    const [a, b] = instances;
    if (!a || !b) throw new Error('two instances expected');
    // Logged in on one instance, the token works on the other: requests may land on either.
    const token = await httpLogin(a.url, 'admin', ADMIN_PASSWORD);
    for (const [i, unit] of units.entries()) {
      const created = await httpCall((i % 2 === 0 ? a : b).url, 'POST', '/api/units', { token, body: unit });
      expect(created.status, created.text).toBe(201);
    }

    const overdue = await httpCall(b.url, 'POST', '/api/inspections', {
      token,
      body: { title: '2021年检查', shortCode: 'old', issuedOn: '2021-06-17', feedbackDeadline: '2021-06-25', issuingUnitCode: 'YY-GOV' },
    });
    expect(overdue.status, overdue.text).toBe(201);
    // Due at the end of the next working day: reminder 1 (from the start of the working day
    // before the due day) is due now, and the sweep sends only the latest reminder due.
    const dueSoon = await httpCall(a.url, 'POST', '/api/inspections', {
      token,
      // sendAt 00:00: office hours (default 09:00) would hold the reminder until 09:00 in Shanghai.
      body: { title: '本期检查', shortCode: 'now', issuedOn: shanghaiToday(), feedbackDeadline: null, dueWorkingDays: 1, issuingUnitCode: 'YY-GOV', policy: { sendAt: '00:00' } },
    });
    expect(dueSoon.status, dueSoon.text).toBe(201);
    const overdueId = (overdue.body as { id: number }).id;
    const dueSoonId = (dueSoon.body as { id: number }).id;

    const sweepBoth = async () => {
      const results = await Promise.all([a, b, a, b].map((instance) => httpCall(instance.url, 'POST', '/api/admin/sweep', { token })));
      for (const result of results) expect(result.status, result.text).toBe(200);
    };
    // Imported while both timers sweep every second, and swept on both at once besides.
    const [importOverdue, importDueSoon] = await Promise.all([
      httpCall(a.url, 'POST', `/api/inspections/${overdueId}/findings`, { token, body: findingsFor('旧') }),
      httpCall(b.url, 'POST', `/api/inspections/${dueSoonId}/findings`, { token, body: findingsFor('新') }),
      sweepBoth(),
    ]);
    expect(importOverdue?.status, importOverdue?.text).toBe(201);
    expect(importDueSoon?.status, importDueSoon?.text).toBe(201);
    for (let round = 0; round < 4; round++) await sweepBoth();

    const tickets_ = PER_INSPECTION * 2;
    const db = database.db;
    // One email per unit and step (how the sweeps split the tickets decides how many): what is
    // exact is that every ticket is listed once in its issue notice, its reminder and its escalation.
    const listed = async () => {
      const [row] = await queryRows<{ n: number }>(sql`select count(*)::int as n from ${notificationTickets} nt join ${notifications} n on n.id = nt.notification_id
            where n.kind in ('issued', 'reminder', 'escalation')`,
        db,
      );
      return row?.n ?? 0;
    };
    const pending = async () => {
      const [row] = await queryRows<{ total: number; unsent: number; done: number }>(sql`select (select count(*)::int from ${notifications}) as total,
                   (select count(*)::int from ${notifications} where status <> 'sent') as unsent,
                   (select count(*)::int from ${tickets} where inspection_id = ${overdueId} and escalation_level = ${LEVELS}) as done`,
        db,
      );
      return row;
    };
    // Everything due has been taken and mailed, and the SMTP server has it all.
    await waitFor(
      'both instances to take every action and send every email',
      async () => {
        const row = await pending();
        return row && row.done === PER_INSPECTION && (await listed()) >= tickets_ + PER_INSPECTION * 2 && row.unsent === 0 && smtp.received.length >= row.total;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    // More sweeps on both at once, and time for each outbox timer (every 2 s) to pass again: a
    // second action would show in the tables below, a second send at the SMTP server.
    await sweepBoth();
    await sweepBoth();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await sweepBoth();

    // Deadline actions: one row per (ticket, kind, step), as the policy prescribes, none more.
    const actions = await queryRows<{ inspection_id: number; kind: string; step: number; n: number; tickets: number }>(sql`select t.inspection_id, a.kind, a.step, count(*)::int as n, count(distinct a.ticket_id)::int as tickets
          from ${ticketDeadlineActions} a join ${tickets} t on t.id = a.ticket_id
          group by t.inspection_id, a.kind, a.step order by t.inspection_id, a.kind, a.step`,
      db,
    );
    expect(actions).toEqual([
      ...[1, 2, 3].map((step) => ({ inspection_id: overdueId, kind: 'escalation', step, n: PER_INSPECTION, tickets: PER_INSPECTION })),
      { inspection_id: dueSoonId, kind: 'reminder', step: 1, n: PER_INSPECTION, tickets: PER_INSPECTION },
    ]);

    // Escalations: per overdue ticket, level 3 and exactly three ESCALATE events, levels 1, 2, 3
    // in order; no ticket of the other inspection escalated; no (ticket, seq) twice.
    const escalations = await queryRows<{ inspection_id: number; escalation_level: number; levels: number[] | null }>(sql`select t.inspection_id, t.escalation_level,
                 array_agg((e.payload->>'level')::int order by e.seq) filter (where e.type = 'ESCALATE') as levels
          from ${tickets} t join ${ticketEvents} e on e.ticket_id = t.id
          group by t.id order by t.id`,
      db,
    );
    expect(escalations).toHaveLength(tickets_);
    for (const row of escalations) {
      expect(row).toEqual(
        row.inspection_id === overdueId
          ? { inspection_id: overdueId, escalation_level: LEVELS, levels: [1, 2, 3] }
          : { inspection_id: dueSoonId, escalation_level: 0, levels: null },
      );
    }
    const [seqs] = await queryRows<{ events: number; distinct_seqs: number }>(sql`select count(*)::int as events, count(distinct (ticket_id, seq))::int as distinct_seqs from ${ticketEvents}`,
      db,
    );
    expect(seqs).toEqual({ events: tickets_ + PER_INSPECTION * LEVELS, distinct_seqs: tickets_ + PER_INSPECTION * LEVELS });

    // Emails: each ticket listed once per kind (an escalation once, at level 3, however many levels
    // a sweep took it over); each email sent once, on its first attempt, and received once.
    const rows = await db.select({ kind: notifications.kind, status: notifications.status, attempts: notifications.attempts, messageId: notifications.messageId, subject: notifications.subject }).from(notifications);
    const perTicket = await queryRows<{ kind: string; tickets: number; listings: number }>(sql`select n.kind, count(distinct nt.ticket_id)::int as tickets, count(*)::int as listings
          from ${notificationTickets} nt join ${notifications} n on n.id = nt.notification_id group by n.kind order by n.kind`,
      db,
    );
    expect(perTicket).toEqual([
      { kind: 'escalation', tickets: PER_INSPECTION, listings: PER_INSPECTION },
      { kind: 'issued', tickets: tickets_, listings: tickets_ },
      { kind: 'reminder', tickets: PER_INSPECTION, listings: PER_INSPECTION },
    ]);
    expect(rows.filter((r) => r.kind === 'escalation' && !r.subject.startsWith('【通报】'))).toEqual([]);
    const expectedMails = rows.length;
    expect(rows.filter((r) => r.status !== 'sent' || r.attempts !== 1)).toEqual([]);
    const received = smtp.received.map((m) => m.messageId ?? '');
    expect(received).toHaveLength(expectedMails);
    expect(new Set(received).size).toBe(expectedMails);
    expect(new Set(received)).toEqual(new Set(rows.map((r) => r.messageId)));

    // Each send was recorded by exactly one of the two processes.
    const sentByA = sentIdsLogged(a.output());
    const sentByB = sentIdsLogged(b.output());
    expect(new Set([...sentByA, ...sentByB]).size).toBe(expectedMails);
    expect(sentByA.length + sentByB.length).toBe(expectedMails);
    console.info(`two instances: ${expectedMails} emails, ${sentByA.length} sent by a and ${sentByB.length} by b`);
  });
});

describe.runIf(onPostgres)('Rectify instances starting together on an empty database', () => {
  it('migrate, seed the problem catalogue and create the first admin once, and none of them fails', async () => {
    // In one process, so that the starts collide at the same moment rather than when two child
    // processes happen to line up.
    const empty = await createTestDatabase({ migrated: false });
    const handles: Database[] = [];
    try {
      for (let i = 0; i < 4; i++) handles.push(await createDatabase({ databaseUrl: empty.url, dataDir: empty.dataDir, command: 'vitest' }));
      const migrations = await Promise.allSettled(handles.map((database) => migrate(database)));
      expect(migrations.filter((o) => o.status === 'rejected')).toEqual([]);
      const printed: string[] = [];
      const starts = handles.map(async (database) => {
        const services = createServices({ database, publicUrl: 'https://rectify.test', mailFrom: 'Rectify <rectify@rectify.test>', now: () => new Date(), files: createFolderFileStore({ root: path.join(empty.dataDir, 'files') }), auditKey: loadAuditKey({ dataDir: empty.dataDir }) });
        await ensureAdmin(services, { password: undefined, print: (line) => printed.push(line) });
      });
      const outcomes = await Promise.allSettled(starts);
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(await empty.db.$count(users)).toBe(1);
      // The generated password is printed by the one start that created the admin.
      expect(printed.filter((line) => line.includes('with password:'))).toHaveLength(1);
    } finally {
      for (const handle of handles) await handle.close();
      await empty.destroy();
    }
  });
});
