const dateParts = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  weekday: 'long',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function parts(value: string | Date) {
  const byType: Record<string, string> = {};
  for (const part of dateParts.formatToParts(new Date(value))) byType[part.type] = part.value;
  return byType;
}

/** 2021年6月25日（星期五）, in Beijing time. A plain date (YYYY-MM-DD) is read as that day in Beijing. */
export function formatDate(value: string | Date): string {
  const instant = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00+08:00` : value;
  const p = parts(instant);
  return `${p.year}年${p.month}月${p.day}日（${p.weekday}）`;
}

/** 2021年6月25日（星期五）14:03, in Beijing time. */
export function formatDateTime(value: string | Date): string {
  const p = parts(value);
  return `${formatDate(value)}${p.hour}:${p.minute}`;
}

/** Today's date in Beijing as YYYY-MM-DD (for date pickers' defaults). */
export function todayInBeijing(): string {
  const p = parts(new Date());
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}
