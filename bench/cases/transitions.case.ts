import { randomBytes } from 'node:crypto';
import { createAuditChain } from '../../db/audit-chain.js';
import type { RawSql } from '../bench-database.js';
import { withCpu, type CpuMeter } from '../cpu-usage.js';
import type { HttpClient } from '../http-client.js';
import { targets } from '../profile.js';
import type { Figure } from '../report.js';
import { BENCH_PASSWORD, type BenchOrganisation } from '../seed/organisation.js';
import { elapsedMs, round, runLanes, summarise, timed, type LatencySummary } from '../stats.js';

// Requests before the measured ones, on tickets of their own, so the server's JIT and pools are warm.
const WARM_UP = 500;

interface WorkItem {
  ticketId: number;
  token: string;
}

/** A fixed shuffle (mulberry32), so concurrent requests spread over units the same way every run. */
export function shuffle<T>(items: T[], seed = 20210617): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** `count` issued tickets of an inspection, whole units at a time, with the officer of each. */
async function pickTickets(raw: RawSql, org: BenchOrganisation, inspectionId: number, count: number): Promise<{ ticketId: number; officer: string }[]> {
  const rows = await raw.query<{ id: number; unit_id: number }>(
    `select id, unit_id from tickets where inspection_id = $1 and state = 'issued' order by unit_id, id limit $2`,
    [inspectionId, count],
  );
  if (rows.length < count) throw new Error(`only ${rows.length} issued tickets in inspection ${inspectionId}, ${count} wanted`);
  const officerOf = new Map(org.units.map((u) => [u.id, u.officer]));
  return rows.map((r) => ({ ticketId: r.id, officer: officerOf.get(r.unit_id) ?? '' }));
}

export async function login(http: HttpClient, usernames: string[]): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  await runLanes(usernames, 4, async (username) => {
    const response = await http.request({ method: 'POST', path: '/api/auth/login', body: { username, password: BENCH_PASSWORD } });
    if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${response.body}`);
    tokens.set(username, (JSON.parse(response.body) as { token: string }).token);
  });
  return tokens;
}

export interface TransitionsPlan {
  count: number;
  concurrency: number;
  /** Tickets of our inspection with their officers, warm-up first. */
  ours: { ticketId: number; officer: string }[];
  /** As many other tickets for the baseline. */
  baseline: { ticketId: number }[];
}

/** Picks the tickets while the bench still holds the database (on PGlite the server takes it over next). */
export async function planTransitions({ raw, org, oursInspectionId, baselineInspectionId, count, concurrency }: { raw: RawSql; org: BenchOrganisation; oursInspectionId: number; baselineInspectionId: number; count: number; concurrency: number }): Promise<TransitionsPlan> {
  return {
    count,
    concurrency,
    ours: await pickTickets(raw, org, oursInspectionId, count + WARM_UP),
    baseline: await pickTickets(raw, org, baselineInspectionId, count),
  };
}

export interface TransitionsOverHttp {
  seconds: number;
  /** CPU milliseconds per measured request: the server, the PostgreSQL backends, the load generator. */
  cpuMsPerRequest?: { server: number; postgres: number; bench: number };
  latency: LatencySummary;
  officersLoggedIn: number;
  loginSeconds: number;
}

/**
 * ACKNOWLEDGE on `count` distinct tickets, each by an officer of its unit with a token from
 * POST /api/auth/login, from `concurrency` keep-alive connections to the listening server.
 */
export async function transitionsOverHttp(http: HttpClient, plan: TransitionsPlan, startCpuMeter?: () => Promise<CpuMeter>): Promise<TransitionsOverHttp> {
  const { result: tokens, seconds: loginSeconds } = await timed(() => login(http, [...new Set(plan.ours.map((p) => p.officer))]));
  const items: WorkItem[] = shuffle(plan.ours.map((p) => ({ ticketId: p.ticketId, token: tokens.get(p.officer) ?? '' })));
  const warmUp = items.slice(0, WARM_UP);
  const measured = items.slice(WARM_UP);

  const failures: string[] = [];
  const send = async ({ ticketId, token }: WorkItem, latencies?: number[]) => {
    const response = await http.request({ method: 'POST', path: `/api/tickets/${ticketId}/events`, token, body: { type: 'ACKNOWLEDGE' } });
    if (response.status !== 200) failures.push(`${ticketId}: ${response.status} ${response.body.slice(0, 200)}`);
    latencies?.push(response.ms);
  };
  await runLanes(warmUp, plan.concurrency, (item) => send(item));
  const latencies: number[] = [];
  const meter = await startCpuMeter?.();
  const { seconds } = await timed(() => runLanes(measured, plan.concurrency, (item) => send(item, latencies)));
  const cpu = await meter?.stop();
  if (failures.length > 0) throw new Error(`${failures.length} transitions failed, e.g. ${failures.slice(0, 3).join('; ')}`);
  const perRequest = (s: number) => round((1000 * s) / measured.length, 3);
  return {
    seconds,
    latency: summarise(latencies),
    officersLoggedIn: tokens.size,
    loginSeconds: round(loginSeconds),
    ...(cpu ? { cpuMsPerRequest: { server: perRequest(cpu.server), postgres: perRequest(cpu.postgres), bench: perRequest(cpu.bench) } } : {}),
  };
}

export function transitionsFigures(plan: TransitionsPlan, ours: TransitionsOverHttp, baseline: TransitionsBaseline): { figures: Figure[]; details: Record<string, unknown> } {
  const label = `${plan.count.toLocaleString('en-US')} ACKNOWLEDGE over HTTP, ${plan.concurrency} connections`;
  return {
    figures: [
      { case: label, metric: 'throughput', unit: 'transitions/s', ours: Math.round(plan.count / ours.seconds), baseline: Math.round(plan.count / baseline.seconds), target: { value: targets.transitionsRatio, better: 'higher', of: 'ratio' } },
      { case: label, metric: 'p50 latency', unit: 'ms', ours: ours.latency.p50, baseline: baseline.latency.p50 },
      { case: label, metric: 'p99 latency', unit: 'ms', ours: ours.latency.p99, baseline: baseline.latency.p99, target: { value: targets.transitionP99Ms, better: 'lower' } },
    ],
    details: {
      officersLoggedIn: ours.officersLoggedIn,
      loginSeconds: ours.loginSeconds,
      oursSeconds: round(ours.seconds),
      oursLatencyMs: ours.latency,
      oursCpuMsPerRequest: ours.cpuMsPerRequest,
      baselineSeconds: round(baseline.seconds),
      baselineLatencyMs: baseline.latency,
      baselineConnections: baseline.connections,
      baselineCpuMsPerRequest: baseline.cpuMsPerRequest,
    },
  };
}

export interface TransitionsBaseline {
  seconds: number;
  latency: LatencySummary;
  connections: number;
  /** CPU milliseconds per transaction: this process (the pg client) and the PostgreSQL backends. */
  cpuMsPerRequest: { client: number; postgres: number };
}

/**
 * What the workflow writes for ACKNOWLEDGE — lock the ticket, read the last audit row, update the
 * ticket, append the chained audit row (ACKNOWLEDGE queues no email) — in raw SQL over the raw
 * pool's connections (`concurrency` on PostgreSQL, the one PGlite connection there).
 */
export async function transitionsBaseline(raw: RawSql, plan: TransitionsPlan, meterPostgres: RawSql | undefined): Promise<TransitionsBaseline> {
  const { result, cpuSeconds } = await withCpu(meterPostgres, () => acknowledgeAll(raw, plan.baseline, plan.concurrency));
  const perRequest = (s: number) => round((1000 * s) / plan.baseline.length, 3);
  return { ...result, connections: raw.connections, cpuMsPerRequest: { client: perRequest(cpuSeconds.app), postgres: perRequest(cpuSeconds.postgres) } };
}

async function acknowledgeAll(raw: RawSql, picked: { ticketId: number }[], concurrency: number) {
  const chain = createAuditChain(randomBytes(32));
  const latencies: number[] = [];
  const acknowledge = async ({ ticketId }: { ticketId: number }) => {
    const start = process.hrtime.bigint();
    await raw.transaction(async (query) => {
      const [ticket] = await query<{ state: string; version: number }>(`select state, version from tickets where id = $1 for update`, [ticketId]);
      if (ticket?.state !== 'issued') throw new Error(`baseline ticket ${ticketId} is ${ticket?.state}`);
      const [last] = await query<{ seq: number; hash: string }>(`select audit_seq as seq, audit_hash as hash from tickets where id = $1`, [ticketId]);
      const at = new Date();
      const seq = (last?.seq ?? 0) + 1;
      const event = { seq, type: 'ACKNOWLEDGE', fromState: 'issued', toState: 'acknowledged', actorUserId: null, actor: 'bench', at, payload: {} };
      const { hash } = chain.link({ ticketId }, last?.hash ?? null, event);
      await query(
        `update tickets set state = 'acknowledged', version = version + 1, updated_at = $2, acknowledged_at = $2, next_action_at = $2, audit_seq = $3, audit_hash = $4 where id = $1`,
        [ticketId, at, seq, hash],
      );
      await query(
        `insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, payload, prev_hash, hash, chain_version) values ($1, $2, 'ACKNOWLEDGE', 'issued', 'acknowledged', 'bench', $3, '{}', $4, $5, 2)`,
        [ticketId, seq, at, last?.hash ?? null, hash],
      );
    });
    latencies.push(elapsedMs(start));
  };
  const { seconds } = await timed(() => runLanes(picked, concurrency, acknowledge));
  return { seconds, latency: summarise(latencies) };
}
