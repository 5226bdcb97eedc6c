// SPEC "Import": all or nothing. Here the server process itself dies (SIGKILL: no handler runs,
// nothing is rolled back by our code) while a large import is being written, and a new process
// on the same database must find either the whole file or none of it, and import it once.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, queryRows, type Db } from '../../db/client.js';
import { findingProblems, findings, notificationTickets, targets, ticketEvents, tickets } from '../../db/schema/index.js';
import { GiveUp, httpCall, httpLogin, startRectifyProcess, waitFor, type RectifyProcess } from '../helpers/rectify-process.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-database.js';

// Large enough that writing it takes seconds (so the kill lands inside the transaction), small
// enough that importing it twice more keeps this file within a minute on this 2-core machine.
const ROWS = 5_000;
const ADMIN_PASSWORD = 'kill-test-admin-password';

const processes: RectifyProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const child of processes) await child.kill();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// Units without email addresses: the outbox then settles each issue notification with one update
// instead of rendering ten thousand messages while the test imports again.
const units = [
  { code: 'YY-GOV', name: '益阳市人民政府办公室', kind: 'other', parentCode: 'ROOT', emails: [] },
  { code: 'YY-WJW', name: '益阳市卫生健康委员会', aliases: ['市卫生健康委'], kind: 'city_department', parentCode: 'YY-GOV', emails: [] },
  { code: 'YY-JTJ', name: '益阳市交通运输局', kind: 'city_department', parentCode: 'YY-GOV', emails: [] },
  { code: 'AH-GOV', name: '安化县人民政府办公室', aliases: ['安化县'], kind: 'county', parentCode: 'YY-GOV', emails: [] },
  { code: 'AH-GL', name: '安化县古楼乡人民政府', kind: 'township', parentCode: 'AH-GOV', emails: [] },
];

/** The notice's account table, ROWS accounts long, spread over the units, platforms and problems. */
function largeAccountsCsv(): string {
  const owners = ['益阳市卫生健康委员会', '市卫生健康委', '益阳市交通运输局', '安化县人民政府办公室', '安化县古楼乡人民政府'];
  const platforms = ['微信订阅号', '微信服务号', '今日头条', '微博', '抖音'];
  const problems = ['互动回应差', '监测时间点前2周内无更新', '"互动回应差,菜单链接错误"', '僵尸账号'];
  const lines = ['序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间'];
  for (let i = 1; i <= ROWS; i++) {
    const county = i % 5 >= 3 ? '安化县' : '';
    const lastUpdated = i % 4 === 1 ? `${1 + (i % 5)}.${1 + (i % 28)}` : '';
    lines.push(`${i},政务账号${i},${owners[i % owners.length]},${platforms[i % platforms.length]},${county},${problems[i % problems.length]},${lastUpdated}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

interface Counts {
  findings: number;
  problems: number;
  tickets: number;
  events: number;
  notifications: number;
  targets: number;
}

/** Everything one import writes, for one inspection (targets are shared, so all of them: the database starts empty). */
async function countImported(db: Db, inspectionId: number): Promise<Counts> {
  const [row] = await queryRows<{ [K in keyof Counts]: number }>(sql`select
      (select count(*)::int from ${findings} where ${findings.inspectionId} = ${inspectionId}) as findings,
      (select count(*)::int from ${findingProblems} fp join ${findings} f on f.id = fp.finding_id where f.inspection_id = ${inspectionId}) as problems,
      (select count(*)::int from ${tickets} where ${tickets.inspectionId} = ${inspectionId}) as tickets,
      (select count(*)::int from ${ticketEvents} e join ${tickets} t on t.id = e.ticket_id where t.inspection_id = ${inspectionId}) as events,
      (select count(*)::int from ${notificationTickets} n join ${tickets} t on t.id = n.ticket_id where t.inspection_id = ${inspectionId}) as notifications,
      (select count(*)::int from ${targets}) as targets`,
    db,
  );
  if (!row) throw new Error('no counts');
  return row;
}

const nothing: Counts = { findings: 0, problems: 0, tickets: 0, events: 0, notifications: 0, targets: 0 };

/** What a complete import of the file writes: one of each per row, and one problem row per problem named. */
function everything(csv: string): Counts {
  const problemCount = csv
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .reduce((sum, line) => sum + (line.includes('菜单链接错误') ? 2 : 1), 0);
  return { findings: ROWS, problems: problemCount, tickets: ROWS, events: ROWS, notifications: ROWS, targets: ROWS };
}

/** Bytes in the embedded database's data files: they grow as soon as a table or index is extended, committed or not. */
function dataFilesSize(dataDir: string): number {
  let total = 0;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else total += fs.statSync(file).size;
    }
  };
  walk(path.join(dataDir, 'pg', 'base'));
  return total;
}

// The full import grows them by some 20 MB; this much means it is well under way.
const PGLITE_WRITTEN_BYTES = 4 * 1024 * 1024;

// Both databases in one run: the embedded one always (its own data folder, whatever DATABASE_URL
// says), PostgreSQL when DATABASE_URL names a server — as in .ci/run, which runs this file once.
const engines = [
  { name: 'on PGlite', postgres: false },
  { name: 'on PostgreSQL (skipped without DATABASE_URL)', postgres: true },
];

for (const { name, postgres } of engines) {
  describe(`the server killed (SIGKILL) in the middle of a large findings import ${name}`, { timeout: 300_000 }, () => {
    it.skipIf(postgres && !onPostgres)(`leaves all or nothing of ${ROWS} rows, and after a restart the same file imports completely, once`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-kill-'));
      cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      // On PostgreSQL a fresh database of its own, which the child processes migrate; this handle
      // watches them from outside. On PGlite the data folder is the database.
      let database: TestDatabase | undefined;
      if (postgres) {
        database = await createTestDatabase({ migrated: false });
        const opened = database;
        cleanups.push(() => opened.destroy());
      }
      const env: Record<string, string> = { DATA_DIR: dataDir, RECTIFY_ADMIN_PASSWORD: ADMIN_PASSWORD, SWEEP_INTERVAL_S: '0', LOG_LEVEL: 'warn' };
      if (database?.url) env.DATABASE_URL = database.url;
      const start = async () => {
        const child = await startRectifyProcess(env);
        processes.push(child);
        return child;
      };

      const first = await start();
      const admin = await httpLogin(first.url, 'admin', ADMIN_PASSWORD);
      for (const unit of units) {
        const created = await httpCall(first.url, 'POST', '/api/units', { token: admin, body: unit });
        expect(created.status, created.text).toBe(201);
      }
      const createdInspection = await httpCall(first.url, 'POST', '/api/inspections', {
        token: admin,
        body: {
          title: '全省政府网站与政务新媒体检查情况通报',
          documentNumber: '湘政务办发〔2021〕9号',
          shortCode: 'big',
          issuedOn: '2021-06-17',
          samplingFrom: '2021-05-26',
          samplingTo: '2021-06-09',
          feedbackDeadline: '2021-06-25',
          issuingUnitCode: 'YY-GOV',
        },
      });
      expect(createdInspection.status, createdInspection.text).toBe(201);
      const inspectionId = (createdInspection.body as { id: number }).id;
      const csv = largeAccountsCsv();
      const importUrl = `/api/inspections/${inspectionId}/findings`;

      // The kill must land after the transaction has started writing and before it commits.
      const sizeBefore = postgres ? 0 : dataFilesSize(dataDir);
      let answered = false;
      const upload = httpCall(first.url, 'POST', importUrl, { token: admin, body: csv, contentType: 'text/csv; charset=utf-8' }).then(
        (response) => {
          answered = true;
          return { response };
        },
        (error: unknown) => ({ error }),
      );
      await waitFor(
        'the import transaction to be writing',
        async () => {
          if (answered) throw new GiveUp(`the import finished before it could be interrupted; raise ROWS (${ROWS})`);
          if (!database) return dataFilesSize(dataDir) - sizeBefore >= PGLITE_WRITTEN_BYTES;
          // Past the targets and findings, writing tickets, events or mails, uncommitted.
          const [row] = await queryRows<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null
                  and query ~* 'insert into "(tickets|ticket_events|notifications)"'`,
            database.db,
          );
          return (row?.n ?? 0) > 0;
        },
        { timeoutMs: 120_000, intervalMs: 10 },
      );
      await first.kill();
      const outcome = await upload;
      expect('error' in outcome, 'the import answered before the kill').toBe(true);
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

      if (database) {
        // The backend of the dead connection rolls back once it notices the client is gone.
        const db = database.db;
        await waitFor('the killed connection to end', async () => {
          const [row] = await queryRows<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`, db);
          return row?.n === 0;
        });
      } else {
        // The folder's lock still names the dead process: the next start must take it over.
        expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'rectify.lock'), 'utf8'))).toMatchObject({ pid: first.pid, command: 'rectify serve' });
      }
      // Counted from outside, row by row. On PGlite in a copy of the folder as the kill left it, so
      // that the server below still has to recover the original and take over its lock.
      const countAfterKill = async () => {
        if (database) return countImported(database.db, inspectionId);
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-kill-copy-'));
        cleanups.push(() => fs.rmSync(copy, { recursive: true, force: true }));
        fs.cpSync(dataDir, copy, { recursive: true });
        const opened = await createDatabase({ dataDir: copy, command: 'vitest' });
        try {
          return await countImported(opened.db, inspectionId);
        } finally {
          await opened.close();
        }
      };
      const afterKillCounts = await countAfterKill();

      const second = await start();
      if (!postgres) expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'rectify.lock'), 'utf8'))).toMatchObject({ pid: second.pid });
      const token = await httpLogin(second.url, 'admin', ADMIN_PASSWORD);
      const afterKill = await httpCall(second.url, 'GET', `/api/inspections/${inspectionId}`, { token });
      expect(afterKill.status, afterKill.text).toBe(200);
      const ticketsAfterKill = (afterKill.body as { counts: { tickets: number } }).counts.tickets;
      // All or nothing; and since the kill came before the answer, in practice nothing.
      const committed = afterKillCounts.tickets === ROWS;
      const full = everything(csv);
      expect(afterKillCounts).toEqual(committed ? full : nothing);
      expect(ticketsAfterKill).toBe(afterKillCounts.tickets);

      const reimport = await httpCall(second.url, 'POST', importUrl, { token, body: csv, contentType: 'text/csv; charset=utf-8' });
      expect(reimport.status, reimport.text.slice(0, 2000)).toBe(201);
      expect(reimport.body).toMatchObject({ created: committed ? 0 : ROWS, unchanged: committed ? ROWS : 0 });
      const numbers = (reimport.body as { tickets: { number: string }[] }).tickets.map((t) => t.number);
      const width = Math.max(3, String(ROWS).length);
      if (!committed) expect([numbers[0], numbers.at(-1), new Set(numbers).size]).toEqual([`big-${'1'.padStart(width, '0')}`, `big-${ROWS}`, ROWS]);

      const again = await httpCall(second.url, 'POST', importUrl, { token, body: csv, contentType: 'text/csv; charset=utf-8' });
      expect(again.status, again.text.slice(0, 2000)).toBe(201);
      expect(again.body).toMatchObject({ created: 0, unchanged: ROWS, tickets: [] });
      await second.stop();
      expect(await second.exited).toEqual({ code: 0, signal: null });

      // Row by row, from outside: exactly one import's worth, nothing from the killed attempt.
      if (database) {
        expect(await countImported(database.db, inspectionId)).toEqual(full);
      } else {
        const reopened = await createDatabase({ dataDir, command: 'vitest' });
        try {
          expect(await countImported(reopened.db, inspectionId)).toEqual(full);
        } finally {
          await reopened.close();
        }
      }
    });
  });
}
