// SPEC "HTTP API": /readyz reports whether the database answers. Here the database really goes
// away and comes back while a `rectify serve` process keeps running: readiness turns red, then
// green, and the same process serves writes and reads again, with no restart of Rectify.
//
// The shared PostgreSQL on :5432 serves other test files at the same moment, so this file starts
// a throwaway cluster of its own and restarts that one.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, GiveUp, httpCall, httpLogin, startRectifyProcess, waitFor, type RectifyProcess } from '../helpers/rectify-process.js';
import { onPostgres } from '../helpers/test-database.js';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'restart-test-admin-password';

interface ClusterTools {
  binDir: string;
  /** Prefix that runs a command as the `postgres` OS user (initdb refuses root). */
  asOwner: string[];
  owner: { uid: number; gid: number } | undefined;
}

/** Finds initdb and pg_ctl of the newest installed PostgreSQL, and a way to run them; or says why not. */
function findClusterTools(): ClusterTools | { missing: string } {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')) && fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions[0];
  if (!version) return { missing: `no initdb/pg_ctl under ${root}/*/bin` };
  const binDir = path.join(root, version, 'bin');
  if (process.getuid?.() !== 0) return { binDir, asOwner: [], owner: undefined };
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => fs.existsSync(p));
  if (!runuser) return { missing: 'running as root and runuser is not installed (initdb refuses to run as root)' };
  const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = passwd?.split(':') ?? [];
  if (uid === undefined || gid === undefined) return { missing: 'running as root and there is no "postgres" OS user to own the cluster' };
  return { binDir, asOwner: [runuser, '-u', 'postgres', '--'], owner: { uid: Number(uid), gid: Number(gid) } };
}

const tools = onPostgres ? findClusterTools() : { missing: 'PostgreSQL only' };

interface Cluster {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** initdb into a temporary folder, listening on a free port of 127.0.0.1 and a socket in that folder. */
async function createCluster({ binDir, asOwner, owner }: ClusterTools): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-pg-'));
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const port = await freePort();
  const command = (name: string, args: string[]) => {
    const [program = '', ...rest] = [...asOwner, path.join(binDir, name), ...args];
    return run(program, rest, { cwd: dir, timeout: 120_000 });
  };
  // fsync off: the cluster is thrown away, and durability across a clean stop does not need it.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
  const pgCtl = (action: string, ...extra: string[]) => command('pg_ctl', ['-D', dataDir, '-o', options, '-l', logFile, '-w', '-t', '60', action, ...extra]);
  let running = false;

  await command('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync']);
  await pgCtl('start');
  running = true;
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('create database rectify');
  await admin.end();

  return {
    url: `postgres://postgres@127.0.0.1:${port}/rectify`,
    async stop() {
      // fast: roll back open transactions and disconnect every client at once, as a restart does.
      await pgCtl('stop', '-m', 'fast');
      running = false;
    },
    async start() {
      await pgCtl('start');
      running = true;
    },
    async destroy() {
      try {
        if (running) await pgCtl('stop', '-m', 'immediate');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

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

describe.runIf(onPostgres)('PostgreSQL restarted while the server runs', { timeout: 240_000 }, () => {
  it('turns /readyz red, then green, and serves writes and reads again without a restart of Rectify', async (context) => {
    if ('missing' in tools) {
      context.skip(`cannot start a throwaway PostgreSQL cluster: ${tools.missing}`);
      return;
    }
    const cluster = await createCluster(tools);
    cleanups.push(() => cluster.destroy());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-restart-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    // The outbox worker and its 2 s polling stay on, so the pool holds idle connections when the
    // server goes down: exactly the clients whose `error` events would kill an unguarded process.
    const server: RectifyProcess = await startRectifyProcess({
      DATA_DIR: dataDir,
      DATABASE_URL: cluster.url,
      RECTIFY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SWEEP_INTERVAL_S: '1',
      LOG_LEVEL: 'warn',
    });
    cleanups.push(() => server.kill());
    let exited = false;
    void server.exited.then(() => (exited = true));

    const token = await httpLogin(server.url, 'admin', ADMIN_PASSWORD);
    const unit = (code: string) => ({ code, name: `${code} 单位`, kind: 'city_department', parentCode: 'ROOT', emails: [`${code.toLowerCase()}@example.gov.cn`] });
    expect((await httpCall(server.url, 'POST', '/api/units', { token, body: unit('BEFORE') })).status).toBe(201);
    expect((await httpCall(server.url, 'GET', '/readyz')).body).toEqual({ status: 'ready', database: 'postgres' });

    await cluster.stop();
    const down = await waitFor(
      '/readyz to answer 503',
      async () => {
        if (exited) throw new GiveUp(`rectify exited while PostgreSQL was down:\n${server.output()}`);
        const response = await httpCall(server.url, 'GET', '/readyz');
        return response.status === 503 ? response : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(down.contentType).toMatch(/^application\/problem\+json/);
    expect(down.body).toMatchObject({ status: 503, code: 'health.database_unreachable' });
    // Liveness is about the process, not the database.
    expect((await httpCall(server.url, 'GET', '/healthz')).status).toBe(200);
    // While the database is away, requests that need it fail as problems, and the process lives on.
    const meanwhile = await httpCall(server.url, 'GET', '/api/units', { token });
    expect(meanwhile.status).toBeGreaterThanOrEqual(500);
    expect(meanwhile.contentType).toMatch(/^application\/problem\+json/);

    await cluster.start();
    await waitFor(
      '/readyz to answer 200 again',
      async () => {
        if (exited) throw new GiveUp(`rectify exited while PostgreSQL came back:\n${server.output()}`);
        return (await httpCall(server.url, 'GET', '/readyz')).status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );

    // The token from before still works (the user is read fresh from the database), a write
    // commits and a read sees both units.
    const created = await httpCall(server.url, 'POST', '/api/units', { token, body: unit('AFTER') });
    expect(created.status, created.text).toBe(201);
    const read = await httpCall(server.url, 'GET', '/api/units/AFTER', { token });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toMatchObject({ code: 'AFTER' });
    const list = await httpCall(server.url, 'GET', '/api/units', { token });
    expect(list.status, list.text).toBe(200);
    expect(JSON.stringify(list.body)).toContain('"BEFORE"');
    expect((await httpCall(server.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(200);

    expect(exited).toBe(false);
    // The idle pool clients the shutdown cut off were reported and replaced, not thrown.
    expect(server.output()).toContain('database connection lost');
    await server.stop();
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
