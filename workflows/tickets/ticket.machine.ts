import { and, assign, createActor, setup } from 'xstate';
import { ticketEventRegistry, ticketEventTypes, type MachineEventOf, type SenderGuard, type TicketCondition, type TicketEventType } from './ticket-events.registry.js';

/**
 * The ticket workflow of the SPEC. Pure: imports only xstate and the event registry; no I/O, no timers.
 * Deadlines arrive as ESCALATE events sent by the sweep.
 */

export type TicketStateValue = 'issued' | 'acknowledged' | 'rectified' | 'verified' | 'withdrawn';
export type ActorRole = 'admin' | 'supervisor' | 'officer' | 'system';

/** Who sends the event. Scope (the ticket lies in the actor's subtree) is checked by the caller before. */
export interface TicketActor {
  role: ActorRole;
  unitId: number | null;
}

/** A unit's pending 申请延期. */
export interface ExtensionRequestValue {
  /** 'YYYY-MM-DD': the unit asks for the end of that day. */
  until: string;
  reason: string;
  /** ISO-8601 instant. */
  requestedAt: string;
}

export interface TicketContext {
  unitId: number;
  /** ISO-8601 instant. */
  dueAt: string;
  escalationLevel: number;
  maxLevel: number;
  rejections: number;
  extensionRequest: ExtensionRequestValue | null;
  extensionsGranted: number;
  maxExtensions: number;
}

interface Sent {
  actor: TicketActor;
}

/** The events the machine decides, derived from the registry (workflows/ticket-events.registry.ts). */
export type TicketMachineEvent = { [K in TicketEventType]: MachineEventOf<K, Sent> }[TicketEventType];

export { ticketEventTypes, type TicketCondition, type TicketEventType };

/** Whether `actor` may send an event of `type`: the permission and the ticket's conditions, before any payload. */
interface Asked {
  type: TicketEventType;
  actor: TicketActor;
  /** REASSIGN: the unit the ticket would go to, once known. */
  unitId?: number;
}
type GuardArgs = { context: TicketContext; event: TicketMachineEvent };
type AskedArgs = { context: TicketContext; event: Asked };

const filled = (text: unknown) => typeof text === 'string' && text.trim().length > 0;
const supervises = (actor: TicketActor) => actor.role === 'supervisor' || actor.role === 'admin';

/** Who may send what: each event names its guard in the registry (`sender`). */
const permissionGuards = {
  isResponsibleOfficer: ({ context, event }: AskedArgs) => event.actor.role === 'officer' && event.actor.unitId === context.unitId,
  // Separation of duties, for every supervisor decision: nobody decides on a ticket of their own unit.
  isIndependentSupervisor: ({ context, event }: AskedArgs) => supervises(event.actor) && event.actor.unitId !== context.unitId,
  // ...nor hands it to their own unit, where a colleague could then decide on it.
  isIndependentOfBothUnits: ({ context, event }: AskedArgs) =>
    supervises(event.actor) && event.actor.unitId !== context.unitId && !(event.type === 'REASSIGN' && event.unitId === event.actor.unitId),
  isSystem: ({ event }: AskedArgs) => event.actor.role === 'system',
} satisfies Record<SenderGuard, (args: AskedArgs) => boolean>;

/** What the event must carry. */
const payloadGuards = {
  hasFeedback: ({ event }: GuardArgs) => event.type === 'SUBMIT_RECTIFICATION' && filled(event.feedback),
  hasReason: ({ event }: GuardArgs) => 'reason' in event && filled(event.reason),
  hasValidDueAt: ({ event }: GuardArgs) => 'dueAt' in event && !Number.isNaN(Date.parse(event.dueAt)),
  hasUntil: ({ event }: GuardArgs) => event.type === 'REQUEST_EXTENSION' && /^\d{4}-\d{2}-\d{2}$/.test(event.until),
  isOtherUnit: ({ context, event }: GuardArgs) => event.type === 'REASSIGN' && event.unitId !== context.unitId,
};

/** What the ticket must be like for the event, whoever sends it; each event lists its own in the registry (`conditions`). */
const conditionGuards = {
  noPendingExtension: ({ context }: AskedArgs) => context.extensionRequest === null,
  belowMaxExtensions: ({ context }: AskedArgs) => context.extensionsGranted < context.maxExtensions,
  hasPendingExtension: ({ context }: AskedArgs) => context.extensionRequest !== null,
  belowMaxLevel: ({ context }: AskedArgs) => context.escalationLevel < context.maxLevel,
} satisfies Record<TicketCondition, (args: AskedArgs) => boolean>;

/** The registry's guards for `type` (who sends it, what the ticket allows), then the payload guards of the transition. */
type GuardName = SenderGuard | TicketCondition | keyof typeof payloadGuards;
const guardOf = (type: TicketEventType, ...payload: (keyof typeof payloadGuards)[]) => {
  const names: GuardName[] = [ticketEventRegistry[type].sender, ...ticketEventRegistry[type].conditions, ...payload];
  return and(names);
};

const machineSetup = setup({
  types: {
    context: {} as TicketContext,
    events: {} as TicketMachineEvent,
    input: {} as TicketContext,
  },
  guards: { ...permissionGuards, ...payloadGuards, ...conditionGuards },
  actions: {
    // A rejection gives a fair period: never earlier than the current due time, escalation from level 0.
    reject: assign(({ context, event }) =>
      event.type === 'REJECT' ? { rejections: context.rejections + 1, dueAt: later(context.dueAt, event.dueAt), escalationLevel: 0 } : {},
    ),
    raiseLevel: assign({ escalationLevel: ({ context }) => context.escalationLevel + 1 }),
    // A new deadline is a fresh start: escalation begins again from level 0.
    moveDeadline: assign(({ event }) => (event.type === 'EXTEND_DEADLINE' ? { dueAt: new Date(event.dueAt).toISOString(), escalationLevel: 0 } : {})),
    // The new unit gets its own fair period and starts from level 0; the old unit's request lapses.
    moveToUnit: assign(({ context, event }) =>
      event.type === 'REASSIGN' ? { unitId: event.unitId, dueAt: later(context.dueAt, event.dueAt), escalationLevel: 0, extensionRequest: null } : {},
    ),
    recordExtensionRequest: assign(({ event }) =>
      event.type === 'REQUEST_EXTENSION' ? { extensionRequest: { until: event.until, reason: event.reason, requestedAt: event.requestedAt } } : {},
    ),
    grantExtension: assign(({ context, event }) =>
      event.type === 'APPROVE_EXTENSION'
        ? { dueAt: new Date(event.dueAt).toISOString(), escalationLevel: 0, extensionRequest: null, extensionsGranted: context.extensionsGranted + 1 }
        : {},
    ),
    clearExtensionRequest: assign({ extensionRequest: null }),
  },
});

function later(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? new Date(b).toISOString() : new Date(a).toISOString();
}

/** Events every open (non-final) state accepts. */
const whileOpen = {
  WITHDRAW: { target: 'withdrawn', guard: guardOf('WITHDRAW', 'hasReason') },
  EXTEND_DEADLINE: { guard: guardOf('EXTEND_DEADLINE', 'hasReason', 'hasValidDueAt'), actions: 'moveDeadline' },
  REASSIGN: { target: 'issued', reenter: true, guard: guardOf('REASSIGN', 'hasReason', 'isOtherUnit', 'hasValidDueAt'), actions: 'moveToUnit' },
} as const;

const escalate = { guard: guardOf('ESCALATE'), actions: 'raiseLevel' } as const;

/** 申请延期 and its answer, while the unit still has the work to do. The clock keeps running meanwhile. */
const extensions = {
  REQUEST_EXTENSION: { guard: guardOf('REQUEST_EXTENSION', 'hasReason', 'hasUntil'), actions: 'recordExtensionRequest' },
  APPROVE_EXTENSION: { guard: guardOf('APPROVE_EXTENSION', 'hasValidDueAt'), actions: 'grantExtension' },
  REFUSE_EXTENSION: { guard: guardOf('REFUSE_EXTENSION', 'hasReason'), actions: 'clearExtensionRequest' },
} as const;

export const ticketMachine = machineSetup.createMachine({
  id: 'ticket',
  initial: 'issued',
  context: ({ input }) => input,
  states: {
    issued: {
      on: {
        ...whileOpen,
        ...extensions,
        ACKNOWLEDGE: { target: 'acknowledged', guard: guardOf('ACKNOWLEDGE') },
        ESCALATE: escalate,
      },
    },
    acknowledged: {
      on: {
        ...whileOpen,
        ...extensions,
        // A submission answers the work itself: a pending extension request lapses.
        SUBMIT_RECTIFICATION: { target: 'rectified', guard: guardOf('SUBMIT_RECTIFICATION', 'hasFeedback'), actions: 'clearExtensionRequest' },
        ESCALATE: escalate,
      },
    },
    rectified: {
      on: {
        ...whileOpen,
        VERIFY: { target: 'verified', guard: guardOf('VERIFY') },
        REJECT: { target: 'acknowledged', guard: guardOf('REJECT', 'hasReason', 'hasValidDueAt'), actions: 'reject' },
      },
    },
    verified: { type: 'final' },
    withdrawn: { type: 'final' },
  },
});

export interface TicketSnapshot {
  state: TicketStateValue;
  context: TicketContext;
}

export type Decision =
  | { ok: true; state: TicketStateValue; context: TicketContext }
  | {
      ok: false;
      reason: 'not_allowed_in_state' | 'forbidden' | 'invalid_payload' | 'limit_reached' | 'extension_pending' | 'extension_limit' | 'no_extension_request';
      allowedEvents: TicketEventType[];
    };

const conditionRefusals: Record<TicketCondition, 'extension_pending' | 'extension_limit' | 'no_extension_request' | 'limit_reached'> = {
  noPendingExtension: 'extension_pending',
  belowMaxExtensions: 'extension_limit',
  hasPendingExtension: 'no_extension_request',
  belowMaxLevel: 'limit_reached',
};

const restore = ({ state, context }: TicketSnapshot) => ticketMachine.resolveState({ value: state, context });

/**
 * xstate's pure `transition()` makes a new inert actor scope for every call, and making its actor
 * works out the machine's initial state: half of a decision's work. The machine only assigns (it
 * spawns, invokes, delays, raises, sends, emits and executes nothing), so the scope is never written
 * to and one, made the way `transition()` makes its own, serves every decision.
 */
type InertScope = Parameters<typeof ticketMachine.transition>[2];
let inertScope: InertScope | undefined;
function inert(): InertScope {
  if (!inertScope) {
    // The scope's own actor is never started: any context serves for the initial state it works out.
    const input: TicketContext = { unitId: 0, dueAt: new Date(0).toISOString(), escalationLevel: 0, maxLevel: 0, rejections: 0, extensionRequest: null, extensionsGranted: 0, maxExtensions: 0 };
    const self = createActor(ticketMachine, { input });
    const nothing = () => {};
    inertScope = { self, id: '', sessionId: '', system: self.system, logger: nothing, defer: nothing, emit: nothing, stopChild: nothing, actionExecutor: nothing };
  }
  return inertScope;
}

// What each state accepts, worked out once: every decision and every `allowedEvents` asks.
const handledIn = new Map(
  (Object.keys(ticketMachine.states) as TicketStateValue[]).map((state) => [state, ticketEventTypes.filter((type) => ticketMachine.states[state]?.on[type] !== undefined)]),
);

function eventsHandledIn(state: TicketStateValue): readonly TicketEventType[] {
  return handledIn.get(state) ?? [];
}

/** Whether the sender may send an event of this type to the ticket now, whatever it carries: the registry's permission and conditions. */
function permitted(type: TicketEventType, args: AskedArgs): boolean {
  return permissionGuards[ticketEventRegistry[type].sender](args);
}

function unmetCondition(type: TicketEventType, args: AskedArgs): TicketCondition | undefined {
  return ticketEventRegistry[type].conditions.find((condition: TicketCondition) => !conditionGuards[condition](args));
}

/** The events this actor may send to this ticket now: what the API's `allowedEvents` shows and what `decide` accepts (given a complete payload). */
export function allowedEvents(current: TicketSnapshot, actor: TicketActor): TicketEventType[] {
  return eventsHandledIn(current.state).filter((type) => {
    const args = { context: current.context, event: { type, actor } };
    return permitted(type, args) && unmetCondition(type, args) === undefined;
  });
}

/** Decides one event: the next state and context, or why it is refused (409 / 403 / 422 for the caller). */
export function decide(current: TicketSnapshot, event: TicketMachineEvent): Decision {
  const refuse = (reason: Exclude<Decision, { ok: true }>['reason']): Decision => ({
    ok: false,
    reason,
    allowedEvents: allowedEvents(current, event.actor),
  });
  if (!eventsHandledIn(current.state).includes(event.type)) return refuse('not_allowed_in_state');
  const args = { context: current.context, event };
  if (!permitted(event.type, args)) return refuse('forbidden');
  const unmet = unmetCondition(event.type, args);
  if (unmet) return refuse(conditionRefusals[unmet]);
  const snapshot = restore(current);
  if (!snapshot.can(event)) return refuse('invalid_payload');
  const next = ticketMachine.transition(snapshot, event, inert());
  return { ok: true, state: next.value as TicketStateValue, context: next.context };
}

/**
 * What the guards and actions of an event read or write of the context, for the events the machine
 * decides on their type and sender alone (no payload). Two tickets in the same state and alike in
 * these fields get the same decision, whatever else their contexts hold.
 */
const contextDecidedOn: Partial<Record<TicketEventType, readonly (keyof TicketContext)[]>> = {
  // isSystem reads the sender; belowMaxLevel reads both fields; raiseLevel reads and writes escalationLevel.
  ESCALATE: ['escalationLevel', 'maxLevel'],
};

/**
 * `decide` for one event sent to many tickets (the sweep's ESCALATE): the machine decides once per
 * state and distinct values of the fields the event is decided on, and each ticket gets that
 * decision on its own context. Refusals are decided ticket by ticket, as they name the ticket's
 * allowed events. Events not listed in `contextDecidedOn` are decided for every ticket.
 */
export function decider(event: TicketMachineEvent): (current: TicketSnapshot) => Decision {
  const fields = contextDecidedOn[event.type];
  if (!fields) return (current) => decide(current, event);
  const decided = new Map<string, Extract<Decision, { ok: true }>>();
  const keyOf = ({ state, context }: TicketSnapshot) => JSON.stringify([state, ...fields.map((field) => context[field])]);
  const decidedOn = (context: TicketContext) => Object.fromEntries(fields.map((field) => [field, context[field]])) as Partial<TicketContext>;
  return (current) => {
    const key = keyOf(current);
    const known = decided.get(key);
    if (known) return { ok: true, state: known.state, context: { ...current.context, ...decidedOn(known.context) } };
    const decision = decide(current, event);
    // Kept only when the machine changed nothing outside those fields, which the other tickets keep as their own.
    const untouched = decision.ok && (Object.keys(current.context) as (keyof TicketContext)[]).every((field) => fields.includes(field) || decision.context[field] === current.context[field]);
    if (decision.ok && untouched) decided.set(key, decision);
    return decision;
  };
}

/** The states nothing leaves: those the machine declares `type: 'final'`. */
export const finalStates: readonly TicketStateValue[] = (Object.keys(ticketMachine.states) as TicketStateValue[]).filter((state) => ticketMachine.states[state]?.type === 'final');

export const isFinalState = (state: string): boolean => (finalStates as readonly string[]).includes(state);
