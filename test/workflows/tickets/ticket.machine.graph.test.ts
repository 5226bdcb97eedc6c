import { adjacencyMapToArray, createTestModel, type StatePath } from '@xstate/graph';
import type { SnapshotFrom } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  decide,
  allowedEvents,
  ticketEventTypes,
  ticketMachine,
  type TicketActor,
  type TicketContext,
  type TicketMachineEvent,
  type TicketSnapshot,
  type TicketStateValue,
} from '../../../workflows/tickets/ticket.machine.js';

/**
 * Model-based tests: @xstate/graph walks the machine with concrete sample events, and every path it
 * finds is replayed through `decide`, the function the workflow actually calls.
 */

type Snapshot = SnapshotFrom<typeof ticketMachine>;

const UNIT_A = 10;
const UNIT_B = 11;
const OFFICE = 1;
const DUE = '2021-06-25T15:59:59.999Z';
const LATER = '2021-07-09T15:59:59.999Z';
const input: TicketContext = { unitId: UNIT_A, dueAt: DUE, escalationLevel: 0, maxLevel: 3, rejections: 0, extensionRequest: null, extensionsGranted: 0, maxExtensions: 2 };

const system: TicketActor = { role: 'system', unitId: null };
const office: TicketActor = { role: 'supervisor', unitId: OFFICE };
const admin: TicketActor = { role: 'admin', unitId: 0 };

/**
 * Sample events for a snapshot, with actors chosen relative to it (the responsible officer is the one of
 * the ticket's current unit): the ones the SPEC's table accepts, and a few it refuses.
 */
function samples(snapshot: Snapshot): TicketMachineEvent[] {
  const { unitId } = snapshot.context;
  const otherUnit = unitId === UNIT_A ? UNIT_B : UNIT_A;
  const responsible: TicketActor = { role: 'officer', unitId };
  const ownSupervisor: TicketActor = { role: 'supervisor', unitId };
  return [
    { type: 'ACKNOWLEDGE', actor: responsible, comment: '已收到' },
    { type: 'ACKNOWLEDGE', actor: { role: 'officer', unitId: otherUnit } },
    { type: 'SUBMIT_RECTIFICATION', actor: responsible, feedback: '已整改', evidence: ['https://example.gov.cn/a'] },
    { type: 'SUBMIT_RECTIFICATION', actor: responsible, feedback: '  ' },
    { type: 'VERIFY', actor: office },
    { type: 'VERIFY', actor: ownSupervisor },
    { type: 'REJECT', actor: admin, reason: '回复不完整', dueAt: LATER },
    { type: 'REJECT', actor: office, reason: '', dueAt: LATER },
    { type: 'WITHDRAW', actor: office, reason: '复核后不再列为问题' },
    { type: 'WITHDRAW', actor: responsible, reason: '不想整改' },
    { type: 'EXTEND_DEADLINE', actor: office, reason: '系统改版', dueAt: LATER },
    { type: 'EXTEND_DEADLINE', actor: office, reason: '系统改版', dueAt: 'soon' },
    { type: 'REASSIGN', actor: office, reason: '开设主体有误', unitId: otherUnit, dueAt: LATER },
    { type: 'REASSIGN', actor: office, reason: '原地转办', unitId, dueAt: LATER },
    { type: 'ESCALATE', actor: system },
    { type: 'ESCALATE', actor: office },
    { type: 'REQUEST_EXTENSION', actor: responsible, until: '2021-07-09', reason: '需要采购服务', requestedAt: '2021-06-21T02:00:00.000Z' },
    { type: 'REQUEST_EXTENSION', actor: office, until: '2021-07-09', reason: '代为申请', requestedAt: '2021-06-21T02:00:00.000Z' },
    { type: 'APPROVE_EXTENSION', actor: office, dueAt: LATER },
    { type: 'APPROVE_EXTENSION', actor: ownSupervisor, dueAt: LATER },
    { type: 'REFUSE_EXTENSION', actor: office, reason: '理由不充分' },
  ];
}

/**
 * A finite abstraction of the snapshot: the state and what the events can change in a bounded way.
 * The rejection count grows without bound, so only "rejected at least once" is kept.
 */
function abstraction({ state, context }: TicketSnapshot): string {
  return JSON.stringify({
    state,
    unit: context.unitId === UNIT_A ? 'A' : 'B',
    extended: context.dueAt !== DUE,
    level: context.escalationLevel,
    rejected: context.rejections > 0,
    pending: context.extensionRequest !== null,
    granted: context.extensionsGranted,
  });
}
const plain = (snapshot: Snapshot): TicketSnapshot => ({ state: snapshot.value as TicketStateValue, context: snapshot.context });
const serializeState = (snapshot: Snapshot) => abstraction(plain(snapshot));

const model = createTestModel(ticketMachine, { events: samples, serializeState, input });
/** Every (snapshot, sample event, next snapshot) the traversal met. */
const edges = adjacencyMapToArray(model.getAdjacencyMap());
/** One shortest path to each abstract state. Steps are (event, state after it), starting with `xstate.init`. */
const shortestPaths = model.getShortestPaths({ allowDuplicatePaths: true });

const transitionKey = (from: string, type: string, to: string) => `${from} --${type}--> ${to}`;

/** Every transition the machine config defines: state, event type, target (a targetless one stays put). */
function configuredTransitions(): Set<string> {
  const keys = new Set<string>();
  for (const [name, node] of Object.entries(ticketMachine.root.states)) {
    for (const [type, definitions] of node.transitions) {
      for (const definition of definitions) keys.add(transitionKey(name, type, definition.target?.[0]?.key ?? name));
    }
  }
  return keys;
}

/** For every abstract state and every sample event it accepts: the shortest path to the state, plus that event. */
function transitionPaths(): StatePath<Snapshot, TicketMachineEvent>[] {
  const paths: StatePath<Snapshot, TicketMachineEvent>[] = [];
  for (const path of shortestPaths) {
    const from = serializeState(path.state);
    for (const { state, event, nextState } of edges) {
      if (serializeState(state) !== from || !state.can(event)) continue;
      paths.push({ state: nextState, steps: [...path.steps, { state: nextState, event }], weight: path.weight + 1 });
    }
  }
  return paths;
}

/**
 * Replays a path through `decide`, checking each step against the machine, and returns the transitions taken.
 * The graph knows snapshots only up to the abstraction (one concrete snapshot stands for all with the same key),
 * so that is what is compared; the exact context effects are pinned in ticket.machine.test.ts.
 */
function replay(path: StatePath<Snapshot, TicketMachineEvent>): string[] {
  let current: TicketSnapshot = { state: 'issued', context: input };
  const taken: string[] = [];
  for (const { event, state } of path.steps) {
    if ((event.type as string) !== 'xstate.init') {
      expect(allowedEvents(current, event.actor)).toContain(event.type);
      const decision = decide(current, event);
      if (!decision.ok) throw new Error(`decide refused ${event.type} in ${current.state}: ${decision.reason}`);
      taken.push(transitionKey(current.state, event.type, decision.state));
      current = { state: decision.state, context: decision.context };
    }
    expect(abstraction(current)).toBe(serializeState(state));
  }
  expect(abstraction(current)).toBe(serializeState(path.state));
  return taken;
}

describe('the ticket machine as a graph', () => {
  it('reaches exactly the five states of the SPEC, and nothing leaves a final state', () => {
    const reached = new Set(shortestPaths.map((path) => path.state.value));
    expect(reached).toEqual(new Set(['issued', 'acknowledged', 'rectified', 'verified', 'withdrawn']));
    for (const path of shortestPaths) {
      if (path.state.status !== 'done') continue;
      expect(['verified', 'withdrawn']).toContain(path.state.value);
      expect(samples(path.state).filter((event) => path.state.can(event))).toEqual([]);
    }
  });

  it('is configured with the transitions of the SPEC, one or more for every event type', () => {
    const open = ['issued', 'acknowledged', 'rectified'];
    const spec = [
      transitionKey('issued', 'ACKNOWLEDGE', 'acknowledged'),
      transitionKey('acknowledged', 'SUBMIT_RECTIFICATION', 'rectified'),
      transitionKey('rectified', 'VERIFY', 'verified'),
      transitionKey('rectified', 'REJECT', 'acknowledged'),
      transitionKey('issued', 'ESCALATE', 'issued'),
      transitionKey('acknowledged', 'ESCALATE', 'acknowledged'),
      ...open.map((state) => transitionKey(state, 'WITHDRAW', 'withdrawn')),
      ...open.map((state) => transitionKey(state, 'EXTEND_DEADLINE', state)),
      ...open.map((state) => transitionKey(state, 'REASSIGN', 'issued')),
      ...['issued', 'acknowledged'].flatMap((state) =>
        ['REQUEST_EXTENSION', 'APPROVE_EXTENSION', 'REFUSE_EXTENSION'].map((type) => transitionKey(state, type, state)),
      ),
    ];
    expect(configuredTransitions()).toEqual(new Set(spec));
    const types = new Set([...configuredTransitions()].map((key) => key.split(' --')[1]?.split('-->')[0]));
    expect(types).toEqual(new Set(ticketEventTypes));
  });

  it('finds a path to each state that decide follows step by step', () => {
    for (const path of shortestPaths) replay(path);
  });

  it('traverses every transition of the machine config, each one accepted by decide', () => {
    const traversed = new Set(transitionPaths().flatMap(replay));
    expect(traversed).toEqual(configuredTransitions());
  });

  it('walks the escalation ladder up to the policy maximum and no further', () => {
    const levels = new Set(shortestPaths.filter((p) => p.state.value === 'issued').map((p) => p.state.context.escalationLevel));
    expect(levels).toEqual(new Set([0, 1, 2, 3]));
    const top = shortestPaths.find((p) => p.state.value === 'acknowledged' && p.state.context.escalationLevel === 3);
    if (!top) throw new Error('no path to an acknowledged ticket at level 3');
    expect(top.state.can({ type: 'ESCALATE', actor: system })).toBe(false);
    expect(decide(plain(top.state), { type: 'ESCALATE', actor: system })).toMatchObject({ ok: false, reason: 'limit_reached' });
  });

  it('leaves the snapshot as it was for every sample event the machine refuses, and decide refuses it too', () => {
    const refused = edges.filter(({ state, event }) => !state.can(event));
    expect(refused.length).toBeGreaterThan(0);
    for (const { state, event, nextState } of refused) {
      expect(nextState.value).toBe(state.value);
      expect(nextState.context).toEqual(state.context);
      expect(decide(plain(state), event).ok).toBe(false);
    }
  });

  it('runs each path as a test model path, checking the state the machine and decide agree on', async () => {
    for (const path of model.getShortestPaths()) {
      let current: TicketSnapshot = { state: 'issued', context: input };
      const execute = ({ event }: { event: { type: string } }) => {
        const decision = decide(current, event as TicketMachineEvent);
        if (!decision.ok) throw new Error(`${event.type} refused: ${decision.reason}`);
        current = { state: decision.state, context: decision.context };
      };
      await path.test({
        events: Object.fromEntries(ticketEventTypes.map((type) => [type, execute])),
        states: { '*': (snapshot) => void expect(abstraction(current)).toBe(serializeState(snapshot)) },
      });
      expect(abstraction(current)).toBe(serializeState(path.state));
    }
  });
});
