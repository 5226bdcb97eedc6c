import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, queryRows, type Db } from '../../../db/client.js';
import { DataDirLockedError } from '../../../db/data-dir-lock.js';
import { parseMoment, runSweepCommand } from '../../../server/commands/sweep.command.js';
import { loadConfig } from '../../../server/config.js';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../../helpers/fixtures.js';
import { migratedPgliteDataDir, onPostgres } from '../../helpers/test-database.js';
import { PASSWORD } from '../../helpers/fixtures.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) } };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-sweep-cmd-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('parseMoment', () => {
  it('reads ISO-8601 moments, and dates or times without an offset in Asia/Shanghai', () => {
    expect(parseMoment('2021-07-07T00:00:00+08:00')).toEqual(new Date('2021-07-06T16:00:00Z'));
    expect(parseMoment('2021-07-06T16:00:00.000Z')).toEqual(new Date('2021-07-06T16:00:00Z'));
    expect(parseMoment('2021-07-07')).toEqual(new Date('2021-07-06T16:00:00Z'));
    expect(parseMoment('2021-07-07T09:30')).toEqual(new Date('2021-07-07T01:30:00Z'));
    for (const bad of ['2021-02-30', '2021-07-07T25:00', 'yesterday', '07/07/2021', '']) expect(parseMoment(bad)).toBeUndefined();
  });
});

describe('rectify sweep', () => {
  it('refuses a --now that is not a moment, and unknown options, with exit code 2', async () => {
    const config = loadConfig({ DATA_DIR: tempDir() });
    const bad = capture();
    expect(await runSweepCommand(config, ['--now', 'tomorrow'], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toContain('--now "tomorrow" is not an ISO-8601 moment');
    const unknown = capture();
    expect(await runSweepCommand(config, ['--verbose'], unknown.io)).toBe(2);
    expect(unknown.err.join('\n')).toContain('Usage: rectify sweep');
  });

  it('refuses a --now later than the clock without --dry-run or --force, before opening the database', async () => {
    const dataDir = tempDir();
    const future = capture();
    const clock = () => new Date('2026-12-01T17:00:00Z');
    expect(await runSweepCommand(loadConfig({ DATA_DIR: dataDir }), ['--now', '2026-12-10T09:00'], future.io, clock)).toBe(2);
    expect(future.err.join('\n')).toContain('is later than the clock');
    expect(future.err.join('\n')).toContain('--dry-run');
    expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(false);
    const both = capture();
    expect(await runSweepCommand(loadConfig({ DATA_DIR: dataDir }), ['--now', '2026-12-10T09:00', '--dry-run', '--force'], both.io, clock)).toBe(2);
  });

  it('stops with the data-folder message while another process holds the embedded database', async () => {
    const dataDir = tempDir();
    // The parent process (the test runner) stands in for a running `rectify serve`.
    fs.writeFileSync(
      path.join(dataDir, 'rectify.lock'),
      JSON.stringify({ pid: process.ppid, host: os.hostname(), command: 'rectify serve', since: '2021-06-18T02:00:00.000Z' }),
    );
    const attempt = runSweepCommand(loadConfig({ DATA_DIR: dataDir }), [], capture().io);
    await expect(attempt).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(attempt).rejects.toThrow('POST /api/admin/sweep');
  });

  it('sweeps an empty embedded database', async () => {
    const run = capture();
    const dataDir = await migratedPgliteDataDir('rectify-sweep-cmd-');
    dirs.push(dataDir);
    expect(await runSweepCommand(loadConfig({ DATA_DIR: dataDir }), ['--now', '2021-07-07'], run.io)).toBe(0);
    expect(run.out).toEqual(['Swept at 2021-07-06T16:00:00.000Z: 0 reminder(s), 0 escalation(s), 0 verification reminder(s); 0 ticket(s) examined.']);
  });

  describe.runIf(onPostgres)('beside a running server on PostgreSQL', () => {
    let t: TestApp;
    let ticketId: number;
    beforeAll(async () => {
      t = await buildTestApp({ now: '2021-06-18T10:00:00+08:00' });
      const { tokens } = await seedOrganisation(t);
      const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
      ticketId = (await issueFindings(t, inspection.id, [{ unitCode: 'YY-WJW', targetName: '健康益阳' }])).tickets[0]?.id ?? 0;
    });
    afterAll(() => t?.close());

    it('replays a moment: the escalations carry it in the audit trail, and a second run adds nothing', async () => {
      const config = loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: t.db.url });
      // 09:00: the inspection's office hours, when what fell due overnight goes out.
      const first = capture();
      expect(await runSweepCommand(config, ['--now', '2021-07-07T09:00:00+08:00'], first.io)).toBe(0);
      expect(first.out).toEqual(['Swept at 2021-07-07T01:00:00.000Z: 0 reminder(s), 3 escalation(s), 0 verification reminder(s); 1 ticket(s) examined.']);
      const events = await t.services.ticketEvents.listForTicket({ ticketId });
      expect(events.filter((e) => e.type === 'ESCALATE').map((e) => [e.payload, e.at])).toEqual([
        [{ level: 1 }, new Date('2021-07-07T01:00:00Z')],
        [{ level: 2 }, new Date('2021-07-07T01:00:00Z')],
        [{ level: 3 }, new Date('2021-07-07T01:00:00Z')],
      ]);
      const again = capture();
      expect(await runSweepCommand(config, ['--now', '2021-07-07T09:00:00+08:00'], again.io)).toBe(0);
      expect(again.out[0]).toContain('0 escalation(s)');
    });
  });
});

describe(`rectify sweep --dry-run with a future --now, on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  // The clock: Friday 2021-06-18, 10:00 in Shanghai. The tickets are due at the end of 2021-06-25.
  const clock = () => new Date('2021-06-18T02:00:00Z');
  let t: TestApp;
  let dataDir: string;

  /** Everything a sweep could write: the audit trail, the outbox, the deadline actions, the digests and the tickets. */
  async function stateOf(db: Db) {
    const count = async (table: string) => (await queryRows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`, db))[0]?.n;
    return {
      counts: Object.fromEntries(
        await Promise.all(['ticket_events', 'notifications', 'notification_tickets', 'ticket_deadline_actions', 'verify_digests', 'audit_log'].map(async (table) => [table, await count(table)])),
      ),
      tickets: await queryRows(sql`select id, state, escalation_level, version, due_at, next_action_at, updated_at from tickets order by id`, db),
    };
  }

  /** Reads the database the command wrote to: the test app's own connection on PostgreSQL, the data folder reopened on PGlite. */
  async function current() {
    if (onPostgres) return stateOf(t.db.db);
    const database = await createDatabase({ dataDir: t.db.dataDir, command: 'vitest' });
    try {
      return await stateOf(database.db);
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    t = await buildTestApp({ now: clock() });
    const { tokens } = await seedOrganisation(t);
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
    const [late, submitted] = (await issueFindings(t, inspection.id, [
      { unitCode: 'YY-WJW', targetName: '健康益阳' },
      { unitCode: 'YY-JTJ', targetName: '益阳交通' },
    ])).tickets;
    if (!late || !submitted) throw new Error('no tickets issued');
    const officer = await t.login('jtj-off', PASSWORD);
    for (const event of [{ type: 'ACKNOWLEDGE' }, { type: 'SUBMIT_RECTIFICATION', feedback: '已安排专人每日回复留言。' }]) {
      const response = await t.request(officer, 'POST', `/api/tickets/${submitted.id}/events`, event);
      if (response.statusCode !== 200) throw new Error(response.body);
    }
    dataDir = onPostgres ? tempDir() : t.db.dataDir;
    // On PGlite the command opens the data folder itself: the test app lets go of it first.
    if (!onPostgres) {
      await t.app.close();
      await t.db.close();
    }
  });
  afterAll(async () => {
    if (onPostgres) await t?.close();
    else await t?.db.destroy();
  });

  it('prints what it would send at that moment, writes nothing, and a --force run then does write it', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, ...(t.db.url ? { DATABASE_URL: t.db.url } : {}) });
    const before = await current();
    expect(before.counts.ticket_deadline_actions).toBe(0);

    // Wednesday 2021-07-07 09:00: three levels for the late ticket, the 待核验 digest and the verification reminder for the other.
    const dry = capture();
    expect(await runSweepCommand(config, ['--now', '2021-07-07T09:00', '--dry-run'], dry.io, clock)).toBe(0);
    const printed = dry.out.join('\n');
    expect(dry.out.at(-1)).toBe(
      'Dry run, nothing changed: would have swept at 2021-07-07T01:00:00.000Z: 0 reminder(s), 3 escalation(s), 1 verification reminder(s); 2 ticket(s) examined.',
    );
    // One email per unit and step, at the highest level the ticket reached: the three levels go out as one 通报.
    expect(printed).toMatch(/would send escalation: 【通报】2021-2-001 健康益阳：互动回应差（已逾期7个工作日）\n {2}to: wjw@yiyang\.test\n {2}cc: gov@yiyang\.test/);
    expect(printed).toMatch(/would send submitted: 【待核验】益阳市人民政府办公室[^\n]*\n {2}to: gov@yiyang\.test/);
    expect(printed).toContain('would send verify_reminder: 【核验提醒】');
    expect(dry.err).toEqual([]);
    expect(await current()).toEqual(before);

    // The same moment swept for real (--force): what the dry run printed is written, so the comparison above can see a change.
    const forced = capture();
    expect(await runSweepCommand(config, ['--now', '2021-07-07T09:00', '--force'], forced.io, clock)).toBe(0);
    expect(forced.out.at(-1)).toBe('Swept at 2021-07-07T01:00:00.000Z: 0 reminder(s), 3 escalation(s), 1 verification reminder(s); 2 ticket(s) examined.');
    const after = await current();
    expect(after.counts.ticket_events).toBe((before.counts.ticket_events ?? 0) + 3);
    expect(after.counts.notifications).toBeGreaterThan(before.counts.notifications ?? 0);
    expect(after.tickets).not.toEqual(before.tickets);
  });
});
