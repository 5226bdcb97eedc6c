import { and, assign, setup, transition } from 'xstate';

/**
 * A unit's written feedback on one inspection (整改情况书面反馈, SPEC "Evidence and the unit's
 * written feedback"). Pure: imports only xstate; no I/O, no timers.
 *
 * pending --SUBMIT_FEEDBACK--> submitted --ACCEPT_FEEDBACK--> accepted (final)
 *                                  |   ^
 *                   RETURN_FEEDBACK v   | SUBMIT_FEEDBACK
 *                                returned
 */

export type FeedbackStateValue = 'pending' | 'submitted' | 'accepted' | 'returned';

/** Who sends the event. Scope (the unit lies in the actor's subtree) is checked by the caller before. */
export interface FeedbackActor {
  role: 'admin' | 'supervisor' | 'officer';
  unitId: number;
}

export interface FeedbackContext {
  unitId: number;
  returns: number;
}

interface Sent {
  actor: FeedbackActor;
}
export type FeedbackMachineEvent =
  | (Sent & { type: 'SUBMIT_FEEDBACK'; attachmentIds: string[]; note?: string })
  | (Sent & { type: 'ACCEPT_FEEDBACK'; comment?: string })
  | (Sent & { type: 'RETURN_FEEDBACK'; reason: string });

export type FeedbackEventType = FeedbackMachineEvent['type'];

export const feedbackEventTypes = ['SUBMIT_FEEDBACK', 'ACCEPT_FEEDBACK', 'RETURN_FEEDBACK'] as const satisfies readonly FeedbackEventType[];

type GuardArgs = { context: FeedbackContext; event: FeedbackMachineEvent };

const supervises = (actor: FeedbackActor) => actor.role === 'supervisor' || actor.role === 'admin';

const permissionGuards = {
  isUnitOfficer: ({ context, event }: GuardArgs) => event.actor.role === 'officer' && event.actor.unitId === context.unitId,
  // Separation of duties: no office accepts or returns its own unit's report.
  isIndependentSupervisor: ({ context, event }: GuardArgs) => supervises(event.actor) && event.actor.unitId !== context.unitId,
};

const payloadGuards = {
  hasScan: ({ event }: GuardArgs) => event.type === 'SUBMIT_FEEDBACK' && event.attachmentIds.length > 0,
  hasReason: ({ event }: GuardArgs) => event.type === 'RETURN_FEEDBACK' && event.reason.trim().length > 0,
};

const permissionFor: Record<FeedbackEventType, keyof typeof permissionGuards> = {
  SUBMIT_FEEDBACK: 'isUnitOfficer',
  ACCEPT_FEEDBACK: 'isIndependentSupervisor',
  RETURN_FEEDBACK: 'isIndependentSupervisor',
};

const machineSetup = setup({
  types: {
    context: {} as FeedbackContext,
    events: {} as FeedbackMachineEvent,
    input: {} as FeedbackContext,
  },
  guards: { ...permissionGuards, ...payloadGuards },
  actions: {
    countReturn: assign({ returns: ({ context }) => context.returns + 1 }),
  },
});

const submit = { target: 'submitted', guard: and(['isUnitOfficer', 'hasScan']) } as const;

export const feedbackMachine = machineSetup.createMachine({
  id: 'feedback',
  initial: 'pending',
  context: ({ input }) => input,
  states: {
    pending: { on: { SUBMIT_FEEDBACK: submit } },
    submitted: {
      on: {
        ACCEPT_FEEDBACK: { target: 'accepted', guard: 'isIndependentSupervisor' },
        RETURN_FEEDBACK: { target: 'returned', guard: and(['isIndependentSupervisor', 'hasReason']), actions: 'countReturn' },
      },
    },
    returned: { on: { SUBMIT_FEEDBACK: submit } },
    accepted: { type: 'final' },
  },
});

export interface FeedbackSnapshot {
  state: FeedbackStateValue;
  context: FeedbackContext;
}

export type FeedbackDecision =
  | { ok: true; state: FeedbackStateValue; context: FeedbackContext }
  | { ok: false; reason: 'not_allowed_in_state' | 'forbidden' | 'invalid_payload'; allowedEvents: FeedbackEventType[] };

const restore = ({ state, context }: FeedbackSnapshot) => feedbackMachine.resolveState({ value: state, context });

function eventsHandledIn(state: FeedbackStateValue): FeedbackEventType[] {
  const node = feedbackMachine.states[state];
  return feedbackEventTypes.filter((type) => node?.on[type] !== undefined);
}

function probe(type: FeedbackEventType, actor: FeedbackActor): FeedbackMachineEvent {
  switch (type) {
    case 'SUBMIT_FEEDBACK':
      return { type, actor, attachmentIds: ['probe'] };
    case 'RETURN_FEEDBACK':
      return { type, actor, reason: 'probe' };
    default:
      return { type, actor };
  }
}

/** The events this actor may send now. */
export function allowedFeedbackEvents(current: FeedbackSnapshot, actor: FeedbackActor): FeedbackEventType[] {
  const snapshot = restore(current);
  return eventsHandledIn(current.state).filter((type) => snapshot.can(probe(type, actor)));
}

/** Decides one event: the next state and context, or why it is refused (409 / 403 / 422 for the caller). */
export function decideFeedback(current: FeedbackSnapshot, event: FeedbackMachineEvent): FeedbackDecision {
  const refuse = (reason: Exclude<FeedbackDecision, { ok: true }>['reason']): FeedbackDecision => ({
    ok: false,
    reason,
    allowedEvents: allowedFeedbackEvents(current, event.actor),
  });
  if (!eventsHandledIn(current.state).includes(event.type)) return refuse('not_allowed_in_state');
  if (!permissionGuards[permissionFor[event.type]]({ context: current.context, event })) return refuse('forbidden');
  const snapshot = restore(current);
  if (!snapshot.can(event)) return refuse('invalid_payload');
  const [next] = transition(feedbackMachine, snapshot, event);
  return { ok: true, state: next.value as FeedbackStateValue, context: next.context };
}
