import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createDatabase, type Database } from '../../db/client.js';
import { DataDirLockedError } from '../../db/data-dir-lock.js';
import { loadConfig } from '../../server/config.js';
import { startServer, type RunningServer } from '../../server/main.js';

// Always the embedded database in folders of its own (DATABASE_URL is ignored here), so the
// single run of the slow project in .ci/run, on PostgreSQL, covers it.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const folders: string[] = [];
const open: { close(): Promise<void> }[] = [];

function freshDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-lock-'));
  folders.push(dir);
  return dir;
}

afterEach(async () => {
  vi.restoreAllMocks();
  for (const thing of open.splice(0).reverse()) await thing.close();
});
afterAll(() => {
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `node bin/rectify …` as a separate process on the embedded database in `dataDir`. */
function rectify(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, RECTIFY_ADMIN_PASSWORD: 'cli-admin-password', LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/rectify'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The pid of a process that has already exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', 'process.exit(0)'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => (child.pid === undefined ? reject(new Error('no pid')) : resolve(child.pid)));
  });
}

/** Opens the folder in this process; whatever the test leaves open is closed after it, once. */
async function openDatabase(dataDir: string, command = 'rectify serve'): Promise<Database> {
  const database = await createDatabase({ dataDir, command });
  let closing: Promise<void> | undefined;
  const handle = { ...database, close: () => (closing ??= database.close()) };
  open.push(handle);
  return handle;
}

describe('the embedded database folder', { timeout: 180_000 }, () => {
  it('stops a second process with a message saying who holds it and what to do instead', async () => {
    const dataDir = freshDataDir();
    await openDatabase(dataDir, 'rectify serve');

    const refused = await rectify(['migrate'], dataDir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`already open in process ${process.pid}`);
    expect(refused.stderr).toContain('"rectify serve"');
    expect(refused.stderr).toContain('POST /api/admin/sweep');
    expect(refused.stderr).toContain('DATABASE_URL');
    // A message for a person, not a stack trace.
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    expect(refused.stdout).not.toContain('Migrations applied');
  });

  it('lets the next process in once the holder has closed it', async () => {
    const dataDir = freshDataDir();
    const database = await openDatabase(dataDir);
    await database.close();
    expect(fs.existsSync(path.join(dataDir, 'rectify.lock'))).toBe(false);

    const migrated = await rectify(['migrate'], dataDir);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('Migrations applied.');
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const dataDir = freshDataDir();
    const lockFile = path.join(dataDir, 'rectify.lock');
    const pid = await deadPid();
    fs.writeFileSync(lockFile, JSON.stringify({ pid, host: os.hostname(), command: 'rectify serve', since: '2021-06-17T00:00:00.000Z' }));

    const database = await openDatabase(dataDir, 'vitest');
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'vitest' });
    await database.ping();
    await database.close();
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('refuses a lock held from another host (its pid cannot be checked from here)', async () => {
    const dataDir = freshDataDir();
    const lockFile = path.join(dataDir, 'rectify.lock');
    const owner = { pid: 4242, host: `not-${os.hostname()}`, command: 'rectify serve', since: '2021-06-17T00:00:00.000Z' };
    fs.writeFileSync(lockFile, JSON.stringify(owner));

    await expect(createDatabase({ dataDir, command: 'vitest' })).rejects.toBeInstanceOf(DataDirLockedError);
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8'))).toEqual(owner);
  });
});

describe('a server on the embedded database', { timeout: 180_000 }, () => {
  async function start(dataDir: string, adminPassword?: string): Promise<RunningServer> {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', SWEEP_INTERVAL_S: '0', ...(adminPassword ? { RECTIFY_ADMIN_PASSWORD: adminPassword } : {}) });
    const server = await startServer(config, { handleSignals: false });
    open.push(server);
    return server;
  }

  const call = async (server: RunningServer, method: string, url: string, token?: string, body?: unknown) => {
    const response = await fetch(`${server.address}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
  };
  const login = (server: RunningServer, password: string) => call(server, 'POST', '/api/auth/login', undefined, { username: 'admin', password });

  const unit = {
    code: 'YY-WJW',
    name: '益阳市卫生健康委员会',
    aliases: ['市卫生健康委'],
    kind: 'city_department',
    parentCode: 'ROOT',
    emails: ['wjw@example.gov.cn'],
    leaderEmails: ['leader.wjw@example.gov.cn'],
    contact: { name: '李四', phone: '0737-4224123' },
  };

  it('keeps units, the admin password and the token key across a restart, and answers health, readiness and docs', async () => {
    const dataDir = freshDataDir();
    const password = 'persisted-admin-password';

    const first = await start(dataDir, password);
    expect(first.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const loggedIn = await login(first, password);
    expect(loggedIn.status).toBe(200);
    const oldToken = (JSON.parse(loggedIn.text) as { token: string }).token;
    const created = await call(first, 'POST', '/api/units', oldToken, unit);
    expect(created.status).toBe(201);

    expect(await call(first, 'GET', '/healthz')).toMatchObject({ status: 200 });
    expect(JSON.parse((await call(first, 'GET', '/healthz')).text)).toEqual({ status: 'ok' });
    const ready = await call(first, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ready', database: 'pglite' });
    const docs = await call(first, 'GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.type).toMatch(/^text\/html/);
    const openapi = await call(first, 'GET', '/openapi.json');
    expect(openapi.status).toBe(200);
    const document = JSON.parse(openapi.text) as { openapi: string; paths: Record<string, unknown> };
    expect(document.paths['/api/tickets']).toBeDefined();
    expect(document.paths['/api/auth/login']).toBeDefined();
    await first.close();
    expect(fs.existsSync(path.join(dataDir, 'rectify.lock'))).toBe(false);

    const secretFile = path.join(dataDir, 'jwt-secret');
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);

    const second = await start(dataDir, password);
    // The token from before the restart still works: the generated key was kept in DATA_DIR.
    const readBack = await call(second, 'GET', `/api/units/${unit.code}`, oldToken);
    expect(readBack.status).toBe(200);
    expect(JSON.parse(readBack.text)).toEqual({ ...unit, warnings: [] });
    expect((await login(second, password)).status).toBe(200);
  });

  it('prints a generated admin password on the first start only, and that password keeps working', async () => {
    const dataDir = freshDataDir();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});

    const first = await start(dataDir);
    const printed = log.mock.calls.map((args) => args.map(String).join(' '));
    const line = printed.find((l) => l.includes('Created the administrator "admin" with password:'));
    expect(line).toBeDefined();
    const password = line?.split('with password: ')[1]?.trim() ?? '';
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    const signedIn = await login(first, password);
    expect(signedIn.status).toBe(200);
    // A generated password must be changed before anything else.
    const { token, user } = JSON.parse(signedIn.text) as { token: string; user: { mustChangePassword: boolean } };
    expect(user.mustChangePassword).toBe(true);
    const refused = await call(first, 'GET', '/api/units', token);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({ code: 'auth.password_change_required' });
    await first.close();

    log.mockClear();
    const second = await start(dataDir);
    expect(log.mock.calls.map((args) => args.map(String).join(' ')).filter((l) => /password/i.test(l))).toEqual([]);
    expect((await login(second, password)).status).toBe(200);
  });
});
