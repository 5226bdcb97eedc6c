import type { RawSql } from '../bench-database.js';
import type { CpuMeter } from '../cpu-usage.js';
import type { HttpClient } from '../http-client.js';
import { targets } from '../profile.js';
import type { Figure } from '../report.js';
import { BENCH_PASSWORD, OFFICE_SUPERVISOR, type BenchOrganisation } from '../seed/organisation.js';
import { elapsedMs, round, summarise, type LatencySummary } from '../stats.js';

/** One client paging through one filtered list: who asks, and the query string. */
export interface Session {
  label: string;
  username: string;
  password: string;
  filters: Record<string, string>;
}

interface ListPage {
  items: { id: number; dueAt: string }[];
  nextCursor: string | null;
}

export const LIST_LIMIT = 50;
const LIMIT = LIST_LIMIT;

export function listSessions(org: BenchOrganisation, { adminPassword, inspectionId }: { adminPassword: string; inspectionId: number }): Session[] {
  const county = org.countySupervisors[0];
  const department = org.units.find((u) => u.kind === 'city_department');
  const officerUnit = org.units.filter((u) => u.kind === 'city_department')[4] ?? department;
  if (!county || !department || !officerUnit) throw new Error('the organisation has no county or city department');
  const sup = { username: OFFICE_SUPERVISOR, password: BENCH_PASSWORD };
  return [
    { label: 'office supervisor, no filter', ...sup, filters: {} },
    { label: 'office supervisor, state=issued', ...sup, filters: { state: 'issued' } },
    { label: 'office supervisor, overdue=true', ...sup, filters: { overdue: 'true' } },
    { label: 'office supervisor, unit=<department>', ...sup, filters: { unit: department.code } },
    { label: 'office supervisor, q=<account name>', ...sup, filters: { q: '政务号12' } },
    { label: 'office supervisor, inspection+state', ...sup, filters: { inspection: String(inspectionId), state: 'issued' } },
    { label: 'county supervisor, state=acknowledged,rectified', username: county.username, password: BENCH_PASSWORD, filters: { state: 'acknowledged,rectified' } },
    { label: 'county supervisor, overdue+escalated', username: county.username, password: BENCH_PASSWORD, filters: { overdue: 'true', escalated: 'true' } },
    { label: 'officer, own unit', username: officerUnit.officer, password: BENCH_PASSWORD, filters: {} },
    { label: 'admin, escalated=true', username: 'admin', password: adminPassword, filters: { escalated: 'true' } },
  ];
}

export interface ListRun {
  all: LatencySummary;
  bySession: LatencySummary[];
  /** CPU milliseconds per measured request (over HTTP only): the server, the PostgreSQL backends, the load generator. */
  cpuMsPerRequest?: { server: number; postgres: number; bench: number };
}

/**
 * GET /api/tickets, one request at a time (latency, not queueing), the sessions taking turns, each
 * following `nextCursor` up to `pagesDeep` pages and starting over when its list ends. Two rounds
 * of every session go first, unmeasured.
 */
export async function listOverHttp(
  http: HttpClient,
  { sessions, requests, pagesDeep }: { sessions: Session[]; requests: number; pagesDeep: number },
  startCpuMeter?: () => Promise<CpuMeter>,
): Promise<ListRun> {
  const tokens = new Map<string, string>();
  for (const s of sessions) {
    if (tokens.has(s.username)) continue;
    const response = await http.request({ method: 'POST', path: '/api/auth/login', body: { username: s.username, password: s.password } });
    if (response.status !== 200) throw new Error(`login ${s.username}: ${response.status} ${response.body}`);
    tokens.set(s.username, (JSON.parse(response.body) as { token: string }).token);
  }

  const state = sessions.map(() => ({ cursor: null as string | null, depth: 0 }));
  const perSession = sessions.map(() => [] as number[]);
  const all: number[] = [];
  const get = async (i: number, record: boolean) => {
    const session = sessions[i];
    const at = state[i];
    if (!session || !at) return;
    const query = new URLSearchParams({ ...session.filters, limit: String(LIMIT), ...(at.cursor ? { cursor: at.cursor } : {}) });
    const response = await http.request({ method: 'GET', path: `/api/tickets?${query}`, token: tokens.get(session.username) ?? '' });
    if (response.status !== 200) throw new Error(`${session.label}: ${response.status} ${response.body.slice(0, 300)}`);
    const page = JSON.parse(response.body) as ListPage;
    at.depth += 1;
    at.cursor = at.depth < pagesDeep ? page.nextCursor : null;
    if (at.cursor === null) at.depth = 0;
    if (record) {
      all.push(response.ms);
      perSession[i]?.push(response.ms);
    }
  };
  for (let r = 0; r < sessions.length * 2; r++) await get(r % sessions.length, false);
  for (const s of state) Object.assign(s, { cursor: null, depth: 0 });
  const meter = await startCpuMeter?.();
  for (let r = 0; r < requests; r++) await get(r % sessions.length, true);
  const cpu = await meter?.stop();
  const perRequest = (s: number) => round((1000 * s) / requests, 3);
  return {
    all: summarise(all),
    bySession: perSession.map((samples) => summarise(samples)),
    ...(cpu ? { cpuMsPerRequest: { server: perRequest(cpu.server), postgres: perRequest(cpu.postgres), bench: perRequest(cpu.bench) } } : {}),
  };
}

export function listFigures({ sessions, requests, pagesDeep, total }: { sessions: Session[]; requests: number; pagesDeep: number; total: number }, ours: ListRun, baseline: ListRun): { figures: Figure[]; details: Record<string, unknown> } {
  const label = `GET /api/tickets, ${total.toLocaleString('en-US')} tickets`;
  return {
    figures: [
      { case: label, metric: 'p50 latency', unit: 'ms', ours: ours.all.p50, baseline: baseline.all.p50 },
      { case: label, metric: 'p99 latency', unit: 'ms', ours: ours.all.p99, baseline: baseline.all.p99, target: { value: targets.listP99Ms, better: 'lower' } },
    ],
    details: {
      requests,
      pagesDeep,
      oursLatencyMs: ours.all,
      oursCpuMsPerRequest: ours.cpuMsPerRequest,
      baselineLatencyMs: baseline.all,
      bySession: sessions.map((s, i) => ({ session: s.label, filters: s.filters, ours: ours.bySession[i], baseline: baseline.bySession[i] })),
    },
  };
}

interface Scope {
  role: string;
  unitPath: string;
}

/** The list query as one would write it by hand: the same joins, columns, filters and order, a row-value keyset. */
function baselineQuery(scope: Scope, filters: Record<string, string>, after: { dueAt: Date; id: number } | null, now: Date): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (scope.role !== 'admin') where.push(`t.unit_id in (select id from units where path like ${p(`${scope.unitPath}%`)})`);
  if (filters.state) where.push(`t.state in (${filters.state.split(',').map((state) => p(state)).join(', ')})`);
  if (filters.unit) where.push(`u.code = ${p(filters.unit)}`);
  if (filters.inspection) where.push(`t.inspection_id = ${p(Number(filters.inspection))}`);
  if (filters.overdue === 'true') where.push(`t.state in ('issued', 'acknowledged') and t.due_at < ${p(now)}`);
  if (filters.escalated === 'true') where.push('t.escalation_level > 0');
  if (filters.q) {
    const like = p(`%${filters.q}%`);
    // As the repository asks it: one set of ids per name, each through its own index.
    where.push(`t.id in (
      select t2.id from tickets t2 where t2.number ilike ${like}
      union select t2.id from targets g join findings f on f.target_id = g.id join tickets t2 on t2.finding_id = f.id where g.name ilike ${like}
      union select t2.id from units u2 join tickets t2 on t2.unit_id = u2.id where u2.name ilike ${like})`);
  }
  if (after) where.push(`(t.due_at, t.id) > (${p(after.dueAt)}, ${p(after.id)})`);
  const text = `
    select t.*, u.code as unit_code, u.name as unit_name, u.path as unit_path,
           i.title, i.document_number, i.short_code, i.issuing_unit_id, i.policy,
           tg.kind, tg.platform, tg.name as target_name, tg.url, tg.county,
           f.outstanding, f.last_updated_on, f.note, f.problems_text,
           coalesce((select json_agg(json_build_object('code', fp.problem_code, 'label', pt.label, 'text', fp.text) order by fp.position)
                     from finding_problems fp join problem_types pt on pt.code = fp.problem_code where fp.finding_id = t.finding_id), '[]'::json) as problems
    from tickets t
    join units u on u.id = t.unit_id
    join inspections i on i.id = t.inspection_id
    join findings f on f.id = t.finding_id
    join targets tg on tg.id = f.target_id
    ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
    order by t.due_at, t.id
    limit ${LIMIT + 1}`;
  return { text, params };
}

/** The same sessions paged with the equivalent hand-written SQL on one connection. */
export async function listBaseline(raw: RawSql, { sessions, requests, pagesDeep }: { sessions: Session[]; requests: number; pagesDeep: number }): Promise<ListRun> {
  const scopes = new Map(
    (
      await raw.query<{ username: string; role: string; path: string }>(
        `select us.username, us.role, u.path from users us join units u on u.id = us.unit_id where us.username = any($1::text[])`,
        [sessions.map((s) => s.username)],
      )
    ).map((r) => [r.username, { role: r.role, unitPath: r.path }]),
  );
  const now = new Date();
  const state = sessions.map(() => ({ after: null as { dueAt: Date; id: number } | null, depth: 0 }));
  const perSession = sessions.map(() => [] as number[]);
  const all: number[] = [];
  const page = async (i: number, record: boolean) => {
    const session = sessions[i];
    const at = state[i];
    const scope = session ? scopes.get(session.username) : undefined;
    if (!session || !at || !scope) throw new Error(`no scope for session ${i}`);
    const { text, params } = baselineQuery(scope, session.filters, at.after, now);
    const start = process.hrtime.bigint();
    const rows = await raw.query<{ id: number; due_at: Date }>(text, params);
    const ms = elapsedMs(start);
    const last = rows.length > LIMIT ? rows[LIMIT - 1] : undefined;
    at.depth += 1;
    at.after = last && at.depth < pagesDeep ? { dueAt: last.due_at, id: last.id } : null;
    if (at.after === null) at.depth = 0;
    if (record) {
      all.push(ms);
      perSession[i]?.push(ms);
    }
  };
  for (let r = 0; r < sessions.length * 2; r++) await page(r % sessions.length, false);
  for (const s of state) Object.assign(s, { after: null, depth: 0 });
  for (let r = 0; r < requests; r++) await page(r % sessions.length, true);
  return { all: summarise(all), bySession: perSession.map((samples) => summarise(samples)) };
}
