import { and, assign, setup, transition } from 'xstate';

/**
 * The ticket workflow of the SPEC. Pure: imports only xstate; no I/O, no timers.
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
export type TicketMachineEvent =
  | (Sent & { type: 'ACKNOWLEDGE'; comment?: string })
  | (Sent & { type: 'SUBMIT_RECTIFICATION'; feedback: string; evidence?: string[]; rectifiedOn?: string; comment?: string })
  | (Sent & { type: 'VERIFY'; comment?: string })
  /** `dueAt`: the fair period the workflow computed (policy.reworkWorkingDays after the rejection day). */
  | (Sent & { type: 'REJECT'; reason: string; dueAt: string })
  | (Sent & { type: 'WITHDRAW'; reason: string })
  | (Sent & { type: 'EXTEND_DEADLINE'; dueAt: string; reason: string })
  | (Sent & { type: 'REASSIGN'; unitId: number; reason: string; dueAt: string })
  | (Sent & { type: 'ESCALATE' })
  | (Sent & { type: 'REQUEST_EXTENSION'; until: string; reason: string; requestedAt: string })
  /** `dueAt`: the end of the granted day (the request's `until`, or an earlier one the office chose). */
  | (Sent & { type: 'APPROVE_EXTENSION'; dueAt: string; comment?: string })
  | (Sent & { type: 'REFUSE_EXTENSION'; reason: string });

export type TicketEventType = TicketMachineEvent['type'];

export const ticketEventTypes = [
  'ACKNOWLEDGE',
  'SUBMIT_RECTIFICATION',
  'VERIFY',
  'REJECT',
  'WITHDRAW',
  'EXTEND_DEADLINE',
  'REASSIGN',
  'ESCALATE',
  'REQUEST_EXTENSION',
  'APPROVE_EXTENSION',
  'REFUSE_EXTENSION',
] as const satisfies readonly TicketEventType[];

type GuardArgs = { context: TicketContext; event: TicketMachineEvent };

const filled = (text: unknown) => typeof text === 'string' && text.trim().length > 0;
const supervises = (actor: TicketActor) => actor.role === 'supervisor' || actor.role === 'admin';

/** Who may send what. */
const permissionGuards = {
  isResponsibleOfficer: ({ context, event }: GuardArgs) => event.actor.role === 'officer' && event.actor.unitId === context.unitId,
  isSupervisor: ({ event }: GuardArgs) => supervises(event.actor),
  // Separation of duties: nobody verifies or rejects a ticket of their own unit.
  isIndependentSupervisor: ({ context, event }: GuardArgs) => supervises(event.actor) && event.actor.unitId !== context.unitId,
  isSystem: ({ event }: GuardArgs) => event.actor.role === 'system',
};

/** What the event must carry, and what the ticket must allow. */
const payloadGuards = {
  hasFeedback: ({ event }: GuardArgs) => event.type === 'SUBMIT_RECTIFICATION' && filled(event.feedback),
  hasReason: ({ event }: GuardArgs) => 'reason' in event && filled(event.reason),
  hasValidDueAt: ({ event }: GuardArgs) =>
    (event.type === 'EXTEND_DEADLINE' || event.type === 'APPROVE_EXTENSION' || event.type === 'REJECT' || event.type === 'REASSIGN') &&
    !Number.isNaN(Date.parse(event.dueAt)),
  hasUntil: ({ event }: GuardArgs) => event.type === 'REQUEST_EXTENSION' && /^\d{4}-\d{2}-\d{2}$/.test(event.until),
  isOtherUnit: ({ context, event }: GuardArgs) => event.type === 'REASSIGN' && event.unitId !== context.unitId,
  belowMaxLevel: ({ context }: GuardArgs) => context.escalationLevel < context.maxLevel,
};

/** What the ticket must be like for the event, whoever sends it; each failure has its own 409. */
const conditionGuards = {
  noPendingExtension: ({ context }: GuardArgs) => context.extensionRequest === null,
  belowMaxExtensions: ({ context }: GuardArgs) => context.extensionsGranted < context.maxExtensions,
  hasPendingExtension: ({ context }: GuardArgs) => context.extensionRequest !== null,
};
export type TicketCondition = keyof typeof conditionGuards;

const conditionsFor: Partial<Record<TicketEventType, TicketCondition[]>> = {
  REQUEST_EXTENSION: ['noPendingExtension', 'belowMaxExtensions'],
  APPROVE_EXTENSION: ['hasPendingExtension'],
  REFUSE_EXTENSION: ['hasPendingExtension'],
};

/** The permission each event needs; `permissionOf` and the machine read the same guards. */
const permissionFor: Record<TicketEventType, keyof typeof permissionGuards> = {
  ACKNOWLEDGE: 'isResponsibleOfficer',
  SUBMIT_RECTIFICATION: 'isResponsibleOfficer',
  VERIFY: 'isIndependentSupervisor',
  REJECT: 'isIndependentSupervisor',
  WITHDRAW: 'isSupervisor',
  EXTEND_DEADLINE: 'isSupervisor',
  REASSIGN: 'isSupervisor',
  ESCALATE: 'isSystem',
  REQUEST_EXTENSION: 'isResponsibleOfficer',
  // The same separation of duties as VERIFY: no office decides on its own unit's request.
  APPROVE_EXTENSION: 'isIndependentSupervisor',
  REFUSE_EXTENSION: 'isIndependentSupervisor',
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
  WITHDRAW: { target: 'withdrawn', guard: and(['isSupervisor', 'hasReason']) },
  EXTEND_DEADLINE: { guard: and(['isSupervisor', 'hasReason', 'hasValidDueAt']), actions: 'moveDeadline' },
  REASSIGN: { target: 'issued', reenter: true, guard: and(['isSupervisor', 'hasReason', 'isOtherUnit', 'hasValidDueAt']), actions: 'moveToUnit' },
} as const;

const escalate = { guard: and(['isSystem', 'belowMaxLevel']), actions: 'raiseLevel' } as const;

/** 申请延期 and its answer, while the unit still has the work to do. The clock keeps running meanwhile. */
const extensions = {
  REQUEST_EXTENSION: {
    guard: and(['isResponsibleOfficer', 'noPendingExtension', 'belowMaxExtensions', 'hasReason', 'hasUntil']),
    actions: 'recordExtensionRequest',
  },
  APPROVE_EXTENSION: { guard: and(['isIndependentSupervisor', 'hasPendingExtension', 'hasValidDueAt']), actions: 'grantExtension' },
  REFUSE_EXTENSION: { guard: and(['isIndependentSupervisor', 'hasPendingExtension', 'hasReason']), actions: 'clearExtensionRequest' },
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
        ACKNOWLEDGE: { target: 'acknowledged', guard: 'isResponsibleOfficer' },
        ESCALATE: escalate,
      },
    },
    acknowledged: {
      on: {
        ...whileOpen,
        ...extensions,
        // A submission answers the work itself: a pending extension request lapses.
        SUBMIT_RECTIFICATION: { target: 'rectified', guard: and(['isResponsibleOfficer', 'hasFeedback']), actions: 'clearExtensionRequest' },
        ESCALATE: escalate,
      },
    },
    rectified: {
      on: {
        ...whileOpen,
        VERIFY: { target: 'verified', guard: 'isIndependentSupervisor' },
        REJECT: { target: 'acknowledged', guard: and(['isIndependentSupervisor', 'hasReason', 'hasValidDueAt']), actions: 'reject' },
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

const conditionRefusals: Record<TicketCondition, 'extension_pending' | 'extension_limit' | 'no_extension_request'> = {
  noPendingExtension: 'extension_pending',
  belowMaxExtensions: 'extension_limit',
  hasPendingExtension: 'no_extension_request',
};

const restore = ({ state, context }: TicketSnapshot) => ticketMachine.resolveState({ value: state, context });

function eventsHandledIn(state: TicketStateValue): TicketEventType[] {
  const node = ticketMachine.states[state];
  return ticketEventTypes.filter((type) => node?.on[type] !== undefined);
}

/** A well-formed stand-in for an event of `type`, to ask whether the actor could send it now. */
function probe(type: TicketEventType, actor: TicketActor, context: TicketContext): TicketMachineEvent {
  switch (type) {
    case 'SUBMIT_RECTIFICATION':
      return { type, actor, feedback: 'probe' };
    case 'REJECT':
      return { type, actor, reason: 'probe', dueAt: context.dueAt };
    case 'WITHDRAW':
    case 'REFUSE_EXTENSION':
      return { type, actor, reason: 'probe' };
    case 'EXTEND_DEADLINE':
      return { type, actor, reason: 'probe', dueAt: context.dueAt };
    case 'REASSIGN':
      return { type, actor, reason: 'probe', unitId: -1, dueAt: context.dueAt };
    case 'REQUEST_EXTENSION':
      return { type, actor, reason: 'probe', until: context.dueAt.slice(0, 10), requestedAt: context.dueAt };
    case 'APPROVE_EXTENSION':
      return { type, actor, dueAt: context.dueAt };
    default:
      return { type, actor };
  }
}

/** The events this actor may send to this ticket now: what the API's `allowedEvents` shows and what `decide` accepts. */
export function allowedEvents(current: TicketSnapshot, actor: TicketActor): TicketEventType[] {
  const snapshot = restore(current);
  return eventsHandledIn(current.state).filter((type) => snapshot.can(probe(type, actor, current.context)));
}

/** Decides one event: the next state and context, or why it is refused (409 / 403 / 422 for the caller). */
export function decide(current: TicketSnapshot, event: TicketMachineEvent): Decision {
  const refuse = (reason: Exclude<Decision, { ok: true }>['reason']): Decision => ({
    ok: false,
    reason,
    allowedEvents: allowedEvents(current, event.actor),
  });
  if (!eventsHandledIn(current.state).includes(event.type)) return refuse('not_allowed_in_state');
  if (!permissionGuards[permissionFor[event.type]]({ context: current.context, event })) return refuse('forbidden');
  const unmet = conditionsFor[event.type]?.find((condition) => !conditionGuards[condition]({ context: current.context, event }));
  if (unmet) return refuse(conditionRefusals[unmet]);
  const snapshot = restore(current);
  if (!snapshot.can(event)) {
    return refuse(event.type === 'ESCALATE' ? 'limit_reached' : 'invalid_payload');
  }
  const [next] = transition(ticketMachine, snapshot, event);
  return { ok: true, state: next.value as TicketStateValue, context: next.context };
}

export const finalStates: readonly TicketStateValue[] = ['verified', 'withdrawn'];
