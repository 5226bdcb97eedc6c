import type { Db } from '../../db/client.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { NotificationsRepository } from '../../db/repositories/notifications.repository.js';
import type { TicketEventsRepository, TransitionValues } from '../../db/repositories/ticket-events.repository.js';
import type { SweepView, TicketChange, TicketsRepository, TicketView } from '../../db/repositories/tickets.repository.js';
import type { UnitsRepository } from '../../db/repositories/units.repository.js';
import type { TicketNotificationKind as NotificationKind, TicketState } from '../../db/schema/index.js';
import type { QueueTicketMail, TicketNotifier } from '../../notifications/ticket-notifier.js';
import type { TicketMailDetails } from '../../notifications/templates/ticket-mail.js';
import { AppError, conflict, forbidden, notFound, unprocessable, type FieldError } from '../../core/errors.js';
import type { AttachmentsService } from './attachments.service.js';
import { endOfShanghaiDay, loadWorkingCalendar, shanghaiDay, type WorkingCalendar } from '../deadlines/calendar.js';
import { restDayDeadline, reworkDueAt } from '../deadlines/deadlines.js';
import { ticketEventRegistry, type TicketEventFields, type TicketEventSpec, type TicketEventType } from './ticket-events.registry.js';
import { allowedEvents, decide, decider, isFinalState, type TicketActor, type TicketMachineEvent, type TicketSnapshot } from './ticket.machine.js';

/** Said with an accepted event, e.g. that its new deadline falls on a rest day. Nothing is moved. */
export interface DeadlineWarning {
  code: 'deadline.rest_day';
  field: string;
  day: string;
  nextWorkingDay: string;
  message: string;
}

/** The warning for a new deadline day that is not a working day; null on a working day. */
export function restDayWarning(calendar: WorkingCalendar, day: string, field: string): DeadlineWarning | null {
  const rest = restDayDeadline(calendar, day);
  if (!rest) return null;
  return {
    code: 'deadline.rest_day',
    field,
    day,
    nextWorkingDay: rest.nextWorkingDay,
    message: `${day} 是休息日，期限仍按该日结束计算；如需顺延，下一个工作日是 ${rest.nextWorkingDay}。`,
  };
}

/**
 * An event as a sender gives it (ESCALATE comes from the sweep only): any event's fields, checked
 * against its own event's schema in the registry before anything reads them. `attachmentIds`: uploaded
 * evidence files (POST /api/attachments); the audit event records each file's name, size and SHA-256.
 */
export type TicketEventInput = { type: TicketEventType; expectedVersion?: number } & TicketEventFields;

const refusalMessages = {
  not_allowed_in_state: (type: string, state: string) => `工单当前状态（${state}）不接受 ${type}。`,
  forbidden: (type: string) => `您无权对此工单执行 ${type}（整改由责任单位办理；核验、退回、撤销、延期和转办须由非本单位的监管人员办理，且不得转办给本单位）。`,
  invalid_payload: (type: string) => `${type} 的内容不完整。`,
  limit_reached: () => '已达到最高督办级别。',
  extension_pending: () => '本工单已有一项延期申请待审核，审核前不能再次申请。',
  extension_limit: (max: number) => `本工单已获同意延期${max}次，已达上限，不能再申请延期。`,
  no_extension_request: () => '本工单没有待审核的延期申请。',
};

export interface TicketWorkflowDeps {
  db: Db;
  tickets: TicketsRepository;
  events: Pick<TicketEventsRepository, 'persist' | 'listForTicket'>;
  notifications: Pick<NotificationsRepository, 'listForTicket'>;
  units: Pick<UnitsRepository, 'findByCode'>;
  notifier: TicketNotifier;
  attachments: Pick<AttachmentsService, 'reference'>;
  now: () => Date;
}

export type EventSender = { kind: 'user'; viewer: Viewer } | { kind: 'system' };

/** The fields of the event's schema in the registry: no other field, each required one given and, if text, not blank. */
function validatePayload(input: TicketEventInput): FieldError[] {
  const { properties, required = [] } = ticketEventRegistry[input.type].body;
  const allowed = new Set<string>(['type', 'expectedVersion', ...Object.keys(properties)]);
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined && !allowed.has(key)) errors.push({ field: key, message: `${input.type} 不接受字段 ${key}` });
  }
  for (const key of required as (keyof TicketEventInput)[]) {
    const value = input[key];
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) errors.push({ field: key, message: `${input.type} 必须填写 ${key}` });
  }
  return errors;
}

/** The machine's view of a stored ticket (a full view, or the narrower one an escalation reads). */
function snapshotOf(ticket: SweepView): TicketSnapshot {
  return {
    state: ticket.state,
    context: {
      unitId: ticket.unitId,
      dueAt: ticket.dueAt.toISOString(),
      escalationLevel: ticket.escalationLevel,
      maxLevel: ticket.inspection.policy.maxLevel,
      rejections: ticket.rejections,
      extensionRequest: ticket.extensionRequest ?? null,
      extensionsGranted: ticket.extensionsGranted,
      maxExtensions: ticket.inspection.policy.maxExtensions,
    },
  };
}

// A real calendar day: 2021-02-30 does not survive the round trip.
function isDay(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return /^[1-9]\d{3}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** A date (the end of that day in Shanghai) or an instant; an invalid date for a day that does not exist (2030-02-30). */
function toDueAt(text: string): Date {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!day) return new Date(text);
  const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
  const probe = new Date(Date.UTC(year, month - 1, date));
  const exists = year >= 1 && probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === date;
  return exists ? endOfShanghaiDay(text) : new Date(Number.NaN);
}

type Accepted = Extract<ReturnType<typeof decide>, { ok: true }>;
type Refused = Extract<ReturnType<typeof decide>, { ok: false }>;

function refusalOf(decision: Refused, type: TicketEventType, before: SweepView): AppError {
  const extra = { state: before.state, version: before.version, allowedEvents: decision.allowedEvents };
  if (decision.reason === 'forbidden') return forbidden('tickets.forbidden', refusalMessages.forbidden(type), { extra });
  if (decision.reason === 'invalid_payload') return unprocessable('tickets.invalid_payload', refusalMessages.invalid_payload(type), { extra });
  if (decision.reason === 'extension_pending') return conflict('tickets.extension_pending', refusalMessages.extension_pending(), { extra });
  if (decision.reason === 'extension_limit') {
    return conflict('tickets.extension_limit', refusalMessages.extension_limit(before.inspection.policy.maxExtensions), { extra });
  }
  if (decision.reason === 'no_extension_request') return conflict('tickets.no_extension_request', refusalMessages.no_extension_request(), { extra });
  const message = decision.reason === 'limit_reached' ? refusalMessages.limit_reached() : refusalMessages.not_allowed_in_state(type, before.state);
  return conflict(decision.reason === 'limit_reached' ? 'tickets.escalation_limit' : 'tickets.transition_not_allowed', message, { extra });
}

/** What an accepted event writes: the ticket's new values, the audit payload, and the email it queues, if any. */
function changeOf({
  before,
  input,
  decision,
  at,
  newUnit,
  dueProvisional,
}: {
  before: SweepView;
  input: TicketEventInput;
  decision: Accepted;
  at: Date;
  newUnit: { code: string; name: string } | undefined;
  /** Whether a due time this event computed rests on an unpublished year. */
  dueProvisional?: boolean;
}) {
  const toState = decision.state as TicketState;
  const values: TransitionValues = {
    state: toState,
    version: before.version + 1,
    updatedAt: at,
    unitId: decision.context.unitId,
    dueAt: new Date(decision.context.dueAt),
    escalationLevel: decision.context.escalationLevel,
    rejections: decision.context.rejections,
    // The sweep recomputes the exact moment; "now" makes it look at the ticket on its next pass.
    nextActionAt: isFinalState(toState) ? null : at,
  };
  if (toState === 'acknowledged' && before.state === 'issued') values.acknowledgedAt = at;
  if (toState === 'rectified') values.rectifiedAt = at;
  if (isFinalState(toState)) values.closedAt = at;
  if (input.type === 'EXTEND_DEADLINE') values.dueProvisional = false;
  if (dueProvisional !== undefined && values.dueAt.getTime() !== before.dueAt.getTime()) values.dueProvisional = dueProvisional;
  if (JSON.stringify(decision.context.extensionRequest) !== JSON.stringify(before.extensionRequest ?? null)) values.extensionRequest = decision.context.extensionRequest;
  if (decision.context.extensionsGranted !== before.extensionsGranted) values.extensionsGranted = decision.context.extensionsGranted;
  const dueMoved = values.dueAt.getTime() !== before.dueAt.getTime();

  const { type: _t, expectedVersion: _v, ...payload } = input;
  const spec: TicketEventSpec = ticketEventRegistry[input.type];
  const recorded: Record<string, unknown> = { ...payload };
  if (spec.audit.due === 'always' || (spec.audit.due === 'when_moved' && dueMoved)) Object.assign(recorded, { dueAt: decision.context.dueAt, previousDueAt: before.dueAt.toISOString() });
  if (spec.audit.requestedUntil && before.extensionRequest) Object.assign(recorded, { requestedUntil: before.extensionRequest.until });
  if (spec.audit.unitChange && newUnit) Object.assign(recorded, { fromUnitCode: before.unitCode, toUnitCode: newUnit.code });
  if (spec.audit.level) Object.assign(recorded, { level: decision.context.escalationLevel });

  const kind = spec.notification;
  const requestedUntil = input.type === 'REQUEST_EXTENSION' ? input.until : input.type === 'APPROVE_EXTENSION' ? before.extensionRequest?.until : undefined;
  const details: TicketMailDetails = {
    ...(input.comment ? { comment: input.comment } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.feedback ? { feedback: input.feedback } : {}),
    ...(input.evidence ? { evidence: input.evidence } : {}),
    ...(input.type === 'EXTEND_DEADLINE' || input.type === 'APPROVE_EXTENSION' ? { previousDueAt: before.dueAt } : {}),
    ...(newUnit ? { previousUnitName: before.unitName, newUnitName: newUnit.name } : {}),
    ...(input.type === 'ESCALATE' ? { level: decision.context.escalationLevel } : {}),
    ...(requestedUntil ? { requestedUntil } : {}),
  };
  const mails: { kind: NotificationKind; details: TicketMailDetails; unitId?: number }[] = kind ? [{ kind, details }] : [];
  // The unit that had a reassigned ticket is told it need not report on it.
  if (spec.previousUnitNotification && newUnit) mails.push({ kind: spec.previousUnitNotification, details, unitId: before.unitId });
  return { toState, values, recorded, at, mail: mails[0], mails };
}

/** Load → decide (the pure machine) → persist ticket, audit event and notifications in one transaction. */
export function createTicketWorkflow({ db, tickets, events, notifications, units, notifier, attachments, now }: TicketWorkflowDeps) {
  function actorOf(sender: EventSender): { actor: TicketActor; userId: number | null; name: string } {
    return sender.kind === 'system'
      ? { actor: { role: 'system', unitId: null }, userId: null, name: 'system' }
      : { actor: { role: sender.viewer.role, unitId: sender.viewer.unitId }, userId: sender.viewer.userId, name: sender.viewer.username };
  }

  /**
   * `collect`: the emails are handed to the caller instead of queued (the sweep, which sends one
   * email per unit and step, at the highest level a ticket reached).
   */
  async function applyWithin(
    {
      ticketId,
      sender,
      input,
      warnings,
      collect,
    }: { ticketId: number; sender: EventSender; input: TicketEventInput; warnings?: DeadlineWarning[]; collect?: QueueTicketMail[] },
    tx: Db,
  ): Promise<TicketView> {
    const payloadErrors = validatePayload(input);
    if (payloadErrors.length > 0) {
      throw new AppError({ status: 400, code: 'tickets.invalid_payload', title: '请求内容不符合要求', detail: payloadErrors.map((e) => e.message).join('；'), errors: payloadErrors });
    }
    const viewer = sender.kind === 'user' ? sender.viewer : undefined;
    const before = await tickets.lockView({ id: ticketId, viewer }, tx);
    if (!before) throw notFound('tickets.not_found', `工单 ${ticketId} 不存在。`);

    const { actor, userId, name } = actorOf(sender);
    const current = snapshotOf(before);
    if (input.expectedVersion !== undefined && input.expectedVersion !== before.version) {
      throw conflict('tickets.version_conflict', `工单已被他人更新（当前版本 ${before.version}，请求版本 ${input.expectedVersion}），请刷新后重试。`, {
        extra: { state: before.state, version: before.version, allowedEvents: allowedEvents(current, actor) },
      });
    }

    let event: TicketMachineEvent;
    let newUnit: { id: number; code: string; name: string } | undefined;
    // What the payload names (a future due time, a unit in scope) is checked after the state and the
    // permission: a closed ticket answers 409 and a sender who may not send the event 403, whatever it
    // names. Until then the machine sees a stand-in that passes, as `allowedEvents` does.
    let payloadProblem: AppError | undefined;
    let dueProvisional: boolean | undefined;
    const said: DeadlineWarning[] = [];
    const at = now();
    // Read inside the transaction (on PGlite the outer handle would wait for it), only by events that compute a date.
    let calendar: WorkingCalendar | undefined;
    const calendarNow = async () => (calendar ??= await loadWorkingCalendar(tx));
    const policy = before.inspection.policy;
    const dayProblem = (field: string, value: string | undefined, message: string) =>
      unprocessable(`tickets.invalid_${field === 'dueAt' ? 'due_at' : field}`, `${message}。`, { errors: [{ field, value, message }] });
    switch (input.type) {
      case 'SUBMIT_RECTIFICATION':
        event = { type: input.type, actor, feedback: input.feedback ?? '', evidence: input.evidence ?? [], ...(input.rectifiedOn ? { rectifiedOn: input.rectifiedOn } : {}) };
        break;
      case 'REJECT': {
        const due = reworkDueAt(await calendarNow(), at, before.dueAt, policy.reworkWorkingDays);
        dueProvisional = due.provisional;
        event = { type: input.type, actor, reason: input.reason ?? '', dueAt: due.value.toISOString() };
        break;
      }
      case 'WITHDRAW':
      case 'REFUSE_EXTENSION':
        event = { type: input.type, actor, reason: input.reason ?? '' };
        break;
      case 'EXTEND_DEADLINE': {
        const dueAt = toDueAt(input.dueAt ?? '');
        const future = !Number.isNaN(dueAt.getTime()) && dueAt.getTime() > at.getTime();
        if (!future) payloadProblem = dayProblem('dueAt', input.dueAt, '新的期限必须是将来的日期');
        else said.push(...[restDayWarning(await calendarNow(), shanghaiDay(dueAt), 'dueAt')].filter((w) => w !== null));
        event = { type: input.type, actor, reason: input.reason ?? '', dueAt: future ? dueAt.toISOString() : current.context.dueAt };
        break;
      }
      case 'REQUEST_EXTENSION': {
        const until = input.until ?? '';
        // A day after the current due day: asking for the same or an earlier day asks for nothing.
        if (!isDay(until) || until <= shanghaiDay(before.dueAt)) payloadProblem = dayProblem('until', input.until, '申请延期的日期必须晚于当前反馈期限');
        event = { type: input.type, actor, reason: input.reason ?? '', until: payloadProblem ? current.context.dueAt.slice(0, 10) : until, requestedAt: at.toISOString() };
        break;
      }
      case 'APPROVE_EXTENSION': {
        const requested = before.extensionRequest?.until;
        const until = input.until ?? requested ?? '';
        const dueAt = isDay(until) ? endOfShanghaiDay(until) : undefined;
        if (!dueAt || dueAt.getTime() <= at.getTime()) payloadProblem = dayProblem('until', input.until, '同意延期的日期必须是将来的日期');
        else if (requested && until > requested) payloadProblem = dayProblem('until', input.until, `同意延期的日期不能晚于申请的日期 ${requested}`);
        else said.push(...[restDayWarning(await calendarNow(), until, 'until')].filter((w) => w !== null));
        event = { type: input.type, actor, dueAt: !payloadProblem && dueAt ? dueAt.toISOString() : current.context.dueAt, ...(input.comment ? { comment: input.comment } : {}) };
        break;
      }
      case 'REASSIGN': {
        const unit = await units.findByCode({ code: input.unitCode ?? '', ...(viewer ? { viewer } : {}) }, tx);
        if (!unit) {
          payloadProblem = unprocessable('tickets.unit_not_found', `单位 ${input.unitCode} 不存在或不在您的管辖范围内。`, {
            errors: [{ field: 'unitCode', value: input.unitCode, message: '单位不存在或不在管辖范围内' }],
          });
        }
        newUnit = unit;
        const due = reworkDueAt(await calendarNow(), at, before.dueAt, policy.reworkWorkingDays);
        dueProvisional = due.provisional;
        event = { type: input.type, actor, reason: input.reason ?? '', unitId: unit?.id ?? -1, dueAt: due.value.toISOString() };
        break;
      }
      case 'ACKNOWLEDGE':
      case 'VERIFY':
        event = { type: input.type, actor, ...(input.comment ? { comment: input.comment } : {}) };
        break;
      case 'ESCALATE':
        event = { type: input.type, actor };
        break;
    }

    const decision = decide(current, event);
    if (!decision.ok) throw decision.reason === 'invalid_payload' && payloadProblem ? payloadProblem : refusalOf(decision, input.type, before);
    if (payloadProblem) throw payloadProblem;

    const change = changeOf({ before, input, decision, at, newUnit, ...(dueProvisional !== undefined ? { dueProvisional } : {}) });
    if (input.attachmentIds?.length && viewer) {
      // The event records what each file is (name, size, SHA-256), so the hash chain covers the files themselves.
      const files = await attachments.reference({ ids: input.attachmentIds, viewer, owner: { ticketId }, at: change.at }, tx);
      delete change.recorded.attachmentIds;
      change.recorded.attachments = files;
      if (change.mail) change.mail.details.evidence = [...(input.evidence ?? []), ...files.map((f) => `${f.name}（附件）`)];
    }
    // The ticket's new values, its tail and the event in one statement, chained to the tail read with the lock.
    const [appended] = await events.persist(
      {
        changes: [{ ticketId, type: input.type, fromState: before.state, toState: change.toState, actorUserId: userId, actor: name, at: change.at, payload: change.recorded }],
        transition: { tail: { seq: before.auditSeq, hash: before.auditHash }, values: change.values },
      },
      tx,
    );
    if (!appended) throw new Error(`the event of ticket ${ticketId} was not written`);

    // No event changes the inspection, target, finding or problems: only a new unit needs the view read again.
    const reread = change.values.unitId === before.unitId ? { ...before, ...change.values } : await tickets.findView({ id: ticketId }, tx);
    if (!reread) throw new Error(`ticket ${ticketId} vanished inside its own transaction`);
    const after = { ...reread, auditSeq: appended.seq, auditHash: appended.hash };
    const mails: QueueTicketMail[] = change.mails.map((mail) => ({ kind: mail.kind, ticket: after, eventId: appended.id, details: mail.details, ...(mail.unitId !== undefined ? { unitId: mail.unitId } : {}) }));
    if (collect) collect.push(...mails);
    else await notifier.queueMany({ mails }, tx);
    warnings?.push(...said);
    return after;
  }

  return {
    /** A ticket with its audit trail, its emails and what the viewer may do next; undefined when out of scope. */
    async detail({ ticketId, viewer }: { ticketId: number; viewer: Viewer }) {
      const ticket = await tickets.findView({ id: ticketId, viewer });
      if (!ticket) return undefined;
      const [trail, mails] = await Promise.all([events.listForTicket({ ticketId }), notifications.listForTicket({ ticketId })]);
      return { ticket, events: trail, notifications: mails, allowedEvents: allowedEvents(snapshotOf(ticket), { role: viewer.role, unitId: viewer.unitId }) };
    },

    /** Applies one event in its own transaction. */
    async apply(args: { ticketId: number; sender: EventSender; input: TicketEventInput; warnings?: DeadlineWarning[] }): Promise<TicketView> {
      return db.transaction((tx) => applyWithin(args, tx));
    },
    /** For callers that already hold a transaction (the sweep). */
    applyWithin,

    /**
     * ESCALATE by the system on many tickets, in multi-row statements: what `applyWithin` writes
     * for each (ticket update, chained audit rows, escalation emails), with a handful of queries for
     * the lot instead of a dozen per ticket. `levels` (default 1) is how many levels each ticket
     * takes now, one ESCALATE event and one email per level, in order; the ticket is updated once,
     * to where its last level leaves it. The caller holds the tickets' row locks (the sweep claims
     * them FOR UPDATE). All or nothing: the first refusal throws. `nextActionAt` gives, for some
     * tickets, the moment the caller has worked out for its next look; it is written with the
     * escalation instead of "now" and a second update. Reads and returns only what an escalation
     * and its email need of each ticket (SweepView).
     */
    async escalateLocked(
      {
        ticketIds,
        levels,
        nextActionAt,
        collect,
      }: { ticketIds: number[]; levels?: ReadonlyMap<number, number>; nextActionAt?: ReadonlyMap<number, Date | null>; collect?: QueueTicketMail[] },
      tx: Db,
    ): Promise<SweepView[]> {
      if (ticketIds.length === 0) return [];
      const input: TicketEventInput = { type: 'ESCALATE' };
      const { actor, userId, name } = actorOf({ kind: 'system' });
      const befores = await tickets.findSweepViews({ ids: ticketIds }, tx);
      if (befores.length !== new Set(ticketIds).size) throw new Error('escalateLocked: a ticket to escalate does not exist');
      const at = now();
      // The machine decides once for each state and level among the batch's tickets, not once per ticket.
      const decideEscalate = decider({ type: 'ESCALATE', actor });
      // Each level decided on the ticket as the level before left it; each step's `after` is new
      // here, so it is completed in place (next look, tail) rather than copied again.
      const steps: { before: SweepView; after: SweepView; change: ReturnType<typeof changeOf> }[] = [];
      const values = new Map<number, TicketChange>();
      const lasts: SweepView[] = [];
      for (const first of befores) {
        let before = first;
        let last: (typeof steps)[number] | undefined;
        for (let level = 0; level < (levels?.get(first.id) ?? 1); level += 1) {
          const decision = decideEscalate(snapshotOf(before));
          if (!decision.ok) throw refusalOf(decision, 'ESCALATE', before);
          const change = changeOf({ before, input, decision, at, newUnit: undefined });
          const { values: v } = change;
          // An escalation sets only the TicketChange columns (persist refuses any other); set as
          // named fields, the copy keeps the view's shape instead of growing by `updatedAt`.
          const after: SweepView = { ...before, state: v.state, version: v.version, unitId: v.unitId, dueAt: v.dueAt, escalationLevel: v.escalationLevel, rejections: v.rejections, nextActionAt: v.nextActionAt };
          last = { before, after, change };
          steps.push(last);
          before = last.after;
        }
        const next = nextActionAt?.get(first.id);
        if (last && next !== undefined) {
          last.change.values.nextActionAt = next;
          last.after.nextActionAt = next;
        }
        if (last) values.set(first.id, last.change.values);
        lasts.push(last?.after ?? first);
      }
      const appended = await events.persist(
        {
          changes: steps.map(({ before, change }) => ({ ticketId: before.id, type: 'ESCALATE', fromState: before.state, toState: change.toState, actorUserId: userId, actor: name, at, payload: change.recorded })),
          // Read with the tickets' views under the caller's locks: the chain need not read them again.
          tails: new Map(befores.map((b) => [b.id, { seq: b.auditSeq, hash: b.auditHash }])),
          // Each ticket's new values go with its new tail: one update of the row, not two.
          values,
        },
        tx,
      );
      // ESCALATE writes only the TicketChange columns, all of them in `values`, and the trail's tail.
      const mails: QueueTicketMail[] = [];
      steps.forEach(({ after, change }, index) => {
        const event = appended[index];
        if (event) {
          after.auditSeq = event.seq;
          after.auditHash = event.hash;
        }
        if (change.mail) mails.push({ kind: change.mail.kind, ticket: after, eventId: event?.id ?? null, details: change.mail.details });
      });
      if (collect) collect.push(...mails);
      else await notifier.queueMany({ mails }, tx);
      return lasts;
    },
  };
}

export type TicketWorkflow = ReturnType<typeof createTicketWorkflow>;
