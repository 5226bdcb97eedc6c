import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

/**
 * Random event sequences by random senders, sent through the HTTP API to a freshly issued ticket, checked
 * against a reference model written here from the SPEC alone (it does not import the machine or the workflow).
 */

const NOW = '2021-06-18T02:00:00Z';
// The inspection's default policy (SPEC "Deadlines, reminders, escalation" and "Ticket workflow").
const MAX_LEVEL = 3;
const REWORK_WORKING_DAYS = 5;
const MAX_EXTENSIONS = 2;

// ---------------------------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------------------------

type State = 'issued' | 'acknowledged' | 'rectified' | 'verified' | 'withdrawn';
type EventType =
  | 'ACKNOWLEDGE'
  | 'SUBMIT_RECTIFICATION'
  | 'VERIFY'
  | 'REJECT'
  | 'WITHDRAW'
  | 'EXTEND_DEADLINE'
  | 'REASSIGN'
  | 'ESCALATE'
  | 'REQUEST_EXTENSION'
  | 'APPROVE_EXTENSION'
  | 'REFUSE_EXTENSION';
const eventTypes: EventType[] = [
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
];

const parentOf: Record<string, string | null> = {
  ROOT: null,
  'YY-GOV': 'ROOT',
  'YY-WJW': 'YY-GOV',
  'YY-JTJ': 'YY-GOV',
  'AH-GOV': 'YY-GOV',
  'AH-GL': 'AH-GOV',
  'AH-SWJ': 'AH-GOV',
};
/** County offices (区县政府办): they supervise their own units beside the issuing office. */
const countyOffices = new Set(['AH-GOV']);
const ISSUING_OFFICE = 'YY-GOV';

type Role = 'admin' | 'supervisor' | 'officer';
const users: Record<string, { role: Role; unit: string }> = {
  admin: { role: 'admin', unit: 'ROOT' },
  'gov-sup': { role: 'supervisor', unit: 'YY-GOV' },
  'gov-off': { role: 'officer', unit: 'YY-GOV' },
  'wjw-off': { role: 'officer', unit: 'YY-WJW' },
  'wjw-sup': { role: 'supervisor', unit: 'YY-WJW' },
  'jtj-off': { role: 'officer', unit: 'YY-JTJ' },
  'ah-sup': { role: 'supervisor', unit: 'AH-GOV' },
  'ah-off': { role: 'officer', unit: 'AH-GOV' },
  'gl-off': { role: 'officer', unit: 'AH-GL' },
};
const usernames = Object.keys(users);

/** The SPEC's payload column: what each event must and may carry. */
const payloadFields: Record<EventType, { required: string[]; optional: string[] }> = {
  ACKNOWLEDGE: { required: [], optional: ['comment'] },
  SUBMIT_RECTIFICATION: { required: ['feedback'], optional: ['evidence', 'rectifiedOn', 'comment'] },
  VERIFY: { required: [], optional: ['comment'] },
  REJECT: { required: ['reason'], optional: [] },
  WITHDRAW: { required: ['reason'], optional: [] },
  EXTEND_DEADLINE: { required: ['dueAt', 'reason'], optional: [] },
  REASSIGN: { required: ['unitCode', 'reason'], optional: [] },
  ESCALATE: { required: [], optional: [] },
  REQUEST_EXTENSION: { required: ['until', 'reason'], optional: [] },
  APPROVE_EXTENSION: { required: [], optional: ['until', 'comment'] },
  REFUSE_EXTENSION: { required: ['reason'], optional: [] },
};
const knownFields = new Set(['type', 'expectedVersion', 'comment', 'feedback', 'evidence', 'rectifiedOn', 'reason', 'dueAt', 'unitCode', 'until']);

/** The events each state accepts at all (the workflow diagram; 申请延期 and its answer while the unit has the work to do). */
const accepts: Record<State, EventType[]> = {
  issued: ['ACKNOWLEDGE', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN', 'ESCALATE', 'REQUEST_EXTENSION', 'APPROVE_EXTENSION', 'REFUSE_EXTENSION'],
  acknowledged: ['SUBMIT_RECTIFICATION', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN', 'ESCALATE', 'REQUEST_EXTENSION', 'APPROVE_EXTENSION', 'REFUSE_EXTENSION'],
  rectified: ['VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN'],
  verified: [],
  withdrawn: [],
};

/**
 * Emails each accepted event queues, for a ticket of `unit` (ACKNOWLEDGE sends none; a submission
 * reaches the office in the daily digest). A reassignment tells the new unit and the old one; an
 * extension request goes to the issuing office and, for a county's own units, in a second letter to
 * the county office.
 */
function mailsOf(type: EventType, unit: string): string[] {
  switch (type) {
    case 'VERIFY':
      return ['verified'];
    case 'REJECT':
      return ['rejected'];
    case 'WITHDRAW':
      return ['withdrawn'];
    case 'EXTEND_DEADLINE':
      return ['extended'];
    case 'REASSIGN':
      return ['reassigned', 'reassigned_away'];
    case 'ESCALATE':
      return ['escalation'];
    case 'REQUEST_EXTENSION': {
      const parent = parentOf[unit];
      return parent && countyOffices.has(parent) && parent !== ISSUING_OFFICE ? ['extension_requested', 'extension_requested'] : ['extension_requested'];
    }
    case 'APPROVE_EXTENSION':
      return ['extension_approved'];
    case 'REFUSE_EXTENSION':
      return ['extension_refused'];
    default:
      return [];
  }
}

interface Model {
  state: State;
  unitCode: string;
  rejections: number;
  escalationLevel: number;
  version: number;
  dueAt: number;
  /** The pending 申请延期: the day asked for. */
  extensionRequest: string | null;
  extensionsGranted: number;
  /** Accepted events, in order, each with the unit the ticket had when it was sent: the audit trail after ISSUE. */
  trail: { type: EventType; unit: string }[];
}

function within(unit: string, root: string): boolean {
  for (let at: string | null | undefined = unit; at; at = parentOf[at]) if (at === root) return true;
  return false;
}

function sees(username: string, unit: string): boolean {
  const user = users[username];
  return user !== undefined && (user.role === 'admin' || within(unit, user.unit));
}

/** The People table: who may send what to a ticket of `unit` (scope is checked separately). */
function permitted(type: EventType, username: string, unit: string): boolean {
  const user = users[username];
  if (!user) return false;
  const supervises = user.role === 'admin' || user.role === 'supervisor';
  switch (type) {
    case 'ACKNOWLEDGE':
    case 'SUBMIT_RECTIFICATION':
    case 'REQUEST_EXTENSION':
      return user.role === 'officer' && user.unit === unit;
    // Separation of duties: no supervisor decides on a ticket of its own unit.
    case 'VERIFY':
    case 'REJECT':
    case 'WITHDRAW':
    case 'EXTEND_DEADLINE':
    case 'REASSIGN':
    case 'APPROVE_EXTENSION':
    case 'REFUSE_EXTENSION':
      return supervises && user.unit !== unit;
    case 'ESCALATE':
      return false; // the system only
  }
}

/** A deadline date means the end of that day in Asia/Shanghai. */
function dueInstant(text: string): number {
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59.999+08:00` : text);
}

/** The Shanghai date of an instant. */
function shanghaiDate(instant: number): string {
  return new Date(instant + 8 * 3_600_000).toISOString().slice(0, 10);
}

// The State Council's published 2021 arrangement (国办发明电〔2020〕27号): rest days and 调休 working days.
const restDays2021 = new Set(['2021-01-01', '2021-01-02', '2021-01-03', '2021-02-11', '2021-02-12', '2021-02-13', '2021-02-14', '2021-02-15', '2021-02-16', '2021-02-17', '2021-04-03', '2021-04-04', '2021-04-05', '2021-05-01', '2021-05-02', '2021-05-03', '2021-05-04', '2021-05-05', '2021-06-12', '2021-06-13', '2021-06-14', '2021-09-19', '2021-09-20', '2021-09-21', '2021-10-01', '2021-10-02', '2021-10-03', '2021-10-04', '2021-10-05', '2021-10-06', '2021-10-07']);
const workingWeekends2021 = new Set(['2021-02-07', '2021-02-20', '2021-04-25', '2021-05-08', '2021-09-18', '2021-09-26', '2021-10-09']);

function isWorkingDay(day: string): boolean {
  if (workingWeekends2021.has(day)) return true;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !restDays2021.has(day);
}

/** Fair period: the end of the n-th working day after the day of `at`, never earlier than the current due time. */
function reworkDue(at: number, currentDue: number): number {
  let day = shanghaiDate(at);
  for (let counted = 0; counted < REWORK_WORKING_DAYS; ) {
    day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    if (isWorkingDay(day)) counted += 1;
  }
  return Math.max(dueInstant(day), currentDue);
}

type Body = Record<string, unknown> & { type: EventType };

interface Verdict {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  next?: Model;
}

function accept(model: Model, type: EventType, change: Partial<Model>): Verdict {
  return { status: 200, next: { ...model, ...change, version: model.version + 1, trail: [...model.trail, { type, unit: model.unitCode }] } };
}

/** What the ticket must be like for an extension event, whoever sends it: each failure a 409. */
function extensionConflict(model: Model, type: EventType): boolean {
  if (type === 'REQUEST_EXTENSION') return model.extensionRequest !== null || model.extensionsGranted >= MAX_EXTENSIONS;
  if (type === 'APPROVE_EXTENSION' || type === 'REFUSE_EXTENSION') return model.extensionRequest === null;
  return false;
}

/** What the API must answer to `body` from `username`, and the ticket afterwards. */
function verdict(model: Model, username: string, body: Body): Verdict {
  const fields = payloadFields[body.type];
  for (const key of Object.keys(body)) {
    if (!knownFields.has(key)) return { status: 400 };
    if (key !== 'type' && key !== 'expectedVersion' && !fields.required.includes(key) && !fields.optional.includes(key)) return { status: 400 };
  }
  for (const key of fields.required) {
    const value = body[key];
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) return { status: 400 };
  }
  if (!sees(username, model.unitCode)) return { status: 404 };
  if (body.expectedVersion !== undefined && body.expectedVersion !== model.version) return { status: 409 };
  if (!accepts[model.state].includes(body.type)) return { status: 409 };
  if (!permitted(body.type, username, model.unitCode)) return { status: 403 };
  if (extensionConflict(model, body.type)) return { status: 409 };
  const now = Date.parse(NOW);
  switch (body.type) {
    case 'ACKNOWLEDGE':
      return accept(model, body.type, { state: 'acknowledged' });
    case 'SUBMIT_RECTIFICATION':
      // The submission answers the work itself: a pending request lapses.
      return accept(model, body.type, { state: 'rectified', extensionRequest: null });
    case 'VERIFY':
      return accept(model, body.type, { state: 'verified' });
    case 'REJECT':
      // A fair period and escalation from level 0.
      return accept(model, body.type, { state: 'acknowledged', rejections: model.rejections + 1, dueAt: reworkDue(now, model.dueAt), escalationLevel: 0 });
    case 'WITHDRAW':
      return accept(model, body.type, { state: 'withdrawn' });
    case 'EXTEND_DEADLINE': {
      const dueAt = dueInstant(String(body.dueAt));
      if (!(dueAt > now)) return { status: 422 };
      return accept(model, body.type, { dueAt, escalationLevel: 0 });
    }
    case 'REQUEST_EXTENSION': {
      // A day after the current due day; the clock keeps running meanwhile.
      const until = String(body.until);
      if (!(until > shanghaiDate(model.dueAt))) return { status: 422 };
      return accept(model, body.type, { extensionRequest: until });
    }
    case 'APPROVE_EXTENSION': {
      // The day asked for, or an earlier one the office chose; in the future either way.
      const requested = model.extensionRequest ?? '';
      const until = body.until === undefined ? requested : String(body.until);
      if (!(dueInstant(until) > now) || until > requested) return { status: 422 };
      return accept(model, body.type, { dueAt: dueInstant(until), escalationLevel: 0, extensionRequest: null, extensionsGranted: model.extensionsGranted + 1 });
    }
    case 'REFUSE_EXTENSION':
      return accept(model, body.type, { extensionRequest: null });
    case 'REASSIGN': {
      const unitCode = String(body.unitCode);
      // Nor hands it to its own unit.
      if (sees(username, unitCode) && unitCode === users[username]?.unit) return { status: 403 };
      if (!(unitCode in parentOf) || !sees(username, unitCode) || unitCode === model.unitCode) return { status: 422 };
      // The new unit gets its own fair period from level 0; the old unit's request lapses.
      return accept(model, body.type, { state: 'issued', unitCode, dueAt: reworkDue(now, model.dueAt), escalationLevel: 0, extensionRequest: null });
    }
    case 'ESCALATE':
      throw new Error('a user never escalates');
  }
}

/** The sweep's ESCALATE: no scope, no version, only while the unit owes an answer, up to the policy maximum. */
function systemVerdict(model: Model): Verdict {
  if (!accepts[model.state].includes('ESCALATE')) return { status: 409 };
  if (model.escalationLevel >= MAX_LEVEL) return { status: 409 };
  return accept(model, 'ESCALATE', { escalationLevel: model.escalationLevel + 1 });
}

// ---------------------------------------------------------------------------------------------
// Commands: symbolic, resolved against the model when run (so sequences reach deep states often)
// ---------------------------------------------------------------------------------------------

const dueSamples = ['2021-06-17', '2021-06-18', '2021-07-09', '2021-06-18T01:59:59Z', '2021-06-18T10:00:00+08:00', '2021-06-30T12:00:00.000Z'];
// Days a unit asks for or an office grants: past, the original due day, a working Friday, a Saturday, later.
const untilSamples = ['2021-06-17', '2021-06-18', '2021-06-25', '2021-07-02', '2021-07-03', '2021-07-16', '2021-07-30', '2021-09-30'];
const unitSamples = ['YY-WJW', 'YY-JTJ', 'AH-GL', 'AH-SWJ', 'AH-GOV', 'YY-GOV', 'ROOT', 'NOPE'];
const misplacedField: Record<EventType, [string, unknown]> = {
  ACKNOWLEDGE: ['reason', '多余的理由'],
  SUBMIT_RECTIFICATION: ['unitCode', 'YY-JTJ'],
  VERIFY: ['feedback', '多余的反馈'],
  REJECT: ['comment', '多余的意见'],
  WITHDRAW: ['dueAt', '2021-07-01'],
  EXTEND_DEADLINE: ['unitCode', 'YY-JTJ'],
  REASSIGN: ['evidence', ['https://example.gov.cn/x']],
  ESCALATE: ['comment', '催办'],
  REQUEST_EXTENSION: ['dueAt', '2021-07-01'],
  APPROVE_EXTENSION: ['reason', '多余的理由'],
  REFUSE_EXTENSION: ['until', '2021-07-01'],
};

type Command =
  | { kind: 'sweep-escalates' }
  | {
      kind: 'http';
      /** A sender the SPEC allows for the chosen event (when there is one), or a named user. */
      sender: { fitting: number } | { username: string };
      /** An event the state accepts (when there is one), or any type. */
      event: { fitting: number } | { type: EventType };
      variant: 'valid' | 'missing' | 'blank' | 'misplaced' | 'unknown';
      version: 'none' | 'current' | 'stale';
      staleBy: number;
      due: number;
      unit: number;
      until: number;
      /** APPROVE_EXTENSION: grant a chosen day rather than the day asked for. */
      chooseUntil: boolean;
      comment: boolean;
    };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep-escalates' as const }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('http' as const),
      sender: fc.oneof({ weight: 4, arbitrary: fc.record({ fitting: fc.nat(20) }) }, { weight: 1, arbitrary: fc.record({ username: fc.constantFrom(...usernames) }) }),
      // Index 0 of a state's accepted events moves the ticket forward; favour it so runs get past `issued`,
      // but not so much that they reach a final state before requests get answered and the limit is reached.
      event: fc.oneof(
        { weight: 4, arbitrary: fc.record({ fitting: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(20) }) }) },
        { weight: 2, arbitrary: fc.record({ type: fc.constantFrom(...eventTypes) }) },
        { weight: 4, arbitrary: fc.record({ type: fc.constantFrom<EventType>('REQUEST_EXTENSION', 'REQUEST_EXTENSION', 'APPROVE_EXTENSION', 'APPROVE_EXTENSION', 'REFUSE_EXTENSION') }) },
      ),
      variant: fc.oneof(
        { weight: 6, arbitrary: fc.constant('valid' as const) },
        { weight: 1, arbitrary: fc.constantFrom('missing' as const, 'blank' as const, 'misplaced' as const, 'unknown' as const) },
      ),
      version: fc.oneof({ weight: 3, arbitrary: fc.constant('none' as const) }, { weight: 2, arbitrary: fc.constant('current' as const) }, { weight: 1, arbitrary: fc.constant('stale' as const) }),
      staleBy: fc.constantFrom(-2, -1, 1, 2),
      due: fc.nat(dueSamples.length - 1),
      unit: fc.nat(unitSamples.length - 1),
      until: fc.nat(untilSamples.length - 1),
      chooseUntil: fc.boolean(),
      comment: fc.boolean(),
    }),
  },
);

/** A valid command by a sender the SPEC allows, for the examples below. */
function step(type: EventType | 'fitting', options: Partial<Extract<Command, { kind: 'http' }>> = {}): Command {
  return {
    kind: 'http',
    sender: { fitting: 0 },
    event: type === 'fitting' ? { fitting: 0 } : { type },
    variant: 'valid',
    version: 'none',
    staleBy: 1,
    due: 0,
    unit: 0,
    until: 0,
    chooseUntil: false,
    comment: false,
    ...options,
  };
}
const until = (day: string) => ({ until: untilSamples.indexOf(day) });

/**
 * Runs always checked besides the random ones: a county township's requests through the limit (two
 * letters per request), a shorter grant on a Saturday, then a rejection's fair period after it; and a
 * reassignment that drops the old unit's pending request.
 */
const examples: [string, Command[]][] = [
  [
    'AH-GL',
    [
      step('REQUEST_EXTENSION', until('2021-07-02')),
      step('REQUEST_EXTENSION', until('2021-07-16')),
      step('APPROVE_EXTENSION', { ...until('2021-07-16'), chooseUntil: true }),
      step('APPROVE_EXTENSION'),
      step('APPROVE_EXTENSION'),
      step('REQUEST_EXTENSION', until('2021-07-02')),
      step('REQUEST_EXTENSION', until('2021-07-16')),
      step('REFUSE_EXTENSION'),
      step('REQUEST_EXTENSION', until('2021-07-30')),
      step('APPROVE_EXTENSION', { ...until('2021-07-03'), chooseUntil: true }),
      step('REQUEST_EXTENSION', until('2021-09-30')),
      { kind: 'sweep-escalates' },
      step('fitting'),
      step('fitting'),
      step('REJECT'),
    ],
  ],
  ['YY-WJW', [step('REQUEST_EXTENSION', until('2021-07-02')), step('REASSIGN', { unit: unitSamples.indexOf('YY-JTJ') }), step('APPROVE_EXTENSION'), step('REQUEST_EXTENSION', until('2021-07-16'))]],
];

function pick<T>(items: T[], index: number): T {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function resolve(command: Extract<Command, { kind: 'http' }>, model: Model): { username: string; body: Body } {
  const type = 'type' in command.event ? command.event.type : pick(accepts[model.state].length ? accepts[model.state] : eventTypes, command.event.fitting);
  let username: string;
  if ('username' in command.sender) username = command.sender.username;
  else {
    const fitting = usernames.filter((name) => sees(name, model.unitCode) && permitted(type, name, model.unitCode));
    username = pick(fitting.length ? fitting : usernames, command.sender.fitting);
  }

  const comment = command.comment ? { comment: '请查收' } : {};
  const valid: Record<EventType, Body> = {
    ACKNOWLEDGE: { type: 'ACKNOWLEDGE', ...comment },
    SUBMIT_RECTIFICATION: { type: 'SUBMIT_RECTIFICATION', feedback: '已安排专人回复留言', evidence: ['https://example.gov.cn/a'], rectifiedOn: '2021-06-17', ...comment },
    VERIFY: { type: 'VERIFY', ...comment },
    REJECT: { type: 'REJECT', reason: '回复不完整' },
    WITHDRAW: { type: 'WITHDRAW', reason: '复核后不再列为问题' },
    EXTEND_DEADLINE: { type: 'EXTEND_DEADLINE', reason: '网站改版', dueAt: pick(dueSamples, command.due) },
    REASSIGN: { type: 'REASSIGN', reason: '开设主体有误', unitCode: pick(unitSamples, command.unit) },
    ESCALATE: { type: 'ESCALATE' },
    REQUEST_EXTENSION: { type: 'REQUEST_EXTENSION', reason: '需协调技术公司改版', until: pick(untilSamples, command.until) },
    APPROVE_EXTENSION: { type: 'APPROVE_EXTENSION', ...(command.chooseUntil ? { until: pick(untilSamples, command.until) } : {}), ...comment },
    REFUSE_EXTENSION: { type: 'REFUSE_EXTENSION', reason: '理由不充分' },
  };
  const body: Body = { ...valid[type] };
  const required = payloadFields[type].required[0];
  if (command.variant === 'missing' && required) delete body[required];
  if (command.variant === 'blank' && required) body[required] = '   ';
  if (command.variant === 'misplaced') {
    const [field, value] = misplacedField[type];
    body[field] = value;
  }
  if (command.variant === 'unknown') body.colour = 'red';
  if (command.version === 'current') body.expectedVersion = model.version;
  if (command.version === 'stale') {
    const stale = model.version + command.staleBy;
    body.expectedVersion = stale >= 1 ? stale : model.version + 1;
  }
  return { username, body };
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

let t: TestApp;
let tokens: Record<string, string>;
let inspectionId: number;
let runs = 0;

beforeAll(async () => {
  t = await buildTestApp({ now: NOW });
  ({ tokens } = await seedOrganisation(t));
  inspectionId = (await createInspection(t, tokens['gov-sup'] ?? '')).id;
});
afterAll(() => t.close());

interface TicketDto {
  state: string;
  unitCode: string;
  rejections: number;
  escalationLevel: number;
  version: number;
  dueAt: string;
  extensionRequest: { until: string } | null;
}

function expectTicket(ticket: TicketDto, model: Model, context: string) {
  const { state, unitCode, rejections, escalationLevel, version, dueAt } = ticket;
  expect({ state, unitCode, rejections, escalationLevel, version, dueAt, extensionRequest: ticket.extensionRequest?.until ?? null }, context).toEqual({
    state: model.state,
    unitCode: model.unitCode,
    rejections: model.rejections,
    escalationLevel: model.escalationLevel,
    version: model.version,
    dueAt: new Date(model.dueAt).toISOString(),
    extensionRequest: model.extensionRequest,
  });
}

describe('POST /api/tickets/:id/events against a reference model', () => {
  it(
    'leaves the ticket, every answer and the audit trail where the model says, for any sequence of events',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('YY-WJW', 'YY-JTJ', 'AH-GL'), fc.array(commandArb, { minLength: 1, maxLength: 20, size: 'max' }), async (unitCode, commands) => {
          const issued = await issueFindings(t, inspectionId, [{ unitCode, targetName: `随机检查对象-${++runs}` }]);
          const ticketId = issued.tickets[0]?.id;
          if (!ticketId) throw new Error('no ticket issued');
          let model: Model = {
            state: 'issued',
            unitCode,
            rejections: 0,
            escalationLevel: 0,
            version: 1,
            dueAt: dueInstant('2021-06-25'),
            extensionRequest: null,
            extensionsGranted: 0,
            trail: [],
          };
          const log: string[] = [];

          for (const command of commands) {
            if (command.kind === 'sweep-escalates') {
              const expected = systemVerdict(model);
              let status = 200;
              try {
                await t.services.ticketWorkflow.apply({ ticketId, sender: { kind: 'system' }, input: { type: 'ESCALATE' } });
              } catch (error) {
                if (!(error instanceof AppError)) throw error;
                status = error.status;
              }
              log.push(`system ESCALATE → ${status} (model ${expected.status})`);
              expect(status, log.join('\n')).toBe(expected.status);
              if (expected.next) model = expected.next;
              continue;
            }

            const { username, body } = resolve(command, model);
            const expected = verdict(model, username, body);
            const response = await t.request(tokens[username] ?? '', 'POST', `/api/tickets/${ticketId}/events`, body);
            log.push(`${username} ${JSON.stringify(body)} in ${model.state}@v${model.version} on ${model.unitCode} → ${response.statusCode} (model ${expected.status})`);
            expect(response.statusCode, `${log.join('\n')}\n${response.body}`).toBe(expected.status);
            if (expected.next) {
              model = expected.next;
              expectTicket(response.json().ticket, model, log.join('\n'));
            } else {
              expect(response.headers['content-type']).toContain('application/problem+json');
              const problem = response.json();
              if (expected.status === 409) expect(problem, log.join('\n')).toMatchObject({ state: model.state, version: model.version });
              if (expected.status === 404) expect(problem, log.join('\n')).not.toHaveProperty('state');
            }
          }

          const detail = await t.request(tokens.admin ?? '', 'GET', `/api/tickets/${ticketId}`);
          expect(detail.statusCode).toBe(200);
          const { ticket, events, notifications } = detail.json() as {
            ticket: TicketDto;
            events: { seq: number; type: string }[];
            notifications: { kind: string }[];
          };
          expectTicket(ticket, model, log.join('\n'));
          expect(events.map((event) => event.seq)).toEqual(Array.from({ length: model.trail.length + 1 }, (_, i) => i + 1));
          expect(events.map((event) => event.type)).toEqual(['ISSUE', ...model.trail.map((step) => step.type)]);
          expect(notifications.map((mail) => mail.kind)).toEqual(['issued', ...model.trail.flatMap((step) => mailsOf(step.type, step.unit))]);
          const audit = await t.services.ticketEvents.verifyChains();
          expect(audit.firstBreak).toBeUndefined();
        }),
        { numRuns: 25, examples },
      );
    },
    300_000,
  );
});
