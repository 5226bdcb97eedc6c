import type { Db } from '../db/client.js';
import type { Viewer } from '../db/repositories/scope.js';
import type { NotificationsRepository } from '../db/repositories/notifications.repository.js';
import type { TicketEventsRepository } from '../db/repositories/ticket-events.repository.js';
import type { TicketChange, TicketsRepository, TicketView } from '../db/repositories/tickets.repository.js';
import type { UnitsRepository } from '../db/repositories/units.repository.js';
import type { NewTicket, NotificationKind, TicketState } from '../db/schema/index.js';
import type { QueueTicketMail, TicketNotifier } from '../notifications/ticket-notifier.js';
import type { TicketMailDetails } from '../notifications/templates/ticket-mail.js';
import { AppError, conflict, forbidden, notFound, unprocessable, type FieldError } from '../server/errors.js';
import { endOfShanghaiDay } from './calendar.js';
import { allowedEvents, decide, type TicketActor, type TicketEventType, type TicketMachineEvent, type TicketSnapshot } from './ticket.machine.js';

/** An event as a person sends it over the API (ESCALATE comes from the sweep only). */
export interface TicketEventInput {
  type: TicketEventType;
  expectedVersion?: number;
  comment?: string;
  feedback?: string;
  evidence?: string[];
  rectifiedOn?: string;
  reason?: string;
  dueAt?: string;
  unitCode?: string;
}

/** The payload fields each event takes; anything else is refused, naming the field. */
const fieldsOf: Record<TicketEventType, { required: (keyof TicketEventInput)[]; optional: (keyof TicketEventInput)[] }> = {
  ACKNOWLEDGE: { required: [], optional: ['comment'] },
  SUBMIT_RECTIFICATION: { required: ['feedback'], optional: ['evidence', 'rectifiedOn', 'comment'] },
  VERIFY: { required: [], optional: ['comment'] },
  REJECT: { required: ['reason'], optional: [] },
  WITHDRAW: { required: ['reason'], optional: [] },
  EXTEND_DEADLINE: { required: ['dueAt', 'reason'], optional: [] },
  REASSIGN: { required: ['unitCode', 'reason'], optional: [] },
  ESCALATE: { required: [], optional: [] },
};

// A submission reaches the supervising office in its daily 待核验 digest (the sweep), not one by one.
const notificationOf: Partial<Record<TicketEventType, NotificationKind>> = {
  REJECT: 'rejected',
  VERIFY: 'verified',
  WITHDRAW: 'withdrawn',
  EXTEND_DEADLINE: 'extended',
  REASSIGN: 'reassigned',
  ESCALATE: 'escalation',
};

const refusalMessages = {
  not_allowed_in_state: (type: string, state: string) => `工单当前状态（${state}）不接受 ${type}。`,
  forbidden: (type: string) => `您无权对此工单执行 ${type}（整改由责任单位办理；核验和退回须由非本单位的监管人员办理）。`,
  invalid_payload: (type: string) => `${type} 的内容不完整。`,
  limit_reached: () => '已达到最高督办级别。',
};

export interface TicketWorkflowDeps {
  db: Db;
  tickets: TicketsRepository;
  events: TicketEventsRepository;
  notifications: Pick<NotificationsRepository, 'listForTicket'>;
  units: Pick<UnitsRepository, 'findByCode'>;
  notifier: TicketNotifier;
  now: () => Date;
}

export type EventSender = { kind: 'user'; viewer: Viewer } | { kind: 'system' };

function validatePayload(input: TicketEventInput): FieldError[] {
  const spec = fieldsOf[input.type];
  const allowed = new Set<string>(['type', 'expectedVersion', ...spec.required, ...spec.optional]);
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined && !allowed.has(key)) errors.push({ field: key, message: `${input.type} 不接受字段 ${key}` });
  }
  for (const key of spec.required) {
    const value = input[key];
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) errors.push({ field: key, message: `${input.type} 必须填写 ${key}` });
  }
  return errors;
}

/** The machine's view of a stored ticket. */
function snapshotOf(ticket: TicketView): TicketSnapshot {
  return {
    state: ticket.state,
    context: {
      unitId: ticket.unitId,
      dueAt: ticket.dueAt.toISOString(),
      escalationLevel: ticket.escalationLevel,
      maxLevel: ticket.inspection.policy.maxLevel,
      rejections: ticket.rejections,
    },
  };
}

function toDueAt(text: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? endOfShanghaiDay(text) : new Date(text);
}

type Accepted = Extract<ReturnType<typeof decide>, { ok: true }>;
type Refused = Extract<ReturnType<typeof decide>, { ok: false }>;

function refusalOf(decision: Refused, type: TicketEventType, before: TicketView): AppError {
  const extra = { state: before.state, version: before.version, allowedEvents: decision.allowedEvents };
  if (decision.reason === 'forbidden') return forbidden('tickets.forbidden', refusalMessages.forbidden(type), { extra });
  if (decision.reason === 'invalid_payload') return unprocessable('tickets.invalid_payload', refusalMessages.invalid_payload(type), { extra });
  const message = decision.reason === 'limit_reached' ? refusalMessages.limit_reached() : refusalMessages.not_allowed_in_state(type, before.state);
  return conflict(decision.reason === 'limit_reached' ? 'tickets.escalation_limit' : 'tickets.transition_not_allowed', message, { extra });
}

/** What an accepted event writes: the ticket's new values, the audit payload, and the email it queues, if any. */
function changeOf({ before, input, decision, at, newUnit }: { before: TicketView; input: TicketEventInput; decision: Accepted; at: Date; newUnit: { code: string } | undefined }) {
  const toState = decision.state as TicketState;
  const values: TicketChange & Partial<NewTicket> = {
    state: toState,
    version: before.version + 1,
    updatedAt: at,
    unitId: decision.context.unitId,
    dueAt: new Date(decision.context.dueAt),
    escalationLevel: decision.context.escalationLevel,
    rejections: decision.context.rejections,
    // The sweep recomputes the exact moment; "now" makes it look at the ticket on its next pass.
    nextActionAt: toState === 'verified' || toState === 'withdrawn' ? null : at,
  };
  if (toState === 'acknowledged' && before.state === 'issued') values.acknowledgedAt = at;
  if (toState === 'rectified') values.rectifiedAt = at;
  if (toState === 'verified' || toState === 'withdrawn') values.closedAt = at;
  if (input.type === 'EXTEND_DEADLINE') values.dueProvisional = false;

  const { type: _t, expectedVersion: _v, ...payload } = input;
  const recorded: Record<string, unknown> = { ...payload };
  if (input.type === 'EXTEND_DEADLINE') Object.assign(recorded, { dueAt: decision.context.dueAt, previousDueAt: before.dueAt.toISOString() });
  if (newUnit) Object.assign(recorded, { fromUnitCode: before.unitCode, toUnitCode: newUnit.code });
  if (input.type === 'ESCALATE') Object.assign(recorded, { level: decision.context.escalationLevel });

  const kind = notificationOf[input.type];
  const details: TicketMailDetails = {
    ...(input.comment ? { comment: input.comment } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.feedback ? { feedback: input.feedback } : {}),
    ...(input.evidence ? { evidence: input.evidence } : {}),
    ...(input.type === 'EXTEND_DEADLINE' ? { previousDueAt: before.dueAt } : {}),
    ...(newUnit ? { previousUnitName: before.unitName } : {}),
    ...(input.type === 'ESCALATE' ? { level: decision.context.escalationLevel } : {}),
  };
  return { toState, values, recorded, at, mail: kind ? { kind, details } : undefined };
}

/** Load → decide (the pure machine) → persist ticket, audit event and notifications in one transaction. */
export function createTicketWorkflow({ db, tickets, events, notifications, units, notifier, now }: TicketWorkflowDeps) {
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
    tx: Db,
    { ticketId, sender, input, collect }: { ticketId: number; sender: EventSender; input: TicketEventInput; collect?: QueueTicketMail[] },
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
    switch (input.type) {
      case 'SUBMIT_RECTIFICATION':
        event = { type: input.type, actor, feedback: input.feedback ?? '', evidence: input.evidence ?? [], ...(input.rectifiedOn ? { rectifiedOn: input.rectifiedOn } : {}) };
        break;
      case 'REJECT':
      case 'WITHDRAW':
        event = { type: input.type, actor, reason: input.reason ?? '' };
        break;
      case 'EXTEND_DEADLINE': {
        const dueAt = toDueAt(input.dueAt ?? '');
        const future = !Number.isNaN(dueAt.getTime()) && dueAt.getTime() > now().getTime();
        if (!future) {
          payloadProblem = unprocessable('tickets.invalid_due_at', '新的期限必须是将来的日期。', { errors: [{ field: 'dueAt', value: input.dueAt, message: '新的期限必须是将来的日期' }] });
        }
        event = { type: input.type, actor, reason: input.reason ?? '', dueAt: future ? dueAt.toISOString() : current.context.dueAt };
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
        event = { type: input.type, actor, reason: input.reason ?? '', unitId: unit?.id ?? -1 };
        break;
      }
      default:
        event = { type: input.type, actor, ...(input.comment ? { comment: input.comment } : {}) };
    }

    const decision = decide(current, event);
    if (!decision.ok) throw decision.reason === 'invalid_payload' && payloadProblem ? payloadProblem : refusalOf(decision, input.type, before);
    if (payloadProblem) throw payloadProblem;

    const change = changeOf({ before, input, decision, at: now(), newUnit });
    const updated = await tickets.update({ id: ticketId, values: change.values }, tx);
    const appended = await events.append({ ticketId, type: input.type, fromState: before.state, toState: change.toState, actorUserId: userId, actor: name, at: change.at, payload: change.recorded }, tx);

    // No event changes the inspection, target, finding or problems: only a new unit needs the view read again.
    const after = updated.unitId === before.unitId ? { ...before, ...updated } : await tickets.findView({ id: ticketId }, tx);
    if (!after) throw new Error(`ticket ${ticketId} vanished inside its own transaction`);
    if (change.mail) {
      const mails: QueueTicketMail[] = [{ kind: change.mail.kind, ticket: after, eventId: appended.id, details: change.mail.details }];
      // The unit handing the ticket over is told it need not report any more.
      if (newUnit && before.unitId !== newUnit.id) {
        mails.push({ kind: 'reassigned_away', ticket: after, eventId: appended.id, details: { ...change.mail.details, newUnitName: newUnit.name }, formerUnitId: before.unitId });
      }
      if (collect) collect.push(...mails);
      else await notifier.queueMany(tx, mails);
    }
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
    async apply(args: { ticketId: number; sender: EventSender; input: TicketEventInput }): Promise<TicketView> {
      return db.transaction((tx) => applyWithin(tx, args));
    },
    /** For callers that already hold a transaction (the sweep). */
    applyWithin,

    /**
     * One ESCALATE by the system on each of many tickets, in multi-row statements: what
     * `applyWithin` writes for each (ticket update, chained audit row, escalation email), with a
     * handful of queries for the lot instead of a dozen per ticket. The caller holds the tickets'
     * row locks (the sweep claims them FOR UPDATE). All or nothing: the first refusal throws.
     * `nextActionAt` gives, for some tickets, the moment the caller has worked out for its next
     * look; it is written with the escalation instead of "now" and a second update.
     */
    async escalateLocked(
      tx: Db,
      { ticketIds, nextActionAt, collect }: { ticketIds: number[]; nextActionAt?: ReadonlyMap<number, Date | null>; collect?: QueueTicketMail[] },
    ): Promise<TicketView[]> {
      if (ticketIds.length === 0) return [];
      const input: TicketEventInput = { type: 'ESCALATE' };
      const { actor, userId, name } = actorOf({ kind: 'system' });
      const befores = await tickets.findViews({ ids: ticketIds }, tx);
      if (befores.length !== new Set(ticketIds).size) throw new Error('escalateLocked: a ticket to escalate does not exist');
      const at = now();
      const changes = befores.map((before) => {
        const decision = decide(snapshotOf(before), { type: 'ESCALATE', actor });
        if (!decision.ok) throw refusalOf(decision, 'ESCALATE', before);
        const change = changeOf({ before, input, decision, at, newUnit: undefined });
        const next = nextActionAt?.get(before.id);
        if (next !== undefined) change.values.nextActionAt = next;
        return { before, ...change };
      });
      await tickets.updateMany({ rows: changes.map(({ before, values }) => ({ id: before.id, values })) }, tx);
      const appended = await events.appendMany(
        changes.map(({ before, toState, recorded }) => ({ ticketId: before.id, type: 'ESCALATE', fromState: before.state, toState, actorUserId: userId, actor: name, at, payload: recorded })),
        tx,
      );
      const eventOf = new Map(appended.map((e) => [e.ticketId, e.id]));
      // ESCALATE writes only the TicketChange columns, all of them in `values`.
      const afters = changes.map(({ before, values, mail }) => ({ after: { ...before, ...values }, mail }));
      const mails = afters.flatMap(({ after, mail }) => (mail ? [{ kind: mail.kind, ticket: after, eventId: eventOf.get(after.id) ?? null, details: mail.details }] : []));
      if (collect) collect.push(...mails);
      else await notifier.queueMany(tx, mails);
      return afters.map(({ after }) => after);
    },
  };
}

export type TicketWorkflow = ReturnType<typeof createTicketWorkflow>;
