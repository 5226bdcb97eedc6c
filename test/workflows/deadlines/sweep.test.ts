import { createFolderFileStore } from '../../../storage/folder.driver.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabase, type Database } from '../../../db/client.js';
import { notifications, ticketDeadlineActions, tickets, users } from '../../../db/schema/index.js';
import { renderStoredMail } from '../../../notifications/mail-payload.js';
import { createServices, type Services } from '../../../server/services.js';
import { createCalendarService } from '../../../workflows/deadlines/calendar.service.js';
import { createSweep, startSweepTimer, type SweepLogger, type SweepResult } from '../../../workflows/deadlines/sweep.js';
import { buildTestApp } from '../../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../../helpers/fixtures.js';
import { onPostgres } from '../../helpers/test-database.js';
import { loadAuditKey } from '../../../server/audit-key.js';

/** An instant written in Shanghai local time, e.g. at('2021-06-22 00:00'). */
function at(shanghaiLocal: string): Date {
  return new Date(`${shanghaiLocal.replace(' ', 'T')}+08:00`);
}

const nothing: SweepResult = { reminders: 0, escalations: 0, verifyReminders: 0, examined: 0, provisional: 0, failed: 0 };

/** Collects what the sweep logs; a test fails on any error it did not expect. */
function recordingLogger() {
  const lines: { level: 'info' | 'warn' | 'error'; details: object; message: string }[] = [];
  const logger: SweepLogger = {
    info: (details, message) => lines.push({ level: 'info', details, message }),
    warn: (details, message) => lines.push({ level: 'warn', details, message }),
    error: (details, message) => lines.push({ level: 'error', details, message }),
  };
  return { lines, logger };
}

/** One test app with the 2021 unit tree, issuing at Friday 2021-06-18 10:00 in Shanghai. */
async function setUp(options: { issuedAt?: string } = {}) {
  const t = await buildTestApp({ now: at(options.issuedAt ?? '2021-06-18 10:00') });
  const { tokens } = await seedOrganisation(t);
  const log = recordingLogger();

  async function sweepAt(moment: Date | string): Promise<SweepResult> {
    t.clock.set(typeof moment === 'string' ? at(moment) : moment);
    return t.services.sweep.run({ now: t.clock.now(), logger: log.logger });
  }

  /** Makes the next sweep look at the ticket whatever its schedule says, to show that the rule, not the schedule, decides. */
  async function lookAgain(ticketId: number): Promise<void> {
    await t.services.db.update(tickets).set({ nextActionAt: new Date(0) }).where(eq(tickets.id, ticketId));
  }

  async function nextActionAt(ticketId: number): Promise<Date | null> {
    const [row] = await t.services.db.select({ next: tickets.nextActionAt }).from(tickets).where(eq(tickets.id, ticketId));
    return row?.next ?? null;
  }

  async function mails(ticketId: number, kind?: string) {
    const all = await t.services.notifications.listForTicket({ ticketId });
    return kind ? all.filter((n) => n.kind === kind) : all;
  }

  async function escalations(ticketId: number) {
    const events = await t.services.ticketEvents.listForTicket({ ticketId });
    return events.filter((e) => e.type === 'ESCALATE');
  }

  async function actions(ticketId: number) {
    return t.services.db
      .select({ kind: ticketDeadlineActions.kind, step: ticketDeadlineActions.step, basis: ticketDeadlineActions.basis })
      .from(ticketDeadlineActions)
      .where(eq(ticketDeadlineActions.ticketId, ticketId))
      .orderBy(asc(ticketDeadlineActions.basis), asc(ticketDeadlineActions.kind), asc(ticketDeadlineActions.step));
  }

  async function send(who: string, ticketId: number, body: Record<string, unknown>, moment: string) {
    t.clock.set(at(moment));
    const response = await t.request(tokens[who] ?? '', 'POST', `/api/tickets/${ticketId}/events`, body);
    if (response.statusCode !== 200) throw new Error(`${String(body.type)} by ${who}: ${response.statusCode} ${response.body}`);
    return response.json().ticket as { state: string; escalationLevel: number; overdue: boolean; dueAt: string };
  }

  async function issue(items: { unitCode: string; targetName: string }[], inspection?: Record<string, unknown>) {
    // sendAt 00:00: these tests pin the rule's own moments; office hours are tested in deadlines.test.ts and demo-replay.test.ts.
    const created = await createInspection(t, tokens['gov-sup'] ?? '', { policy: { sendAt: '00:00' }, ...inspection });
    const result = await issueFindings(t, created.id, items);
    return result.tickets.map((ticket) => ticket.id);
  }

  return { t, tokens, log, sweepAt, lookAgain, nextActionAt, mails, escalations, actions, send, issue };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/**
 * Checks one moment of the precise rule: a sweep forced to look one millisecond before does
 * nothing and schedules the ticket for exactly that moment; at the moment it acts.
 */
async function expectDueFrom(s: Setup, ticketId: number, moment: string, expected: Partial<SweepResult>) {
  const instant = at(moment);
  await s.lookAgain(ticketId);
  expect(await s.sweepAt(new Date(instant.getTime() - 1))).toMatchObject({ ...nothing, examined: 1 });
  expect(await s.nextActionAt(ticketId)).toEqual(instant);
  expect(await s.sweepAt(instant)).toMatchObject({ ...nothing, examined: 1, ...expected });
}

describe('the 2021 notice: feedback due Friday 2021-06-25', () => {
  let s: Setup;
  let ticketId: number;
  beforeAll(async () => {
    s = await setUp();
    // 古楼乡: its parent is the county office, not the issuing city office, so each level's addressees differ.
    [ticketId = 0] = await s.issue([{ unitCode: 'AH-GL', targetName: '古楼乡人民政府网' }]);
  });
  afterAll(() => s.t.close());
  afterEach(() => expect(s.log.lines.filter((l) => l.level === 'error')).toEqual([]));

  it('owes nothing on the day of issue and schedules reminder 3 for 2021-06-22 00:00', async () => {
    expect(await s.sweepAt('2021-06-18 10:00')).toEqual({ ...nothing, examined: 1 });
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-06-22 00:00'));
    expect(await s.sweepAt('2021-06-21 23:59:59.999')).toEqual(nothing);
  });

  it('sends reminder 3 from 2021-06-22 00:00 to the unit, once', async () => {
    await expectDueFrom(s, ticketId, '2021-06-22 00:00', { reminders: 1 });
    const [reminder, ...more] = await s.mails(ticketId, 'reminder');
    expect(more).toEqual([]);
    expect(reminder).toMatchObject({ recipients: ['gulou@yiyang.test'], eventId: null });
    expect(reminder?.subject).toContain('还剩3个工作日');
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-06-24 00:00'));
    expect(await s.sweepAt('2021-06-22 00:00')).toEqual(nothing);
  });

  it('sends reminder 1 from 2021-06-24 00:00', async () => {
    await expectDueFrom(s, ticketId, '2021-06-24 00:00', { reminders: 1 });
    const reminders = await s.mails(ticketId, 'reminder');
    expect(reminders.map((m) => m.subject.includes('还剩1个工作日'))).toEqual([false, true]);
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-06-29 00:00'));
  });

  it('escalates to level 1 from 2021-06-29 00:00, once Monday 06-28 has ended, emailing the unit and its parent', async () => {
    await expectDueFrom(s, ticketId, '2021-06-29 00:00', { escalations: 1 });
    const [event] = await s.escalations(ticketId);
    expect(event).toMatchObject({ type: 'ESCALATE', actor: 'system', fromState: 'issued', toState: 'issued', payload: { level: 1 }, at: at('2021-06-29 00:00') });
    const [mail] = await s.mails(ticketId, 'escalation');
    // 催办 goes to the unit alone.
    expect(mail).toMatchObject({ recipients: ['gulou@yiyang.test'], cc: [], eventId: event?.id });
    expect(mail?.subject).toMatch(/^【催办】/);
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-07-02 00:00'));
  });

  it('reaches level 2 from 2021-07-02 00:00 and level 3 from 2021-07-07 00:00, adding the issuing office', async () => {
    await expectDueFrom(s, ticketId, '2021-07-02 00:00', { escalations: 1 });
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-07-07 00:00'));
    await expectDueFrom(s, ticketId, '2021-07-07 00:00', { escalations: 1 });
    expect((await s.escalations(ticketId)).map((e) => e.payload)).toEqual([{ level: 1 }, { level: 2 }, { level: 3 }]);
    const last = (await s.mails(ticketId, 'escalation')).at(-1);
    // 通报: the unit, copied to the county office above it and to the issuing office.
    expect(last?.recipients).toEqual(['gulou@yiyang.test']);
    expect([...(last?.cc ?? [])].sort()).toEqual(['ah@yiyang.test', 'gov@yiyang.test']);
    expect(await s.nextActionAt(ticketId)).toBeNull();
  });

  it('does nothing more after the highest level', async () => {
    await s.lookAgain(ticketId);
    expect(await s.sweepAt('2021-09-01 10:00')).toEqual({ ...nothing, examined: 1 });
    expect(await s.escalations(ticketId)).toHaveLength(3);
    expect(await s.nextActionAt(ticketId)).toBeNull();
    expect((await s.actions(ticketId)).map((a) => [a.kind, a.step])).toEqual([
      ['escalation', 1],
      ['escalation', 2],
      ['escalation', 3],
      ['reminder', 1],
      ['reminder', 3],
    ]);
  });
});

describe('around National Day: feedback due Thursday 2021-09-30', () => {
  let s: Setup;
  let ticketId: number;
  beforeAll(async () => {
    s = await setUp({ issuedAt: '2021-09-10 10:00' });
    [ticketId = 0] = await s.issue([{ unitCode: 'YY-JTJ', targetName: '益阳交通' }], {
      shortCode: '2021-9',
      issuedOn: '2021-09-10',
      samplingFrom: '2021-08-01',
      samplingTo: '2021-08-31',
      feedbackDeadline: '2021-09-30',
    });
    await s.sweepAt('2021-09-10 10:00');
  });
  afterAll(() => s.t.close());

  it('reminds from Monday 09-27 and Wednesday 09-29', async () => {
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-09-27 00:00'));
    await expectDueFrom(s, ticketId, '2021-09-27 00:00', { reminders: 1 });
    await expectDueFrom(s, ticketId, '2021-09-29 00:00', { reminders: 1 });
  });

  it('escalates only after the first working day past the holiday, 10-08, has ended', async () => {
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-10-09 00:00'));
    await expectDueFrom(s, ticketId, '2021-10-09 00:00', { escalations: 1 });
    // 10-09 (an adjusted Saturday), 10-11 and 10-12 are the next three working days.
    await expectDueFrom(s, ticketId, '2021-10-13 00:00', { escalations: 1 });
    // Level 3 falls due on Saturday 10-16: nothing goes out on a rest day, so it waits for Monday.
    await expectDueFrom(s, ticketId, '2021-10-18 00:00', { escalations: 1 });
    expect((await s.escalations(ticketId)).map((e) => e.at)).toEqual([at('2021-10-09 00:00'), at('2021-10-13 00:00'), at('2021-10-18 00:00')]);
  });
});

describe('a late sweep', () => {
  let s: Setup;
  let ticketId: number;
  beforeAll(async () => {
    s = await setUp();
    [ticketId = 0] = await s.issue([{ unitCode: 'YY-WJW', targetName: '健康益阳' }]);
  });
  afterAll(() => s.t.close());

  it('that finds reminders 3 and 1 both due sends only reminder 1', async () => {
    expect(await s.sweepAt('2021-06-24 09:00')).toEqual({ ...nothing, examined: 1, reminders: 1 });
    const reminders = await s.mails(ticketId, 'reminder');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]?.subject).toContain('还剩1个工作日');
    expect((await s.actions(ticketId)).map((a) => [a.kind, a.step])).toEqual([['reminder', 1]]);
  });

  it('long after the deadline writes ESCALATE levels 1, 2 and 3 as three audit events, in order', async () => {
    expect(await s.sweepAt('2021-07-20 10:00')).toEqual({ ...nothing, examined: 1, escalations: 3 });
    const events = await s.t.services.ticketEvents.listForTicket({ ticketId });
    expect(events.map((e) => [e.seq, e.type, e.payload])).toEqual([
      [1, 'ISSUE', expect.anything()],
      [2, 'ESCALATE', { level: 1 }],
      [3, 'ESCALATE', { level: 2 }],
      [4, 'ESCALATE', { level: 3 }],
    ]);
    // Catching up: the trail has every level, the unit one email at the highest.
    const mails = await s.mails(ticketId, 'escalation');
    expect(mails.map((m) => m.eventId)).toEqual([events[3]?.id]);
    expect(mails.map((m) => [m.recipients, m.cc])).toEqual([[['wjw@yiyang.test'], ['gov@yiyang.test']]]);
    expect(mails[0]?.subject).toMatch(/^【通报】.*（已逾期\d+个工作日）$/);
    const detail = await s.t.request(s.tokens['gov-sup'] ?? '', 'GET', `/api/tickets/${ticketId}`);
    expect(detail.json().ticket).toMatchObject({ escalationLevel: 3, overdue: true });
  });

  it('run again adds nothing, even when made to look at the ticket', async () => {
    const before = { mails: (await s.mails(ticketId)).length, events: (await s.t.services.ticketEvents.listForTicket({ ticketId })).length };
    expect(await s.sweepAt('2021-07-20 10:00')).toEqual(nothing);
    await s.lookAgain(ticketId);
    expect(await s.sweepAt('2021-07-20 10:00')).toEqual({ ...nothing, examined: 1 });
    expect((await s.mails(ticketId)).length).toBe(before.mails);
    expect((await s.t.services.ticketEvents.listForTicket({ ticketId })).length).toBe(before.events);
  });
});

describe('submitted, rejected and verified tickets', () => {
  let s: Setup;
  let submitted: number;
  let rejected: number;
  beforeAll(async () => {
    s = await setUp();
    [submitted = 0, rejected = 0] = await s.issue([
      { unitCode: 'YY-WJW', targetName: '健康益阳' },
      { unitCode: 'YY-JTJ', targetName: '益阳交通' },
    ]);
    await s.send('wjw-off', submitted, { type: 'ACKNOWLEDGE' }, '2021-06-21 10:00');
    await s.send('wjw-off', submitted, { type: 'SUBMIT_RECTIFICATION', feedback: '已安排专人回复全部留言', evidence: ['https://example.gov.cn/a'] }, '2021-06-21 10:00');
    await s.send('jtj-off', rejected, { type: 'ACKNOWLEDGE' }, '2021-06-21 10:00');
  });
  afterAll(() => s.t.close());

  it('sends a rectified ticket no unit reminders', async () => {
    expect(await s.sweepAt('2021-06-22 00:00')).toMatchObject({ reminders: 1 });
    expect(await s.sweepAt('2021-06-24 00:00')).toMatchObject({ reminders: 1 });
    expect(await s.mails(submitted, 'reminder')).toEqual([]);
    expect(await s.mails(rejected, 'reminder')).toHaveLength(2);
  });

  it('reads the latest submissions of more tickets than one statement takes parameters (a digest at national scale)', async () => {
    const ids = [...Array.from({ length: 70_000 }, (_, i) => 10_000_000 + i), submitted];
    const latest = await s.t.services.deadlineActions.latestSubmissions({ ids }, s.t.services.db);
    expect([...latest.keys()]).toEqual([submitted]);
    expect(latest.get(submitted)).toMatchObject({ feedback: '已安排专人回复全部留言', evidence: ['https://example.gov.cn/a'] });
  });

  it("reminds the issuing office once the 5 working days after the submission's day have ended", async () => {
    // Submitted Monday 06-21: the allowance is 06-22 to 06-28.
    // The other ticket's level 1 falls due at the same moment.
    await expectDueFrom(s, submitted, '2021-06-29 00:00', { examined: 2, verifyReminders: 1, escalations: 1 });
    const [mail, ...more] = await s.mails(submitted, 'verify_reminder');
    expect(more).toEqual([]);
    expect(mail).toMatchObject({ recipients: ['gov@yiyang.test'], eventId: null });
    expect(mail?.subject).toMatch(/^【核验提醒】/);
    const [row] = await s.t.services.db.select().from(notifications).where(eq(notifications.id, mail?.id ?? 0));
    expect(row && renderStoredMail(row).text).toContain('已超过核验时限');
    expect(await s.nextActionAt(submitted)).toBeNull();
    await s.lookAgain(submitted);
    expect(await s.sweepAt('2021-06-30 09:00')).toEqual({ ...nothing, examined: 1 });
  });

  it('stops escalating while the submission waits, and after a REJECT past the deadline gives the unit a fair period from level 0', async () => {
    expect((await s.escalations(rejected)).map((e) => e.payload)).toEqual([{ level: 1 }]);
    await s.send('jtj-off', rejected, { type: 'SUBMIT_RECTIFICATION', feedback: '已更新' }, '2021-06-30 10:00');
    await s.lookAgain(rejected);
    expect(await s.sweepAt('2021-07-02 00:00')).toMatchObject({ escalations: 0 });

    // The office's days of checking are not the unit's delay: 5 working days after Monday 07-05.
    const back = await s.send('gov-sup', rejected, { type: 'REJECT', reason: '仍有栏目未更新' }, '2021-07-05 10:00');
    expect(back).toMatchObject({ state: 'acknowledged', overdue: false, escalationLevel: 0, dueAt: '2021-07-12T15:59:59.999Z' });
    const [rejectedMail] = await s.mails(rejected, 'rejected');
    expect(rejectedMail?.subject).toContain('2021年7月12日前重新报送');
    // Nothing is owed for the old deadline the moment the ticket comes back.
    expect(await s.sweepAt('2021-07-05 10:00')).toEqual({ ...nothing, examined: 1 });
    // The new period earns its reminders (07-07, 07-09) and, once Tuesday 07-13 has ended, level 1 again.
    await expectDueFrom(s, rejected, '2021-07-07 00:00', { reminders: 1 });
    await expectDueFrom(s, rejected, '2021-07-09 00:00', { reminders: 1 });
    await expectDueFrom(s, rejected, '2021-07-14 00:00', { escalations: 1 });
    expect((await s.escalations(rejected)).map((e) => e.payload)).toEqual([{ level: 1 }, { level: 1 }]);
    expect(await s.mails(rejected, 'verify_reminder')).toEqual([]);
  });

  it('earns a new verification reminder for a new submission, and none once verified', async () => {
    await s.send('gov-sup', submitted, { type: 'REJECT', reason: '佐证材料不全' }, '2021-07-08 10:00');
    await s.send('wjw-off', submitted, { type: 'SUBMIT_RECTIFICATION', feedback: '已补充' }, '2021-07-08 11:00');
    // Resubmitted before any sweep looked: the overdue hour in between escalates nothing (the
    // other ticket, sent back earlier, owes its rework reminder meanwhile).
    expect(await s.sweepAt('2021-07-08 11:00')).toMatchObject({ escalations: 0, verifyReminders: 0, failed: 0 });
    // Submitted Thursday 07-08: 07-09, 07-12 to 07-15.
    await expectDueFrom(s, submitted, '2021-07-16 00:00', { verifyReminders: 1 });
    expect(await s.mails(submitted, 'verify_reminder')).toHaveLength(2);
    await s.send('gov-sup', submitted, { type: 'VERIFY' }, '2021-07-16 10:00');
    expect(await s.nextActionAt(submitted)).toBeNull();
    await s.lookAgain(submitted);
    expect(await s.sweepAt('2021-07-16 10:00')).toEqual({ ...nothing, examined: 1 });
    expect(await s.nextActionAt(submitted)).toBeNull();
  });
});

describe('EXTEND_DEADLINE', () => {
  let s: Setup;
  let ticketId: number;
  beforeAll(async () => {
    s = await setUp();
    [ticketId = 0] = await s.issue([{ unitCode: 'YY-WJW', targetName: '健康益阳' }]);
    await s.sweepAt('2021-06-22 00:00');
    await s.sweepAt('2021-06-24 00:00');
    await s.sweepAt('2021-06-29 00:00');
  });
  afterAll(() => s.t.close());

  it('earns the reminders and escalation again, counted from the new due day', async () => {
    expect((await s.mails(ticketId, 'reminder')).length).toBe(2);
    expect((await s.escalations(ticketId)).length).toBe(1);
    const extended = await s.send('gov-sup', ticketId, { type: 'EXTEND_DEADLINE', dueAt: '2021-07-09', reason: '系统改版' }, '2021-06-30 10:00');
    expect(extended).toMatchObject({ escalationLevel: 0, overdue: false, dueAt: '2021-07-09T15:59:59.999Z' });

    expect(await s.sweepAt('2021-06-30 10:00')).toEqual({ ...nothing, examined: 1 });
    expect(await s.nextActionAt(ticketId)).toEqual(at('2021-07-06 00:00'));
    await expectDueFrom(s, ticketId, '2021-07-06 00:00', { reminders: 1 });
    await expectDueFrom(s, ticketId, '2021-07-08 00:00', { reminders: 1 });
    await expectDueFrom(s, ticketId, '2021-07-13 00:00', { escalations: 1 });

    expect((await s.mails(ticketId, 'reminder')).map((m) => m.subject.match(/还剩(\d)个工作日/)?.[1])).toEqual(['3', '1', '3', '1']);
    expect((await s.escalations(ticketId)).map((e) => e.payload)).toEqual([{ level: 1 }, { level: 1 }]);
    const taken = await s.actions(ticketId);
    expect(taken.map((a) => [a.basis.toISOString(), a.kind, a.step])).toEqual([
      ['2021-06-25T15:59:59.999Z', 'escalation', 1],
      ['2021-06-25T15:59:59.999Z', 'reminder', 1],
      ['2021-06-25T15:59:59.999Z', 'reminder', 3],
      ['2021-07-09T15:59:59.999Z', 'escalation', 1],
      ['2021-07-09T15:59:59.999Z', 'reminder', 1],
      ['2021-07-09T15:59:59.999Z', 'reminder', 3],
    ]);
  });
});

describe('beyond the published calendar', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp({ issuedAt: '2026-12-21 10:00' });
    await s.issue([{ unitCode: 'YY-WJW', targetName: '健康益阳' }], {
      shortCode: '2027-1',
      issuedOn: '2026-12-21',
      samplingFrom: '2026-12-01',
      samplingTo: '2026-12-15',
      feedbackDeadline: '2027-01-08',
    });
  });
  afterAll(() => s.t.close());

  it('counts the tickets computed on the weekend rule and says so in the log once per year, across runs and calendar changes', async () => {
    const log = recordingLogger();
    const services = s.t.services;
    const calendarService = createCalendarService({ db: services.db, calendar: services.calendar, auditLog: services.auditLog, now: s.t.clock.now, logger: log.logger });
    const sweep = createSweep({ ...services, loadCalendar: calendarService.current, logger: log.logger });

    expect(await sweep.run({ now: at('2026-12-21 10:00') })).toEqual({ ...nothing, examined: 1, provisional: 1 });
    const [ticket] = await services.db.select().from(tickets);
    await services.db.update(tickets).set({ nextActionAt: new Date(0) }).where(eq(tickets.id, ticket?.id ?? 0));
    const [admin] = await services.db.select({ userId: users.id }).from(users).where(eq(users.username, 'admin'));
    await calendarService.setOverride({ day: '2027-02-01', kind: 'restday', note: '测试', actor: { userId: admin?.userId ?? 0 } });
    expect(await sweep.run({ now: at('2027-01-05 00:00') })).toEqual({ ...nothing, examined: 1, provisional: 1, reminders: 1 });

    expect(log.lines.map((l) => [l.level, l.details])).toEqual([['warn', expect.objectContaining({ year: '2027' })]]);
  });
});

describe('a ticket that cannot be escalated', () => {
  let s: Setup;
  let ids: number[];
  beforeAll(async () => {
    s = await setUp();
    ids = await s.issue([
      { unitCode: 'YY-WJW', targetName: '健康益阳' },
      { unitCode: 'YY-JTJ', targetName: '益阳交通' },
      { unitCode: 'AH-GL', targetName: '印象古楼' },
    ]);
  });
  afterAll(() => s.t.close());

  it('is left for the next sweep, while the rest of its batch is escalated', async () => {
    const [first = 0, broken = 0, third = 0] = ids;
    const services = s.t.services;
    const workflow = services.ticketWorkflow;
    const refuse = (ticketIds: number[]) => {
      if (ticketIds.includes(broken)) throw new Error(`ticket ${broken} cannot be escalated`);
    };
    // The fault enters as a dependency: the batch path and the one-by-one path both fail on that ticket.
    const faulty: typeof workflow = {
      ...workflow,
      async escalateLocked(args, tx) {
        refuse(args.ticketIds);
        return workflow.escalateLocked(args, tx);
      },
      async applyWithin(args, tx) {
        refuse([args.ticketId]);
        return workflow.applyWithin(args, tx);
      },
    };
    const log = recordingLogger();
    const sweep = createSweep({ ...services, ticketWorkflow: faulty, loadCalendar: services.calendarService.current, logger: log.logger });

    expect(await sweep.run({ now: at('2021-07-20 10:00') })).toEqual({ ...nothing, examined: 3, escalations: 6, failed: 1 });
    expect(log.lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'sweep: escalating the batch together failed; trying its tickets one by one'],
      ['error', 'sweep: cannot escalate a ticket; it is retried on the next sweep'],
    ]);
    for (const id of [first, third]) expect((await s.escalations(id)).map((e) => e.payload)).toEqual([{ level: 1 }, { level: 2 }, { level: 3 }]);
    expect(await s.escalations(broken)).toEqual([]);
    expect(await s.actions(broken)).toEqual([]);
    expect(await s.mails(broken, 'escalation')).toEqual([]);

    expect(await s.sweepAt('2021-07-20 10:00')).toEqual({ ...nothing, examined: 1, escalations: 3 });
    expect((await s.escalations(broken)).map((e) => [e.seq, e.payload])).toEqual([
      [2, { level: 1 }],
      [3, { level: 2 }],
      [4, { level: 3 }],
    ]);
    // Catching up three levels at once: every level in the trail, one email at the highest.
    expect((await s.mails(broken, 'escalation')).length).toBe(1);
  });
});

describe('two sweeps at the same moment on PostgreSQL', () => {
  let s: Setup;
  let other: Database | undefined;
  let otherServices: Services;
  let dataDir: string;
  let ids: number[];
  beforeAll(async () => {
    if (!onPostgres) return;
    s = await setUp();
    const units = ['YY-WJW', 'YY-JTJ', 'AH-GOV', 'AH-GL'];
    ids = await s.issue(Array.from({ length: 60 }, (_, i) => ({ unitCode: units[i % units.length] ?? 'YY-WJW', targetName: `账号${i + 1}` })));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-sweep-'));
    other = await createDatabase({ databaseUrl: s.t.db.url, dataDir, command: 'vitest' });
    otherServices = createServices({ database: other, publicUrl: 'https://rectify.test', mailFrom: 'Rectify <rectify@rectify.test>', now: s.t.clock.now, files: createFolderFileStore({ root: path.join(dataDir, 'files') }), auditKey: loadAuditKey({ dataDir: s.t.db.dataDir }) });
  });
  afterAll(async () => {
    if (!onPostgres) return;
    await other?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await s.t.close();
  });

  it.runIf(onPostgres)('split the work and take each action exactly once', async () => {
    // Small batches, so that the two processes interleave.
    const sweepOf = (services: Services) => createSweep({ ...services, loadCalendar: services.calendarService.current, batchSize: 7, logger: s.log.logger });
    const [a, b] = [sweepOf(s.t.services), sweepOf(otherServices)];
    const both = async (moment: string) => {
      s.t.clock.set(at(moment));
      const results = await Promise.all([a.run({ now: at(moment) }), b.run({ now: at(moment) }), a.run({ now: at(moment) }), b.run({ now: at(moment) })]);
      return results.reduce((sum, r) => ({
        reminders: sum.reminders + r.reminders,
        escalations: sum.escalations + r.escalations,
        verifyReminders: sum.verifyReminders + r.verifyReminders,
        examined: sum.examined + r.examined,
        provisional: sum.provisional + r.provisional,
        failed: sum.failed + r.failed,
      }));
    };

    expect(await both('2021-06-18 10:00')).toEqual({ ...nothing, examined: 60 });
    expect(await both('2021-06-22 00:00')).toEqual({ ...nothing, examined: 60, reminders: 60 });
    expect(await both('2021-06-24 09:00')).toEqual({ ...nothing, examined: 60, reminders: 60 });
    expect(await both('2021-07-20 10:00')).toEqual({ ...nothing, examined: 60, escalations: 180 });
    expect(await both('2021-07-20 10:00')).toEqual(nothing);

    for (const id of ids) {
      expect((await s.mails(id, 'reminder')).length).toBe(2);
      expect((await s.escalations(id)).map((e) => [e.seq, e.payload])).toEqual([
        [2, { level: 1 }],
        [3, { level: 2 }],
        [4, { level: 3 }],
      ]);
    }
    expect(await s.t.services.db.$count(ticketDeadlineActions)).toBe(60 * 5);
    expect(s.log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('startSweepTimer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at start and then the interval after each run ends, never two at once, until stopped', async () => {
    vi.useFakeTimers();
    const started: Date[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const finishers: (() => void)[] = [];
    const sweep = {
      run: ({ now }: { now: Date }) => {
        started.push(now);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<SweepResult>((resolve) =>
          finishers.push(() => {
            inFlight -= 1;
            resolve(nothing);
          }),
        );
      },
    };
    let tick = 0;
    const { logger } = recordingLogger();
    const timer = startSweepTimer(sweep, { intervalS: 60, now: () => new Date(tick++), logger });

    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(1);
    // A slow run: the next one waits for it, however much time passes.
    await vi.advanceTimersByTimeAsync(300_000);
    expect(started).toHaveLength(1);
    finishers.shift()?.();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(2);

    const stopping = timer.stop();
    finishers.shift()?.();
    await stopping;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(started).toHaveLength(2);
    expect(maxInFlight).toBe(1);
  });

  it('is off at interval 0', async () => {
    const run = vi.fn();
    const timer = startSweepTimer({ run }, { intervalS: 0, now: () => new Date(), logger: recordingLogger().logger });
    await timer.stop();
    expect(run).not.toHaveBeenCalled();
  });
});
