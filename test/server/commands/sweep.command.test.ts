import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../../../db/data-dir-lock.js';
import { parseMoment, runSweepCommand } from '../../../server/commands/sweep.command.js';
import { loadConfig } from '../../../server/config.js';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../../helpers/fixtures.js';
import { onPostgres } from '../../helpers/test-database.js';

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
    expect(await runSweepCommand(loadConfig({ DATA_DIR: tempDir() }), ['--now', '2021-07-07'], run.io)).toBe(0);
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
