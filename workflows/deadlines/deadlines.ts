// SPEC "Deadlines, reminders, escalation", as pure functions of a calendar and a moment.
// A "due day" is the Shanghai date of a ticket's due time; every instant returned is the
// first millisecond from which the thing is due.

import type { EscalationPolicy } from '../../db/schema/inspections.table.js';
import type { DeadlineActionKind } from '../../db/schema/ticket-deadline-actions.table.js';
import type { TicketState } from '../../db/schema/tickets.table.js';
import { addCalendarDays, endOfShanghaiDay, shanghaiDay, startOfShanghaiDay, type Detailed, type WorkingCalendar } from './calendar.js';

/** There is one verification reminder per submission; this is its `step`. */
export const VERIFY_REMINDER_STEP = 1;

export interface DeadlineTicket {
  state: TicketState;
  dueAt: Date;
  escalationLevel: number;
  rectifiedAt: Date | null;
}

/** An action already recorded for the current basis (due time, or submission time for verification). */
export interface TakenStep {
  kind: DeadlineActionKind;
  step: number;
}

export interface DueStep {
  /** N of "N working days before" for reminders, the level for escalations, VERIFY_REMINDER_STEP for verification. */
  step: number;
  dueFrom: Date;
}

export interface DeadlineActions {
  /** The latest unit reminder due now and not yet taken; earlier ones count as done. */
  reminder: DueStep | null;
  /** Every level from escalationLevel + 1 up to the highest due now, in order. */
  escalations: DueStep[];
  verifyReminder: DueStep | null;
  /** The earliest moment after `now` at which something more falls due, assuming the actions above are taken. */
  nextActionAt: Date | null;
  provisional: boolean;
}

/** A feedback deadline date means the end of that day in Shanghai. */
export function dueAtForDeadline(day: string): Date {
  return endOfShanghaiDay(day);
}

/** "N working days after issue": the end of the n-th working day after `issuedOn`. */
export function dueAtAfterWorkingDays(calendar: WorkingCalendar, issuedOn: string, n: number): Detailed<Date> {
  assertCount(n, 1, 'working days');
  const { value, provisional } = calendar.addWorkingDaysDetailed(issuedOn, n);
  return { value: endOfShanghaiDay(value), provisional };
}

/** Reminder N: from 00:00 of the working day lying n working days before the due day. */
export function reminderDueAt(calendar: WorkingCalendar, dueDay: string, n: number): Detailed<Date> {
  assertCount(n, 1, 'reminder working days');
  const { value, provisional } = calendar.addWorkingDaysDetailed(dueDay, -n);
  return { value: startOfShanghaiDay(value), provisional };
}

/** Level k: once escalateAfter + (k - 1) × escalateEvery whole working days after the due day have ended. */
export function escalationDueAt(calendar: WorkingCalendar, dueDay: string, level: number, policy: EscalationPolicy): Detailed<Date> {
  assertCount(level, 1, 'escalation level');
  const days = policy.escalateAfterWorkingDays + (level - 1) * policy.escalateEveryWorkingDays;
  return afterWorkingDaysEnded(calendar, dueDay, days);
}

/** The supervisor's allowance: verifyWithin whole working days after the day of submission have ended. */
export function verifyReminderDueAt(calendar: WorkingCalendar, rectifiedAt: Date, policy: EscalationPolicy): Detailed<Date> {
  return afterWorkingDaysEnded(calendar, shanghaiDay(rectifiedAt), policy.verifyWithinWorkingDays);
}

/**
 * The fair period after REJECT or REASSIGN at `at`: the end of the n-th working day after that
 * day, never earlier than the current due time (SPEC "Fair periods").
 */
export function reworkDueAt(calendar: WorkingCalendar, at: Date, currentDueAt: Date, n: number): Detailed<Date> {
  assertCount(n, 1, 'rework working days');
  const { value, provisional } = calendar.addWorkingDaysDetailed(shanghaiDay(at), n);
  const end = endOfShanghaiDay(value);
  return end > currentDueAt ? { value: end, provisional } : { value: currentDueAt, provisional: false };
}

/** 'HH:MM' → milliseconds after midnight. */
function timeOfDayMs(sendAt: string): number {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(sendAt);
  if (!match) throw new RangeError(`sendAt must be HH:MM, got ${JSON.stringify(sendAt)}`);
  return (Number(match[1]) * 60 + Number(match[2])) * 60_000;
}

/**
 * Office hours: when something due at `moment` goes out. At `moment` itself when that falls on a
 * working day at or after `sendAt`; at `sendAt` of the same day when it is a working day and
 * `moment` is earlier; else at `sendAt` of the first working day after it.
 */
export function sendMoment(calendar: WorkingCalendar, moment: Date, sendAt: string): Detailed<Date> {
  const offset = timeOfDayMs(sendAt);
  const day = shanghaiDay(moment);
  const today = calendar.isWorkingDayDetailed(day);
  if (today.value) {
    const opens = new Date(startOfShanghaiDay(day).getTime() + offset);
    return { value: moment >= opens ? moment : opens, provisional: today.provisional };
  }
  const next = calendar.addWorkingDaysDetailed(day, 1);
  return { value: new Date(startOfShanghaiDay(next.value).getTime() + offset), provisional: today.provisional || next.provisional };
}

/** A new deadline date on a rest day is accepted, with the next working day named for a warning; null on a working day. */
export function restDayDeadline(calendar: WorkingCalendar, day: string): { day: string; nextWorkingDay: string; provisional: boolean } | null {
  const working = calendar.isWorkingDayDetailed(day);
  if (working.value) return null;
  const next = calendar.addWorkingDaysDetailed(day, 1);
  return { day, nextWorkingDay: next.value, provisional: working.provisional || next.provisional };
}

/** Whole working days after the due day that have ended by `now`; 0 while not past due. */
export function workingDaysOverdue(calendar: WorkingCalendar, dueAt: Date, now: Date): Detailed<number> {
  const dueDay = shanghaiDay(dueAt);
  // A day has ended once its last millisecond is behind us, i.e. it is before today.
  const lastEnded = addCalendarDays(shanghaiDay(now), -1);
  if (now <= dueAt || lastEnded <= dueDay) return { value: 0, provisional: false };
  return calendar.workingDaysBetweenDetailed(dueDay, lastEnded);
}

/** The first instant after the n-th working day following `day` has ended (n = 0: after `day` itself). */
function afterWorkingDaysEnded(calendar: WorkingCalendar, day: string, n: number): Detailed<Date> {
  assertCount(n, 0, 'working days');
  const last = n === 0 ? { value: day, provisional: false } : calendar.addWorkingDaysDetailed(day, n);
  return { value: startOfShanghaiDay(addCalendarDays(last.value, 1)), provisional: last.provisional };
}

function assertCount(n: number, min: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`);
}

/** What one sweep owes a ticket at `now`, and when it next needs to look. */
export function nextDeadlineAction(
  calendar: WorkingCalendar,
  ticket: DeadlineTicket,
  policy: EscalationPolicy,
  taken: Iterable<TakenStep>,
  now: Date,
): DeadlineActions {
  const done = new Set(Array.from(taken, ({ kind, step }) => takenKey(kind, step)));
  switch (ticket.state) {
    case 'issued':
    case 'acknowledged': {
      const reminders = unitReminders(calendar, ticket, policy, done, now);
      const escalations = dueEscalations(calendar, ticket, policy, now);
      return {
        reminder: reminders.due,
        escalations: escalations.due,
        verifyReminder: null,
        nextActionAt: earliest(reminders.next, escalations.next),
        provisional: reminders.provisional || escalations.provisional,
      };
    }
    case 'rectified': {
      const verify = verificationReminder(calendar, ticket, policy, done, now);
      return { reminder: null, escalations: [], verifyReminder: verify.due, nextActionAt: verify.next, provisional: verify.provisional };
    }
    default:
      return { reminder: null, escalations: [], verifyReminder: null, nextActionAt: null, provisional: false };
  }
}

/** One kind of action: what is due now, and when the next one of that kind falls due. */
interface Pending<T> {
  due: T;
  next: Date | null;
  provisional: boolean;
}

function takenKey(kind: DeadlineActionKind, step: number): string {
  return `${kind}:${step}`;
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a || !b) return a ?? b;
  return a <= b ? a : b;
}

/** Reminders are for units still in time: once past due, escalation takes over. */
function unitReminders(
  calendar: WorkingCalendar,
  ticket: DeadlineTicket,
  policy: EscalationPolicy,
  done: ReadonlySet<string>,
  now: Date,
): Pending<DueStep | null> {
  if (now > ticket.dueAt) return { due: null, next: null, provisional: false };
  const dueDay = shanghaiDay(ticket.dueAt);
  let provisional = false;
  let latestDue: DueStep | null = null;
  let next: Date | null = null;
  for (const step of new Set(policy.remindBeforeWorkingDays)) {
    const reminder = reminderDueAt(calendar, dueDay, step);
    const moment = sendMoment(calendar, reminder.value, policy.sendAt);
    provisional ||= reminder.provisional || moment.provisional;
    const dueFrom = moment.value;
    if (dueFrom >= ticket.dueAt) continue;
    if (dueFrom <= now) {
      if (!latestDue || dueFrom > latestDue.dueFrom) latestDue = { step, dueFrom };
    } else if (!done.has(takenKey('reminder', step))) {
      next = earliest(next, dueFrom);
    }
  }
  const due = latestDue && !done.has(takenKey('reminder', latestDue.step)) ? latestDue : null;
  return { due, next, provisional };
}

/**
 * Escalation follows the ticket's level, not `taken`: the level is written in the same
 * transaction as the action row, and counting up from it is what keeps levels unskipped.
 */
function dueEscalations(calendar: WorkingCalendar, ticket: DeadlineTicket, policy: EscalationPolicy, now: Date): Pending<DueStep[]> {
  const dueDay = shanghaiDay(ticket.dueAt);
  const due: DueStep[] = [];
  let provisional = false;
  for (let level = ticket.escalationLevel + 1; level <= policy.maxLevel; level += 1) {
    const ended = escalationDueAt(calendar, dueDay, level, policy);
    const moment = sendMoment(calendar, ended.value, policy.sendAt);
    provisional ||= ended.provisional || moment.provisional;
    if (moment.value > now) return { due, next: moment.value, provisional };
    due.push({ step: level, dueFrom: moment.value });
  }
  return { due, next: null, provisional };
}

function verificationReminder(
  calendar: WorkingCalendar,
  ticket: DeadlineTicket,
  policy: EscalationPolicy,
  done: ReadonlySet<string>,
  now: Date,
): Pending<DueStep | null> {
  if (!ticket.rectifiedAt || done.has(takenKey('verify_reminder', VERIFY_REMINDER_STEP))) {
    return { due: null, next: null, provisional: false };
  }
  const due = verifyReminderDueAt(calendar, ticket.rectifiedAt, policy);
  const moment = sendMoment(calendar, due.value, policy.sendAt);
  const dueNow = moment.value <= now;
  return {
    due: dueNow ? { step: VERIFY_REMINDER_STEP, dueFrom: moment.value } : null,
    next: dueNow ? null : moment.value,
    provisional: due.provisional || moment.provisional,
  };
}
