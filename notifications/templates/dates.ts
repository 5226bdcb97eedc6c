import { beijingParts, formatDateOnly, formatDateTime, formatDateWithWeekday } from '../../core/dates.js';

// The mails' dates, from the one formatter in core/dates.ts (the workbench uses it too).

/**
 * 2021年6月25日（星期五）. A deadline is the end of its day, so the time is shown (10时30分) only
 * when a supervisor set some other hour.
 */
export function formatDateLong(date: Date): string {
  const p = beijingParts(date);
  return p.hour === 23 && p.minute === 59 ? formatDateWithWeekday(date) : formatDateTime(date);
}

/** 2021年6月25日: subjects and the sign-off (落款), which carry no weekday. The year is always there. */
export const formatDate = (date: Date): string => formatDateOnly(date);

/** 2021年6月21日（星期一）9时: the moment a digest is made, as every other time in a mail reads. */
export const formatDateHour = (date: Date): string => formatDateTime(date);
