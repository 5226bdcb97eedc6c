// The working calendar as the running system sees it: the published arrangements, the local
// overrides administrators keep (audit-logged), and one calendar per process, rebuilt only
// when the overrides change.

import publishedCalendar from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import type { Db } from '../../db/client.js';
import type { AuditLogRepository } from '../../db/repositories/audit-log.repository.js';
import type { CalendarRepository } from '../../db/repositories/calendar.repository.js';
import { unprocessable, type FieldError } from '../../core/errors.js';
import type { CalendarArrangement, CalendarOverride } from '../../db/schema/index.js';
import { statutoryHolidays } from './statutory-holidays.js';
import { addCalendarDays, createWorkingCalendar, endOfShanghaiDay, startOfShanghaiDay, type DayKind, type WorkingCalendar } from './calendar.js';

/** One holiday of a published arrangement: 春节 2月5日至11日放假，1月31日、2月20日上班. */
export interface PublishedHoliday {
  name: string;
  from: string;
  to: string;
  workdays?: string[];
}

/** The days an arrangement sets, or a 422 naming every bad field. */
function arrangementDays(year: number, holidays: PublishedHoliday[]) {
  const errors: FieldError[] = [];
  const days = new Map<string, { day: string; kind: DayKind; name: string | null }>();
  const inYear = (day: string) => day.startsWith(`${year}-`);
  holidays.forEach((holiday, i) => {
    const at = `holidays[${i}]`;
    if (!inYear(holiday.from)) errors.push({ field: `${at}.from`, value: holiday.from, message: `放假日期须在${year}年内` });
    if (!inYear(holiday.to)) errors.push({ field: `${at}.to`, value: holiday.to, message: `放假日期须在${year}年内` });
    if (holiday.to < holiday.from) errors.push({ field: `${at}.to`, value: holiday.to, message: '放假结束日期不能早于开始日期' });
    else if (inYear(holiday.from) && inYear(holiday.to)) {
      for (let day = holiday.from; day <= holiday.to; day = addCalendarDays(day, 1)) days.set(day, { day, kind: 'restday', name: holiday.name });
    }
    (holiday.workdays ?? []).forEach((day, j) => {
      if (!inYear(day)) errors.push({ field: `${at}.workdays[${j}]`, value: day, message: `调休上班日期须在${year}年内` });
      else if (days.get(day)?.kind === 'restday') errors.push({ field: `${at}.workdays[${j}]`, value: day, message: '同一天不能既放假又上班' });
      else days.set(day, { day, kind: 'workday', name: holiday.name });
    });
  });
  if (errors.length > 0) throw unprocessable('calendar.invalid_arrangement', errors.map((e) => e.message).join('；'), { errors });
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}

export interface CalendarLogger {
  warn(details: object, message: string): void;
}

export type DaySource = 'override' | 'published' | 'statutory-rule';

/** One day as `GET /api/calendar/:date` answers it. */
export interface DayDescription {
  date: string;
  working: boolean;
  kind: DayKind;
  /** Where the answer comes from: a local override, the State Council's published arrangement, or only the statutory holidays and weekends. */
  source: DaySource;
  /** True when no published data or override covers the day: the statutory holidays, Saturdays and Sundays are assumed to rest. */
  provisional: boolean;
  note: string | null;
}

export interface CalendarServiceDeps {
  db: Db;
  calendar: CalendarRepository;
  auditLog: AuditLogRepository;
  now: () => Date;
  /** Where "beyond the published calendar" is said; once per year per service, i.e. per process. */
  logger?: CalendarLogger;
}

const publishedHolidays: Readonly<Record<string, string>> = publishedCalendar.holidays;
const publishedWorkdays: Readonly<Record<string, string>> = publishedCalendar.workdays;

/** The package's entries read "Dragon Boat Festival,端午,1": the Chinese name is the second field. */
function publishedNote(day: string): string | null {
  const holiday = publishedHolidays[day]?.split(',')[1];
  if (holiday) return `${holiday}假期`;
  const workday = publishedWorkdays[day]?.split(',')[1];
  return workday ? `${workday}调休上班` : null;
}

function isMondayToFriday(day: string): boolean {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday >= 1 && weekday <= 5;
}

// Overrides are a few rows a year: comparing them all is cheaper than being wrong about a change.
const fingerprintOf = (rows: readonly CalendarOverride[]) => JSON.stringify(rows.map((row) => [row.day, row.kind, row.note]));

export function createCalendarService({ db, calendar: repository, auditLog, now, logger = console }: CalendarServiceDeps) {
  // Kept for the life of the process, across rebuilt calendars: the log says it once per year.
  const reportedYears = new Set<string>();
  let cached:
    | { fingerprint: string; calendar: WorkingCalendar; overrides: Map<string, CalendarOverride>; arranged: Map<string, CalendarArrangement> }
    | undefined;

  function onBeyondKnownData(day: string): void {
    const year = day.slice(0, 4);
    if (reportedYears.has(year)) return;
    reportedYears.add(year);
    logger.warn(
      { year, firstDay: day },
      `working calendar: ${year} is beyond the published holiday arrangements and has no local overrides; the statutory holidays, Saturdays and Sundays are taken as rest days until an administrator imports the year's arrangement (POST /api/calendar/import)`,
    );
  }

  /** The calendar with the overrides stored now; the same object as last time when they have not changed (also by another instance). */
  async function snapshot() {
    const rows = await repository.listCalendarOverrides({});
    const arranged = await repository.listArrangements({});
    const fingerprint = `${fingerprintOf(rows)}|${JSON.stringify(arranged.map((row) => [row.day, row.kind]))}`;
    if (cached?.fingerprint !== fingerprint) {
      cached = {
        fingerprint,
        calendar: createWorkingCalendar(new Map(rows.map((row) => [row.day, row.kind])), {
          onBeyondKnownData,
          arrangements: new Map(arranged.map((row) => [row.day, row.kind])),
        }),
        overrides: new Map(rows.map((row) => [row.day, row])),
        arranged: new Map(arranged.map((row) => [row.day, row])),
      };
    }
    return cached;
  }

  /**
   * Moments the sweep computed with the old calendar may now come earlier (a Saturday made a
   * workday moves reminders and escalations forward): every ticket waiting for a later moment is
   * looked at again by the next sweep, which recomputes it.
   */
  async function recomputeDeadlines(tx: Db): Promise<void> {
    await repository.rescheduleTicketsAfter(now(), tx);
  }

  async function findOverride(day: string, tx: Db): Promise<CalendarOverride | undefined> {
    const [row] = await repository.listCalendarOverrides({ from: day, to: day }, tx);
    return row;
  }

  return {
    /** The working calendar for computations (the sweep, reports). */
    async current(): Promise<WorkingCalendar> {
      return (await snapshot()).calendar;
    },

    async describe({ day }: { day: string }): Promise<DayDescription> {
      const { calendar, overrides, arranged } = await snapshot();
      const override = overrides.get(day);
      // Asking about a day is not a deadline resting on it: the statutory rule is applied here
      // directly, so the "beyond the published calendar" log line stays about computations.
      const known = calendar.isKnown(day);
      const statutory = known ? undefined : statutoryHolidays(Number(day.slice(0, 4))).get(day);
      const working = known ? calendar.isWorkingDay(day) : isMondayToFriday(day) && statutory === undefined;
      const imported = arranged.get(day);
      const yearImported = [...arranged.keys()].some((d) => d.startsWith(day.slice(0, 5)));
      return {
        date: day,
        working,
        kind: working ? 'workday' : 'restday',
        source: override ? 'override' : known ? 'published' : 'statutory-rule',
        provisional: !known,
        note: override
          ? override.note
          : imported
            ? `${imported.name ?? ''}${imported.kind === 'restday' ? '假期' : '调休上班'}`
            : yearImported
              ? null
              : statutory
                ? `${statutory}（法定节假日，年度安排尚未公布）`
                : publishedNote(day),
      };
    },

    async listOverrides({ from, to }: { from?: string; to?: string }): Promise<CalendarOverride[]> {
      return repository.listCalendarOverrides({ ...(from ? { from } : {}), ...(to ? { to } : {}) });
    },

    /** Creates or replaces the day's override; `created` tells which. */
    async setOverride({ day, kind, note, actor }: { day: string; kind: DayKind; note: string | null; actor: { userId: number } }) {
      return db.transaction(async (tx) => {
        const previous = await findOverride(day, tx);
        const override = await repository.setCalendarOverride({ day, kind, note, updatedBy: actor.userId }, tx);
        await auditLog.record(
          {
            actorUserId: actor.userId,
            action: previous ? 'update' : 'create',
            entity: 'calendar_day',
            entityKey: day,
            details: { kind, note, previous: previous ? { kind: previous.kind, note: previous.note } : null },
          },
          tx,
        );
        await recomputeDeadlines(tx);
        return { override, created: !previous };
      });
    },

    /**
     * Loads a year's arrangement as the State Council published it: each holiday's rest days
     * (`from`–`to`) and its adjusted working days (调休). Replaces what an earlier import of the
     * year said; local overrides still win. Deadlines of that year stop being provisional.
     */
    async importArrangement({ year, holidays, actor }: { year: number; holidays: PublishedHoliday[]; actor: { userId: number } }) {
      const days = arrangementDays(year, holidays);
      return db.transaction(async (tx) => {
        const previous = await repository.replaceArrangement({ year, days, importedBy: actor.userId }, tx);
        await auditLog.record(
          { actorUserId: actor.userId, action: previous.length > 0 ? 'update' : 'create', entity: 'calendar_year', entityKey: String(year), details: { holidays } },
          tx,
        );
        await repository.confirmProvisionalDueTimes({ from: startOfShanghaiDay(`${year}-01-01`), to: endOfShanghaiDay(`${year}-12-31`) }, tx);
        await recomputeDeadlines(tx);
        return {
          year,
          restDays: days.filter((d) => d.kind === 'restday').length,
          workdays: days.filter((d) => d.kind === 'workday').length,
          replaced: previous.length > 0,
        };
      });
    },

    /** False when the day had no override. */
    async removeOverride({ day, actor }: { day: string; actor: { userId: number } }): Promise<boolean> {
      return db.transaction(async (tx) => {
        const previous = await findOverride(day, tx);
        if (!previous || !(await repository.deleteCalendarOverride({ day }, tx))) return false;
        await auditLog.record(
          { actorUserId: actor.userId, action: 'delete', entity: 'calendar_day', entityKey: day, details: { previous: { kind: previous.kind, note: previous.note } } },
          tx,
        );
        await recomputeDeadlines(tx);
        return true;
      });
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
