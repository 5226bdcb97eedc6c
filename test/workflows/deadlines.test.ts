import { describe, expect, it } from 'vitest';
import { defaultEscalationPolicy, type EscalationPolicy } from '../../db/schema/inspections.table.js';
import { createWorkingCalendar, type DayKind } from '../../workflows/calendar.js';
import {
  dueAtAfterWorkingDays,
  dueAtForDeadline,
  escalationDueAt,
  nextDeadlineAction,
  reminderDueAt,
  verifyReminderDueAt,
  workingDaysOverdue,
  type DeadlineTicket,
  type TakenStep,
} from '../../workflows/deadlines.js';

const calendar = createWorkingCalendar(new Map<string, DayKind>());
const policy: EscalationPolicy = defaultEscalationPolicy;

/** An instant written in Shanghai local time, e.g. at('2021-06-22 00:00'). */
function at(shanghaiLocal: string): Date {
  return new Date(`${shanghaiLocal.replace(' ', 'T')}+08:00`);
}

// The 2021 Yiyang notice: written feedback due Friday 25 June.
const dueAt = new Date('2021-06-25T15:59:59.999Z');
const issued: DeadlineTicket = { state: 'issued', dueAt, escalationLevel: 0, rectifiedAt: null };

function actions(ticket: DeadlineTicket, now: Date, taken: TakenStep[] = [], withPolicy: EscalationPolicy = policy) {
  return nextDeadlineAction(calendar, ticket, withPolicy, taken, now);
}

describe('due times', () => {
  it('ends a feedback deadline at the end of that day in Shanghai', () => {
    expect(dueAtForDeadline('2021-06-25')).toEqual(dueAt);
  });

  it('counts "N working days after issue" over holidays', () => {
    expect(dueAtAfterWorkingDays(calendar, '2021-06-17', 5)).toEqual({ value: at('2021-06-24 23:59:59.999'), provisional: false });
    expect(dueAtAfterWorkingDays(calendar, '2021-09-28', 3)).toEqual({ value: new Date('2021-10-08T15:59:59.999Z'), provisional: false });
    // 12-29, 12-30, 12-31, then 2027-01-01 (a Friday, assumed worked) and 01-04.
    expect(dueAtAfterWorkingDays(calendar, '2026-12-28', 5)).toEqual({ value: new Date('2027-01-04T15:59:59.999Z'), provisional: true });
  });
});

describe('reminders', () => {
  it('fall due at 00:00 of the working day N working days before the due day', () => {
    expect(reminderDueAt(calendar, '2021-06-25', 3)).toEqual({ value: new Date('2021-06-21T16:00:00.000Z'), provisional: false });
    expect(reminderDueAt(calendar, '2021-06-25', 1)).toEqual({ value: new Date('2021-06-23T16:00:00.000Z'), provisional: false });
  });

  it('jump back over a holiday', () => {
    // Due Tuesday 2021-06-15, the day after the Dragon Boat holiday (06-12 to 06-14).
    expect(reminderDueAt(calendar, '2021-06-15', 1).value).toEqual(at('2021-06-11 00:00'));
    expect(reminderDueAt(calendar, '2021-06-15', 3).value).toEqual(at('2021-06-09 00:00'));
    // Due Friday 2021-10-08, the first working day after National Day.
    expect(reminderDueAt(calendar, '2021-10-08', 1).value).toEqual(at('2021-09-30 00:00'));
    expect(reminderDueAt(calendar, '2021-10-08', 3).value).toEqual(at('2021-09-28 00:00'));
  });

  it('count from a due day that is not a working day', () => {
    expect(reminderDueAt(calendar, '2021-06-27', 1).value).toEqual(at('2021-06-25 00:00'));
  });
});

describe('escalation', () => {
  it('reaches level 1 once the first working day after the due day has ended', () => {
    expect(escalationDueAt(calendar, '2021-06-25', 1, policy)).toEqual({ value: new Date('2021-06-28T16:00:00.000Z'), provisional: false });
  });

  it('adds a level after every further 3 whole working days', () => {
    expect(escalationDueAt(calendar, '2021-06-25', 2, policy).value).toEqual(new Date('2021-07-01T16:00:00.000Z'));
    expect(escalationDueAt(calendar, '2021-06-25', 3, policy).value).toEqual(new Date('2021-07-06T16:00:00.000Z'));
  });

  it('skips National Day and counts the adjusted Saturday', () => {
    // Due Thursday 2021-09-30: the next working day is 10-08, then Saturday 10-09 (调休), 10-11, 10-12.
    expect(escalationDueAt(calendar, '2021-09-30', 1, policy).value).toEqual(at('2021-10-09 00:00'));
    expect(escalationDueAt(calendar, '2021-09-30', 2, policy).value).toEqual(at('2021-10-13 00:00'));
  });

  it('is provisional when it reaches past the published calendar', () => {
    expect(escalationDueAt(calendar, '2026-12-30', 1, policy)).toEqual({ value: at('2027-01-01 00:00'), provisional: false });
    expect(escalationDueAt(calendar, '2026-12-31', 1, policy)).toEqual({ value: at('2027-01-02 00:00'), provisional: true });
  });
});

describe('verification allowance', () => {
  it('runs 5 working days after the Shanghai day of submission', () => {
    // Sunday 06-20 10:00 in Shanghai: 06-21 to 06-25 are the allowance.
    expect(verifyReminderDueAt(calendar, new Date('2021-06-20T02:00:00Z'), policy)).toEqual({ value: at('2021-06-26 00:00'), provisional: false });
    // 2021-06-24T17:00Z is already Friday 06-25 01:00 in Shanghai.
    expect(verifyReminderDueAt(calendar, new Date('2021-06-24T17:00:00Z'), policy).value).toEqual(at('2021-07-03 00:00'));
  });
});

describe('working days overdue', () => {
  it('counts only whole working days ended after the due day', () => {
    expect(workingDaysOverdue(calendar, dueAt, at('2021-06-25 12:00')).value).toBe(0);
    expect(workingDaysOverdue(calendar, dueAt, at('2021-06-28 23:59:59.999')).value).toBe(0);
    expect(workingDaysOverdue(calendar, dueAt, at('2021-06-29 00:00'))).toEqual({ value: 1, provisional: false });
    expect(workingDaysOverdue(calendar, dueAt, at('2021-07-03 00:00')).value).toBe(5);
  });
});

describe('nextDeadlineAction', () => {
  it('owes nothing on the day of issue and wakes up for reminder 3', () => {
    expect(actions(issued, at('2021-06-17 10:00'))).toEqual({
      reminder: null,
      escalations: [],
      verifyReminder: null,
      nextActionAt: at('2021-06-22 00:00'),
      provisional: false,
    });
  });

  it('sends reminder 3 from its moment, then waits for reminder 1', () => {
    expect(actions(issued, at('2021-06-22 00:00'))).toMatchObject({
      reminder: { step: 3, dueFrom: at('2021-06-22 00:00') },
      nextActionAt: at('2021-06-24 00:00'),
    });
    expect(actions(issued, at('2021-06-21 23:59:59.999'))).toMatchObject({ reminder: null, nextActionAt: at('2021-06-22 00:00') });
    expect(actions(issued, at('2021-06-22 09:00'), [{ kind: 'reminder', step: 3 }])).toMatchObject({
      reminder: null,
      nextActionAt: at('2021-06-24 00:00'),
    });
  });

  it('sends only reminder 1 when a late sweep finds reminders 3 and 1 both due', () => {
    expect(actions(issued, at('2021-06-24 09:00'))).toEqual({
      reminder: { step: 1, dueFrom: at('2021-06-24 00:00') },
      escalations: [],
      verifyReminder: null,
      nextActionAt: at('2021-06-29 00:00'),
      provisional: false,
    });
    expect(actions(issued, at('2021-06-24 10:00'), [{ kind: 'reminder', step: 1 }])).toMatchObject({
      reminder: null,
      nextActionAt: at('2021-06-29 00:00'),
    });
  });

  it('sends no reminder once the ticket is past due', () => {
    expect(actions(issued, at('2021-06-26 08:00'))).toMatchObject({ reminder: null, escalations: [], nextActionAt: at('2021-06-29 00:00') });
    const extendedToNoon = { ...issued, dueAt: at('2021-06-25 12:00') };
    expect(actions(extendedToNoon, at('2021-06-25 13:00'))).toMatchObject({ reminder: null, escalations: [] });
    expect(actions(extendedToNoon, at('2021-06-25 11:00'))).toMatchObject({ reminder: { step: 1 } });
  });

  it('escalates to level 1 the moment the first working day after the due day has ended', () => {
    expect(actions(issued, at('2021-06-28 23:59:59.999'))).toMatchObject({ escalations: [], nextActionAt: at('2021-06-29 00:00') });
    expect(actions(issued, at('2021-06-29 00:00'))).toEqual({
      reminder: null,
      escalations: [{ step: 1, dueFrom: at('2021-06-29 00:00') }],
      verifyReminder: null,
      nextActionAt: at('2021-07-02 00:00'),
      provisional: false,
    });
  });

  it('never skips a level: a late sweep returns every level up to the highest due', () => {
    expect(actions(issued, at('2021-07-02 00:00')).escalations).toEqual([
      { step: 1, dueFrom: at('2021-06-29 00:00') },
      { step: 2, dueFrom: at('2021-07-02 00:00') },
    ]);
    expect(actions(issued, at('2021-07-02 00:00')).nextActionAt).toEqual(at('2021-07-07 00:00'));
    expect(actions(issued, at('2021-07-20 00:00'))).toMatchObject({
      escalations: [
        { step: 1, dueFrom: at('2021-06-29 00:00') },
        { step: 2, dueFrom: at('2021-07-02 00:00') },
        { step: 3, dueFrom: at('2021-07-07 00:00') },
      ],
      nextActionAt: null,
    });
    const atLevel1 = { ...issued, state: 'acknowledged' as const, escalationLevel: 1 };
    expect(actions(atLevel1, at('2021-07-07 00:00')).escalations.map((due) => due.step)).toEqual([2, 3]);
    expect(actions({ ...issued, escalationLevel: 3 }, at('2021-08-01 00:00'))).toMatchObject({ escalations: [], nextActionAt: null });
  });

  it('stops at maxLevel', () => {
    const twoLevels = { ...policy, maxLevel: 2 };
    expect(actions(issued, at('2021-07-20 00:00'), [], twoLevels).escalations.map((due) => due.step)).toEqual([1, 2]);
    expect(actions(issued, at('2021-06-30 00:00'), [], twoLevels).nextActionAt).toEqual(at('2021-07-02 00:00'));
  });

  it('reminds and escalates across National Day 2021', () => {
    const beforeHoliday = { ...issued, dueAt: dueAtForDeadline('2021-09-30') };
    expect(actions(beforeHoliday, at('2021-09-30 08:00'))).toMatchObject({ reminder: { step: 1, dueFrom: at('2021-09-29 00:00') } });
    expect(actions(beforeHoliday, at('2021-10-05 08:00'))).toMatchObject({ reminder: null, escalations: [], nextActionAt: at('2021-10-09 00:00') });
    expect(actions(beforeHoliday, at('2021-10-09 00:00'))).toMatchObject({
      escalations: [{ step: 1, dueFrom: at('2021-10-09 00:00') }],
      nextActionAt: at('2021-10-13 00:00'),
    });
  });

  it('gives a rectified ticket no unit reminders or escalations, only the verification reminder', () => {
    const rectified: DeadlineTicket = { state: 'rectified', dueAt, escalationLevel: 0, rectifiedAt: at('2021-06-24 15:00') };
    // Allowance: 06-25, 28, 29, 30, 07-01.
    expect(actions(rectified, at('2021-06-24 16:00'))).toEqual({
      reminder: null,
      escalations: [],
      verifyReminder: null,
      nextActionAt: at('2021-07-02 00:00'),
      provisional: false,
    });
    expect(actions(rectified, at('2021-07-05 09:00'))).toEqual({
      reminder: null,
      escalations: [],
      verifyReminder: { step: 1, dueFrom: at('2021-07-02 00:00') },
      nextActionAt: null,
      provisional: false,
    });
    expect(actions(rectified, at('2021-07-05 09:00'), [{ kind: 'verify_reminder', step: 1 }])).toMatchObject({
      verifyReminder: null,
      nextActionAt: null,
    });
  });

  it('owes nothing on verified or withdrawn tickets', () => {
    for (const state of ['verified', 'withdrawn'] as const) {
      expect(actions({ ...issued, state, rectifiedAt: at('2021-06-24 15:00') }, at('2021-07-20 00:00'))).toEqual({
        reminder: null,
        escalations: [],
        verifyReminder: null,
        nextActionAt: null,
        provisional: false,
      });
    }
  });

  it('says when its answer rests on the unpublished calendar', () => {
    const dueNewYearsEve = { ...issued, dueAt: dueAtForDeadline('2026-12-31') };
    expect(actions(dueNewYearsEve, at('2027-01-01 09:00'))).toMatchObject({
      escalations: [],
      nextActionAt: at('2027-01-02 00:00'),
      provisional: true,
    });
    // The next action is a 2026 reminder, but the escalation schedule it looked at runs into 2027.
    expect(actions(dueNewYearsEve, at('2026-12-20 09:00'))).toMatchObject({ nextActionAt: at('2026-12-28 00:00'), provisional: true });
    const dueDayBefore = { ...issued, dueAt: dueAtForDeadline('2026-12-30') };
    expect(actions(dueDayBefore, at('2026-12-20 09:00'))).toMatchObject({ nextActionAt: at('2026-12-25 00:00'), provisional: false });
  });
});
