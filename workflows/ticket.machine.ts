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

export interface TicketContext {
  unitId: number;
  /** ISO-8601 instant. */
  dueAt: string;
  escalationLevel: number;
  maxLevel: number;
  rejections: number;
}

interface Sent {
  actor: TicketActor;
}
export type TicketMachineEvent =
  | (Sent & { type: 'ACKNOWLEDGE'; comment?: string })
  | (Sent & { type: 'SUBMIT_RECTIFICATION'; feedback: string; evidence?: string[]; rectifiedOn?: string; comment?: string })
  | (Sent & { type: 'VERIFY'; comment?: string })
  | (Sent & { type: 'REJECT'; reason: string })
  | (Sent & { type: 'WITHDRAW'; reason: string })
  | (Sent & { type: 'EXTEND_DEADLINE'; dueAt: string; reason: string })
  | (Sent & { type: 'REASSIGN'; unitId: number; reason: string })
  | (Sent & { type: 'ESCALATE' });

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
] as const satisfies readonly TicketEventType[];

type GuardArgs = { context: TicketContext; event: TicketMachineEvent };

const filled = (text: unknown) => typeof text === 'string' && text.trim().length > 0;
const supervises = (actor: TicketActor) => actor.role === 'supervisor' || actor.role === 'admin';

/** Who may send what. */
const permissionGuards = {
  isResponsibleOfficer: ({ context, event }: GuardArgs) => event.actor.role === 'officer' && event.actor.unitId === context.unitId,
  // Separation of duties, for every supervisor decision: nobody decides on a ticket of their own unit.
  isIndependentSupervisor: ({ context, event }: GuardArgs) => supervises(event.actor) && event.actor.unitId !== context.unitId,
  // ...nor hands it to their own unit, where a colleague could then decide on it.
  isIndependentOfBothUnits: ({ context, event }: GuardArgs) =>
    supervises(event.actor) && event.actor.unitId !== context.unitId && !(event.type === 'REASSIGN' && event.unitId === event.actor.unitId),
  isSystem: ({ event }: GuardArgs) => event.actor.role === 'system',
};

/** What the event must carry, and what the ticket must allow. */
const payloadGuards = {
  hasFeedback: ({ event }: GuardArgs) => event.type === 'SUBMIT_RECTIFICATION' && filled(event.feedback),
  hasReason: ({ event }: GuardArgs) => 'reason' in event && filled(event.reason),
  hasValidDueAt: ({ event }: GuardArgs) => event.type === 'EXTEND_DEADLINE' && !Number.isNaN(Date.parse(event.dueAt)),
  isOtherUnit: ({ context, event }: GuardArgs) => event.type === 'REASSIGN' && event.unitId !== context.unitId,
  belowMaxLevel: ({ context }: GuardArgs) => context.escalationLevel < context.maxLevel,
};

/** The permission each event needs; `permissionOf` and the machine read the same guards. */
const permissionFor: Record<TicketEventType, keyof typeof permissionGuards> = {
  ACKNOWLEDGE: 'isResponsibleOfficer',
  SUBMIT_RECTIFICATION: 'isResponsibleOfficer',
  VERIFY: 'isIndependentSupervisor',
  REJECT: 'isIndependentSupervisor',
  WITHDRAW: 'isIndependentSupervisor',
  EXTEND_DEADLINE: 'isIndependentSupervisor',
  REASSIGN: 'isIndependentOfBothUnits',
  ESCALATE: 'isSystem',
};

const machineSetup = setup({
  types: {
    context: {} as TicketContext,
    events: {} as TicketMachineEvent,
    input: {} as TicketContext,
  },
  guards: { ...permissionGuards, ...payloadGuards },
  actions: {
    countRejection: assign({ rejections: ({ context }) => context.rejections + 1 }),
    raiseLevel: assign({ escalationLevel: ({ context }) => context.escalationLevel + 1 }),
    // A new deadline is a fresh start: escalation begins again from level 0.
    moveDeadline: assign(({ event }) => (event.type === 'EXTEND_DEADLINE' ? { dueAt: new Date(event.dueAt).toISOString(), escalationLevel: 0 } : {})),
    // A new unit inherits the same deadline, so the escalation already reached stays.
    moveToUnit: assign(({ event }) => (event.type === 'REASSIGN' ? { unitId: event.unitId } : {})),
  },
});

/** Events every open (non-final) state accepts. */
const whileOpen = {
  WITHDRAW: { target: 'withdrawn', guard: and(['isIndependentSupervisor', 'hasReason']) },
  EXTEND_DEADLINE: { guard: and(['isIndependentSupervisor', 'hasReason', 'hasValidDueAt']), actions: 'moveDeadline' },
  REASSIGN: { target: 'issued', reenter: true, guard: and(['isIndependentOfBothUnits', 'hasReason', 'isOtherUnit']), actions: 'moveToUnit' },
} as const;

const escalate = { guard: and(['isSystem', 'belowMaxLevel']), actions: 'raiseLevel' } as const;

export const ticketMachine = machineSetup.createMachine({
  id: 'ticket',
  initial: 'issued',
  context: ({ input }) => input,
  states: {
    issued: {
      on: {
        ...whileOpen,
        ACKNOWLEDGE: { target: 'acknowledged', guard: 'isResponsibleOfficer' },
        ESCALATE: escalate,
      },
    },
    acknowledged: {
      on: {
        ...whileOpen,
        SUBMIT_RECTIFICATION: { target: 'rectified', guard: and(['isResponsibleOfficer', 'hasFeedback']) },
        ESCALATE: escalate,
      },
    },
    rectified: {
      on: {
        ...whileOpen,
        VERIFY: { target: 'verified', guard: 'isIndependentSupervisor' },
        REJECT: { target: 'acknowledged', guard: and(['isIndependentSupervisor', 'hasReason']), actions: 'countRejection' },
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
  | { ok: false; reason: 'not_allowed_in_state' | 'forbidden' | 'invalid_payload' | 'limit_reached'; allowedEvents: TicketEventType[] };

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
    case 'WITHDRAW':
      return { type, actor, reason: 'probe' };
    case 'EXTEND_DEADLINE':
      return { type, actor, reason: 'probe', dueAt: context.dueAt };
    case 'REASSIGN':
      return { type, actor, reason: 'probe', unitId: -1 };
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
  const snapshot = restore(current);
  if (!snapshot.can(event)) {
    return refuse(event.type === 'ESCALATE' ? 'limit_reached' : 'invalid_payload');
  }
  const [next] = transition(ticketMachine, snapshot, event);
  return { ok: true, state: next.value as TicketStateValue, context: next.context };
}

export const finalStates: readonly TicketStateValue[] = ['verified', 'withdrawn'];
