// China's working-day calendar. Days are 'YYYY-MM-DD' strings meaning calendar dates in
// Asia/Shanghai; nothing here reads the process time zone.

import publishedCalendar from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import type { Db } from '../../db/client.js';
import { createCalendarRepository } from '../../db/repositories/calendar.repository.js';
import { statutoryHolidays } from './statutory-holidays.js';

export type DayKind = 'workday' | 'restday';

/** A calendar answer; `provisional` when it rests on a day the published calendar does not cover. */
export interface Detailed<T> {
  value: T;
  provisional: boolean;
}

export interface WorkingCalendarOptions {
  /**
   * Years' arrangements imported as the State Council published them (POST /api/calendar/import):
   * a year with any day here is published, and these days replace the package's for that year.
   */
  arrangements?: ReadonlyMap<string, DayKind>;
  /** Called at most once per calendar year, with the first day of that year a computation used that no published data or override covers. */
  onBeyondKnownData?: (day: string) => void;
}

export interface WorkingCalendar {
  isWorkingDay(day: string): boolean;
  isWorkingDayDetailed(day: string): Detailed<boolean>;
  /**
   * n > 0: the n-th working day after `day`; n < 0: the |n|-th working day before it;
   * n = 0: `day` itself when it is a working day, else the next working day.
   */
  addWorkingDays(day: string, n: number): string;
  addWorkingDaysDetailed(day: string, n: number): Detailed<string>;
  /** The number of working days d with from < d <= to; negative when to < from. */
  workingDaysBetween(from: string, to: string): number;
  workingDaysBetweenDetailed(from: string, to: string): Detailed<number>;
  /** True when the published calendar covers the day's year or an override sets the day. */
  isKnown(day: string): boolean;
}

const DAY_MS = 86_400_000;
// Mainland China has kept UTC+08:00 without daylight saving since 1991.
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
// Four-digit years only: the strings stay 'YYYY-MM-DD' and Date.UTC treats years below 100 as 19xx.
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

// The package's own lookups read the process time zone; its data file is plain date strings.
const publishedHolidays: Readonly<Record<string, string>> = publishedCalendar.holidays;
const publishedWorkdays: Readonly<Record<string, string>> = publishedCalendar.workdays;
const publishedYears = new Set(Object.keys(publishedHolidays).map((day) => Number(day.slice(0, 4))));

/** The calendar date in Asia/Shanghai at `instant`. */
export function shanghaiDay(instant: Date): string {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('Invalid Date');
  return formatOrdinal(Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS));
}

/** 00:00:00.000 of `day` in Asia/Shanghai. */
export function startOfShanghaiDay(day: string): Date {
  return new Date(parseDay(day) * DAY_MS - SHANGHAI_OFFSET_MS);
}

/** 23:59:59.999 of `day` in Asia/Shanghai. */
export function endOfShanghaiDay(day: string): Date {
  return new Date((parseDay(day) + 1) * DAY_MS - SHANGHAI_OFFSET_MS - 1);
}

/** The calendar day `n` days after `day` (before it when n < 0), working or not. */
export function addCalendarDays(day: string, n: number): string {
  assertInteger(n);
  return formatOrdinal(parseDay(day) + n);
}

/** Days since 1970-01-01 of a strict 'YYYY-MM-DD' string; RangeError for anything else, e.g. 2021-02-29. */
function parseDay(day: string): number {
  if (day.length === 10 && day[4] === '-' && day[7] === '-') {
    const year = digits(day, 0, 4);
    const month = digits(day, 5, 7);
    const date = digits(day, 8, 10);
    if (year >= MIN_YEAR && month >= 1 && month <= 12 && date >= 1 && date <= daysInMonth(year, month)) {
      return Date.UTC(year, month - 1, date) / DAY_MS;
    }
  }
  throw new RangeError(`Not a calendar day (YYYY-MM-DD): ${JSON.stringify(day)}`);
}

/** The number written in `text[from, to)`, or NaN when any character is not a digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

const MONTH_LENGTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (MONTH_LENGTHS[month - 1] ?? 0);
}

/**
 * Days since 1970-01-01 to 'YYYY-MM-DD' by Howard Hinnant's civil_from_days: the sweep formats
 * days per ticket, and Date#toISOString costs ten times as much.
 */
function formatOrdinal(ordinal: number): string {
  const shifted = ordinal + 719_468; // days since 0000-03-01
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const date = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${date < 10 ? '0' : ''}${date}`;
}

function yearOfOrdinal(ordinal: number): number {
  return new Date(ordinal * DAY_MS).getUTCFullYear();
}

function assertInteger(n: number): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`Not an integer: ${n}`);
}

/** One year, precomputed so that every question is a few array reads. */
interface YearTable {
  year: number;
  /** Ordinal of 1 January. */
  start: number;
  length: number;
  days: readonly string[];
  working: Uint8Array;
  known: Uint8Array;
  /** workingBefore[i]: working days among the year's first i days. */
  workingBefore: Int32Array;
  /** Ordinals of the year's working days, in order. */
  workingOrdinals: Int32Array;
  /** unknownBefore[i]: unknown days among the year's first i days. */
  unknownBefore: Int32Array;
}

function buildYear(year: number, overrides: ReadonlyMap<number, DayKind> | undefined, imported: ReadonlyMap<number, DayKind> | undefined): YearTable {
  const start = Date.UTC(year, 0, 1) / DAY_MS;
  const length = Date.UTC(year + 1, 0, 1) / DAY_MS - start;
  const published = imported !== undefined || publishedYears.has(year);
  // Unpublished years still rest on their statutory holidays; only the 调休 are unknown.
  const statutory = published ? undefined : statutoryHolidays(year);
  const days: string[] = [];
  const working = new Uint8Array(length);
  const known = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) {
    const day = formatOrdinal(start + i);
    const override = overrides?.get(start + i) ?? imported?.get(start + i);
    days.push(day);
    let isWorking: boolean;
    if (override) isWorking = override === 'workday';
    else if (imported || statutory) isWorking = isMondayToFriday(start + i) && !statutory?.has(day);
    else isWorking = publishedWorking(day, start + i);
    working[i] = isWorking ? 1 : 0;
    known[i] = published || overrides?.has(start + i) ? 1 : 0;
  }
  const workingBefore = cumulative(working);
  return {
    year,
    start,
    length,
    days,
    working,
    known,
    workingBefore,
    workingOrdinals: ordinalsOf(working, start, workingBefore[length] ?? 0),
    unknownBefore: cumulative(known.map((flag) => 1 - flag)),
  };
}

/** The package's answer: listed 调休 workdays work, listed holidays rest, otherwise Monday to Friday. */
function publishedWorking(day: string, ordinal: number): boolean {
  if (publishedWorkdays[day] !== undefined) return true;
  if (publishedHolidays[day] !== undefined) return false;
  return isMondayToFriday(ordinal);
}

function isMondayToFriday(ordinal: number): boolean {
  // 1970-01-01 was a Thursday.
  const weekday = (((ordinal + 4) % 7) + 7) % 7;
  return weekday >= 1 && weekday <= 5;
}

function cumulative(flags: Uint8Array): Int32Array {
  const sums = new Int32Array(flags.length + 1);
  for (let i = 0; i < flags.length; i += 1) sums[i + 1] = (sums[i] ?? 0) + (flags[i] ?? 0);
  return sums;
}

function ordinalsOf(working: Uint8Array, start: number, count: number): Int32Array {
  const ordinals = new Int32Array(count);
  let next = 0;
  working.forEach((flag, i) => {
    if (flag) ordinals[next++] = start + i;
  });
  return ordinals;
}

/** Typed-array read that fails loudly instead of yielding undefined. */
function read(array: Int32Array | Uint8Array, index: number): number {
  const value = array[index];
  if (value === undefined) throw new RangeError(`Calendar index ${index} out of range`);
  return value;
}

function groupByYear(overrides: ReadonlyMap<string, DayKind>): Map<number, Map<number, DayKind>> {
  const byYear = new Map<number, Map<number, DayKind>>();
  for (const [day, kind] of overrides) {
    if (kind !== 'workday' && kind !== 'restday') throw new RangeError(`Unknown day kind for ${day}: ${String(kind)}`);
    const ordinal = parseDay(day);
    const year = yearOfOrdinal(ordinal);
    const days = byYear.get(year) ?? new Map<number, DayKind>();
    days.set(ordinal, kind);
    byYear.set(year, days);
  }
  return byYear;
}

/**
 * A calendar of the published arrangements (the package's, and those imported) with `overrides` on
 * top. Beyond the published years, Saturdays, Sundays and the statutory holidays rest and answers
 * come back provisional.
 */
export function createWorkingCalendar(
  overrides: ReadonlyMap<string, DayKind>,
  options: WorkingCalendarOptions = {},
): WorkingCalendar {
  const overridesByYear = groupByYear(overrides);
  const arrangementsByYear = groupByYear(options.arrangements ?? new Map());
  const tables = new Map<number, YearTable>();
  const reportedYears = new Set<number>();
  // Consecutive lookups nearly always land in the same year.
  let recent: YearTable | undefined;

  function tableOfYear(year: number): YearTable {
    let table = tables.get(year);
    if (!table) {
      if (year < MIN_YEAR || year > MAX_YEAR) throw new RangeError(`Year ${year} is outside the calendar`);
      table = buildYear(year, overridesByYear.get(year), arrangementsByYear.get(year));
      tables.set(year, table);
    }
    return table;
  }

  function tableOf(ordinal: number): YearTable {
    if (recent && ordinal >= recent.start && ordinal < recent.start + recent.length) return recent;
    recent = tableOfYear(yearOfOrdinal(ordinal));
    return recent;
  }

  function isWorkingOrdinal(ordinal: number): boolean {
    const table = tableOf(ordinal);
    return read(table.working, ordinal - table.start) === 1;
  }

  /** Whether any day in [from, to] is unknown; reports each such year once. */
  function touches(from: number, to: number): boolean {
    let provisional = false;
    for (let ordinal = from; ordinal <= to; ) {
      const table = tableOf(ordinal);
      const lo = ordinal - table.start;
      const hi = Math.min(to - table.start, table.length - 1);
      if (read(table.unknownBefore, hi + 1) > read(table.unknownBefore, lo)) {
        provisional = true;
        report(table, lo, hi);
      }
      ordinal = table.start + table.length;
    }
    return provisional;
  }

  function report(table: YearTable, lo: number, hi: number): void {
    if (reportedYears.has(table.year)) return;
    reportedYears.add(table.year);
    for (let i = lo; i <= hi; i += 1) {
      if (!table.known[i]) {
        options.onBeyondKnownData?.(table.days[i] ?? '');
        return;
      }
    }
  }

  /** The n-th working day after `ordinal` (n >= 1). */
  function forward(ordinal: number, n: number): number {
    let table = tableOf(ordinal);
    let passed = read(table.workingBefore, ordinal - table.start + 1);
    let remaining = n;
    for (;;) {
      const total = table.workingOrdinals.length;
      if (remaining <= total - passed) return read(table.workingOrdinals, passed + remaining - 1);
      remaining -= total - passed;
      table = tableOfYear(table.year + 1);
      passed = 0;
    }
  }

  /** The n-th working day before `ordinal` (n >= 1). */
  function backward(ordinal: number, n: number): number {
    let table = tableOf(ordinal);
    let before = read(table.workingBefore, ordinal - table.start);
    let remaining = n;
    for (;;) {
      if (remaining <= before) return read(table.workingOrdinals, before - remaining);
      remaining -= before;
      table = tableOfYear(table.year - 1);
      before = table.workingOrdinals.length;
    }
  }

  /** Working days in [from, to]. */
  function countWorking(from: number, to: number): number {
    let count = 0;
    for (let ordinal = from; ordinal <= to; ) {
      const table = tableOf(ordinal);
      const hi = Math.min(to - table.start, table.length - 1);
      count += read(table.workingBefore, hi + 1) - read(table.workingBefore, ordinal - table.start);
      ordinal = table.start + table.length;
    }
    return count;
  }

  function addWorkingDaysDetailed(day: string, n: number): Detailed<string> {
    assertInteger(n);
    const ordinal = parseDay(day);
    let result: number;
    let provisional: boolean;
    if (n > 0) {
      result = forward(ordinal, n);
      provisional = touches(ordinal + 1, result);
    } else if (n < 0) {
      result = backward(ordinal, -n);
      provisional = touches(result, ordinal - 1);
    } else {
      result = isWorkingOrdinal(ordinal) ? ordinal : forward(ordinal, 1);
      provisional = touches(ordinal, result);
    }
    const table = tableOf(result);
    return { value: table.days[result - table.start] ?? formatOrdinal(result), provisional };
  }

  function workingDaysBetweenDetailed(from: string, to: string): Detailed<number> {
    const a = parseDay(from);
    const b = parseDay(to);
    if (a <= b) return { value: countWorking(a + 1, b), provisional: touches(a + 1, b) };
    // 0 - count, not -count: no -0 for callers comparing with Object.is.
    return { value: 0 - countWorking(b + 1, a), provisional: touches(b + 1, a) };
  }

  function isWorkingDayDetailed(day: string): Detailed<boolean> {
    const ordinal = parseDay(day);
    return { value: isWorkingOrdinal(ordinal), provisional: touches(ordinal, ordinal) };
  }

  return {
    isWorkingDay: (day) => isWorkingDayDetailed(day).value,
    isWorkingDayDetailed,
    addWorkingDays: (day, n) => addWorkingDaysDetailed(day, n).value,
    addWorkingDaysDetailed,
    workingDaysBetween: (from, to) => workingDaysBetweenDetailed(from, to).value,
    workingDaysBetweenDetailed,
    isKnown(day) {
      const ordinal = parseDay(day);
      const table = tableOf(ordinal);
      return read(table.known, ordinal - table.start) === 1;
    },
  };
}

/** The calendar with every override stored in `calendar_overrides` and every imported arrangement. */
export async function loadWorkingCalendar(db: Db, options: WorkingCalendarOptions = {}): Promise<WorkingCalendar> {
  const repository = createCalendarRepository({ db });
  const rows = await repository.listCalendarOverrides({});
  const arranged = await repository.listArrangements({});
  return createWorkingCalendar(new Map(rows.map((row) => [row.day, row.kind])), {
    ...options,
    arrangements: new Map(arranged.map((row) => [row.day, row.kind])),
  });
}
