import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, PASSWORD, seedOrganisation } from '../helpers/fixtures.js';

/**
 * Who may do what to which ticket, over HTTP: out of scope answers 404 for reads and writes alike
 * (existence does not leak), in scope but not allowed answers 403. Plus the ticket list: scoping,
 * filters, keyset pagination and the validation of what clients send.
 */

const NOW = '2021-06-18T02:00:00Z';

let t: TestApp;
let tokens: Record<string, string>;
let inspectionId: number;

/** Unit tree of the fixtures plus another city office beside YY-GOV, outside the city office's scope. */
const parentOf: Record<string, string | null> = {
  ROOT: null,
  'YY-GOV': 'ROOT',
  'YY-WJW': 'YY-GOV',
  'YY-JTJ': 'YY-GOV',
  'AH-GOV': 'YY-GOV',
  'AH-GL': 'AH-GOV',
  'AH-SWJ': 'AH-GOV',
  'CS-GOV': 'ROOT',
};

const users: Record<string, { role: 'admin' | 'supervisor' | 'officer'; unit: string }> = {
  admin: { role: 'admin', unit: 'ROOT' },
  'gov-sup': { role: 'supervisor', unit: 'YY-GOV' },
  'gov-off': { role: 'officer', unit: 'YY-GOV' },
  'wjw-off': { role: 'officer', unit: 'YY-WJW' },
  'wjw-sup': { role: 'supervisor', unit: 'YY-WJW' },
  'jtj-off': { role: 'officer', unit: 'YY-JTJ' },
  'ah-sup': { role: 'supervisor', unit: 'AH-GOV' },
  'ah-off': { role: 'officer', unit: 'AH-GOV' },
  'gl-off': { role: 'officer', unit: 'AH-GL' },
  'swj-off': { role: 'officer', unit: 'AH-SWJ' },
  'cs-off': { role: 'officer', unit: 'CS-GOV' },
};

/** The officer who acknowledges and submits for a unit's tickets. */
const responsibleOfficer: Record<string, string> = {
  'YY-GOV': 'gov-off',
  'AH-GOV': 'ah-off',
  'YY-WJW': 'wjw-off',
  'YY-JTJ': 'jtj-off',
  'AH-GL': 'gl-off',
  'AH-SWJ': 'swj-off',
  'CS-GOV': 'cs-off',
};

function token(username: string): string {
  const value = tokens[username];
  if (!value) throw new Error(`no token for ${username}`);
  return value;
}

function user(username: string) {
  const found = users[username];
  if (!found) throw new Error(`unknown user ${username}`);
  return found;
}

/** Whether `unit` lies in the subtree of `root` (a unit is in its own subtree). */
function within(unit: string, root: string): boolean {
  for (let at: string | null | undefined = unit; at; at = parentOf[at]) if (at === root) return true;
  return false;
}

const sees = (username: string, unit: string) => user(username).role === 'admin' || within(unit, user(username).unit);

beforeAll(async () => {
  t = await buildTestApp({ now: NOW });
  ({ tokens } = await seedOrganisation(t));
  const created = await t.request(token('admin'), 'POST', '/api/units', {
    code: 'CS-GOV',
    name: '长沙市人民政府办公室',
    kind: 'other',
    parentCode: 'ROOT',
    emails: ['cs@changsha.test'],
  });
  expect(created.statusCode).toBe(201);
  for (const [username, unitCode] of [
    ['swj-off', 'AH-SWJ'],
    ['cs-off', 'CS-GOV'],
  ] as const) {
    const response = await t.request(token('admin'), 'POST', '/api/users', { username, password: PASSWORD, role: 'officer', unitCode });
    expect(response.statusCode).toBe(201);
    tokens[username] = await t.login(username, PASSWORD);
  }
  inspectionId = (await createInspection(t, token('gov-sup'))).id;
});
afterAll(() => t.close());

const sendEvent = (username: string, ticketId: number, body: Record<string, unknown>) =>
  t.request(token(username), 'POST', `/api/tickets/${ticketId}/events`, body);

async function expectOk(response: Awaited<ReturnType<typeof sendEvent>>) {
  if (response.statusCode !== 200) throw new Error(`expected 200, got ${response.statusCode}: ${response.body}`);
}

let targetCounter = 0;
/** Issues one ticket per state asked for, on `unit`, and brings each there through the responsible officer. */
async function ticketsIn(unit: string, states: ('issued' | 'acknowledged' | 'rectified')[]): Promise<number[]> {
  const items = states.map(() => ({ unitCode: unit, targetName: `权限检查对象-${++targetCounter}` }));
  const issued = await issueFindings(t, inspectionId, items);
  const ids = issued.tickets.map((ticket) => ticket.id);
  const officer = responsibleOfficer[unit];
  if (!officer) throw new Error(`no officer for ${unit}`);
  for (const [index, state] of states.entries()) {
    const id = ids[index] ?? 0;
    if (state === 'issued') continue;
    await expectOk(await sendEvent(officer, id, { type: 'ACKNOWLEDGE' }));
    if (state === 'rectified') await expectOk(await sendEvent(officer, id, { type: 'SUBMIT_RECTIFICATION', feedback: '已整改' }));
  }
  return ids;
}

const eventTypes = ['ACKNOWLEDGE', 'SUBMIT_RECTIFICATION', 'VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN', 'ESCALATE'] as const;
type EventType = (typeof eventTypes)[number];

/** The state in which each event is accepted, so that only the sender decides the outcome. */
const stateFor: Record<EventType, 'issued' | 'acknowledged' | 'rectified'> = {
  ACKNOWLEDGE: 'issued',
  SUBMIT_RECTIFICATION: 'acknowledged',
  VERIFY: 'rectified',
  REJECT: 'rectified',
  WITHDRAW: 'issued',
  EXTEND_DEADLINE: 'issued',
  REASSIGN: 'issued',
  ESCALATE: 'issued',
};

/** Another unit to reassign to: one the sender can see if there is one, else one it cannot. */
function reassignTarget(username: string, unit: string): string {
  const candidates = ['YY-JTJ', 'AH-SWJ', 'YY-WJW', 'AH-GL'].filter((code) => code !== unit);
  return candidates.find((code) => sees(username, code)) ?? candidates[0] ?? 'YY-JTJ';
}

function bodyOf(type: EventType, username: string, unit: string): Record<string, unknown> {
  switch (type) {
    case 'SUBMIT_RECTIFICATION':
      return { type, feedback: '已安排专人回复留言', evidence: ['https://example.gov.cn/a'], rectifiedOn: '2021-06-17' };
    case 'REJECT':
    case 'WITHDRAW':
      return { type, reason: '复核未通过' };
    case 'EXTEND_DEADLINE':
      return { type, reason: '网站改版', dueAt: '2021-07-09' };
    case 'REASSIGN':
      return { type, reason: '开设主体有误', unitCode: reassignTarget(username, unit) };
    default:
      return { type };
  }
}

/** The expected answer, from the SPEC's People and workflow tables. */
function expectedStatus(username: string, unit: string, type: EventType): number {
  if (!sees(username, unit)) return 404;
  const { role, unit: own } = user(username);
  const supervises = role === 'admin' || role === 'supervisor';
  const responsible = role === 'officer' && own === unit;
  switch (type) {
    case 'ACKNOWLEDGE':
    case 'SUBMIT_RECTIFICATION':
      return responsible ? 200 : 403;
    // Separation of duties: every supervisor decision needs a supervisor not of the ticket's unit.
    case 'VERIFY':
    case 'REJECT':
    case 'WITHDRAW':
    case 'EXTEND_DEADLINE':
      return supervises && own !== unit ? 200 : 403;
    case 'REASSIGN': {
      if (!supervises || own === unit) return 403;
      const target = reassignTarget(username, unit);
      // Nor may it hand the ticket to its own unit; a unit outside its scope is unknown to it (422).
      if (target === own) return 403;
      return sees(username, target) ? 200 : 422;
    }
    case 'ESCALATE':
      return 403;
  }
}

function expectedAllowedWhileIssued(username: string, unit: string): string[] {
  const { role, unit: own } = user(username);
  if (role === 'officer') return own === unit ? ['ACKNOWLEDGE', 'REQUEST_EXTENSION'] : [];
  return own === unit ? [] : ['WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN'];
}

const cases: { username: string; unit: string; who: string }[] = [
  { username: 'admin', unit: 'YY-WJW', who: 'the admin' },
  { username: 'admin', unit: 'CS-GOV', who: 'the admin, on a ticket of another city' },
  { username: 'gov-sup', unit: 'YY-WJW', who: 'the supervisor of the issuing office' },
  { username: 'gov-sup', unit: 'AH-GL', who: 'the supervisor of the issuing office, on a township two levels down' },
  { username: 'gov-sup', unit: 'CS-GOV', who: 'the supervisor of the issuing office, on a ticket of another city' },
  { username: 'wjw-sup', unit: 'YY-WJW', who: 'a supervisor of the responsible unit itself' },
  { username: 'gov-sup', unit: 'YY-GOV', who: 'the supervisor of the issuing office, on a ticket of its own office' },
  { username: 'ah-sup', unit: 'AH-GOV', who: 'the county supervisor, on a ticket of its own county office' },
  { username: 'wjw-sup', unit: 'YY-JTJ', who: 'a supervisor of a sibling unit' },
  { username: 'ah-sup', unit: 'AH-GL', who: 'the county supervisor, on a unit of its subtree' },
  { username: 'ah-sup', unit: 'YY-WJW', who: 'the county supervisor, on a unit outside its subtree' },
  { username: 'wjw-off', unit: 'YY-WJW', who: 'an officer of the responsible unit' },
  { username: 'gl-off', unit: 'AH-GL', who: 'an officer of the responsible township' },
  { username: 'jtj-off', unit: 'YY-WJW', who: 'an officer of another unit' },
  { username: 'swj-off', unit: 'AH-GL', who: 'an officer of a sibling township' },
  { username: 'gov-off', unit: 'YY-WJW', who: 'an officer of the parent unit' },
  { username: 'ah-off', unit: 'AH-GL', who: 'an officer of the parent (county) unit' },
];

describe('POST /api/tickets/:id/events and GET /api/tickets/:id: the authorization matrix', () => {
  it.each(cases)('$who ($username) on a $unit ticket', async ({ username, unit }) => {
    const ids = await ticketsIn(unit, eventTypes.map((type) => stateFor[type]));
    const expected: Record<string, number> = {};
    const actual: Record<string, number> = {};
    for (const [index, type] of eventTypes.entries()) {
      const id = ids[index] ?? 0;
      const read = await t.request(token(username), 'GET', `/api/tickets/${id}`);
      expected[`GET (${stateFor[type]})`] = sees(username, unit) ? 200 : 404;
      actual[`GET (${stateFor[type]})`] = read.statusCode;
      const response = await sendEvent(username, id, bodyOf(type, username, unit));
      expected[type] = expectedStatus(username, unit, type);
      actual[type] = response.statusCode;
      if (response.statusCode !== 200) expect(response.headers['content-type'], type).toContain('application/problem+json');
      if (response.statusCode === 404) expect(response.json(), type).toMatchObject({ code: 'tickets.not_found' });
      if (response.statusCode === 403) expect(response.json(), type).toMatchObject({ code: 'tickets.forbidden', state: stateFor[type] });
    }
    expect(actual).toEqual(expected);
  });

  it.each(cases.filter(({ username, unit }) => sees(username, unit)))('shows $who ($username) only the events it may send now', async ({ username, unit }) => {
    const [id] = await ticketsIn(unit, ['issued']);
    const detail = await t.request(token(username), 'GET', `/api/tickets/${id}`);
    expect(detail.statusCode).toBe(200);
    expect(new Set(detail.json().allowedEvents)).toEqual(new Set(expectedAllowedWhileIssued(username, unit)));
  });

  it('refuses a supervisor verifying or rejecting a ticket of its own unit, but lets the issuing office do it', async () => {
    const [a, b] = await ticketsIn('YY-WJW', ['rectified', 'rectified']);
    const own = await sendEvent('wjw-sup', a ?? 0, { type: 'VERIFY' });
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ code: 'tickets.forbidden', state: 'rectified', allowedEvents: [] });
    expect((await sendEvent('wjw-sup', b ?? 0, { type: 'REJECT', reason: '不合格' })).statusCode).toBe(403);
    expect((await sendEvent('gov-sup', a ?? 0, { type: 'VERIFY' })).json().ticket).toMatchObject({ state: 'verified' });
  });

  it('refuses a unit closing, postponing or moving its own ticket, also once rectified', async () => {
    const [a, b, c] = await ticketsIn('AH-GOV', ['rectified', 'acknowledged', 'issued']);
    expect((await sendEvent('ah-sup', a ?? 0, { type: 'WITHDRAW', reason: '自行撤销' })).statusCode).toBe(403);
    expect((await sendEvent('ah-sup', b ?? 0, { type: 'EXTEND_DEADLINE', reason: '自行延期', dueAt: '2099-12-31' })).statusCode).toBe(403);
    // Reassigning to a child unit, to verify it there, is refused at the first step.
    expect((await sendEvent('ah-sup', c ?? 0, { type: 'REASSIGN', reason: '转下级', unitCode: 'AH-GL' })).statusCode).toBe(403);
    for (const id of [a, b, c]) expect((await t.request(token('admin'), 'GET', `/api/tickets/${id}`)).json().events).toHaveLength(id === c ? 1 : id === b ? 2 : 3);
  });

  const reassignments: { username: string; unit: string; target: string; status: number; why: string }[] = [
    { username: 'gov-sup', unit: 'YY-WJW', target: 'YY-GOV', status: 403, why: 'to the sender\'s own unit' },
    { username: 'gov-sup', unit: 'YY-WJW', target: 'YY-JTJ', status: 200, why: 'to a sibling of the ticket\'s unit' },
    { username: 'gov-sup', unit: 'YY-WJW', target: 'AH-GL', status: 200, why: 'to a unit two levels below the sender' },
    { username: 'gov-sup', unit: 'YY-WJW', target: 'CS-GOV', status: 422, why: 'to a unit outside the sender\'s scope' },
    { username: 'ah-sup', unit: 'AH-GL', target: 'AH-GOV', status: 403, why: 'to the sender\'s own unit, the ticket\'s parent' },
    { username: 'ah-sup', unit: 'AH-GL', target: 'AH-SWJ', status: 200, why: 'to a sibling township' },
    { username: 'ah-sup', unit: 'AH-GOV', target: 'AH-GL', status: 403, why: 'from the sender\'s own unit to its child' },
    { username: 'gov-sup', unit: 'AH-GL', target: 'YY-GOV', status: 403, why: 'from two levels down to the sender\'s own unit' },
    { username: 'admin', unit: 'YY-WJW', target: 'ROOT', status: 403, why: 'by the admin, to its own unit' },
    { username: 'admin', unit: 'YY-WJW', target: 'CS-GOV', status: 200, why: 'by the admin, to another city' },
  ];
  it.each(reassignments)('REASSIGN by $username of a $unit ticket $why answers $status', async ({ username, unit, target, status }) => {
    const [id] = await ticketsIn(unit, ['acknowledged']);
    const response = await sendEvent(username, id ?? 0, { type: 'REASSIGN', reason: '开设主体有误', unitCode: target });
    expect(response.statusCode, response.body).toBe(status);
    if (status === 403) expect(response.json()).toMatchObject({ code: 'tickets.forbidden' });
  });

  it('answers 404, not 403, for a ticket id that does not exist, like for one out of scope', async () => {
    for (const username of ['admin', 'wjw-off']) {
      expect((await t.request(token(username), 'GET', '/api/tickets/999999')).statusCode).toBe(404);
      expect((await sendEvent(username, 999999, { type: 'ACKNOWLEDGE' })).statusCode).toBe(404);
    }
  });

  it('hides out-of-scope tickets even when the request names the right version and a perfect payload', async () => {
    const [id] = await ticketsIn('YY-WJW', ['issued']);
    const response = await sendEvent('jtj-off', id ?? 0, { type: 'ACKNOWLEDGE', expectedVersion: 1 });
    expect(response.statusCode).toBe(404);
    expect(response.json()).not.toHaveProperty('state');
    expect(response.json()).not.toHaveProperty('allowedEvents');
  });
});

interface TicketDto {
  id: number;
  number: string;
  state: string;
  unitCode: string;
  inspectionId: number;
  overdue: boolean;
  escalationLevel: number;
  target: { name: string };
}

async function list(username: string, query = ''): Promise<{ items: TicketDto[]; nextCursor: string | null }> {
  const response = await t.request(token(username), 'GET', `/api/tickets${query ? `?${query}` : ''}`);
  if (response.statusCode !== 200) throw new Error(`GET /api/tickets?${query}: ${response.statusCode} ${response.body}`);
  return response.json();
}

async function all(username: string, query: string): Promise<TicketDto[]> {
  const items: TicketDto[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(username, `${query}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe('GET /api/tickets', () => {
  /** Five tickets of their own inspection, so the filters can be checked exactly. */
  const own: Record<string, { id: number; number: string }> = {};
  let listInspection: number;

  beforeAll(async () => {
    listInspection = (await createInspection(t, token('gov-sup'), { title: '列表检查', documentNumber: '益政务办发〔2021〕9号', shortCode: '2021-L' })).id;
    const issued = await issueFindings(t, listInspection, [
      { unitCode: 'YY-WJW', targetName: '健康益阳' },
      { unitCode: 'YY-WJW', targetName: '益阳卫健在线' },
      { unitCode: 'YY-JTJ', targetName: '益阳交通' },
      { unitCode: 'AH-GL', targetName: '古楼乡政务' },
      { unitCode: 'AH-SWJ', targetName: '安化商务_100%' },
    ]);
    for (const [index, name] of ['wjw1', 'wjw2', 'jtj', 'gl', 'swj'].entries()) {
      const ticket = issued.tickets[index];
      if (!ticket) throw new Error('issuance returned too few tickets');
      own[name] = ticket;
    }
    const id = (name: string) => own[name]?.id ?? 0;
    await expectOk(await sendEvent('wjw-off', id('wjw2'), { type: 'ACKNOWLEDGE' }));
    // Due later than the others: not overdue when the rest is.
    await expectOk(await sendEvent('gov-sup', id('wjw2'), { type: 'EXTEND_DEADLINE', reason: '网站改版', dueAt: '2021-07-30' }));
    await expectOk(await sendEvent('jtj-off', id('jtj'), { type: 'ACKNOWLEDGE' }));
    await expectOk(await sendEvent('jtj-off', id('jtj'), { type: 'SUBMIT_RECTIFICATION', feedback: '已整改' }));
    await t.services.ticketWorkflow.apply({ ticketId: id('gl'), sender: { kind: 'system' }, input: { type: 'ESCALATE' } });
    await expectOk(await sendEvent('ah-sup', id('swj'), { type: 'WITHDRAW', reason: '复核后撤销' }));
  });
  afterEach(() => t.clock.set(NOW));

  const ids = (items: TicketDto[]) => items.map((item) => item.id).sort((a, b) => a - b);
  const idsOf = (...names: string[]) => names.map((name) => own[name]?.id ?? 0).sort((a, b) => a - b);

  it('shows an officer only its own unit’s tickets, a county supervisor its subtree, the admin everything', async () => {
    const everything = await all('admin', '');
    const units = new Set(everything.map((item) => item.unitCode));
    expect(units).toEqual(new Set(['YY-GOV', 'YY-WJW', 'YY-JTJ', 'AH-GOV', 'AH-GL', 'AH-SWJ', 'CS-GOV']));
    expect(everything.length).toBe((await all('gov-sup', '')).length + everything.filter((item) => item.unitCode === 'CS-GOV').length);

    const jtj = await all('jtj-off', '');
    expect(jtj.length).toBeGreaterThan(0);
    expect(jtj.every((item) => item.unitCode === 'YY-JTJ')).toBe(true);
    expect(await all('jtj-off', 'unit=YY-WJW')).toEqual([]);

    const county = await all('ah-sup', '');
    expect(new Set(county.map((item) => item.unitCode))).toEqual(new Set(['AH-GOV', 'AH-GL', 'AH-SWJ']));
    expect(county.map((item) => item.id)).toContain(own.gl?.id);

    expect(new Set((await all('gl-off', '')).map((item) => item.unitCode))).toEqual(new Set(['AH-GL']));
    expect(new Set((await all('ah-off', '')).map((item) => item.unitCode))).toEqual(new Set(['AH-GOV', 'AH-GL', 'AH-SWJ']));
  });

  it('filters by inspection, state (one or several) and unit', async () => {
    expect(ids(await all('admin', `inspection=${listInspection}`))).toEqual(idsOf('wjw1', 'wjw2', 'jtj', 'gl', 'swj'));
    expect(ids(await all('admin', `inspection=${listInspection}&state=issued`))).toEqual(idsOf('wjw1', 'gl'));
    expect(ids(await all('admin', `inspection=${listInspection}&state=acknowledged,rectified`))).toEqual(idsOf('wjw2', 'jtj'));
    expect(ids(await all('admin', `inspection=${listInspection}&state=withdrawn`))).toEqual(idsOf('swj'));
    expect(ids(await all('admin', `inspection=${listInspection}&unit=YY-WJW`))).toEqual(idsOf('wjw1', 'wjw2'));
    expect(ids(await all('gov-sup', `inspection=${listInspection}&unit=AH-GL&state=issued`))).toEqual(idsOf('gl'));
    // A filter never widens the scope.
    expect(await all('jtj-off', `inspection=${listInspection}&unit=YY-WJW`)).toEqual([]);
  });

  it('filters by escalated', async () => {
    expect(ids(await all('admin', `inspection=${listInspection}&escalated=true`))).toEqual(idsOf('gl'));
    expect(ids(await all('admin', `inspection=${listInspection}&escalated=false`))).toEqual(idsOf('wjw1', 'wjw2', 'jtj', 'swj'));
  });

  it('filters by overdue: past due and still issued or acknowledged', async () => {
    expect(await all('admin', `inspection=${listInspection}&overdue=true`)).toEqual([]);
    t.clock.set('2021-06-28T02:00:00Z');
    const overdue = await all('admin', `inspection=${listInspection}&overdue=true`);
    expect(ids(overdue)).toEqual(idsOf('wjw1', 'gl'));
    expect(overdue.every((item) => item.overdue)).toBe(true);
    expect(ids(await all('admin', `inspection=${listInspection}&overdue=false`))).toEqual(idsOf('wjw2', 'jtj', 'swj'));
  });

  it('searches q over the ticket number, the target name and the unit name, taking % and _ literally', async () => {
    expect(ids(await all('admin', `q=${encodeURIComponent(own.jtj?.number ?? '?')}`))).toEqual(idsOf('jtj'));
    expect(ids(await all('admin', `inspection=${listInspection}&q=${encodeURIComponent('健康益阳')}`))).toEqual(idsOf('wjw1'));
    expect(ids(await all('admin', `inspection=${listInspection}&q=${encodeURIComponent('卫生健康委员会')}`))).toEqual(idsOf('wjw1', 'wjw2'));
    expect(ids(await all('admin', `inspection=${listInspection}&q=${encodeURIComponent('古楼')}`))).toEqual(idsOf('gl'));
    expect(ids(await all('admin', `inspection=${listInspection}&q=${encodeURIComponent('_100%')}`))).toEqual(idsOf('swj'));
    expect(ids(await all('admin', `inspection=${listInspection}&q=${encodeURIComponent('%')}`))).toEqual(idsOf('swj'));
    // As wildcards these would match 卫生健康委员会 and every name.
    expect(await all('admin', `inspection=${listInspection}&q=${encodeURIComponent('卫_健')}`)).toEqual([]);
    expect(await all('admin', `inspection=${listInspection}&q=${encodeURIComponent('益阳%委员会')}`)).toEqual([]);
    expect(await all('jtj-off', `q=${encodeURIComponent('健康益阳')}`)).toEqual([]);
  });

  it('pages with a keyset cursor: limit 2 over 5 tickets gives 2 + 2 + 1 without overlap or gap', async () => {
    const whole = (await list('admin', `inspection=${listInspection}&limit=200`)).items.map((item) => item.id);
    expect(whole).toHaveLength(5);
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const page = await list('admin', `inspection=${listInspection}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      pages.push(page.items.map((item) => item.id));
      cursor = page.nextCursor;
      expect(pages.length).toBeLessThanOrEqual(3);
    } while (cursor);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(whole);
    expect(new Set(pages.flat()).size).toBe(5);
  });

  it('answers nextCursor null when the last page is exactly full', async () => {
    const first = await list('admin', `inspection=${listInspection}&limit=4`);
    expect(first.items).toHaveLength(4);
    const second = await list('admin', `inspection=${listInspection}&limit=4&cursor=${encodeURIComponent(first.nextCursor ?? '')}`);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const exact = await list('admin', `inspection=${listInspection}&limit=5`);
    expect(exact.items).toHaveLength(5);
    expect(exact.nextCursor).toBeNull();
  });

  it('refuses a garbage cursor with 400 problem+json naming querystring.cursor', async () => {
    for (const cursor of ['garbage', Buffer.from('{"l":"units","k":"YY"}').toString('base64url'), Buffer.from('{"l":"tickets","k":["soon",1]}').toString('base64url')]) {
      const response = await t.request(token('admin'), 'GET', `/api/tickets?cursor=${encodeURIComponent(cursor)}`);
      expect(response.statusCode, cursor).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'querystring.cursor' })]));
    }
  });

  it('refuses limit=0 and limit=201, and unknown query parameters, with 400 naming the field', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=abc']) {
      const response = await t.request(token('admin'), 'GET', `/api/tickets?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'querystring.limit' })]));
    }
    const unknown = await t.request(token('admin'), 'GET', '/api/tickets?colour=red');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'querystring.colour' })]));
    expect((await t.request(token('admin'), 'GET', '/api/tickets?state=closed')).statusCode).toBe(400);
  });

  it('refuses an unknown body field with 400 naming it, before looking at the ticket', async () => {
    const id = own.wjw1?.id ?? 0;
    const response = await sendEvent('wjw-off', id, { type: 'ACKNOWLEDGE', colour: 'red' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'colour' })]));
    // A field the schema knows but this event does not take is refused the same way.
    const misplaced = await sendEvent('wjw-off', id, { type: 'ACKNOWLEDGE', reason: '多余' });
    expect(misplaced.statusCode).toBe(400);
    expect(misplaced.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'reason' })]));
    expect((await t.request(token('wjw-off'), 'GET', `/api/tickets/${id}`)).json().ticket).toMatchObject({ state: 'issued', version: 1 });
  });

  it('checks a body against its own event only, naming just that event\'s fields, a missing or unknown type, and blank required text', async () => {
    const id = own.wjw1?.id ?? 0;
    const fieldsOf = (response: Awaited<ReturnType<typeof sendEvent>>) => {
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      return (response.json().errors as { field: string }[]).map((e) => e.field).sort();
    };
    expect(fieldsOf(await sendEvent('wjw-off', id, { type: 'REQUEST_EXTENSION', until: '2021-13-01', colour: 'red' }))).toEqual(['colour', 'reason', 'until']);
    expect(fieldsOf(await sendEvent('wjw-off', id, { reason: '无类型' }))).toEqual(['type']);
    expect(fieldsOf(await sendEvent('wjw-off', id, { type: 'CLOSE' }))).toEqual(['type']);
    expect(fieldsOf(await sendEvent('gov-sup', id, { type: 'WITHDRAW', reason: ' \n ' }))).toEqual(['reason']);
    const bulk = await t.request(token('gov-sup'), 'POST', '/api/tickets/events', { items: [{ id, type: 'REJECT' }] });
    expect(fieldsOf(bulk)).toEqual(['items.0.reason']);
    expect((await t.request(token('wjw-off'), 'GET', `/api/tickets/${id}`)).json().ticket).toMatchObject({ state: 'issued', version: 1 });
  });
});
