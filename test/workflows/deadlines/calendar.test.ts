import fc from 'fast-check';
import { statutoryHolidays } from '../../../workflows/deadlines/statutory-holidays.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalendarRepository } from '../../../db/repositories/calendar.repository.js';
import {
  addCalendarDays,
  createWorkingCalendar,
  endOfShanghaiDay,
  loadWorkingCalendar,
  shanghaiDay,
  startOfShanghaiDay,
  type DayKind,
} from '../../../workflows/deadlines/calendar.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The State Council's notices (国务院办公厅关于 20xx 年部分节假日安排的通知), transcribed by hand:
 * the days off (放假调休) and the weekend days worked instead (上班).
 */
const officialArrangements: Record<number, { off: [string, string][]; worked: string[] }> = {
  2021: {
    off: [['01-01', '01-03'], ['02-11', '02-17'], ['04-03', '04-05'], ['05-01', '05-05'], ['06-12', '06-14'], ['09-19', '09-21'], ['10-01', '10-07']],
    worked: ['02-07', '02-20', '04-25', '05-08', '09-18', '09-26', '10-09'],
  },
  2022: {
    off: [['01-01', '01-03'], ['01-31', '02-06'], ['04-03', '04-05'], ['04-30', '05-04'], ['06-03', '06-05'], ['09-10', '09-12'], ['10-01', '10-07']],
    worked: ['01-29', '01-30', '04-02', '04-24', '05-07', '10-08', '10-09'],
  },
  2023: {
    // New Year 2022-12-31 to 2023-01-02.
    off: [['01-01', '01-02'], ['01-21', '01-27'], ['04-05', '04-05'], ['04-29', '05-03'], ['06-22', '06-24'], ['09-29', '10-06']],
    worked: ['01-28', '01-29', '04-23', '05-06', '06-25', '10-07', '10-08'],
  },
  2024: {
    off: [['01-01', '01-01'], ['02-10', '02-17'], ['04-04', '04-06'], ['05-01', '05-05'], ['06-10', '06-10'], ['09-15', '09-17'], ['10-01', '10-07']],
    worked: ['02-04', '02-18', '04-07', '04-28', '05-11', '09-14', '09-29', '10-12'],
  },
  2025: {
    off: [['01-01', '01-01'], ['01-28', '02-04'], ['04-04', '04-06'], ['05-01', '05-05'], ['05-31', '06-02'], ['10-01', '10-08']],
    worked: ['01-26', '02-08', '04-27', '09-28', '10-11'],
  },
  2026: {
    off: [['01-01', '01-03'], ['02-15', '02-23'], ['04-04', '04-06'], ['05-01', '05-05'], ['06-19', '06-21'], ['09-25', '09-27'], ['10-01', '10-07']],
    worked: ['01-04', '02-14', '02-28', '05-09', '09-20', '10-10'],
  },
};

function daysOfYear(year: number): string[] {
  const days: string[] = [];
  for (let day = `${year}-01-01`; day.startsWith(String(year)); day = addCalendarDays(day, 1)) days.push(day);
  return days;
}

function weekday(day: string): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay();
}

function officiallyWorking(year: number, day: string): boolean {
  const { off, worked } = officialArrangements[year] ?? { off: [], worked: [] };
  const monthDay = day.slice(5);
  if (worked.includes(monthDay)) return true;
  if (off.some(([from, to]) => monthDay >= from && monthDay <= to)) return false;
  return weekday(day) >= 1 && weekday(day) <= 5;
}

const noOverrides = new Map<string, DayKind>();

describe('Shanghai days', () => {
  it('reads the calendar date in Shanghai, eight hours ahead of UTC', () => {
    expect(shanghaiDay(new Date('2021-06-24T15:59:59.999Z'))).toBe('2021-06-24');
    expect(shanghaiDay(new Date('2021-06-24T16:00:00.000Z'))).toBe('2021-06-25');
    expect(shanghaiDay(new Date('2021-12-31T16:00:00.000Z'))).toBe('2022-01-01');
    expect(shanghaiDay(new Date('2024-02-28T16:00:00.000Z'))).toBe('2024-02-29');
  });

  it('gives the first and last millisecond of a Shanghai day as UTC instants', () => {
    expect(startOfShanghaiDay('2021-06-25').toISOString()).toBe('2021-06-24T16:00:00.000Z');
    expect(endOfShanghaiDay('2021-06-25').toISOString()).toBe('2021-06-25T15:59:59.999Z');
    expect(startOfShanghaiDay('2022-01-01').toISOString()).toBe('2021-12-31T16:00:00.000Z');
    expect(endOfShanghaiDay('2024-02-29').toISOString()).toBe('2024-02-29T15:59:59.999Z');
  });

  it('refuses strings that are not calendar days, and invalid dates', () => {
    for (const bad of ['2021-02-29', '2021-6-25', '2021-06-25T00:00', '2021-13-01', '2021-00-10', '20210625', 'abcd-ef-gh', '0999-01-01', '']) {
      expect(() => startOfShanghaiDay(bad), bad).toThrow(RangeError);
    }
    expect(() => shanghaiDay(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => createWorkingCalendar(noOverrides).addWorkingDays('2021-06-25', 1.5)).toThrow(RangeError);
  });

  it('answers the same whatever the process time zone is', () => {
    const original = process.env.TZ;
    const answers = () => {
      const calendar = createWorkingCalendar(noOverrides);
      return {
        offset: new Date('2021-06-25T00:00:00Z').getTimezoneOffset(),
        day: shanghaiDay(new Date('2021-06-24T16:30:00.000Z')),
        start: startOfShanghaiDay('2021-10-01').toISOString(),
        end: endOfShanghaiDay('2021-10-07').toISOString(),
        next: calendar.addWorkingDays('2021-09-30', 1),
        table: daysOfYear(2021).map((day) => calendar.isWorkingDay(day)).join(''),
      };
    };
    try {
      // Node re-reads TZ when it is assigned; the offsets below prove each zone took effect.
      const byZone = ['UTC', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Shanghai'].map((zone) => {
        process.env.TZ = zone;
        return answers();
      });
      expect(byZone.map((answer) => answer.offset)).toEqual([0, 420, -840, -480]);
      for (const answer of byZone) {
        expect({ ...answer, offset: 0 }).toEqual({ ...byZone[0], offset: 0 });
      }
      expect(byZone[0]).toMatchObject({ day: '2021-06-25', start: '2021-09-30T16:00:00.000Z', end: '2021-10-07T15:59:59.999Z', next: '2021-10-08' });
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    }
  });
});

describe('the published calendar', () => {
  const calendar = createWorkingCalendar(noOverrides);

  for (const year of [2021, 2022, 2023, 2024, 2025, 2026]) {
    it(`matches the State Council arrangement for every day of ${year}`, () => {
      const mismatches = daysOfYear(year).filter((day) => calendar.isWorkingDay(day) !== officiallyWorking(year, day));
      expect(mismatches).toEqual([]);
      expect(daysOfYear(year).every((day) => calendar.isKnown(day))).toBe(true);
    });
  }

  it('works the 2021 adjusted weekend days and rests the National Day week', () => {
    for (const day of ['2021-09-18', '2021-09-26', '2021-10-09']) expect(calendar.isWorkingDay(day), day).toBe(true);
    for (let day = '2021-10-01'; day <= '2021-10-07'; day = addCalendarDays(day, 1)) expect(calendar.isWorkingDay(day), day).toBe(false);
    expect(calendar.isWorkingDay('2021-10-08')).toBe(true);
  });

  it('rests each Spring Festival holiday and works its adjusted weekend days', () => {
    const festivals: [string, string, string[]][] = [
      ['2021-02-11', '2021-02-17', ['2021-02-07', '2021-02-20']],
      ['2022-01-31', '2022-02-06', ['2022-01-29', '2022-01-30']],
      ['2023-01-21', '2023-01-27', ['2023-01-28', '2023-01-29']],
      ['2024-02-10', '2024-02-17', ['2024-02-04', '2024-02-18']],
      ['2025-01-28', '2025-02-04', ['2025-01-26', '2025-02-08']],
      ['2026-02-15', '2026-02-23', ['2026-02-14', '2026-02-28']],
    ];
    for (const [first, last, worked] of festivals) {
      for (let day = first; day <= last; day = addCalendarDays(day, 1)) expect(calendar.isWorkingDay(day), day).toBe(false);
      expect(calendar.isWorkingDay(addCalendarDays(last, 1)), `after ${last}`).toBe(true);
      for (const day of worked) expect(calendar.isWorkingDay(day), day).toBe(true);
    }
    // 2024's New Year's Eve (2-9) was officially a working day.
    expect(calendar.isWorkingDay('2024-02-09')).toBe(true);
  });

  it('rests National Day 2025 (eight days with Mid-Autumn) and 2026', () => {
    expect(calendar.workingDaysBetween('2025-09-30', '2025-10-08')).toBe(0);
    expect(calendar.addWorkingDays('2025-09-30', 1)).toBe('2025-10-09');
    expect(calendar.addWorkingDays('2025-10-09', 2)).toBe('2025-10-11');
    expect(calendar.isWorkingDay('2025-09-28')).toBe(true);
    expect(calendar.workingDaysBetween('2026-09-30', '2026-10-07')).toBe(0);
    expect(calendar.addWorkingDays('2026-09-30', 1)).toBe('2026-10-08');
    expect(calendar.addWorkingDays('2026-10-09', 1)).toBe('2026-10-10');
    expect(calendar.isWorkingDay('2026-09-20')).toBe(true);
  });
});

describe('working-day arithmetic', () => {
  const calendar = createWorkingCalendar(noOverrides);

  it('jumps over holidays and lands on adjusted working days', () => {
    expect(calendar.addWorkingDays('2021-09-30', 1)).toBe('2021-10-08');
    expect(calendar.addWorkingDays('2021-10-08', 1)).toBe('2021-10-09');
    expect(calendar.addWorkingDays('2021-10-08', -1)).toBe('2021-09-30');
    expect(calendar.addWorkingDays('2021-09-17', 1)).toBe('2021-09-18');
    expect(calendar.addWorkingDays('2021-06-11', 1)).toBe('2021-06-15');
    expect(calendar.addWorkingDays('2021-06-25', 3)).toBe('2021-06-30');
    expect(calendar.addWorkingDays('2021-06-25', -3)).toBe('2021-06-22');
  });

  it('crosses year ends', () => {
    expect(calendar.addWorkingDays('2021-12-31', 1)).toBe('2022-01-04');
    expect(calendar.addWorkingDays('2022-01-04', -1)).toBe('2021-12-31');
    expect(calendar.workingDaysBetween('2021-12-30', '2022-01-04')).toBe(2);
  });

  it('rolls n = 0 forward from a rest day and keeps a working day', () => {
    expect(calendar.addWorkingDays('2021-06-25', 0)).toBe('2021-06-25');
    expect(calendar.addWorkingDays('2021-10-01', 0)).toBe('2021-10-08');
    expect(calendar.addWorkingDays('2021-09-26', 0)).toBe('2021-09-26');
  });

  it('counts working days in (from, to], negative when to is before from', () => {
    expect(calendar.workingDaysBetween('2021-09-30', '2021-10-08')).toBe(1);
    expect(calendar.workingDaysBetween('2021-09-30', '2021-10-09')).toBe(2);
    expect(calendar.workingDaysBetween('2021-10-09', '2021-09-30')).toBe(-2);
    expect(calendar.workingDaysBetween('2021-06-25', '2021-06-25')).toBe(0);
    expect(calendar.workingDaysBetween('2021-06-27', '2021-06-25')).toBe(0);
    expect(calendar.workingDaysBetween('2021-06-28', '2021-06-25')).toBe(-1);
    expect(calendar.workingDaysBetween('2021-01-01', '2021-12-31')).toBe(
      daysOfYear(2021).filter((day) => officiallyWorking(2021, day)).length,
    );
  });

  it('agrees with a day-by-day walk for any day and step', () => {
    const walk = (day: string, n: number): string => {
      let current = day;
      for (let left = Math.abs(n); left > 0; ) {
        current = addCalendarDays(current, Math.sign(n));
        if (calendar.isWorkingDay(current)) left -= 1;
      }
      return current;
    };
    const anyDay = fc.integer({ min: 0, max: 6 * 365 }).map((offset) => addCalendarDays('2021-01-01', offset));
    fc.assert(
      fc.property(anyDay, fc.integer({ min: -60, max: 60 }).filter((n) => n !== 0), (day, n) => {
        const result = calendar.addWorkingDays(day, n);
        expect(result).toBe(walk(day, n));
        expect(calendar.isWorkingDay(result)).toBe(true);
        // (from, to] counts the later end: forwards `result`, backwards `day` but not `result`.
        if (n > 0) expect(calendar.workingDaysBetween(day, result)).toBe(n);
        else expect(calendar.workingDaysBetween(addCalendarDays(result, -1), addCalendarDays(day, -1))).toBe(-n);
      }),
      { numRuns: 500 },
    );
  });
});

describe('beyond the published data', () => {
  it('rests on weekends and the statutory holidays, marks answers provisional and reports each year once', () => {
    const reported: string[] = [];
    const calendar = createWorkingCalendar(noOverrides, { onBeyondKnownData: (day) => reported.push(day) });
    expect(calendar.isKnown('2027-03-01')).toBe(false);
    expect(reported).toEqual([]);
    // 2027-01-01 is a Friday and New Year's Day: a statutory holiday whatever the year's 调休 will be.
    expect(calendar.isWorkingDayDetailed('2027-01-01')).toEqual({ value: false, provisional: true });
    expect(calendar.isWorkingDayDetailed('2027-01-02')).toEqual({ value: false, provisional: true });
    expect(calendar.addWorkingDaysDetailed('2026-12-30', 3)).toEqual({ value: '2027-01-05', provisional: true });
    expect(calendar.workingDaysBetweenDetailed('2026-12-01', '2027-02-01')).toMatchObject({ provisional: true });
    expect(reported).toEqual(['2027-01-01']);
    expect(calendar.addWorkingDaysDetailed('2028-06-01', 1)).toEqual({ value: '2028-06-02', provisional: true });
    expect(calendar.addWorkingDaysDetailed('2027-12-31', 1)).toEqual({ value: '2028-01-03', provisional: true });
    expect(reported).toEqual(['2027-01-01', '2028-06-02']);
  });

  it('stays exact when a computation ends inside the published data', () => {
    const reported: string[] = [];
    const calendar = createWorkingCalendar(noOverrides, { onBeyondKnownData: (day) => reported.push(day) });
    expect(calendar.addWorkingDaysDetailed('2026-12-28', 3)).toEqual({ value: '2026-12-31', provisional: false });
    expect(calendar.workingDaysBetweenDetailed('2026-12-31', '2026-01-01')).toMatchObject({ provisional: false });
    expect(reported).toEqual([]);
  });

  it('treats years before the data the same way', () => {
    const calendar = createWorkingCalendar(noOverrides);
    expect(calendar.isKnown('2003-10-01')).toBe(false);
    expect(calendar.isWorkingDayDetailed('2003-10-01')).toEqual({ value: false, provisional: true });
    expect(calendar.isWorkingDayDetailed('2003-10-08')).toEqual({ value: true, provisional: true });
    expect(calendar.isKnown('2004-10-01')).toBe(true);
    expect(calendar.isWorkingDay('2004-10-01')).toBe(false);
  });
});

describe('statutory holidays computed from the lunar calendar', () => {
  const published = createWorkingCalendar(noOverrides);

  it('are rest days in every published arrangement since the 2024 revision (2025, 2026)', () => {
    for (const year of [2025, 2026]) {
      for (const [day, name] of statutoryHolidays(year)) expect(published.isWorkingDay(day), `${day} ${name}`).toBe(false);
    }
  });

  it('find 清明, 端午, 中秋 and 春节 初一 to 初三 on the rest days of every published year since 2008', () => {
    for (let year = 2008; year <= 2026; year += 1) {
      const days = [...statutoryHolidays(year)].filter(([day, name]) => ['清明节', '端午节', '中秋节'].includes(name) || (name === '春节' && day !== lunarEve(year)));
      expect(days.length, String(year)).toBeGreaterThanOrEqual(5);
      // 中秋 2008–2026 may fall in October (2020: 10-01, merged with National Day): still a rest day.
      for (const [day, name] of days) expect(published.isWorkingDay(day), `${day} ${name}`).toBe(false);
    }
  });

  it('gives 2027: 除夕 02-05, 春节 02-06 to 02-08, 清明 04-05, 端午 06-09, 中秋 09-15', () => {
    const days = statutoryHolidays(2027);
    expect([...days].filter(([, name]) => name !== '元旦' && name !== '劳动节' && name !== '国庆节').sort()).toEqual([
      ['2027-02-05', '春节'],
      ['2027-02-06', '春节'],
      ['2027-02-07', '春节'],
      ['2027-02-08', '春节'],
      ['2027-04-05', '清明节'],
      ['2027-06-09', '端午节'],
      ['2027-09-15', '中秋节'],
    ]);
  });
});

/** 除夕 of `year`'s 春节: the first 春节 day listed. */
function lunarEve(year: number): string {
  return [...statutoryHolidays(year)].filter(([, name]) => name === '春节').map(([day]) => day).sort()[0] ?? '';
}

describe('overrides', () => {
  const overrides = new Map<string, DayKind>([
    ['2021-06-22', 'restday'], // a Tuesday
    ['2021-06-27', 'workday'], // a Sunday
    ['2021-10-04', 'workday'], // inside National Day
    ['2021-09-26', 'restday'], // an adjusted working Sunday
    ['2027-01-01', 'restday'],
  ]);
  const calendar = createWorkingCalendar(overrides);

  it('win over the published calendar', () => {
    expect(calendar.isWorkingDay('2021-06-22')).toBe(false);
    expect(calendar.isWorkingDay('2021-06-27')).toBe(true);
    expect(calendar.isWorkingDay('2021-10-04')).toBe(true);
    expect(calendar.isWorkingDay('2021-09-26')).toBe(false);
    expect(calendar.addWorkingDays('2021-06-21', 1)).toBe('2021-06-23');
    expect(calendar.addWorkingDays('2021-06-25', 1)).toBe('2021-06-27');
    expect(calendar.addWorkingDays('2021-09-30', 1)).toBe('2021-10-04');
    expect(calendar.workingDaysBetween('2021-06-18', '2021-06-28')).toBe(6);
  });

  it('make an unpublished day known', () => {
    const reported: string[] = [];
    const withCallback = createWorkingCalendar(overrides, { onBeyondKnownData: (day) => reported.push(day) });
    expect(withCallback.isKnown('2027-01-01')).toBe(true);
    expect(withCallback.isWorkingDayDetailed('2027-01-01')).toEqual({ value: false, provisional: false });
    expect(reported).toEqual([]);
    expect(withCallback.addWorkingDaysDetailed('2026-12-31', 1)).toEqual({ value: '2027-01-04', provisional: true });
    expect(reported).toEqual(['2027-01-02']);
  });

  it('refuse malformed days and kinds', () => {
    expect(() => createWorkingCalendar(new Map([['2021-6-1', 'restday']]))).toThrow(RangeError);
    expect(() => createWorkingCalendar(new Map([['2021-06-01', 'holiday' as DayKind]]))).toThrow(RangeError);
  });
});

describe('calendar overrides in the database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.destroy();
  });

  it('stores, replaces, lists and deletes overrides, and the loaded calendar follows them', async () => {
    const repository = createCalendarRepository({ db: database.db });
    await repository.setCalendarOverride({ day: '2021-06-22', kind: 'workday', note: 'first thought' });
    const replaced = await repository.setCalendarOverride({ day: '2021-06-22', kind: 'restday', note: '市政府临时安排' });
    await repository.setCalendarOverride({ day: '2021-06-27', kind: 'workday' });
    await repository.setCalendarOverride({ day: '2027-01-01', kind: 'restday', note: '元旦' });
    expect(replaced).toMatchObject({ day: '2021-06-22', kind: 'restday', note: '市政府临时安排', updatedBy: null });

    expect((await repository.listCalendarOverrides({})).map((row) => [row.day, row.kind])).toEqual([
      ['2021-06-22', 'restday'],
      ['2021-06-27', 'workday'],
      ['2027-01-01', 'restday'],
    ]);
    expect((await repository.listCalendarOverrides({ from: '2021-06-23', to: '2026-12-31' })).map((row) => row.day)).toEqual(['2021-06-27']);

    const calendar = await loadWorkingCalendar(database.db);
    expect(calendar.isWorkingDay('2021-06-22')).toBe(false);
    expect(calendar.isWorkingDay('2021-06-27')).toBe(true);
    expect(calendar.isKnown('2027-01-01')).toBe(true);
    expect(calendar.addWorkingDays('2021-06-21', 1)).toBe('2021-06-23');

    expect(await repository.deleteCalendarOverride({ day: '2021-06-22' })).toBe(true);
    expect(await repository.deleteCalendarOverride({ day: '2021-06-22' })).toBe(false);
    expect((await loadWorkingCalendar(database.db)).isWorkingDay('2021-06-22')).toBe(true);
  });

  it('writes inside a transaction through its tx', async () => {
    const repository = createCalendarRepository({ db: database.db });
    await database.db.transaction(async (tx) => {
      await repository.setCalendarOverride({ day: '2021-07-01', kind: 'restday' }, tx);
      expect((await repository.listCalendarOverrides({ from: '2021-07-01', to: '2021-07-01' }, tx)).length).toBe(1);
    });
    expect((await loadWorkingCalendar(database.db)).isWorkingDay('2021-07-01')).toBe(false);
  });
});
