// Issue #11 item 1: PostgreSQL ends the connections Rectify is using (pg_terminate_backend, as an
// operator, a failover or a connection killer does) at rest, in the middle of an import and while
// the outbox worker and the sweep hold a connection. The running `rectify serve` must live on: the
// request in flight answers 503 database.unavailable, the import leaves nothing behind, the outbox
// and the sweep try again on their next pass, and the next requests succeed, with no restart.
//
// To land the termination inside a transaction deterministically, this file holds a table lock
// from its own connection, waits until Rectify's backend queues behind it, terminates every
// backend of the database but its own, and only then lets go.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GiveUp, httpCall, httpLogin, startRectifyProcess, waitFor, type HttpResult, type RectifyProcess } from '../helpers/rectify-process.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-database.js';

const ADMIN_PASSWORD = 'terminate-test-admin-password';

const units = [
  { code: 'YY-GOV', name: '益阳市人民政府办公室', kind: 'other', parentCode: 'ROOT', emails: ['zwb@yiyang.example.gov.cn'] },
  { code: 'YY-WJW', name: '益阳市卫生健康委员会', kind: 'city_department', parentCode: 'YY-GOV', emails: ['wjw@yiyang.example.gov.cn'] },
  { code: 'YY-JTJ', name: '益阳市交通运输局', kind: 'city_department', parentCode: 'YY-GOV', emails: ['jtj@yiyang.example.gov.cn'] },
];

function accountsCsv(prefix: string, rows: number): string {
  const owners = ['益阳市卫生健康委员会', '益阳市交通运输局'];
  const lines = ['序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${prefix}${i},${owners[i % 2]},微信订阅号,,互动回应差,`);
  return `${lines.join('\r\n')}\r\n`;
}

let database: TestDatabase;
let server: RectifyProcess;
let control: pg.Client;
let token: string;
let exited = false;
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error('cleanup failed', error);
    }
  }
});

async function count(query: string, values: unknown[] = []): Promise<number> {
  // Inside the control transaction pg_stat_activity would keep showing its first snapshot.
  await control.query('select pg_stat_clear_snapshot()');
  const result = await control.query<{ n: number }>(`select (${query})::int as n`, values);
  return result.rows[0]?.n ?? 0;
}

/** Ends every backend of the test database except the control connection's own. */
async function terminateRectifyBackends(): Promise<number> {
  // Materialized: the filter must run before pg_terminate_backend, whatever order the planner picks.
  const result = await control.query<{ ended: boolean }>(
    `with victims as materialized (select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid())
     select pg_terminate_backend(pid) as ended from victims`,
  );
  return result.rows.filter((row) => row.ended).length;
}

/** Waits until a backend of Rectify waits for a lock while running a statement matching `pattern`. */
async function waitForLockWaiter(what: string, pattern: string, answered: () => boolean = () => false): Promise<void> {
  const activity = async () =>
    (await control.query('select pg_stat_clear_snapshot()')) &&
    JSON.stringify(
      (
        await control.query(
          `select pid, state, wait_event_type, wait_event, left(query, 120) as query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        )
      ).rows,
      null,
      1,
    );
  await waitFor(
    what,
    async () => {
      if (exited) throw new GiveUp(`rectify exited:\n${server.output()}`);
      if (answered()) throw new GiveUp(`the request was answered before ${what}`);
      return (
        (await count(
          `select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock' and query ~* $1`,
          [pattern],
        )) > 0
      );
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  ).catch(async (error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nbackends: ${await activity()}\n${server.output()}`);
  });
}

/** A request that may meet a connection the termination has just cut: 503 database.unavailable, then success. */
async function eventually(what: string, call: () => Promise<HttpResult>, ok: number): Promise<HttpResult> {
  return waitFor(
    what,
    async () => {
      if (exited) throw new GiveUp(`rectify exited:\n${server.output()}`);
      const response = await call();
      if (response.status === ok) return response;
      if (response.status !== 503) throw new GiveUp(`${what}: ${response.status} ${response.text}`);
      expect(response.body).toMatchObject({ code: 'database.unavailable' });
      return undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function createInspection(shortCode: string): Promise<number> {
  const created = await httpCall(server.url, 'POST', '/api/inspections', {
    token,
    body: {
      title: `政务新媒体检查 ${shortCode}`,
      documentNumber: `益政务办发〔2021〕${shortCode}号`,
      shortCode,
      issuedOn: '2021-06-17',
      samplingFrom: '2021-05-26',
      samplingTo: '2021-06-09',
      // Long past: the sweep escalates whatever this inspection issues.
      feedbackDeadline: '2021-06-25',
      issuingUnitCode: 'YY-GOV',
    },
  });
  expect(created.status, created.text).toBe(201);
  return (created.body as { id: number }).id;
}

const importInto = (inspectionId: number, csv: string) =>
  httpCall(server.url, 'POST', `/api/inspections/${inspectionId}/findings`, { token, body: csv, contentType: 'text/csv; charset=utf-8' });

describe.runIf(onPostgres)('PostgreSQL terminating the connections of a running server', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
    cleanups.push(() => database.destroy());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-terminate-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    server = await startRectifyProcess({
      DATA_DIR: dataDir,
      DATABASE_URL: database.url ?? '',
      RECTIFY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SWEEP_INTERVAL_S: '1',
      LOG_LEVEL: 'warn',
    });
    cleanups.push(() => server.kill());
    void server.exited.then(() => (exited = true));
    control = new pg.Client({ connectionString: database.url });
    await control.connect();
    cleanups.push(() => control.end());
    token = await httpLogin(server.url, 'admin', ADMIN_PASSWORD);
    for (const unit of units) expect((await httpCall(server.url, 'POST', '/api/units', { token, body: unit })).status).toBe(201);
  });

  it('at rest: the idle connections are replaced and the next requests succeed', async () => {
    expect(await terminateRectifyBackends()).toBeGreaterThan(0);
    const list = await eventually('GET /api/units after the termination', () => httpCall(server.url, 'GET', '/api/units', { token }), 200);
    expect(JSON.stringify(list.body)).toContain('YY-WJW');
    const created = await eventually(
      'POST /api/units after the termination',
      () => httpCall(server.url, 'POST', '/api/units', { token, body: { code: 'YY-AT-REST', name: '益阳市测试局', kind: 'city_department', parentCode: 'YY-GOV', emails: [] } }),
      201,
    );
    expect(created.body).toMatchObject({ code: 'YY-AT-REST' });
    expect(exited).toBe(false);
  });

  it('during an import and a sweep: the import answers 503 and writes nothing, then imports whole; the sweep tries again', async () => {
    const inspectionId = await createInspection('901');
    const csv = accountsCsv('中断导入账号', 300);
    const written = () =>
      count(
        `select (select count(*) from findings where inspection_id = $1) + (select count(*) from tickets where inspection_id = $1)
              + (select count(*) from audit_log where action = 'import_findings' and entity_key = '901')`,
        [inspectionId],
      );

    await control.query('begin');
    // EXCLUSIVE lets plain reads through but queues the import's insert and the sweep's claim.
    await control.query('lock table tickets in exclusive mode');
    let answered = false;
    const pending = importInto(inspectionId, csv).finally(() => (answered = true));
    await waitForLockWaiter('the import to wait inside its transaction', 'insert into "tickets"', () => answered);
    await waitForLockWaiter('the sweep to wait inside its transaction', '"tickets".*for update.*skip locked');
    expect(await terminateRectifyBackends()).toBeGreaterThan(0);
    await control.query('commit');

    const response = await pending;
    expect(response.status, response.text).toBe(503);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 503, code: 'database.unavailable' });
    expect(await written()).toBe(0);

    const imported = await eventually('the same import again', () => importInto(inspectionId, csv), 201);
    expect(imported.body).toMatchObject({ created: 300 });
    expect(await count('select count(*) from tickets where inspection_id = $1', [inspectionId])).toBe(300);

    // The sweep failed its pass with the lost connection and runs again: the new, long-overdue tickets escalate.
    await waitFor(
      'the sweep to escalate the imported tickets',
      async () => {
        if (exited) throw new GiveUp(`rectify exited:\n${server.output()}`);
        return (await count(`select count(*) from tickets where inspection_id = $1 and escalation_level = 0`, [inspectionId])) === 0;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(server.output()).toMatch(/sweep failed; trying again/);
    expect(exited).toBe(false);
  });

  it('during outbox delivery: the claim fails, the worker goes on, and every email is sent', async () => {
    // Nothing in flight first, so that the next thing the worker does is a claim.
    await waitFor('the outbox to be idle', async () => (await count(`select count(*) from notifications where status in ('pending', 'sending')`)) === 0, {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    await control.query('begin');
    // Blocks the worker's claim (SELECT … FOR UPDATE SKIP LOCKED) inside its transaction.
    await control.query('lock table notifications in exclusive mode');
    await waitForLockWaiter('the outbox worker to wait inside its claim', 'from "notifications".*for update.*skip locked');
    expect(await terminateRectifyBackends()).toBeGreaterThan(0);
    await control.query('commit');

    // A new email after the failure: a withdrawal tells its unit.
    const [ticket] = (await control.query<{ id: number }>(`select id from tickets where state = 'issued' order by id limit 1`)).rows;
    const withdrawn = await eventually(
      'WITHDRAW after the termination',
      () => httpCall(server.url, 'POST', `/api/tickets/${ticket?.id}/events`, { token, body: { type: 'WITHDRAW', reason: '复核后撤销' } }),
      200,
    );
    expect(withdrawn.body).toMatchObject({ ticket: { state: 'withdrawn' } });
    await waitFor(
      'every email to be sent',
      async () => {
        if (exited) throw new GiveUp(`rectify exited:\n${server.output()}`);
        return (await count(`select count(*) from notifications where status <> 'sent'`)) === 0 && (await count(`select count(*) from notifications where kind = 'withdrawn'`)) === 1;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(server.output()).toMatch(/outbox pass failed/);
    expect(server.output()).toMatch(/database connection lost/);
    expect(exited).toBe(false);
    await server.stop();
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
