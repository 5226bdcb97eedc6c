import fs from 'node:fs';
import type { RawSql } from './bench-database.js';

// Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on.
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds a process has used so far, from /proc/<pid>/stat; NaN when unreadable. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export interface CpuMeter {
  /** CPU seconds since `start`: the server process, the PostgreSQL backends serving this database, this process. */
  stop(): Promise<{ server: number; postgres: number; bench: number }>;
}

/**
 * Where the CPU of a phase went, to tell which of the machine's cores limits a figure. PostgreSQL
 * backends are found through pg_stat_activity and read from /proc, so they count only when the
 * server runs on this machine (127.0.0.1); a backend that started during the phase counts from zero.
 */
export async function startCpuMeter({ serverPid, raw }: { serverPid: number; raw: RawSql | undefined }): Promise<CpuMeter> {
  const backends = async () =>
    raw ? (await raw.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database()`)).map((r) => r.pid) : [];
  const before = new Map((await backends()).map((pid) => [pid, processCpuSeconds(pid)]));
  const server = processCpuSeconds(serverPid);
  const bench = process.cpuUsage();
  return {
    async stop() {
      let postgres = 0;
      for (const pid of new Set([...before.keys(), ...(await backends())])) {
        const now = processCpuSeconds(pid);
        if (!Number.isNaN(now)) postgres += now - (before.get(pid) ?? 0);
      }
      const used = process.cpuUsage(bench);
      return { server: processCpuSeconds(serverPid) - server, postgres, bench: (used.user + used.system) / 1e6 };
    },
  };
}

/** Runs `fn` with a CPU meter around it, this process standing in for the server (the import and the sweep run here). */
export async function withCpu<T>(postgres: RawSql | undefined, fn: () => Promise<T>): Promise<{ result: T; cpuSeconds: { app: number; postgres: number } }> {
  const meter = await startCpuMeter({ serverPid: process.pid, raw: postgres });
  const result = await fn();
  const { server, postgres: database } = await meter.stop();
  return { result, cpuSeconds: { app: Math.round(server * 100) / 100, postgres: Math.round(database * 100) / 100 } };
}
