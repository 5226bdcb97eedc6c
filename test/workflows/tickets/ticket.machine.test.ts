import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allowedEvents,
  decide,
  decider,
  finalStates as machineFinalStates,
  ticketEventTypes,
  type Decision,
  type TicketActor,
  type TicketContext,
  type TicketEventType,
  type TicketMachineEvent,
  type TicketSnapshot,
  type TicketStateValue,
} from '../../../workflows/tickets/ticket.machine.js';

/** The responsible unit of every ticket below; the others are what the SPEC's table names. */
const UNIT = 10;
const OTHER_UNIT = 11;
const OFFICE = 1;

const officer: TicketActor = { role: 'officer', unitId: UNIT };
const otherOfficer: TicketActor = { role: 'officer', unitId: OTHER_UNIT };
const officeOfficer: TicketActor = { role: 'officer', unitId: OFFICE };
const supervisor: TicketActor = { role: 'supervisor', unitId: OFFICE };
const ownSupervisor: TicketActor = { role: 'supervisor', unitId: UNIT };
const admin: TicketActor = { role: 'admin', unitId: 0 };
const system: TicketActor = { role: 'system', unitId: null };

const DUE = '2021-06-25T15:59:59.999Z';
const LATER = '2021-07-09T15:59:59.999Z';

const openStates: TicketStateValue[] = ['issued', 'acknowledged', 'rectified'];
const finalStates: TicketStateValue[] = ['verified', 'withdrawn'];
const allStates: TicketStateValue[] = [...openStates, ...finalStates];

function ticket(state: TicketStateValue, context: Partial<TicketContext> = {}): TicketSnapshot {
  return {
    state,
    context: { unitId: UNIT, dueAt: DUE, escalationLevel: 0, maxLevel: 3, rejections: 0, extensionRequest: null, extensionsGranted: 0, maxExtensions: 2, ...context },
  };
}

/** A well-formed event of each type, as the SPEC's payload column describes it. */
function sample(type: TicketEventType, actor: TicketActor): TicketMachineEvent {
  switch (type) {
    case 'SUBMIT_RECTIFICATION':
      return { type, actor, feedback: '已安排专人回复留言', evidence: ['https://example.gov.cn/a'], rectifiedOn: '2021-06-20' };
    case 'REJECT':
      return { type, actor, reason: '复核未通过', dueAt: LATER };
    case 'WITHDRAW':
    case 'REFUSE_EXTENSION':
      return { type, actor, reason: '复核未通过' };
    case 'EXTEND_DEADLINE':
      return { type, actor, reason: '系统改版', dueAt: LATER };
    case 'REASSIGN':
      return { type, actor, reason: '开设主体有误', unitId: OTHER_UNIT, dueAt: LATER };
    case 'REQUEST_EXTENSION':
      return { type, actor, reason: '需要采购服务', until: '2021-07-09', requestedAt: '2021-06-21T02:00:00.000Z' };
    case 'APPROVE_EXTENSION':
      return { type, actor, dueAt: LATER };
    default:
      return { type, actor };
  }
}

/** Payloads the TypeScript type would refuse, as a careless caller might still send them. */
const loose = (event: Record<string, unknown>) => event as unknown as TicketMachineEvent;

function accepted(decision: Decision): Extract<Decision, { ok: true }> {
  if (!decision.ok) throw new Error(`expected the event to be accepted, got ${decision.reason}`);
  return decision;
}

function refusal(decision: Decision): Extract<Decision, { ok: false }> {
  if (decision.ok) throw new Error(`expected a refusal, got ${decision.state}`);
  return decision;
}

describe('ACKNOWLEDGE (officer of the responsible unit: issued → acknowledged)', () => {
  it('moves an issued ticket to acknowledged, with or without a comment', () => {
    expect(accepted(decide(ticket('issued'), { type: 'ACKNOWLEDGE', actor: officer }))).toEqual({ ok: true, state: 'acknowledged', context: ticket('issued').context });
    expect(accepted(decide(ticket('issued'), { type: 'ACKNOWLEDGE', actor: officer, comment: '已收到' })).state).toBe('acknowledged');
  });

  it('is forbidden to an officer of another unit, to an officer of the supervising unit, to supervisors and to the system', () => {
    for (const actor of [otherOfficer, officeOfficer, supervisor, ownSupervisor, admin, system]) {
      expect(refusal(decide(ticket('issued'), { type: 'ACKNOWLEDGE', actor })).reason, actor.role).toBe('forbidden');
    }
  });

  it('is not allowed once the ticket was acknowledged, rectified or closed', () => {
    for (const state of ['acknowledged', 'rectified', 'verified', 'withdrawn'] as const) {
      expect(refusal(decide(ticket(state), { type: 'ACKNOWLEDGE', actor: officer })).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('SUBMIT_RECTIFICATION (officer of the responsible unit, feedback required: acknowledged → rectified)', () => {
  it('moves an acknowledged ticket to rectified', () => {
    const decision = accepted(decide(ticket('acknowledged'), sample('SUBMIT_RECTIFICATION', officer)));
    expect(decision.state).toBe('rectified');
    expect(decision.context).toEqual(ticket('acknowledged').context);
  });

  it('refuses a missing or blank written feedback as an invalid payload', () => {
    expect(refusal(decide(ticket('acknowledged'), loose({ type: 'SUBMIT_RECTIFICATION', actor: officer }))).reason).toBe('invalid_payload');
    expect(refusal(decide(ticket('acknowledged'), { type: 'SUBMIT_RECTIFICATION', actor: officer, feedback: '' })).reason).toBe('invalid_payload');
    expect(refusal(decide(ticket('acknowledged'), { type: 'SUBMIT_RECTIFICATION', actor: officer, feedback: ' \n\t ' })).reason).toBe('invalid_payload');
  });

  it('is forbidden to anyone but an officer of the responsible unit', () => {
    for (const actor of [otherOfficer, officeOfficer, supervisor, ownSupervisor, admin, system]) {
      expect(refusal(decide(ticket('acknowledged'), sample('SUBMIT_RECTIFICATION', actor))).reason, actor.role).toBe('forbidden');
    }
  });

  it('is not allowed before acknowledging, while waiting for verification, or once closed', () => {
    for (const state of ['issued', 'rectified', 'verified', 'withdrawn'] as const) {
      expect(refusal(decide(ticket(state), sample('SUBMIT_RECTIFICATION', officer))).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('VERIFY (supervisor in scope, not of the same unit: rectified → verified)', () => {
  it('lets the inspecting office and an admin verify a rectified ticket', () => {
    for (const actor of [supervisor, admin]) {
      const decision = accepted(decide(ticket('rectified'), { type: 'VERIFY', actor, comment: '核验通过' }));
      expect(decision).toEqual({ ok: true, state: 'verified', context: ticket('rectified').context });
    }
  });

  it('refuses a supervisor verifying a ticket of its own unit (separation of duties)', () => {
    const decision = refusal(decide(ticket('rectified'), { type: 'VERIFY', actor: ownSupervisor }));
    expect(decision.reason).toBe('forbidden');
    // Nor may it withdraw, extend or reassign: no supervisor decision on its own unit's ticket.
    expect(decision.allowedEvents).toEqual([]);
  });

  it('refuses officers (even of the responsible unit) and the system', () => {
    for (const actor of [officer, otherOfficer, officeOfficer, system]) {
      expect(refusal(decide(ticket('rectified'), { type: 'VERIFY', actor })).reason, actor.role).toBe('forbidden');
    }
  });

  it('is not allowed before the rectification was submitted, or once closed', () => {
    for (const state of ['issued', 'acknowledged', 'verified', 'withdrawn'] as const) {
      expect(refusal(decide(ticket(state), { type: 'VERIFY', actor: supervisor })).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('REJECT (supervisor in scope, reason required: rectified → acknowledged, rejections + 1)', () => {
  it('sends the ticket back to acknowledged and counts the rejection', () => {
    const first = accepted(decide(ticket('rectified'), sample('REJECT', supervisor)));
    expect(first.state).toBe('acknowledged');
    // A fair period: the due time the workflow computed, escalation from level 0.
    expect(first.context).toEqual({ ...ticket('rectified').context, rejections: 1, dueAt: LATER });
    const third = accepted(decide(ticket('rectified', { rejections: 2, escalationLevel: 3 }), sample('REJECT', admin)));
    expect(third.context).toMatchObject({ rejections: 3, escalationLevel: 0, dueAt: LATER });
  });

  it('never moves the due time earlier than it was', () => {
    const decision = accepted(decide(ticket('rectified', { dueAt: LATER }), { type: 'REJECT', actor: supervisor, reason: '仍未回复', dueAt: DUE }));
    expect(decision.context.dueAt).toBe(LATER);
  });

  it('refuses a missing or blank reason as an invalid payload', () => {
    expect(refusal(decide(ticket('rectified'), loose({ type: 'REJECT', actor: supervisor }))).reason).toBe('invalid_payload');
    expect(refusal(decide(ticket('rectified'), { type: 'REJECT', actor: supervisor, reason: '   ', dueAt: LATER })).reason).toBe('invalid_payload');
  });

  it('is forbidden to the supervisor of the responsible unit itself, to officers and to the system', () => {
    for (const actor of [ownSupervisor, officer, otherOfficer, system]) {
      expect(refusal(decide(ticket('rectified'), sample('REJECT', actor))).reason, `${actor.role} ${actor.unitId}`).toBe('forbidden');
    }
  });

  it('is not allowed outside rectified', () => {
    for (const state of ['issued', 'acknowledged', 'verified', 'withdrawn'] as const) {
      expect(refusal(decide(ticket(state), sample('REJECT', supervisor))).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('WITHDRAW (supervisor in scope, not of the ticket\'s unit, reason required: any open state → withdrawn)', () => {
  it('withdraws from every open state', () => {
    for (const state of openStates) {
      for (const actor of [supervisor, admin]) {
        const decision = accepted(decide(ticket(state, { rejections: 1 }), sample('WITHDRAW', actor)));
        expect(decision.state).toBe('withdrawn');
        expect(decision.context).toEqual(ticket(state, { rejections: 1 }).context);
      }
    }
  });

  it('refuses a missing or blank reason', () => {
    expect(refusal(decide(ticket('issued'), loose({ type: 'WITHDRAW', actor: supervisor }))).reason).toBe('invalid_payload');
    expect(refusal(decide(ticket('acknowledged'), { type: 'WITHDRAW', actor: supervisor, reason: '' })).reason).toBe('invalid_payload');
  });

  it('is forbidden to officers, to the system and to a supervisor of the responsible unit, in every open state', () => {
    for (const actor of [officer, otherOfficer, officeOfficer, system]) {
      expect(refusal(decide(ticket('issued'), sample('WITHDRAW', actor))).reason, `${actor.role} ${actor.unitId}`).toBe('forbidden');
    }
    for (const state of openStates) {
      expect(refusal(decide(ticket(state), sample('WITHDRAW', ownSupervisor))).reason, state).toBe('forbidden');
    }
  });

  it('is not allowed on a closed ticket', () => {
    for (const state of finalStates) {
      expect(refusal(decide(ticket(state), sample('WITHDRAW', supervisor))).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('EXTEND_DEADLINE (supervisor in scope, dueAt and reason: state unchanged)', () => {
  it('keeps the state, moves the due time and starts escalation again from level 0', () => {
    for (const state of openStates) {
      const before = ticket(state, { escalationLevel: 2, rejections: 1 });
      const decision = accepted(decide(before, { type: 'EXTEND_DEADLINE', actor: supervisor, reason: '系统改版', dueAt: '2021-07-09T23:59:59+08:00' }));
      expect(decision.state).toBe(state);
      expect(decision.context).toEqual({ ...before.context, dueAt: '2021-07-09T15:59:59.000Z', escalationLevel: 0 });
    }
  });

  it('refuses the supervisor of the responsible unit: a unit does not postpone its own findings', () => {
    for (const state of openStates) {
      expect(refusal(decide(ticket(state), sample('EXTEND_DEADLINE', ownSupervisor))).reason, state).toBe('forbidden');
    }
  });

  it('refuses an unreadable due time or a missing reason', () => {
    expect(refusal(decide(ticket('issued'), { type: 'EXTEND_DEADLINE', actor: supervisor, reason: '系统改版', dueAt: 'next week' })).reason).toBe('invalid_payload');
    expect(refusal(decide(ticket('issued'), loose({ type: 'EXTEND_DEADLINE', actor: supervisor, dueAt: LATER }))).reason).toBe('invalid_payload');
    expect(refusal(decide(ticket('issued'), { type: 'EXTEND_DEADLINE', actor: supervisor, dueAt: LATER, reason: ' ' })).reason).toBe('invalid_payload');
  });

  it('is forbidden to officers and to the system', () => {
    for (const actor of [officer, otherOfficer, system]) {
      expect(refusal(decide(ticket('acknowledged'), sample('EXTEND_DEADLINE', actor))).reason, actor.role).toBe('forbidden');
    }
  });

  it('is not allowed on a closed ticket', () => {
    for (const state of finalStates) {
      expect(refusal(decide(ticket(state), sample('EXTEND_DEADLINE', supervisor))).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('REASSIGN (supervisor in scope, unitCode and reason: new unit, back to issued)', () => {
  it('moves the ticket to the new unit and back to issued from every open state', () => {
    for (const state of openStates) {
      const before = ticket(state, { escalationLevel: 2, rejections: 2 });
      const decision = accepted(decide(before, sample('REASSIGN', supervisor)));
      expect(decision.state).toBe('issued');
      // The new unit gets a fair period of its own and starts from level 0.
      expect(decision.context).toEqual({ ...before.context, unitId: OTHER_UNIT, dueAt: LATER, escalationLevel: 0 });
    }
  });

  it('refuses a reassignment to the unit already responsible', () => {
    const decision = refusal(decide(ticket('acknowledged'), { type: 'REASSIGN', actor: supervisor, reason: '重复', unitId: UNIT, dueAt: LATER }));
    expect(decision.reason).toBe('invalid_payload');
  });

  it('refuses a missing reason', () => {
    expect(refusal(decide(ticket('issued'), loose({ type: 'REASSIGN', actor: supervisor, unitId: OTHER_UNIT }))).reason).toBe('invalid_payload');
  });

  it('is forbidden to a supervisor of the responsible unit, and to a reassignment to the sender\'s own unit', () => {
    for (const state of openStates) {
      expect(refusal(decide(ticket(state), sample('REASSIGN', ownSupervisor))).reason, state).toBe('forbidden');
      expect(refusal(decide(ticket(state), { type: 'REASSIGN', actor: supervisor, reason: '转本单位', unitId: OFFICE, dueAt: LATER })).reason, state).toBe('forbidden');
    }
    // The admin's own unit is no exception.
    expect(refusal(decide(ticket('issued'), { type: 'REASSIGN', actor: admin, reason: '转本单位', unitId: 0, dueAt: LATER })).reason).toBe('forbidden');
  });

  it('is forbidden to officers and to the system', () => {
    for (const actor of [officer, otherOfficer, officeOfficer, system]) {
      expect(refusal(decide(ticket('issued'), sample('REASSIGN', actor))).reason, `${actor.role} ${actor.unitId}`).toBe('forbidden');
    }
  });

  it('is not allowed on a closed ticket', () => {
    for (const state of finalStates) {
      expect(refusal(decide(ticket(state), sample('REASSIGN', supervisor))).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('ESCALATE (the system: escalation level + 1 while issued or acknowledged)', () => {
  it('raises the level by one and leaves the state alone', () => {
    for (const state of ['issued', 'acknowledged'] as const) {
      const decision = accepted(decide(ticket(state, { escalationLevel: 1 }), { type: 'ESCALATE', actor: system }));
      expect(decision.state).toBe(state);
      expect(decision.context).toEqual({ ...ticket(state).context, escalationLevel: 2 });
    }
  });

  it('answers limit_reached at the policy maximum', () => {
    const decision = refusal(decide(ticket('issued', { escalationLevel: 3, maxLevel: 3 }), { type: 'ESCALATE', actor: system }));
    expect(decision.reason).toBe('limit_reached');
    expect(decision.allowedEvents).toEqual([]);
    expect(accepted(decide(ticket('acknowledged', { escalationLevel: 4, maxLevel: 5 }), { type: 'ESCALATE', actor: system })).context.escalationLevel).toBe(5);
  });

  it('is forbidden to every user, the admin included', () => {
    for (const actor of [officer, otherOfficer, supervisor, ownSupervisor, admin]) {
      expect(refusal(decide(ticket('issued'), { type: 'ESCALATE', actor })).reason, `${actor.role} ${actor.unitId}`).toBe('forbidden');
    }
  });

  it('is not allowed while the ticket waits on the supervisor, or once closed', () => {
    for (const state of ['rectified', 'verified', 'withdrawn'] as const) {
      expect(refusal(decide(ticket(state), { type: 'ESCALATE', actor: system })).reason, state).toBe('not_allowed_in_state');
    }
  });
});

describe('decider (one event decided for many tickets, once per distinct input)', () => {
  const pending = { until: '2021-07-09', reason: '需要采购服务', requestedAt: '2021-06-21T02:00:00.000Z' };

  it('gives every ticket what decide gives it, whatever the rest of its context', () => {
    const actors = [officer, supervisor, admin, system];
    fc.assert(
      fc.property(
        fc.constantFrom(...actors),
        fc.array(
          fc.record({
            state: fc.constantFrom(...allStates),
            unitId: fc.constantFrom(UNIT, OTHER_UNIT, OFFICE),
            dueAt: fc.constantFrom(DUE, LATER),
            escalationLevel: fc.integer({ min: 0, max: 4 }),
            maxLevel: fc.integer({ min: 1, max: 4 }),
            rejections: fc.integer({ min: 0, max: 3 }),
            extensionRequest: fc.constantFrom(null, pending),
            extensionsGranted: fc.integer({ min: 0, max: 2 }),
            maxExtensions: fc.integer({ min: 1, max: 2 }),
          }),
          { maxLength: 30 },
        ),
        (actor, tickets) => {
          const decideAll = decider({ type: 'ESCALATE', actor });
          for (const { state, ...context } of tickets) {
            const current = { state, context };
            expect(decideAll(current)).toEqual(decide(current, { type: 'ESCALATE', actor }));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tells apart tickets that differ only in a field the event is decided on, and keeps each ticket its own fields', () => {
    const decideAll = decider({ type: 'ESCALATE', actor: system });
    expect(accepted(decideAll(ticket('issued', { escalationLevel: 1 }))).context.escalationLevel).toBe(2);
    expect(refusal(decideAll(ticket('issued', { escalationLevel: 3 }))).reason).toBe('limit_reached');
    expect(accepted(decideAll(ticket('issued', { escalationLevel: 3, maxLevel: 4 }))).context.escalationLevel).toBe(4);
    expect(refusal(decideAll(ticket('rectified', { escalationLevel: 1 }))).reason).toBe('not_allowed_in_state');
    const other = accepted(decideAll(ticket('issued', { escalationLevel: 1, unitId: OTHER_UNIT, dueAt: LATER, rejections: 2, extensionRequest: pending })));
    expect(other.context).toEqual({ ...ticket('issued').context, escalationLevel: 2, unitId: OTHER_UNIT, dueAt: LATER, rejections: 2, extensionRequest: pending });
  });
});

describe('REQUEST_EXTENSION, APPROVE_EXTENSION, REFUSE_EXTENSION (申请延期 and its answer)', () => {
  const pending = { until: '2021-07-09', reason: '需要采购服务', requestedAt: '2021-06-21T02:00:00.000Z' };

  it('records the request in issued and acknowledged, keeping the due time and the level (the clock keeps running)', () => {
    for (const state of ['issued', 'acknowledged'] as const) {
      const before = ticket(state, { escalationLevel: 1 });
      const decision = accepted(decide(before, sample('REQUEST_EXTENSION', officer)));
      expect(decision.state).toBe(state);
      expect(decision.context).toEqual({ ...before.context, extensionRequest: pending });
    }
  });

  it('is for the officer of the responsible unit only, and not once submitted or closed', () => {
    for (const actor of [otherOfficer, officeOfficer, supervisor, admin, system]) {
      expect(refusal(decide(ticket('issued'), sample('REQUEST_EXTENSION', actor))).reason, `${actor.role} ${actor.unitId}`).toBe('forbidden');
    }
    for (const state of ['rectified', 'verified', 'withdrawn'] as const) {
      expect(refusal(decide(ticket(state), sample('REQUEST_EXTENSION', officer))).reason, state).toBe('not_allowed_in_state');
    }
  });

  it('allows one pending request at a time, and no more than maxExtensions granted', () => {
    expect(refusal(decide(ticket('issued', { extensionRequest: pending }), sample('REQUEST_EXTENSION', officer))).reason).toBe('extension_pending');
    expect(refusal(decide(ticket('issued', { extensionsGranted: 2 }), sample('REQUEST_EXTENSION', officer))).reason).toBe('extension_limit');
    expect(accepted(decide(ticket('issued', { extensionsGranted: 1 }), sample('REQUEST_EXTENSION', officer))).context.extensionRequest).toEqual(pending);
    expect(allowedEvents(ticket('issued', { extensionsGranted: 2 }), officer)).toEqual(['ACKNOWLEDGE']);
  });

  it('refuses a request without a reason or a day', () => {
    expect(refusal(decide(ticket('issued'), { ...pending, type: 'REQUEST_EXTENSION', actor: officer, reason: ' ' })).reason).toBe('invalid_payload');
    expect(refusal(decide(ticket('issued'), { ...pending, type: 'REQUEST_EXTENSION', actor: officer, until: '9 July' })).reason).toBe('invalid_payload');
  });

  it('on approval moves the due time, restarts escalation from level 0, clears the request and counts the extension', () => {
    const before = ticket('acknowledged', { extensionRequest: pending, escalationLevel: 2 });
    const decision = accepted(decide(before, sample('APPROVE_EXTENSION', supervisor)));
    expect(decision).toEqual({ ok: true, state: 'acknowledged', context: { ...before.context, dueAt: LATER, escalationLevel: 0, extensionRequest: null, extensionsGranted: 1 } });
  });

  it('on refusal clears the request and keeps the due time', () => {
    const before = ticket('issued', { extensionRequest: pending, escalationLevel: 1 });
    const decision = accepted(decide(before, sample('REFUSE_EXTENSION', supervisor)));
    expect(decision.context).toEqual({ ...before.context, extensionRequest: null });
    expect(refusal(decide(before, { type: 'REFUSE_EXTENSION', actor: supervisor, reason: '' })).reason).toBe('invalid_payload');
  });

  it('is answered only by a supervisor not of the ticket\'s own unit, and only while a request is pending', () => {
    const withRequest = ticket('issued', { extensionRequest: pending });
    for (const type of ['APPROVE_EXTENSION', 'REFUSE_EXTENSION'] as const) {
      for (const actor of [ownSupervisor, officer, otherOfficer, system]) {
        expect(refusal(decide(withRequest, sample(type, actor))).reason, `${type} ${actor.role} ${actor.unitId}`).toBe('forbidden');
      }
      expect(refusal(decide(ticket('issued'), sample(type, supervisor))).reason).toBe('no_extension_request');
      expect(allowedEvents(withRequest, supervisor)).toContain(type);
      expect(allowedEvents(withRequest, ownSupervisor)).not.toContain(type);
    }
  });

  it('lets a submission make a pending request lapse', () => {
    const decision = accepted(decide(ticket('acknowledged', { extensionRequest: pending }), sample('SUBMIT_RECTIFICATION', officer)));
    expect(decision.context.extensionRequest).toBeNull();
  });
});

describe('allowedEvents', () => {
  const expected: Record<TicketStateValue, [TicketActor, TicketEventType[]][]> = {
    issued: [
      [officer, ['ACKNOWLEDGE', 'REQUEST_EXTENSION']],
      [otherOfficer, []],
      [officeOfficer, []],
      [supervisor, ['WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN']],
      [ownSupervisor, []],
      [admin, ['WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN']],
      [system, ['ESCALATE']],
    ],
    acknowledged: [
      [officer, ['SUBMIT_RECTIFICATION', 'REQUEST_EXTENSION']],
      [otherOfficer, []],
      [supervisor, ['WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN']],
      [system, ['ESCALATE']],
    ],
    rectified: [
      [officer, []],
      [supervisor, ['VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN']],
      [admin, ['VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN']],
      [ownSupervisor, []],
      [system, []],
    ],
    verified: [
      [officer, []],
      [supervisor, []],
      [admin, []],
      [system, []],
    ],
    withdrawn: [
      [officer, []],
      [supervisor, []],
      [admin, []],
      [system, []],
    ],
  };

  it('lists what each actor may send in each state', () => {
    for (const state of allStates) {
      for (const [actor, events] of expected[state]) {
        expect(new Set(allowedEvents(ticket(state), actor)), `${state} / ${actor.role} ${actor.unitId}`).toEqual(new Set(events));
      }
    }
  });

  it('leaves ESCALATE out at the maximum level', () => {
    expect(allowedEvents(ticket('issued', { escalationLevel: 3 }), system)).toEqual([]);
    expect(allowedEvents(ticket('issued', { escalationLevel: 2 }), system)).toEqual(['ESCALATE']);
  });

  it('is what decide accepts: a well-formed event of a listed type is accepted, of any other type refused', () => {
    const actors = [officer, otherOfficer, officeOfficer, supervisor, ownSupervisor, admin, system];
    fc.assert(
      fc.property(
        fc.constantFrom(...allStates),
        fc.constantFrom(...actors),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 5 }),
        (state, actor, escalationLevel, rejections) => {
          const current = ticket(state, { escalationLevel, rejections });
          const allowed = allowedEvents(current, actor);
          for (const type of ticketEventTypes) {
            const decision = decide(current, sample(type, actor));
            expect(decision.ok, `${state} ${type} by ${actor.role} ${actor.unitId}`).toBe(allowed.includes(type));
            if (!decision.ok) expect(decision.allowedEvents).toEqual(allowed);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is what every refusal carries, so a 409/403/422 can tell the client what to do instead', () => {
    const decision = refusal(decide(ticket('rectified'), { type: 'ACKNOWLEDGE', actor: supervisor }));
    expect(decision).toEqual({ ok: false, reason: 'not_allowed_in_state', allowedEvents: ['VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN'] });
  });
});

describe('the machine and the event registry', () => {
  it('takes its final states from the states it declares final', () => {
    expect([...machineFinalStates].sort()).toEqual([...finalStates].sort());
    for (const state of machineFinalStates) expect(allowedEvents(ticket(state), admin)).toEqual([]);
  });

  it('decides every event the registry declares, and no other', () => {
    expect([...ticketEventTypes].sort()).toEqual(
      ['ACKNOWLEDGE', 'SUBMIT_RECTIFICATION', 'VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN', 'ESCALATE', 'REQUEST_EXTENSION', 'APPROVE_EXTENSION', 'REFUSE_EXTENSION'].sort(),
    );
  });
});

describe('decide', () => {
  it('checks the state before the actor, and the actor before the payload', () => {
    // A closed ticket refuses even a well-meant but badly filled event from the wrong person as "not now".
    expect(refusal(decide(ticket('verified'), loose({ type: 'REJECT', actor: officer }))).reason).toBe('not_allowed_in_state');
    // An open ticket refuses the wrong person before it looks at what they sent.
    expect(refusal(decide(ticket('rectified'), loose({ type: 'REJECT', actor: officer }))).reason).toBe('forbidden');
  });

  it('does not change the snapshot it was given', () => {
    const current = ticket('rectified', { rejections: 1 });
    const copy = structuredClone(current);
    accepted(decide(current, sample('REJECT', supervisor)));
    accepted(decide(current, sample('REASSIGN', supervisor)));
    expect(current).toEqual(copy);
  });
});
