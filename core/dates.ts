// Dates as the mails, the reports and the workbench print them, in Beijing time whatever zone the
// process or the browser runs in: 2021年6月25日（星期五）, and with a time the 公文 way, 10时 or
// 10时30分. One formatter for the server and web/ (which imports this file, so it imports nothing).

const beijing = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  weekday: 'long',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

export interface BeijingParts {
  year: string;
  month: string;
  day: string;
  weekday: string;
  /** 0 to 23 */
  hour: number;
  minute: number;
}

// formatToParts is the dearest step of rendering a mail, and the mails of one import or sweep
// nearly all show the same deadline: remember the last answer.
let last: { time: number; parts: BeijingParts } | undefined;

/** The parts of an instant in Beijing; a plain date (YYYY-MM-DD) is read as that day in Beijing. */
export function beijingParts(value: Date | string): BeijingParts {
  const date = typeof value === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00+08:00` : value) : value;
  const time = date.getTime();
  if (last?.time === time) return last.parts;
  const raw: Record<string, string> = {};
  for (const part of beijing.formatToParts(date)) raw[part.type] = part.value;
  const parts = { year: raw.year ?? '', month: raw.month ?? '', day: raw.day ?? '', weekday: raw.weekday ?? '', hour: Number(raw.hour), minute: Number(raw.minute) };
  last = { time, parts };
  return parts;
}

/** 2021年6月25日（星期五） */
export function formatDateWithWeekday(value: Date | string): string {
  const p = beijingParts(value);
  return `${p.year}年${p.month}月${p.day}日（${p.weekday}）`;
}

/** 2021年6月25日: subjects and a sign-off (落款), which carry no weekday. */
export function formatDateOnly(value: Date | string): string {
  const p = beijingParts(value);
  return `${p.year}年${p.month}月${p.day}日`;
}

/** 2021年6月25日（星期五）10时, or 10时30分 when the minutes are not zero. */
export function formatDateTime(value: Date | string): string {
  const p = beijingParts(value);
  return `${formatDateWithWeekday(value)}${p.hour}时${p.minute === 0 ? '' : `${p.minute}分`}`;
}

/** Today's date in Beijing as YYYY-MM-DD. */
export function todayInBeijing(now: Date = new Date()): string {
  const p = beijingParts(now);
  return `${p.year}-${p.month.padStart(2, '0')}-${p.day.padStart(2, '0')}`;
}
