// The sweep (SPEC "Deadlines, reminders, escalation"): finds the tickets whose `next_action_at`
// has come, sends the reminders and escalations due, and sets when to look at each again.
//
// Exactly once: every action first inserts its row in `ticket_deadline_actions` (key: ticket,
// kind, step, basis) with ON CONFLICT DO NOTHING, and only acts when that insert inserted. The
// tickets of a batch are locked FOR UPDATE SKIP LOCKED, so sweeps running at the same moment in
// several processes split the work instead of queueing on each other.

import { isConnectionError } from '../../db/errors.js';
import type { Db } from '../../db/client.js';
import { deadlineActionKey as keyOf, type DeadlineActionKey as ActionKey, type DeadlineActionsRepository, type DueTicket } from '../../db/repositories/deadline-actions.repository.js';
import type { TicketsRepository } from '../../db/repositories/tickets.repository.js';
import { resolvePolicy, type EscalationPolicy } from '../../db/schema/index.js';
import type { QueueTicketMail, TicketNotifier } from '../../notifications/ticket-notifier.js';
import { shanghaiDay, startOfShanghaiDay, type WorkingCalendar } from './calendar.js';
import { nextDeadlineAction, workingDaysOverdue, type DeadlineActions } from './deadlines.js';
import type { TicketWorkflow } from '../tickets/ticket.workflow.js';

/** What pino (fastify's `log`) and a console adapter both offer. */
export interface SweepLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface SweepResult {
  /** Unit reminders queued ("N working days before"). */
  reminders: number;
  /** ESCALATE events written, one per level. */
  escalations: number;
  /** Reminders to the issuing office that a submission waits for verification. */
  verifyReminders: number;
  /** Tickets whose `next_action_at` had come and that this sweep looked at. */
  examined: number;
  /** Of those, the ones whose computation reached past the published holiday calendar. */
  provisional: number;
  /** Tickets left for the next sweep because acting on them failed (logged). */
  failed: number;
}

export interface SweepDeps {
  /** Opens each batch's transaction. */
  db: Pick<Db, 'transaction'>;
  deadlineActions: DeadlineActionsRepository;
  tickets: Pick<TicketsRepository, 'findSweepViews'>;
  ticketWorkflow: Pick<TicketWorkflow, 'applyWithin' | 'escalateLocked'>;
  notifier: Pick<TicketNotifier, 'queueMany'>;
  /** The working calendar with the current overrides; called once per run. */
  loadCalendar: () => Promise<WorkingCalendar>;
  /** Used when a run is not given its own logger. */
  logger?: SweepLogger;
  /** Tickets per transaction. */
  batchSize?: number;
  /**
   * Batches in flight at once, each on its own connection and transaction. Two on PostgreSQL: the
   * app prepares one batch while the database writes another (on one loop each waits for the
   * other). One where statements run one at a time (PGlite) or `db` is itself a transaction.
   */
  concurrency?: number;
}

interface Plan {
  ticket: DueTicket;
  actions: DeadlineActions;
}

const emptyResult = (): SweepResult => ({ reminders: 0, escalations: 0, verifyReminders: 0, examined: 0, provisional: 0, failed: 0 });

const consoleLogger: SweepLogger = {
  info: (details, message) => console.info(message, details),
  warn: (details, message) => console.warn(message, details),
  error: (details, message) => console.error(message, details),
};

export function createSweep({
  db,
  deadlineActions,
  tickets: ticketsRepository,
  ticketWorkflow,
  notifier,
  loadCalendar,
  logger: defaultLogger = consoleLogger,
  batchSize = 500,
  concurrency = 1,
}: SweepDeps) {
  const record = (actions: ActionKey[], now: Date, tx: Db) => deadlineActions.record({ actions, now }, tx);

  /** Reminders to units and to the issuing office: rows first, then one mail per row this sweep inserted. */
  async function sendReminders(plans: Plan[], now: Date, result: SweepResult, tx: Db): Promise<void> {
    const wanted: ActionKey[] = plans.flatMap(({ ticket, actions }) => [
      ...(actions.reminder ? [{ ticketId: ticket.id, kind: 'reminder' as const, step: actions.reminder.step }] : []),
      ...(actions.verifyReminder ? [{ ticketId: ticket.id, kind: 'verify_reminder' as const, step: actions.verifyReminder.step }] : []),
    ]);
    const inserted = await record(wanted, now, tx);
    const won = wanted.filter((action) => inserted.has(keyOf(action)));
    if (won.length === 0) return;

    const views = new Map((await ticketsRepository.findSweepViews({ ids: [...new Set(won.map((a) => a.ticketId))] }, tx)).map((v) => [v.id, v]));
    const submissions = await deadlineActions.latestSubmissions({ ids: won.filter((a) => a.kind === 'verify_reminder').map((a) => a.ticketId) }, tx);
    const mails: QueueTicketMail[] = [];
    for (const action of won) {
      const ticket = views.get(action.ticketId);
      if (!ticket) continue;
      if (action.kind === 'reminder') {
        mails.push({ kind: 'reminder', ticket, eventId: null, details: { daysBefore: action.step } });
        result.reminders += 1;
      } else {
        mails.push({ kind: 'verify_reminder', ticket, eventId: null, details: submissions.get(ticket.id) ?? {} });
        result.verifyReminders += 1;
      }
    }
    await notifier.queueMany({ mails, at: now }, tx);
  }

  /**
   * Catching up: a ticket that reached several levels in one sweep has one ESCALATE per level in its
   * trail, but its unit hears once, at the highest level, with the working days overdue. The
   * notifier makes one email per unit and level of what is left.
   */
  async function queueEscalationMails(mails: QueueTicketMail[], now: Date, calendar: WorkingCalendar, tx: Db): Promise<void> {
    const highest = new Map<number, QueueTicketMail>();
    for (const mail of mails) {
      const seen = highest.get(mail.ticket.id);
      if (!seen || (mail.details?.level ?? 0) >= (seen.details?.level ?? 0)) highest.set(mail.ticket.id, mail);
    }
    // Counted once per due time: a batch's tickets mostly share a few.
    const overdue = new Map<number, number>();
    const overdueOf = (dueAt: Date) => {
      let days = overdue.get(dueAt.getTime());
      if (days === undefined) overdue.set(dueAt.getTime(), (days = workingDaysOverdue(calendar, dueAt, now).value));
      return days;
    };
    await notifier.queueMany(
      {
        mails: [...highest.values()].map((mail) => ({
          ...mail,
          details: { ...mail.details, overdueWorkingDays: overdueOf(mail.ticket.dueAt) },
        })),
        at: now,
      },
      tx,
    );
  }

  /**
   * The levels a ticket may take now: those this sweep recorded, in order, up to the first one that
   * was taken before for this due time yet is above the ticket's level (a REASSIGN reset it);
   * taking the next level instead would skip one, so the ticket stops there.
   */
  function levelsWon({ ticket, actions }: Plan, inserted: Set<string>, logger: SweepLogger): number {
    let won = 0;
    for (const { step } of actions.escalations) {
      if (!inserted.has(keyOf({ ticketId: ticket.id, kind: 'escalation', step }))) {
        logger.warn({ ticketId: ticket.id, level: step, escalationLevel: ticket.escalationLevel + won }, 'sweep: escalation level already taken for this due time; not repeated');
        break;
      }
      won += 1;
    }
    return won;
  }

  /**
   * One ESCALATE per level, in order, each its own audit event, for the whole batch at once: one
   * statement records every level the batch owes, then one ticket update, one write of the chained
   * events and the emails (one per unit and level) for all of them, however many levels each takes.
   * In a savepoint, so that when any ticket cannot be escalated the batch is undone and retried
   * ticket by ticket (escalateOne), which leaves that ticket to the next sweep and the rest done.
   * The escalation also writes each ticket's next look, so it is not updated a second time; returns
   * the escalations written and the tickets so rescheduled.
   */
  async function escalateAll(plans: Plan[], now: Date, calendar: WorkingCalendar, logger: SweepLogger, tx: Db): Promise<{ escalations: number; scheduled: Set<number> }> {
    if (plans.length === 0) return { escalations: 0, scheduled: new Set() };
    return tx.transaction(async (sp) => {
      const wanted = plans.flatMap(({ ticket, actions }) => actions.escalations.map(({ step }) => ({ ticketId: ticket.id, kind: 'escalation' as const, step })));
      const inserted = await record(wanted, now, sp);
      const owed = plans.map((plan) => ({ id: plan.ticket.id, levels: levelsWon(plan, inserted, logger), next: plan.actions.nextActionAt })).filter((t) => t.levels > 0);
      const mails: QueueTicketMail[] = [];
      await ticketWorkflow.escalateLocked({
        ticketIds: owed.map((t) => t.id),
        levels: new Map(owed.map((t) => [t.id, t.levels])),
        nextActionAt: new Map(owed.map((t) => [t.id, t.next])),
        collect: mails,
      }, sp);
      await queueEscalationMails(mails, now, calendar, sp);
      return { escalations: owed.reduce((sum, t) => sum + t.levels, 0), scheduled: new Set(owed.map((t) => t.id)) };
    });
  }

  /** escalateAll for a single ticket through the one-event path, in its own savepoint. */
  async function escalateOne(plan: Plan, now: Date, calendar: WorkingCalendar, logger: SweepLogger, tx: Db): Promise<number> {
    return tx.transaction(async (sp) => {
      const wanted = plan.actions.escalations.map(({ step }) => ({ ticketId: plan.ticket.id, kind: 'escalation' as const, step }));
      const levels = levelsWon(plan, await record(wanted, now, sp), logger);
      const mails: QueueTicketMail[] = [];
      for (let level = 0; level < levels; level += 1) {
        await ticketWorkflow.applyWithin({ ticketId: plan.ticket.id, sender: { kind: 'system' }, input: { type: 'ESCALATE' }, collect: mails }, sp);
      }
      await queueEscalationMails(mails, now, calendar, sp);
      return levels;
    });
  }

  /** One transaction: claim a batch, act, reschedule. Returns how many tickets it claimed. */
  async function runBatch(calendar: WorkingCalendar, now: Date, failed: number[], result: SweepResult, logger: SweepLogger): Promise<number> {
    return db.transaction(async (tx) => {
      const due = await deadlineActions.claimDue({ now, skip: failed, limit: batchSize }, tx);
      if (due.length === 0) return 0;

      const plans: Plan[] = [];
      // Worked out once for the tickets of a batch that agree in everything it reads (the policy is
      // the inspection's, read with the claim); the result is only read afterwards, so they share it.
      const computed = new Map<string, DeadlineActions>();
      for (const ticket of due) {
        try {
          const key = `${ticket.inspectionId}|${ticket.state}|${ticket.dueAt.getTime()}|${ticket.escalationLevel}|${ticket.rectifiedAt?.getTime() ?? ''}|${ticket.taken.map((t) => `${t.kind}:${t.step}`).sort().join(',')}`;
          let actions = computed.get(key);
          if (!actions) computed.set(key, (actions = nextDeadlineAction(calendar, ticket, ticket.policy, ticket.taken, now)));
          plans.push({ ticket, actions });
        } catch (error) {
          logger.error({ err: error, ticketId: ticket.id }, 'sweep: cannot compute the deadlines of a ticket; it is retried on the next sweep');
          failed.push(ticket.id);
        }
      }

      await sendReminders(plans, now, result, tx);
      const escalating = plans.filter((plan) => plan.actions.escalations.length > 0);
      let done = plans;
      try {
        const { escalations, scheduled } = await escalateAll(escalating, now, calendar, logger, tx);
        result.escalations += escalations;
        done = plans.filter((plan) => !scheduled.has(plan.ticket.id));
      } catch (batchError) {
        // A lost connection fails every ticket alike: give the whole run up, the timer retries it.
        if (isConnectionError(batchError)) throw batchError;
        logger.warn({ err: batchError, tickets: escalating.length }, 'sweep: escalating the batch together failed; trying its tickets one by one');
        done = plans.filter((plan) => plan.actions.escalations.length === 0);
        for (const plan of escalating) {
          try {
            result.escalations += await escalateOne(plan, now, calendar, logger, tx);
          } catch (error) {
            logger.error({ err: error, ticketId: plan.ticket.id }, 'sweep: cannot escalate a ticket; it is retried on the next sweep');
            failed.push(plan.ticket.id);
            continue;
          }
          done.push(plan);
        }
      }
      // The rest get their computed next look here: those with nothing to escalate, and those escalated
      // one by one (their ESCALATE set next_action_at to "now").
      await deadlineActions.setNextActionAt({ rows: done.map(({ ticket, actions }) => ({ id: ticket.id, next: actions.nextActionAt })) }, tx);

      result.examined += due.length;
      result.provisional += plans.filter((p) => p.actions.provisional).length;
      return due.length;
    });
  }

  /**
   * The daily 待核验 digest (SPEC "Notifications"): on a working day, from the inspection's
   * `sendAt`, each supervising office gets one email per inspection listing every submission that
   * waits for its verification. Exactly once per office, inspection and day: the email is written
   * only by the transaction that inserts its row in `verify_digests`. Returns the digests written.
   */
  async function sendVerifyDigests(calendar: WorkingCalendar, now: Date): Promise<number> {
    const day = shanghaiDay(now);
    if (!calendar.isWorkingDay(day)) return 0;
    const waiting = await deadlineActions.inspectionsWaitingVerification();
    const sendAtOf = (policy: Partial<EscalationPolicy>) => {
      const [h, m] = resolvePolicy(policy).sendAt.split(':').map(Number);
      return new Date(startOfShanghaiDay(day).getTime() + ((h ?? 9) * 60 + (m ?? 0)) * 60_000);
    };
    const due = waiting.filter((w) => now >= sendAtOf(w.policy));
    if (due.length === 0) return 0;
    // Once the issuing office's digest of the day is written, so are the county offices' (same transaction).
    const done = new Set((await deadlineActions.digestsWritten({ day, inspectionIds: due.map((d) => d.inspectionId) })).map((r) => `${r.inspectionId}:${r.unitId}`));
    const open = due.filter((d) => !done.has(`${d.inspectionId}:${d.issuingUnitId}`)).map((d) => d.inspectionId);
    if (open.length === 0) return 0;
    return db.transaction(async (tx) => {
      const views = await ticketsRepository.findSweepViews({ ids: await deadlineActions.waitingVerification({ inspectionIds: open }, tx) }, tx);
      const byRectified = views.sort((a, b) => (a.rectifiedAt?.getTime() ?? 0) - (b.rectifiedAt?.getTime() ?? 0) || a.id - b.id);
      const submissions = await deadlineActions.latestSubmissions({ ids: byRectified.map((t) => t.id) }, tx);
      return notifier.queueMany(
        {
          mails: byRectified.map((ticket) => ({ kind: 'submitted' as const, ticket, eventId: null, details: submissions.get(ticket.id) ?? {} })),
          at: now,
          accept: async (letter, sp) => {
            const unitId = letter.to[0]?.unitId;
            if (unitId === undefined) return false;
            return deadlineActions.claimDigest({ unitId, inspectionId: letter.inspectionId, day }, sp);
          },
        },
        tx,
      );
    });
  }

  return {
    /** Everything due at `now`, in batches of `batchSize` tickets, each batch one transaction. */
    async run({ now, logger = defaultLogger }: { now: Date; logger?: SweepLogger }): Promise<SweepResult> {
      if (Number.isNaN(now.getTime())) throw new RangeError('sweep: invalid "now"');
      const calendar = await loadCalendar();
      const result = emptyResult();
      // Tickets that failed stay due; they are left out for the rest of this run so it ends.
      const failed: number[] = [];
      // Each loop claims the next batch not locked by the other (SKIP LOCKED, in due order), so the
      // batches, and the emails (per unit and batch), are those of a single loop but for the order.
      // A loop that finds less than a full batch, or fails, ends the others after their batch in
      // progress: what is still due is theirs or locked by another process.
      let stopped = false;
      const loop = async () => {
        try {
          while (!stopped && (await runBatch(calendar, now, failed, result, logger)) === batchSize);
        } finally {
          stopped = true;
        }
      };
      const loops = await Promise.allSettled(Array.from({ length: Math.max(1, concurrency) }, loop));
      const failure = loops.find((l) => l.status === 'rejected');
      if (failure) throw failure.reason;
      const digests = await sendVerifyDigests(calendar, now);
      if (digests > 0) logger.info({ digests }, 'sweep: daily verification digests queued');
      result.failed = failed.length;
      return result;
    },
  };
}

export type Sweep = ReturnType<typeof createSweep>;

export interface SweepTimerOptions {
  /** Seconds between the end of one run and the start of the next; 0 turns the timer off. */
  intervalS: number;
  now: () => Date;
  logger: SweepLogger;
}

export interface SweepTimer {
  /** Cancels the next run and waits for one in progress. */
  stop(): Promise<void>;
}

/**
 * Runs the sweep inside the server: once at start (catching up after downtime), then
 * `intervalS` seconds after each run ends, so runs never overlap in this process.
 */
export function startSweepTimer(sweep: Pick<Sweep, 'run'>, { intervalS, now, logger }: SweepTimerOptions): SweepTimer {
  if (intervalS <= 0) return { stop: async () => {} };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (delayMs: number) => {
    timer = setTimeout(tick, delayMs);
    // The timer alone must not keep a process alive that is otherwise done.
    timer.unref();
  };

  function tick(): void {
    timer = undefined;
    running = (async () => {
      try {
        const result = await sweep.run({ now: now(), logger });
        if (result.reminders + result.escalations + result.verifyReminders + result.failed > 0) logger.info({ ...result }, 'sweep done');
      } catch (error) {
        logger.error({ err: error }, 'sweep failed; trying again at the next interval');
      }
    })().finally(() => {
      running = undefined;
      if (!stopped) schedule(intervalS * 1000);
    });
  }

  schedule(0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
