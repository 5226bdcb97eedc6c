import fs from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client.js';
import { ticketEvents } from '../../db/schema/index.js';
import { runAuditVerify } from '../../server/commands/audit.command.js';
import { loadConfig, type Config } from '../../server/config.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { png, uploadOk } from '../helpers/evidence-files.js';

/**
 * `rectify audit verify` against a real database with a real history. The test database is closed first:
 * on PGlite the command must take the data folder's lock itself, as it would beside a stopped server.
 */

let config: Config;
let dataDir: string;
let url: string | undefined;
let tickets: { id: number; number: string }[];
let evidenceBlob: string;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => void out.push(line), err: (line: string) => void err.push(line) }, out, err };
}

/** Opens the same database the command uses, as an operator with a SQL shell would. */
async function tamper(change: (db: Awaited<ReturnType<typeof createDatabase>>['db']) => Promise<unknown>) {
  const database = await createDatabase({ databaseUrl: url, dataDir, command: 'vitest tamper' });
  try {
    await database.db.execute(sql`alter table ticket_events disable trigger ticket_events_no_update_delete`);
    await change(database.db);
    await database.db.execute(sql`alter table ticket_events enable trigger ticket_events_no_update_delete`);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  const t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ dataDir, url } = t.db);
  const { tokens } = await seedOrganisation(t);
  const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
  ({ tickets } = await issueFindings(t, inspection.id, [
    { unitCode: 'YY-WJW', targetName: '健康益阳' },
    { unitCode: 'YY-JTJ', targetName: '益阳交通' },
  ]));
  const second = tickets[1]?.id ?? 0;
  const [shot] = await uploadOk(t, tokens['jtj-off'] ?? '', [{ name: '整改后截图.png', bytes: png('audit') }]);
  const hash = shot?.sha256 ?? '';
  evidenceBlob = `${dataDir}/files/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`;
  for (const body of [{ type: 'ACKNOWLEDGE' }, { type: 'SUBMIT_RECTIFICATION', feedback: '已整改', attachmentIds: [shot?.id] }]) {
    const response = await t.request(tokens['jtj-off'] ?? '', 'POST', `/api/tickets/${second}/events`, body);
    if (response.statusCode !== 200) throw new Error(response.body);
  }
  // Close the app and the database without removing it: the command opens it on its own.
  await t.app.close();
  await t.db.close();
  config = loadConfig({ DATA_DIR: dataDir, ...(url ? { DATABASE_URL: url } : {}) });
});

afterAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (url) {
    const name = new URL(url).pathname.slice(1);
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  }
});

describe('rectify audit verify', () => {
  it('reads the configured database and reports an intact trail with exit code 0', async () => {
    expect(config.dataDir).toBe(dataDir);
    expect(config.databaseUrl).toBe(url);
    const { io, out, err } = capture();
    expect(await runAuditVerify(config, io)).toBe(0);
    expect(out).toEqual(['Audit trail intact: 4 events in 2 tickets, 0 events in 0 written feedbacks, 1 file.']);
    expect(err).toEqual([]);
  });

  it('reports an evidence file changed on disk, and one missing, with exit code 1', async () => {
    const original = fs.readFileSync(evidenceBlob);
    try {
      fs.writeFileSync(evidenceBlob, Buffer.concat([original, Buffer.from('改')]));
      const changed = capture();
      expect(await runAuditVerify(config, changed.io)).toBe(1);
      expect(changed.err.join('\n')).toContain('整改后截图.png');
      expect(changed.err.join('\n')).toContain('file_changed');
      fs.rmSync(evidenceBlob);
      const missing = capture();
      expect(await runAuditVerify(config, missing.io)).toBe(1);
      expect(missing.err.join('\n')).toContain('file_missing');
    } finally {
      fs.writeFileSync(evidenceBlob, original);
    }
    expect(await runAuditVerify(config, capture().io)).toBe(0);
  });

  it('reports the first break in Chinese and English, with the ticket number, and exits with 1', async () => {
    const [second] = tickets.slice(1);
    if (!second) throw new Error('no second ticket');
    await tamper((db) =>
      db
        .update(ticketEvents)
        .set({ payload: { feedback: '从未提交过的反馈' } })
        .where(and(eq(ticketEvents.ticketId, second.id), eq(ticketEvents.seq, 3))),
    );
    const { io, out, err } = capture();
    expect(await runAuditVerify(config, io)).toBe(1);
    expect(out).toEqual([]);
    const report = err.join('\n');
    expect(report).toContain(`工单 ${second.number}`);
    expect(report).toContain('第 3 条记录');
    expect(report).toContain(`ticket ${second.number}`);
    expect(report).toContain('event seq 3');
    expect(report).toContain('hash_mismatch');
    expect(report).toMatch(/[\u4e00-\u9fff]/);
  });

  it('names a deleted row as a gap', async () => {
    const [second] = tickets.slice(1);
    if (!second) throw new Error('no second ticket');
    await tamper((db) => db.delete(ticketEvents).where(and(eq(ticketEvents.ticketId, second.id), eq(ticketEvents.seq, 2))));
    const { io, err } = capture();
    expect(await runAuditVerify(config, io)).toBe(1);
    expect(err.join('\n')).toContain('seq_gap');
  });
});
