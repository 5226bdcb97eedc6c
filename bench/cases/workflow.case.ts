import type { RawSql } from '../bench-database.js';
import type { CpuMeter } from '../cpu-usage.js';
import type { HttpClient } from '../http-client.js';
import type { MailSink } from '../mail-sink.js';
import { targets } from '../profile.js';
import type { Figure } from '../report.js';
import { OFFICE_SUPERVISOR, type BenchOrganisation } from '../seed/organisation.js';
import { elapsedMs, round, runLanes, summarise, timed, type LatencySummary } from '../stats.js';
import { login, shuffle } from './transitions.case.js';

// The Redmine workload: every ticket taken from issued to verified, the verification's email delivered.
const STEPS = ['ACKNOWLEDGE', 'SUBMIT_RECTIFICATION', 'VERIFY'] as const;
type Step = (typeof STEPS)[number];

// Long enough for the outbox's 2 s polls to drain thousands of emails; a stuck outbox fails the run.
const MAIL_DRAIN_TIMEOUT_MS = 120_000;

export interface WorkflowPlan {
  concurrency: number;
  /** Issued tickets with the officer of each one's unit. */
  tickets: { ticketId: number; officer: string }[];
  /** Verifies every ticket: a supervisor of the issuing office, which owns none of them. */
  supervisor: string;
}

/**
 * Picks `count` issued tickets of the imported inspection while the bench still holds the database,
 * from the end of the ordering the transitions case takes from the start of, and never one it took
 * (`exclude`): those are acknowledged already. None of the office's own: its supervisor may not verify them.
 */
export async function planWorkflow({ raw, org, inspectionId, count, concurrency, exclude }: { raw: RawSql; org: BenchOrganisation; inspectionId: number; count: number; concurrency: number; exclude: number[] }): Promise<WorkflowPlan> {
  const rows = await raw.query<{ id: number; unit_id: number }>(
    `select t.id, t.unit_id from tickets t join inspections i on i.id = t.inspection_id
     where t.inspection_id = $1 and t.state = 'issued' and t.unit_id <> i.issuing_unit_id and i.issuing_unit_id = $2 and t.id <> all($3::int[])
     order by t.unit_id desc, t.id desc limit $4`,
    [inspectionId, org.office.id, exclude, count],
  );
  if (rows.length < count) throw new Error(`workflow: only ${rows.length} issued tickets left in inspection ${inspectionId}, ${count} wanted (set BENCH_WORKFLOW_TICKETS lower)`);
  const officerOf = new Map(org.units.map((u) => [u.id, u.officer]));
  return { concurrency, supervisor: OFFICE_SUPERVISOR, tickets: rows.map((r) => ({ ticketId: r.id, officer: officerOf.get(r.unit_id) ?? '' })) };
}

export interface WorkflowOverHttp {
  tickets: number;
  /** From the first request to the last answer. */
  answeredSeconds: number;
  /** From the first request until the last transition has answered and the last email has arrived. */
  drainedSeconds: number;
  /** From the last answer to the last email: the outbox's polling and sending after the people stop. */
  mailTailSeconds: number;
  messages: number;
  /** Messages already delivered when the last transition answered: how far the outbox kept up. */
  messagesAtLastAnswer: number;
  recipients: number;
  latency: Record<Step, LatencySummary>;
  /** CPU milliseconds per transition, the mail's delivery included: the server, the PostgreSQL backends, this process (clients and the SMTP sink). */
  cpuMsPerTransition?: { server: number; postgres: number; bench: number };
  loginSeconds: number;
}

/**
 * `concurrency` people on their own keep-alive connections, each taking one ticket at a time through
 * ACKNOWLEDGE and SUBMIT_RECTIFICATION (the unit's officer) and VERIFY (the office's supervisor);
 * the clock runs until every VERIFY's email has reached the SMTP sink the server delivers to.
 */
export async function workflowOverHttp(http: HttpClient, plan: WorkflowPlan, sink: MailSink, startCpuMeter?: () => Promise<CpuMeter>): Promise<WorkflowOverHttp> {
  const { result: tokens, seconds: loginSeconds } = await timed(() => login(http, [...new Set([plan.supervisor, ...plan.tickets.map((t) => t.officer)])]));
  const items = shuffle(plan.tickets.map((t) => ({ ticketId: t.ticketId, officerToken: tokens.get(t.officer) ?? '' })));
  const supervisorToken = tokens.get(plan.supervisor) ?? '';
  // The import's and the sweep's emails were marked sent before the server started: the sink should be empty.
  const before = sink.received();
  if (before !== 0) throw new Error(`workflow: the SMTP sink already holds ${before} messages`);

  const latencies: Record<Step, number[]> = { ACKNOWLEDGE: [], SUBMIT_RECTIFICATION: [], VERIFY: [] };
  const failures: string[] = [];
  const bodies: Record<Step, object> = {
    ACKNOWLEDGE: { type: 'ACKNOWLEDGE' },
    SUBMIT_RECTIFICATION: { type: 'SUBMIT_RECTIFICATION', feedback: '已整改：互动栏目留言均已按期答复，答复时限纳入月度考核。' },
    VERIFY: { type: 'VERIFY' },
  };
  const send = async (ticketId: number, step: Step, token: string) => {
    const response = await http.request({ method: 'POST', path: `/api/tickets/${ticketId}/events`, token, body: bodies[step] });
    if (response.status !== 200) failures.push(`${step} ${ticketId}: ${response.status} ${response.body.slice(0, 200)}`);
    latencies[step].push(response.ms);
  };

  const meter = await startCpuMeter?.();
  const start = process.hrtime.bigint();
  await runLanes(items, plan.concurrency, async ({ ticketId, officerToken }) => {
    await send(ticketId, 'ACKNOWLEDGE', officerToken);
    await send(ticketId, 'SUBMIT_RECTIFICATION', officerToken);
    await send(ticketId, 'VERIFY', supervisorToken);
  });
  const answeredSeconds = elapsedMs(start) / 1000;
  const messagesAtLastAnswer = sink.received();
  if (failures.length > 0) throw new Error(`workflow: ${failures.length} transitions failed, e.g. ${failures.slice(0, 3).join('; ')}`);
  // One 'verified' email a ticket, to its unit's one mailbox: one SMTP message each.
  await sink.waitFor(items.length, MAIL_DRAIN_TIMEOUT_MS);
  const lastMessageAt = sink.lastAt() ?? start;
  const cpu = await meter?.stop();
  const drainedSeconds = Math.max(answeredSeconds, Number(lastMessageAt - start) / 1e9);

  const transitions = STEPS.length * items.length;
  const perTransition = (s: number) => round((1000 * s) / transitions, 3);
  return {
    tickets: items.length,
    answeredSeconds,
    drainedSeconds,
    mailTailSeconds: drainedSeconds - answeredSeconds,
    messages: sink.received(),
    messagesAtLastAnswer,
    recipients: sink.recipients(),
    latency: { ACKNOWLEDGE: summarise(latencies.ACKNOWLEDGE), SUBMIT_RECTIFICATION: summarise(latencies.SUBMIT_RECTIFICATION), VERIFY: summarise(latencies.VERIFY) },
    ...(cpu ? { cpuMsPerTransition: { server: perTransition(cpu.server), postgres: perTransition(cpu.postgres), bench: perTransition(cpu.bench) } } : {}),
    loginSeconds: round(loginSeconds),
  };
}

/** The 'verified' emails by status, read once the server has stopped: every one should be `sent`, none left over. */
export async function workflowOutbox(raw: RawSql): Promise<Record<string, number>> {
  const rows = await raw.query<{ status: string; n: number }>(`select status, count(*)::int as n from notifications where kind = 'verified' group by status order by status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export function workflowFigures(plan: WorkflowPlan, ours: WorkflowOverHttp, outbox: Record<string, number>): { figures: Figure[]; details: Record<string, unknown> } {
  const transitions = STEPS.length * ours.tickets;
  const label = `${ours.tickets.toLocaleString('en-US')} tickets × ACKNOWLEDGE, SUBMIT_RECTIFICATION, VERIFY over HTTP, ${plan.concurrency} connections, mail drained`;
  const noBaseline = 'no raw-SQL baseline (the issue gives none); Redmine itself: 13.5/s';
  return {
    figures: [
      {
        case: label,
        metric: 'throughput, mail drained',
        unit: 'transitions/s',
        ours: Math.round(transitions / ours.drainedSeconds),
        baseline: null,
        target: { value: targets.workflowPerSecond, better: 'higher' },
        note: `${transitions} transitions ÷ seconds until the last answer and the last of the ${ours.messages} 'verified' emails delivered over SMTP; ${noBaseline}`,
      },
      {
        case: label,
        metric: 'throughput, until the last answer',
        unit: 'transitions/s',
        ours: Math.round(transitions / ours.answeredSeconds),
        baseline: null,
        note: `without the mail's tail (${round(ours.mailTailSeconds, 2)} s: the outbox polls every 2 s when its batch is not full)`,
      },
      { case: label, metric: 'mail tail after the last answer', unit: 's', ours: round(ours.mailTailSeconds, 2), baseline: null },
      ...STEPS.flatMap((step): Figure[] => [
        { case: label, metric: `${step} p50 latency`, unit: 'ms', ours: ours.latency[step].p50, baseline: null },
        { case: label, metric: `${step} p99 latency`, unit: 'ms', ours: ours.latency[step].p99, baseline: null },
      ]),
    ],
    details: {
      tickets: ours.tickets,
      transitions,
      concurrency: plan.concurrency,
      loginSeconds: ours.loginSeconds,
      answeredSeconds: round(ours.answeredSeconds),
      drainedSeconds: round(ours.drainedSeconds),
      mailTailSeconds: round(ours.mailTailSeconds),
      messagesReceived: ours.messages,
      messagesAtLastAnswer: ours.messagesAtLastAnswer,
      recipientsReceived: ours.recipients,
      verifiedEmailsByStatus: outbox,
      latencyMs: ours.latency,
      cpuMsPerTransition: ours.cpuMsPerTransition,
    },
  };
}
