// npm run bench: Rectify at national scale, each figure beside a raw-SQL baseline doing the same
// database work in the same run. PostgreSQL when DATABASE_URL is set (a fresh database
// rectify_bench_<pid>, dropped at the end), else PGlite at a tenth of the sizes.
// BENCH_SCALE (e.g. 0.05) shrinks every size, for trying the bench out quickly; BENCH_KEEP=1 keeps
// the database afterwards (for EXPLAIN ANALYZE on the seeded data), BENCH_CPU_PROF=<dir> profiles the server.
// BENCH_CASES=list,sweep (any of transitions, workflow, sweep, list) runs only those cases; the
// import always runs, as the other cases' tickets are seeded on its targets.
// BENCH_WORKFLOW_TICKETS=<n> sets the workflow case's tickets whatever the scale (its target is
// stated for 2,000).

import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFolderFileStore } from '../storage/folder.driver.js';
import type { Database } from '../db/client.js';
import { ensureAdmin } from '../server/bootstrap.js';
import { createServices, type Services } from '../server/services.js';
import { createBenchDatabase, type BenchDatabase, type RawSql } from './bench-database.js';
import { runImportCase } from './cases/import.case.js';
import { explainList } from './cases/list-explain.js';
import { LIST_LIMIT, listBaseline, listFigures, listOverHttp, listSessions } from './cases/list.case.js';
import { runSweepCase } from './cases/sweep.case.js';
import { planTransitions, transitionsBaseline, transitionsFigures, transitionsOverHttp } from './cases/transitions.case.js';
import { planWorkflow, workflowFigures, workflowOutbox, workflowOverHttp } from './cases/workflow.case.js';
import { startCpuMeter } from './cpu-usage.js';
import { createHttpClient } from './http-client.js';
import { startMailSink, type MailSink } from './mail-sink.js';
import { pgliteProfile, postgresProfile, targets, type BenchProfile } from './profile.js';
import { describeMachine, markdownTable, writeResults, type Figure, type Machine } from './report.js';
import { seedInspection } from './seed/tickets.js';
import { OFFICE_SUPERVISOR, seedOrganisation } from './seed/organisation.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { round, timed } from './stats.js';
import { loadAuditKey } from '../server/audit-key.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const ADMIN_PASSWORD = 'bench-admin-password';
const startedAt = new Date();
const t0 = process.hrtime.bigint();

function progress(line: string): void {
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stderr.write(`[${s.toFixed(1).padStart(6)} s] ${line}\n`);
}

function scaled(profile: BenchProfile, factor: number): BenchProfile {
  if (factor === 1) return profile;
  const n = (x: number, min: number) => Math.max(min, Math.round(x * factor));
  return {
    ...profile,
    units: n(profile.units, 20),
    findings: n(profile.findings, 200),
    transitions: n(profile.transitions, 100),
    tickets: n(profile.tickets, 1_000),
    dueForEscalation: n(profile.dueForEscalation, 100),
    listRequests: n(profile.listRequests, 50),
    workflowTickets: n(profile.workflowTickets, 50),
  };
}

/** BENCH_WORKFLOW_TICKETS, when given, in place of the scaled count. */
function workflowTicketsOverride(profile: BenchProfile): BenchProfile {
  const given = process.env.BENCH_WORKFLOW_TICKETS;
  if (!given) return profile;
  const count = Number(given);
  if (!Number.isInteger(count) || count < 1) throw new Error('BENCH_WORKFLOW_TICKETS must be a whole number of at least 1');
  return { ...profile, workflowTickets: count };
}

/** The app as `rectify serve` builds it, in this process: the import and the sweep are called on it directly. */
function servicesOn(database: Database, now: () => Date): Services {
  return createServices({ database, publicUrl: 'http://127.0.0.1:3000', mailFrom: 'Rectify <rectify@bench.rectify.local>', now, files: createFolderFileStore({ root: path.join(os.tmpdir(), 'rectify-bench-files') }), auditKey: loadAuditKey({ dataDir: path.join(os.tmpdir(), 'rectify-bench-files') }) });
}

async function databaseFacts(raw: RawSql, kind: 'postgres' | 'pglite'): Promise<Machine['database']> {
  const [version] = await raw.query<{ v: string }>(`select version() as v`);
  const settings: Record<string, string> = {};
  for (const name of ['shared_buffers', 'work_mem', 'max_connections', 'synchronous_commit', 'fsync']) {
    const [row] = await raw.query<{ setting: string }>(`select current_setting($1) as setting`, [name]);
    if (row) settings[name] = row.setting;
  }
  return { kind, version: version?.v ?? 'unknown', settings };
}

/** The cases BENCH_CASES names, or all of them. */
function casesWanted(): (name: 'transitions' | 'workflow' | 'sweep' | 'list') => boolean {
  const named = (process.env.BENCH_CASES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const known = ['transitions', 'workflow', 'sweep', 'list'];
  const unknown = named.find((n) => !known.includes(n));
  if (unknown) throw new Error(`BENCH_CASES: unknown case ${unknown} (known: ${known.join(', ')})`);
  return (name) => named.length === 0 || named.includes(name);
}

async function main(): Promise<void> {
  const wanted = casesWanted();
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const factor = Number(process.env.BENCH_SCALE ?? '1');
  if (!(factor > 0 && factor <= 1)) throw new Error('BENCH_SCALE must be a number in (0, 1]');
  const profile = workflowTicketsOverride(scaled(databaseUrl ? postgresProfile : pgliteProfile, factor));
  if (profile.dueForEscalation > profile.findings) throw new Error('dueForEscalation must not exceed findings (seeded tickets reuse the imported targets)');
  const bench: BenchDatabase = await createBenchDatabase(databaseUrl);
  progress(`${bench.kind}: fresh database ${bench.url ? new URL(bench.url).pathname.slice(1) : bench.dataDir}; profile ${JSON.stringify(profile)}`);
  const loadAverageAtStart = os.loadavg();

  let server: ServerProcess | undefined;
  let sink: MailSink | undefined;
  let database: Database | undefined;
  let raw: RawSql | undefined;
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { profile, scale: factor, loadAverageAtStart };
  try {
    // The import's moment: the day after the notice was issued.
    const clock = new Date('2021-06-18T02:00:00Z');
    database = await bench.open();
    const services = servicesOn(database, () => new Date(clock));
    await ensureAdmin(services, { password: ADMIN_PASSWORD, print: () => {} });
    raw = await bench.raw(database, 4);
    const machineDatabase = await databaseFacts(raw, bench.kind);
    const org = await seedOrganisation(raw, profile.units);
    const supervisorUser = await services.users.findPublic({ username: OFFICE_SUPERVISOR });
    const supervisor = supervisorUser ? await services.users.findViewer({ id: supervisorUser.id }) : undefined;
    if (!supervisor) throw new Error('the office supervisor is missing');
    progress(`seeded ${org.units.length} units with their officers`);

    progress(`import: ${profile.findings} findings through findingsImport.importFindings, then the baseline`);
    const meterPostgres = bench.kind === 'postgres' ? raw : undefined;
    const imported = await runImportCase({ services, raw, org, supervisor, count: profile.findings, meterPostgres });
    figures.push(...imported.figures);
    details.import = imported.details;
    progress(`import: ${JSON.stringify(imported.figures[0])}`);

    // The imported tickets wait for transitions, not for the sweep: it should find only the tickets seeded as due.
    await raw.query(`update tickets set next_action_at = null where inspection_id = any($1::int[])`, [[imported.oursInspectionId, imported.baselineInspectionId]]);
    const seeding = await timed(async () => {
      const common = { issuingUnitId: org.office.id, fromInspectionId: imported.oursInspectionId };
      await seedInspection(raw as RawSql, { ...common, shortCode: 'ESC-A', size: profile.dueForEscalation, kind: 'due' });
      const sweepBaselineInspectionId = await seedInspection(raw as RawSql, { ...common, shortCode: 'ESC-B', size: profile.dueForEscalation, kind: 'due-unscheduled' });
      let remaining = profile.tickets - 2 * profile.findings - 2 * profile.dueForEscalation;
      const mixed: number[] = [];
      for (let n = 1; remaining > 0; n++) {
        const size = Math.min(remaining, profile.findings);
        mixed.push(await seedInspection(raw as RawSql, { ...common, shortCode: `MIX-${n}`, size, kind: 'mixed' }));
        remaining -= size;
        progress(`seeding: ${profile.tickets - remaining} tickets`);
      }
      await (raw as RawSql).query('vacuum analyze');
      return { sweepBaselineInspectionId, mixed };
    });
    const [{ n: ticketCount } = { n: 0 }] = await raw.query<{ n: number }>(`select count(*)::int as n from tickets`);
    progress(`seeded to ${ticketCount} tickets in ${round(seeding.seconds, 1)} s (not measured)`);

    if (wanted('sweep')) {
      progress(`sweep: ${profile.dueForEscalation} escalations among ${ticketCount} tickets`);
      const swept = await runSweepCase({ services, raw, due: profile.dueForEscalation, total: ticketCount, baselineInspectionId: seeding.result.sweepBaselineInspectionId, meterPostgres });
      figures.push(...swept.figures);
      details.sweep = swept.details;
      progress(`sweep: ${JSON.stringify(swept.details)}`);
    }
    // The emails of the import and the sweep are not what the server's outbox worker should spend
    // the HTTP cases on (ACKNOWLEDGE queues none): they count as delivered.
    await raw.query(`update notifications set status = 'sent', sent_at = created_at, attempts = 1 where status = 'pending'`);
    await raw.query('vacuum analyze');

    const plan = wanted('transitions')
      ? await planTransitions({
          raw,
          org,
          oursInspectionId: imported.oursInspectionId,
          baselineInspectionId: imported.baselineInspectionId,
          count: profile.transitions,
          concurrency: profile.concurrency,
        })
      : undefined;
    const workflowPlan = wanted('workflow')
      ? await planWorkflow({
          raw,
          org,
          inspectionId: imported.oursInspectionId,
          count: profile.workflowTickets,
          concurrency: profile.workflowConcurrency,
          exclude: plan?.ours.map((t) => t.ticketId) ?? [],
        })
      : undefined;
    const sessions = listSessions(org, { adminPassword: ADMIN_PASSWORD, inspectionId: seeding.result.mixed[0] ?? imported.oursInspectionId });

    // On PGlite one process owns the data folder: hand it to the server for the HTTP cases.
    if (bench.kind === 'pglite') {
      await raw.close();
      await database.close();
      database = undefined;
    }
    const logFile = path.join(bench.dataDir, 'server.log');
    // The workflow case's emails go over real SMTP, to a sink in this process; otherwise they would be .eml files.
    sink = workflowPlan ? await startMailSink() : undefined;
    server = await startServerProcess({ databaseUrl: bench.url, dataDir: bench.dataDir, logFile, ...(sink ? { smtpUrl: sink.url } : {}) });
    const idleRssMb = server.phasePeakMb();
    progress(`rectify serve (pid ${server.pid}) listening at ${server.baseUrl}, ${idleRssMb} MB resident; log: ${logFile}`);
    const http = createHttpClient(server.baseUrl, { connections: profile.concurrency });

    const runningServer = server;
    // On PGlite the database runs inside the server process: its CPU is the server's.
    const cpuMeter = () => startCpuMeter({ serverPid: runningServer.pid, raw: bench.kind === 'postgres' ? raw : undefined });
    let transitions: Awaited<ReturnType<typeof transitionsOverHttp>> | undefined;
    if (plan) {
      progress(`transitions: ${profile.transitions} ACKNOWLEDGE over HTTP, ${profile.concurrency} connections`);
      transitions = await transitionsOverHttp(http, plan, cpuMeter);
      progress(`transitions: ${Math.round(profile.transitions / transitions.seconds)}/s, ${JSON.stringify(transitions.latency)}`);
    }
    const transitionsRssMb = server.phasePeakMb();

    let workflow: Awaited<ReturnType<typeof workflowOverHttp>> | undefined;
    if (workflowPlan && sink) {
      progress(`workflow: ${workflowPlan.tickets.length} tickets × ACKNOWLEDGE, SUBMIT_RECTIFICATION, VERIFY over HTTP, ${workflowPlan.concurrency} connections, mail over SMTP`);
      // Its own client: as many connections as people working, not the transitions case's.
      const people = createHttpClient(server.baseUrl, { connections: workflowPlan.concurrency });
      workflow = await workflowOverHttp(people, workflowPlan, sink, cpuMeter).finally(() => people.close());
      const transitionsDone = 3 * workflow.tickets;
      progress(
        `workflow: ${Math.round(transitionsDone / workflow.drainedSeconds)}/s mail drained, ${Math.round(transitionsDone / workflow.answeredSeconds)}/s answered, ` +
          `mail tail ${round(workflow.mailTailSeconds, 2)} s (${workflow.messagesAtLastAnswer} of ${workflow.messages} messages in by the last answer); CPU ms/transition ${JSON.stringify(workflow.cpuMsPerTransition)}; ${JSON.stringify(workflow.latency)}`,
      );
    }
    const workflowRssMb = server.phasePeakMb();

    const listSpec = { sessions, requests: profile.listRequests, pagesDeep: profile.listPagesDeep, total: ticketCount };
    let listed: Awaited<ReturnType<typeof listOverHttp>> | undefined;
    if (wanted('list')) {
      progress(`list: ${profile.listRequests} requests, cursors up to ${profile.listPagesDeep} pages deep`);
      listed = await listOverHttp(http, listSpec, cpuMeter);
      progress(`list: ${JSON.stringify(listed.all)}`);
    }
    const listRssMb = server.phasePeakMb();
    http.close();
    const { peakRssMb } = await server.stop();
    server = undefined;
    await sink?.close();
    sink = undefined;

    database ??= await bench.open();
    // A pool as wide as the HTTP case's connections, for the transitions baseline.
    if (bench.kind === 'postgres') await raw.close();
    raw = await bench.raw(database, profile.concurrency);
    progress('baselines: transitions and list in raw SQL');
    if (plan && transitions) {
      const transitionsResult = transitionsFigures(plan, transitions, await transitionsBaseline(raw, plan, bench.kind === 'postgres' ? raw : undefined));
      figures.push(...transitionsResult.figures);
      details.transitions = transitionsResult.details;
    }
    if (workflowPlan && workflow) {
      const workflowResult = workflowFigures(workflowPlan, workflow, await workflowOutbox(raw));
      figures.push(...workflowResult.figures);
      details.workflow = workflowResult.details;
    }
    if (listed) {
      const listResult = listFigures(listSpec, listed, await listBaseline(raw, listSpec));
      figures.push(...listResult.figures);
      const { tickets, users } = servicesOn(database, () => new Date());
      const viewerOf = async (username: string) => {
        const user = await users.findPublic({ username });
        const viewer = user ? await users.findViewer({ id: user.id }) : undefined;
        if (!viewer) throw new Error(`no user ${username}`);
        return viewer;
      };
      const explained = await explainList(raw, { tickets, viewerOf, sessions, pagesDeep: profile.listPagesDeep, limit: LIST_LIMIT, now: new Date() });
      for (const { session, pages } of explained) {
        progress(`list EXPLAIN ${session}: ${pages.map((p) => `page ${p.page} ${p.ms} ms, ${p.rowsExamined} rows examined, ${p.sharedHit + p.sharedRead} buffers`).join('; ')}`);
      }
      details.list = { ...listResult.details, explain: explained };
    }

    figures.push({
      case: 'rectify serve (child process)',
      metric: 'peak RSS',
      unit: 'MB',
      ours: peakRssMb,
      baseline: null,
      target: { value: targets.rssMb, better: 'lower' },
      note: 'VmHWM of `node bin/rectify serve` over start-up, logins, the transitions, the workflow and the list requests',
    });
    details.serverRssMb = { idleAfterStart: idleRssMb, transitionsPhasePeak: transitionsRssMb, workflowPhasePeak: workflowRssMb, listPhasePeak: listRssMb, vmHwm: peakRssMb };

    const durationS = round(Number(process.hrtime.bigint() - t0) / 1e9, 1);
    details.loadAverageAtEnd = os.loadavg();
    const machine = describeMachine(machineDatabase);
    const table = markdownTable(figures);
    console.log(`\nRectify bench — ${bench.kind}, ${startedAt.toISOString()}, ${machine.cpuCount} × ${machine.cpus[0]?.model ?? 'cpu'}, ${machine.memoryGB} GB, Node ${machine.node}, ${durationS} s\n`);
    console.log(table);
    writeResults(path.join(benchDir, 'results.json'), { profile: bench.kind, startedAt: startedAt.toISOString(), durationS, machine, figures, details });
    console.log(`\nWritten to ${path.relative(process.cwd(), path.join(benchDir, 'results.json'))}`);
  } finally {
    if (server) await server.stop().catch(() => {});
    await sink?.close().catch(() => {});
    await raw?.close().catch(() => {});
    await database?.close().catch(() => {});
    if (process.env.BENCH_KEEP) progress(`kept ${bench.url ?? bench.dataDir}`);
    else await bench.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
