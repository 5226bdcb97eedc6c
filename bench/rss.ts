// npm run bench:rss: the resident memory of `rectify serve --demo` on a fresh database, idle and under
// 32 connections. PostgreSQL when DATABASE_URL is set (a fresh database rectify_bench_<pid>, dropped
// at the end), else PGlite in a fresh data folder. The server gets the environment `npm start` gives
// it (MALLOC_MMAP_THRESHOLD_ and node's heap flags, see README "Memory"); RSS_GLIBC_DEFAULTS=1
// leaves glibc's defaults, RSS_NODE_DEFAULTS=1 node's. RSS_REQUESTS (default 5000) sets the size of
// the load; NODE_OPTIONS is passed on to the server.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchDatabase } from './bench-database.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { runLanes } from './stats.js';
import { processCpuSeconds } from './cpu-usage.js';
import { npmStartServe } from './serve-command.js';
import { freePort, procStatusMb } from './server-process.js';

const rectifyBin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'rectify');
const CONNECTIONS = 32;
const IDLE_WAIT_MS = 5_000;

const vm = (pid: number, field: 'VmRSS' | 'VmHWM') => Math.round(procStatusMb(pid, field));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface DemoUser {
  username: string;
  role: string;
  password: string;
}

/** The demo prints each user it creates once: `  username role unit password`. */
function demoUsers(output: string): DemoUser[] {
  const users: DemoUser[] = [];
  for (const line of output.split('\n')) {
    const match = /^ {2}(\S+)\s+(admin|supervisor|officer)\s+\S+\s+(\S+)$/.exec(line);
    if (match) users.push({ username: match[1] as string, role: match[2] as string, password: match[3] as string });
  }
  return users;
}

async function login(http: HttpClient, user: DemoUser): Promise<string> {
  const response = await http.request({ method: 'POST', path: '/api/auth/login', body: { username: user.username, password: user.password } });
  if (response.status !== 200) throw new Error(`login ${user.username}: ${response.status} ${response.body.slice(0, 200)}`);
  return (JSON.parse(response.body) as { token: string }).token;
}

/**
 * Every demo user logs in (password hashing on the thread pool), each officer acknowledges its
 * unit's issued tickets, then `requests` list and ticket reads spread over 32 connections.
 */
async function load(http: HttpClient, users: DemoUser[], requests: number): Promise<void> {
  const tokens: string[] = [];
  await runLanes(users, CONNECTIONS, async (user) => void tokens.push(await login(http, user)));
  const ticketIds: number[] = [];
  await runLanes(tokens, CONNECTIONS, async (token) => {
    const list = await http.request({ method: 'GET', path: '/api/tickets?limit=50', token });
    const { items } = JSON.parse(list.body) as { items: { id: number; state: string }[] };
    for (const ticket of items) {
      ticketIds.push(ticket.id);
      if (ticket.state === 'issued') await http.request({ method: 'POST', path: `/api/tickets/${ticket.id}/events`, token, body: { type: 'ACKNOWLEDGE' } });
    }
  });
  const work = Array.from({ length: requests }, (_, i) => ({ token: tokens[i % tokens.length] as string, ticketId: ticketIds[i % Math.max(1, ticketIds.length)] }));
  await runLanes(work, CONNECTIONS, async ({ token, ticketId }, lane) => {
    const target = lane % 2 === 0 || ticketId === undefined ? '/api/tickets?limit=50' : `/api/tickets/${ticketId}`;
    const response = await http.request({ method: 'GET', path: target, token });
    if (response.status >= 500) throw new Error(`${target}: ${response.status} ${response.body.slice(0, 200)}`);
  });
}

async function main(): Promise<void> {
  const requests = Number(process.env.RSS_REQUESTS ?? '5000');
  const bench = await createBenchDatabase(process.env.DATABASE_URL || undefined);
  const port = await freePort();
  const serve = npmStartServe();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: bench.dataDir,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    LOGIN_MAX_PER_MINUTE: '10000',
    LOG_LEVEL: 'warn',
    ...(bench.url ? { DATABASE_URL: bench.url } : {}),
    ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
    ...(process.env.RSS_GLIBC_DEFAULTS ? {} : serve.env),
  };
  const nodeArgs = process.env.RSS_NODE_DEFAULTS ? [] : serve.nodeArgs;
  const child = spawn(process.execPath, [...nodeArgs, rectifyBin, 'serve', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start rectify serve');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, vm(pid, 'VmRSS'))), 100);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 600_000;
    while (!(await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rectify serve did not become ready:\n${output}`);
      await sleep(200);
    }
    await sleep(IDLE_WAIT_MS);
    const idle = vm(pid, 'VmRSS');
    const startPeak = vm(pid, 'VmHWM');
    peak = 0;
    const http = createHttpClient(baseUrl, { connections: CONNECTIONS });
    const users = demoUsers(output);
    const cpuBefore = processCpuSeconds(pid);
    await load(http, users, requests);
    const cpuSeconds = processCpuSeconds(pid) - cpuBefore;
    http.close();
    const loadPeak = Math.max(peak, vm(pid, 'VmRSS'));
    await sleep(IDLE_WAIT_MS);
    const settings = [env.MALLOC_MMAP_THRESHOLD_ ? '' : 'glibc malloc defaults', nodeArgs.length > 0 ? nodeArgs.join(' ') : 'node heap defaults'].filter(Boolean);
    console.log(`rectify serve --demo on ${bench.kind} (${settings.join('; ')}), resident memory (MB):`);
    console.log(`  idle after start and demo   ${idle}`);
    console.log(`  peak during start-up        ${startPeak}`);
    console.log(`  peak under ${CONNECTIONS} connections  ${loadPeak}  (${users.length} logins, ${requests} requests)`);
    console.log(`  idle after the load         ${vm(pid, 'VmRSS')}`);
    console.log(`the server's CPU under the load: ${cpuSeconds.toFixed(2)} s`);
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await exited;
    await bench.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
