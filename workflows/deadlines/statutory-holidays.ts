// The statutory holidays of the 全国年节及纪念日放假办法 (2024 revision), computed for a year whose
// arrangement the State Council has not yet published: the rest days that are certain whatever
// the year's 调休 will be. Pure; the lunar dates come from chinese-days (lunar tables 1900–2100).

import chineseDays from 'chinese-days';

/** Years whose lunar dates the package's tables cover; beyond them only the Gregorian holidays are known. */
const LUNAR_FIRST_YEAR = 1901;
const LUNAR_LAST_YEAR = 2099;

const pad = (n: number) => String(n).padStart(2, '0');
const dayOf = (year: number, month: number, date: number) => `${year}-${pad(month)}-${pad(date)}`;

/** The day before `day` ('YYYY-MM-DD'); UTC arithmetic, so the process time zone plays no part. */
function previousDay(day: string): string {
  const ms = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) - 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * 清明 falls on the solar term's day: the usual 21st-century formula (寿星公式, C = 4.81; 5.59 in
 * the 20th century), which has no known exception for this term between 1901 and 2099. Computed
 * here because the package's own function formats the day in the process time zone.
 */
function qingmingDay(year: number): number {
  const y = year % 100;
  const c = year >= 2001 ? 4.81 : 5.59;
  return Math.floor(y * 0.2422 + c) - Math.floor(y / 4);
}

/**
 * The lunar dates of `year` we need, found by walking its days from January to October: the
 * package's getLunarDate counts days from an absolute instant, so it does not depend on the time zone.
 */
function lunarHolidays(year: number): Map<string, string> {
  const found = new Map<string, string>();
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year, 10, 1);
  for (let ms = start; ms < end; ms += 86_400_000) {
    const day = new Date(ms).toISOString().slice(0, 10);
    const lunar = chineseDays.getLunarDate(day);
    if (lunar.isLeap) continue;
    if (lunar.lunarMon === 1 && lunar.lunarDay >= 1 && lunar.lunarDay <= 3 && lunar.lunarYear === year) {
      found.set(day, '春节');
      if (lunar.lunarDay === 1) found.set(previousDay(day), '春节');
    } else if (lunar.lunarMon === 5 && lunar.lunarDay === 5) {
      found.set(day, '端午节');
    } else if (lunar.lunarMon === 8 && lunar.lunarDay === 15) {
      found.set(day, '中秋节');
    }
  }
  return found;
}

/** The statutory rest days of `year` with their holiday's name; weekends are not listed. */
export function statutoryHolidays(year: number): Map<string, string> {
  const days = new Map<string, string>([
    [dayOf(year, 1, 1), '元旦'],
    [dayOf(year, 5, 1), '劳动节'],
    [dayOf(year, 5, 2), '劳动节'],
    [dayOf(year, 10, 1), '国庆节'],
    [dayOf(year, 10, 2), '国庆节'],
    [dayOf(year, 10, 3), '国庆节'],
  ]);
  if (year >= LUNAR_FIRST_YEAR && year <= LUNAR_LAST_YEAR) {
    days.set(dayOf(year, 4, qingmingDay(year)), '清明节');
    // 除夕 of the next year's 春节 can fall on 12-31 only in theory (春节 is never before 01-21).
    for (const [day, name] of lunarHolidays(year)) if (day.startsWith(`${year}-`)) days.set(day, name);
  }
  return days;
}
