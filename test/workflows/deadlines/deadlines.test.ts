import { describe, expect, it } from 'vitest';
import { defaultEscalationPolicy, type EscalationPolicy } from '../../../db/schema/inspections.table.js';
import { createWorkingCalendar, type DayKind } from '../../../workflows/deadlines/calendar.js';
import {
  restDayDeadline,
  reworkDueAt,
  sendMoment,
  dueAtAfterWorkingDays,
  dueAtForDeadline,
  escalationDueAt,
  nextDeadlineAction,
  reminderDueAt,
  verifyReminderDueAt,
  workingDaysOverdue,
  type DeadlineTicket,
  type TakenStep,
} from '../../../workflows/deadlines/deadlines.js';

const calendar = createWorkingCalendar(new Map<string, DayKind>());
// sendAt 00:00: the moments of the rule itself. Office hours (the default 09:00) are tested below.
const policy: EscalationPolicy = { ...defaultEscalationPolicy, sendAt: '00:00' };

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
    // 12-29, 12-30, 12-31, then (2027-01-01 being 元旦, unpublished but statutory) 01-04 and 01-05.
    expect(dueAtAfterWorkingDays(calendar, '2026-12-28', 5)).toEqual({ value: new Date('2027-01-05T15:59:59.999Z'), provisional: true });
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
    // 2027-01-01 is 元旦: the first working day after the due day is Monday 01-04.
    expect(escalationDueAt(calendar, '2026-12-31', 1, policy)).toEqual({ value: at('2027-01-05 00:00'), provisional: true });
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
      nextActionAt: at('2027-01-05 00:00'),
      provisional: true,
    });
    // The next action is a 2026 reminder, but the escalation schedule it looked at runs into 2027.
    expect(actions(dueNewYearsEve, at('2026-12-20 09:00'))).toMatchObject({ nextActionAt: at('2026-12-28 00:00'), provisional: true });
    // Due 12-29: reminders on 12-24 and 12-28, level 1 from 12-31 00:00, all inside 2026.
    const dueEarlier = { ...issued, dueAt: dueAtForDeadline('2026-12-29') };
    expect(actions(dueEarlier, at('2026-12-20 09:00'))).toMatchObject({ nextActionAt: at('2026-12-24 00:00'), provisional: false });
  });
});

describe('fair periods after REJECT and REASSIGN', () => {
  it('end with the 5th working day after the rejection day, across National Day and its adjusted Saturday', () => {
    // 09-29, 09-30, then 10-08, 10-09 (a Saturday worked) and Monday 10-11.
    expect(reworkDueAt(calendar, at('2021-09-28 16:00'), dueAtForDeadline('2021-09-30'), 5)).toEqual({ value: dueAtForDeadline('2021-10-11'), provisional: false });
  });

  it('give 健康益阳, returned on 2021-07-08 long after its deadline, until 2021-07-15', () => {
    expect(reworkDueAt(calendar, at('2021-07-08 10:00'), dueAt, 5).value).toEqual(dueAtForDeadline('2021-07-15'));
  });

  it('never end before the current due time', () => {
    expect(reworkDueAt(calendar, at('2021-06-21 10:00'), dueAt, 2)).toEqual({ value: dueAt, provisional: false });
  });

  it('are provisional when they reach into an unpublished year', () => {
    expect(reworkDueAt(calendar, at('2026-12-29 10:00'), dueAtForDeadline('2026-12-25'), 5)).toEqual({ value: dueAtForDeadline('2027-01-06'), provisional: true });
  });
});

describe('a new deadline on a rest day', () => {
  it('is named with the next working day, e.g. an extension approved until Saturday 2021-10-02 during National Day', () => {
    expect(restDayDeadline(calendar, '2021-10-02')).toEqual({ day: '2021-10-02', nextWorkingDay: '2021-10-08', provisional: false });
    expect(restDayDeadline(calendar, '2021-06-26')).toEqual({ day: '2021-06-26', nextWorkingDay: '2021-06-28', provisional: false });
  });

  it('is no matter on a working day, also an adjusted Saturday', () => {
    expect(restDayDeadline(calendar, '2021-06-25')).toBeNull();
    expect(restDayDeadline(calendar, '2021-10-09')).toBeNull();
  });
});

describe('office hours (sendAt 09:00)', () => {
  const nine = { ...defaultEscalationPolicy };

  it('moves a moment on a Saturday to 09:00 of Monday', () => {
    expect(sendMoment(calendar, at('2021-06-26 00:00'), '09:00')).toEqual({ value: at('2021-06-28 09:00'), provisional: false });
  });

  it('moves a moment before 09:00 on a working day to 09:00 that day, and keeps one at or after it', () => {
    expect(sendMoment(calendar, at('2021-06-29 00:00'), '09:00').value).toEqual(at('2021-06-29 09:00'));
    expect(sendMoment(calendar, at('2021-06-29 09:00'), '09:00').value).toEqual(at('2021-06-29 09:00'));
    expect(sendMoment(calendar, at('2021-06-29 16:30'), '09:00').value).toEqual(at('2021-06-29 16:30'));
  });

  it('moves a moment in National Day to 09:00 of 10-08, and one on an adjusted Saturday stays', () => {
    expect(sendMoment(calendar, at('2021-10-01 00:00'), '09:00').value).toEqual(at('2021-10-08 09:00'));
    expect(sendMoment(calendar, at('2021-10-09 00:00'), '09:00').value).toEqual(at('2021-10-09 09:00'));
  });

  it("sends the supervisor's verification reminder at 09:00 of Monday, not at 00:00 of Saturday", () => {
    // Submitted Friday 06-18: five working days end with Friday 06-25; the reminder was due Saturday 00:00.
    const rectified: DeadlineTicket = { state: 'rectified', dueAt, escalationLevel: 0, rectifiedAt: at('2021-06-18 15:00') };
    expect(actions(rectified, at('2021-06-26 00:00'), [], nine)).toMatchObject({ verifyReminder: null, nextActionAt: at('2021-06-28 09:00') });
    expect(actions(rectified, at('2021-06-28 09:00'), [], nine).verifyReminder).toEqual({ step: 1, dueFrom: at('2021-06-28 09:00') });
  });

  it('sends reminders and escalations from 09:00', () => {
    expect(actions(issued, at('2021-06-18 10:00'), [], nine).nextActionAt).toEqual(at('2021-06-22 09:00'));
    expect(actions(issued, at('2021-06-22 08:59'), [], nine).reminder).toBeNull();
    expect(actions(issued, at('2021-06-22 09:00'), [], nine).reminder).toEqual({ step: 3, dueFrom: at('2021-06-22 09:00') });
    expect(actions(issued, at('2021-06-29 09:00'), [{ kind: 'reminder', step: 1 }], nine)).toMatchObject({
      escalations: [{ step: 1, dueFrom: at('2021-06-29 09:00') }],
      nextActionAt: at('2021-07-02 09:00'),
    });
  });
});

describe('2027, not yet published', () => {
  const calendar2027 = createWorkingCalendar(new Map<string, DayKind>());

  it('rests on 除夕 and 正月初一 to 初三 (2-5 to 2-8) and on 清明 (4-5), provisionally', () => {
    for (const day of ['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-04-05', '2027-01-01', '2027-05-03'.replace('03', '01'), '2027-10-01']) {
      expect(calendar2027.isWorkingDayDetailed(day), day).toEqual({ value: false, provisional: true });
    }
    expect(calendar2027.isWorkingDayDetailed('2027-02-09')).toEqual({ value: true, provisional: true });
    expect(calendar2027.isWorkingDayDetailed('2027-04-06')).toEqual({ value: true, provisional: true });
  });

  it('gives a ticket due on 2027-02-04 its first escalation after Tuesday 02-09, not on 正月初一', () => {
    // Due Thursday 02-04; Friday 02-05 (除夕) to Monday 02-08 rest; 02-09 is the first working day after.
    expect(escalationDueAt(calendar2027, '2027-02-04', 1, policy)).toEqual({ value: at('2027-02-10 00:00'), provisional: true });
    const due = { ...issued, dueAt: dueAtForDeadline('2027-02-04') };
    expect(nextDeadlineAction(calendar2027, due, defaultEscalationPolicy, [], at('2027-02-06 00:00'))).toMatchObject({
      escalations: [],
      nextActionAt: at('2027-02-10 09:00'),
      provisional: true,
    });
  });

  it('is exact once the year is imported as published', () => {
    const published = createWorkingCalendar(new Map(), {
      arrangements: new Map<string, DayKind>([
        ...['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11'].map((d) => [d, 'restday'] as [string, DayKind]),
        ['2027-02-20', 'workday'],
      ]),
    });
    expect(published.isWorkingDayDetailed('2027-02-10')).toEqual({ value: false, provisional: false });
    expect(published.isWorkingDayDetailed('2027-02-20')).toEqual({ value: true, provisional: false });
    // Only what the import lists: a year imported without 清明 works on 04-05.
    expect(published.isWorkingDayDetailed('2027-04-05')).toEqual({ value: true, provisional: false });
  });
});
