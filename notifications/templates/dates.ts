// Every date in a mail is read in Asia/Shanghai, whatever time zone the process runs in.
const shanghai = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  weekday: 'long',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

interface ShanghaiParts {
  year: string;
  month: string;
  day: string;
  weekday: string;
  hour: string;
  minute: string;
}

// formatToParts is the dearest step of rendering a mail, and the mails of one import or sweep
// nearly all show the same deadline: remember the last answer.
let last: { time: number; parts: ShanghaiParts } | undefined;

function partsOf(date: Date): ShanghaiParts {
  const time = date.getTime();
  if (last?.time === time) return last.parts;
  const parts = formatParts(date);
  last = { time, parts };
  return parts;
}

function formatParts(date: Date): ShanghaiParts {
  const parts: Record<string, string> = {};
  for (const part of shanghai.formatToParts(date)) parts[part.type] = part.value;
  return {
    year: parts.year ?? '',
    month: parts.month ?? '',
    day: parts.day ?? '',
    weekday: parts.weekday ?? '',
    hour: parts.hour ?? '',
    minute: parts.minute ?? '',
  };
}

/**
 * 2021年6月25日（星期五）. A deadline is the end of its day, so the time is shown only when a
 * supervisor set some other hour.
 */
export function formatDateLong(date: Date): string {
  const p = partsOf(date);
  const endOfDay = p.hour === '23' && p.minute === '59';
  return `${p.year}年${p.month}月${p.day}日（${p.weekday}）${endOfDay ? '' : ` ${p.hour}:${p.minute}`}`;
}

/** 2021年6月25日: subjects and the sign-off (落款), which carry no weekday. The year is always there. */
export function formatDate(date: Date): string {
  const p = partsOf(date);
  return `${p.year}年${p.month}月${p.day}日`;
}

/** 2021年6月21日（星期一）9时: the moment a digest is made. */
export function formatDateHour(date: Date): string {
  const p = partsOf(date);
  return `${p.year}年${p.month}月${p.day}日（${p.weekday}）${Number(p.hour)}时`;
}
