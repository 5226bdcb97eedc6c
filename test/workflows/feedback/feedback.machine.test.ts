import { getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  allowedFeedbackEvents,
  decideFeedback,
  feedbackEventTypes,
  feedbackMachine,
  type FeedbackActor,
  type FeedbackEventType,
  type FeedbackMachineEvent,
  type FeedbackSnapshot,
  type FeedbackStateValue,
} from '../../../workflows/feedback/feedback.machine.js';

const UNIT = 10;
const OFFICE = 1;
const officer: FeedbackActor = { role: 'officer', unitId: UNIT };
const otherOfficer: FeedbackActor = { role: 'officer', unitId: 11 };
const supervisor: FeedbackActor = { role: 'supervisor', unitId: OFFICE };
const ownSupervisor: FeedbackActor = { role: 'supervisor', unitId: UNIT };
const admin: FeedbackActor = { role: 'admin', unitId: 0 };

const feedback = (state: FeedbackStateValue, returns = 0): FeedbackSnapshot => ({ state, context: { unitId: UNIT, returns } });

function sample(type: FeedbackEventType, actor: FeedbackActor): FeedbackMachineEvent {
  switch (type) {
    case 'SUBMIT_FEEDBACK':
      return { type, actor, attachmentIds: ['scan'], note: '已加盖公章' };
    case 'RETURN_FEEDBACK':
      return { type, actor, reason: '未加盖公章' };
    default:
      return { type, actor };
  }
}

describe('feedback machine: transitions', () => {
  it('goes pending → submitted → accepted', () => {
    const submitted = decideFeedback(feedback('pending'), sample('SUBMIT_FEEDBACK', officer));
    expect(submitted).toMatchObject({ ok: true, state: 'submitted' });
    expect(decideFeedback(feedback('submitted'), sample('ACCEPT_FEEDBACK', supervisor))).toMatchObject({ ok: true, state: 'accepted' });
  });

  it('goes submitted → returned → submitted, counting the returns', () => {
    const returned = decideFeedback(feedback('submitted'), sample('RETURN_FEEDBACK', supervisor));
    expect(returned).toEqual({ ok: true, state: 'returned', context: { unitId: UNIT, returns: 1 } });
    expect(decideFeedback(feedback('returned', 1), sample('SUBMIT_FEEDBACK', officer))).toMatchObject({ ok: true, state: 'submitted', context: { returns: 1 } });
  });

  it('accepts nothing once accepted (409 for the caller)', () => {
    for (const type of feedbackEventTypes) {
      expect(decideFeedback(feedback('accepted'), sample(type, type === 'SUBMIT_FEEDBACK' ? officer : supervisor))).toEqual({
        ok: false,
        reason: 'not_allowed_in_state',
        allowedEvents: [],
      });
    }
  });

  it('refuses a decision before anything was submitted, and a second submission while one waits', () => {
    expect(decideFeedback(feedback('pending'), sample('ACCEPT_FEEDBACK', supervisor))).toMatchObject({ ok: false, reason: 'not_allowed_in_state' });
    expect(decideFeedback(feedback('submitted'), sample('SUBMIT_FEEDBACK', officer))).toMatchObject({ ok: false, reason: 'not_allowed_in_state' });
  });

  it('reaches every state from pending (model paths)', () => {
    const paths = getShortestPaths(feedbackMachine, {
      input: { unitId: UNIT, returns: 0 },
      events: [sample('SUBMIT_FEEDBACK', officer), sample('ACCEPT_FEEDBACK', supervisor), sample('RETURN_FEEDBACK', supervisor)],
      // The state alone: the return count grows without bound around the submitted ⇄ returned loop.
      serializeState: (snapshot) => JSON.stringify(snapshot.value),
    });
    expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(['pending', 'submitted', 'accepted', 'returned']));
  });
});

describe('feedback machine: who may send what', () => {
  it('lets only an officer of the unit submit, with a scan attached', () => {
    expect(decideFeedback(feedback('pending'), sample('SUBMIT_FEEDBACK', otherOfficer))).toMatchObject({ ok: false, reason: 'forbidden' });
    expect(decideFeedback(feedback('pending'), sample('SUBMIT_FEEDBACK', supervisor))).toMatchObject({ ok: false, reason: 'forbidden' });
    expect(decideFeedback(feedback('pending'), { type: 'SUBMIT_FEEDBACK', actor: officer, attachmentIds: [] })).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('lets only a supervisor of another unit accept or return (separation of duties), a return with its reason', () => {
    for (const type of ['ACCEPT_FEEDBACK', 'RETURN_FEEDBACK'] as const) {
      expect(decideFeedback(feedback('submitted'), sample(type, ownSupervisor))).toMatchObject({ ok: false, reason: 'forbidden' });
      expect(decideFeedback(feedback('submitted'), sample(type, officer))).toMatchObject({ ok: false, reason: 'forbidden' });
      expect(decideFeedback(feedback('submitted'), sample(type, admin))).toMatchObject({ ok: true });
    }
    expect(decideFeedback(feedback('submitted'), { type: 'RETURN_FEEDBACK', actor: supervisor, reason: '  ' })).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('tells each actor exactly the events it may send now', () => {
    expect(allowedFeedbackEvents(feedback('pending'), officer)).toEqual(['SUBMIT_FEEDBACK']);
    expect(allowedFeedbackEvents(feedback('pending'), supervisor)).toEqual([]);
    expect(allowedFeedbackEvents(feedback('submitted'), supervisor)).toEqual(['ACCEPT_FEEDBACK', 'RETURN_FEEDBACK']);
    expect(allowedFeedbackEvents(feedback('submitted'), ownSupervisor)).toEqual([]);
    expect(allowedFeedbackEvents(feedback('returned'), officer)).toEqual(['SUBMIT_FEEDBACK']);
    expect(allowedFeedbackEvents(feedback('accepted'), admin)).toEqual([]);
  });
});
