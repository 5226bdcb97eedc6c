import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmStartServe } from './serve-command.js';

const rectifyBin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'rectify');

export interface ServerProcess {
  baseUrl: string;
  pid: number;
  /** The highest resident set sampled since the last call (MB), for attributing memory to a phase. */
  phasePeakMb(): number;
  /** Stops the server (SIGTERM, as an operator would) and returns its peak resident set (VmHWM, MB). */
  stop(): Promise<{ peakRssMb: number }>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS or VmHWM of a process in MB, from /proc (Linux). */
export function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * `node bin/rectify serve` as a child process, configured as in production except that its own
 * sweep timer is off (the sweep is measured separately, in this process, at a chosen moment).
 * Its log goes to `logFile`; its mail to `smtpUrl`, or without one into .eml files in `dataDir`.
 * Memory is read from /proc: VmRSS sampled every 100 ms, and the kernel's own high-water mark
 * VmHWM at the end.
 */
export async function startServerProcess({ databaseUrl, dataDir, logFile, smtpUrl }: { databaseUrl: string | undefined; dataDir: string; logFile: string; smtpUrl?: string }): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(PORT|HOST|DATA_DIR|DATABASE_URL|JWT_|RECTIFY_|SMTP_|MAIL_|PUBLIC_URL|SWEEP_|LOGIN_|LOG_LEVEL|NODE_ENV)/.test(key)) delete env[key];
  }
  // As `npm start` runs it: its malloc setting and node's heap flags (README "Memory").
  const serve = npmStartServe();
  Object.assign(env, {
    ...serve.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    SWEEP_INTERVAL_S: '0',
    // Every officer logs in once before the transitions; the default budget (10 a minute) is for people.
    LOGIN_MAX_PER_MINUTE: '10000',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
  });
  const log = fs.openSync(logFile, 'a');
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops (see cpu-profile-summary.ts).
  const profiling = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  const child = spawn(process.execPath, [...serve.nodeArgs, ...profiling, rectifyBin, 'serve'], { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start `rectify serve`');
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code), resolve())));

  let phasePeak = 0;
  const sampler = setInterval(() => {
    const rss = procStatusMb(pid, 'VmRSS');
    if (rss > phasePeak) phasePeak = rss;
  }, 100);
  const baseUrl = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== undefined) {
      clearInterval(sampler);
      throw new Error(`rectify serve exited with ${exited} before it was ready; see ${logFile}`);
    }
    const ready = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      clearInterval(sampler);
      throw new Error(`rectify serve did not become ready within 120 s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    baseUrl,
    pid,
    phasePeakMb() {
      const peak = Math.max(phasePeak, procStatusMb(pid, 'VmRSS'));
      phasePeak = 0;
      return Math.round(peak);
    },
    async stop() {
      clearInterval(sampler);
      const peakRssMb = Math.round(procStatusMb(pid, 'VmHWM'));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(killer);
      return { peakRssMb };
    },
  };
}
