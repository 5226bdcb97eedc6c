import { defaultEscalationPolicy } from '../../db/schema/index.js';
import type { Services } from '../../server/services.js';
import { createWorkingCalendar } from '../../workflows/deadlines/calendar.js';
import { escalationDueAt } from '../../workflows/deadlines/deadlines.js';
import type { SweepLogger } from '../../workflows/deadlines/sweep.js';
import type { RawSql } from '../bench-database.js';
import { targets } from '../profile.js';
import type { Figure } from '../report.js';
import { withCpu } from '../cpu-usage.js';
import { round, timed } from '../stats.js';

/** Tuesday 29 June 2021, 10:00 in Shanghai: level 1 is due for every ticket seeded as `due`. */
export const SWEEP_NOW = new Date('2021-06-29T02:00:00Z');

function quietLogger(): SweepLogger & { errors: number } {
  const logger = {
    errors: 0,
    info: () => {},
    warn: () => {},
    error: (details: object, message: string) => {
      logger.errors += 1;
      if (logger.errors <= 3) console.error(message, details);
    },
  };
  return logger;
}

/**
 * `services.sweep.run` at SWEEP_NOW over the whole ticket table, of which `due` tickets are due
 * for escalation (an ESCALATE audit row, an action row, a place in its unit's email and the ticket update each);
 * then once more, with nothing left to do. The baseline writes the same rows for another `due`
 * tickets with a few set-based statements in one transaction.
 */
export async function runSweepCase({
  services,
  raw,
  due,
  total,
  baselineInspectionId,
  meterPostgres,
}: {
  services: Services;
  raw: RawSql;
  due: number;
  total: number;
  baselineInspectionId: number;
  /** The raw handle when PostgreSQL runs on this machine, to count its CPU; undefined on PGlite. */
  meterPostgres: RawSql | undefined;
}): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const logger = quietLogger();
  const { result: first, cpuSeconds } = await withCpu(meterPostgres, () => timed(() => services.sweep.run({ now: SWEEP_NOW, logger })));
  if (first.result.escalations !== due || logger.errors > 0) {
    throw new Error(`the sweep escalated ${first.result.escalations} tickets (expected ${due}) with ${logger.errors} errors`);
  }
  const second = await timed(() => services.sweep.run({ now: SWEEP_NOW, logger }));
  if (second.result.examined !== 0) throw new Error(`the second sweep still found ${second.result.examined} tickets due`);

  const { result: baseline, cpuSeconds: baselineCpuSeconds } = await withCpu(meterPostgres, () => sweepBaseline(raw, baselineInspectionId, due));
  const idle = await timed(() =>
    raw.transaction((query) =>
      query(
        `select t.id, t.state, t.due_at, t.escalation_level, t.rectified_at, i.policy from tickets t join inspections i on i.id = t.inspection_id
         where t.next_action_at <= $1 order by t.next_action_at, t.id limit 500 for update of t skip locked`,
        [SWEEP_NOW],
      ),
    ),
  );
  const label = `sweep, ${total.toLocaleString('en-US')} tickets`;
  return {
    figures: [
      {
        case: label,
        metric: `${due.toLocaleString('en-US')} escalations`,
        unit: 's',
        ours: round(first.seconds),
        baseline: round(baseline.seconds),
        target: { value: targets.sweepRatio, better: 'lower', of: 'ratio' },
      },
      { case: label, metric: 'nothing due', unit: 's', ours: round(second.seconds, 3), baseline: round(idle.seconds, 3) },
    ],
    details: {
      first: { ...first.result, seconds: round(first.seconds), cpuSeconds },
      second: { ...second.result, seconds: round(second.seconds, 3) },
      baselineSeconds: round(baseline.seconds),
      baselineCpuSeconds,
      baselineIdleSeconds: round(idle.seconds, 3),
    },
  };
}

/** The sweep's tickets per transaction (createSweep's default): its escalation emails are one per unit and batch. */
const SWEEP_BATCH = 500;

/**
 * Level 1 for every open, unescalated ticket of the inspection: action rows, ESCALATE audit rows
 * chained to the last row of each ticket, the escalation emails as the sweep writes them (one per
 * unit in each batch of SWEEP_BATCH tickets, in id order, each listing its tickets in
 * `notification_tickets`, with one stock body), and the tickets' level, version and next look —
 * the writes the sweep makes, as set-based SQL.
 */
async function sweepBaseline(raw: RawSql, inspectionId: number, due: number): Promise<{ seconds: number }> {
  // One of our escalation emails (a unit's batch), so every baseline email carries data of the size ours do.
  const [mail] = await raw.query<{ subject: string; payload: string }>(`select n.subject, n.payload::text as payload from notifications n where n.kind = 'escalation' order by n.id limit 1`);
  if (!mail) throw new Error('the sweep queued no escalation email to size the baseline on');
  const next = escalationDueAt(createWorkingCalendar(new Map()), '2021-06-25', 2, defaultEscalationPolicy).value;
  const open = `t.inspection_id = $1 and t.state in ('issued', 'acknowledged') and t.escalation_level = 0`;
  const { result: escalated, seconds } = await timed(() =>
    raw.transaction(async (query) => {
      await query(`select t.id from tickets t where ${open} for update`, [inspectionId]);
      await query(
        `insert into ticket_deadline_actions (ticket_id, kind, step, basis, taken_at)
         select t.id, 'escalation', t.escalation_level + 1, t.due_at, $2 from tickets t where ${open}
         on conflict do nothing`,
        [inspectionId, SWEEP_NOW],
      );
      const inserted = await query<{ n: number }>(
        `with escalated as (
           insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, payload, prev_hash, hash, chain_version)
           select t.id, t.audit_seq + 1, 'ESCALATE', t.state, t.state, 'system', $2, jsonb_build_object('level', t.escalation_level + 1), t.audit_hash,
                  encode(sha256(convert_to(t.audit_hash || t.id::text || 'ESCALATE', 'UTF8')), 'hex'), 2
           from tickets t
           where ${open}
           returning id, ticket_id, seq, hash
         ), tailed as (
           update tickets t set audit_seq = x.seq, audit_hash = x.hash from escalated x where t.id = x.ticket_id
         ), batched as (
           select x.id as event_id, x.ticket_id, t.unit_id, (row_number() over (order by x.ticket_id) - 1) / $5 as batch
           from escalated x join tickets t on t.id = x.ticket_id
         ), letters as (
           select unit_id, array_agg(ticket_id order by ticket_id) as ticket_ids, min(event_id) as event_id,
                  '<rectify.n.' || gen_random_uuid() || '@bench.rectify.local>' as message_id
           from batched group by unit_id, batch
         ), mailed as (
           insert into notifications (ticket_id, event_id, kind, unit_ids, recipients, cc_unit_ids, cc, reference, subject, payload, message_id)
           select case when cardinality(l.ticket_ids) = 1 then l.ticket_ids[1] end, case when cardinality(l.ticket_ids) = 1 then l.event_id end,
                  'escalation', array[u.id], u.emails, array_remove(array[u.parent_id], null), coalesce(p.emails, '{}'), u.code, $3, $4::jsonb, l.message_id
           from letters l join units u on u.id = l.unit_id left join units p on p.id = u.parent_id
           returning id, message_id
         ), linked as (
           insert into notification_tickets (notification_id, ticket_id)
           select m.id, unnest(l.ticket_ids) from mailed m join letters l on l.message_id = m.message_id
           returning ticket_id
         )
         select count(*)::int as n from linked`,
        [inspectionId, SWEEP_NOW, mail.subject, mail.payload, SWEEP_BATCH],
      );
      await query(
        `update tickets t set escalation_level = t.escalation_level + 1, version = t.version + 1, updated_at = $2, next_action_at = $3 where ${open}`,
        [inspectionId, SWEEP_NOW, next],
      );
      return inserted[0]?.n ?? 0;
    }),
  );
  if (escalated !== due) throw new Error(`the sweep baseline escalated ${escalated} tickets, expected ${due}`);
  return { seconds };
}
