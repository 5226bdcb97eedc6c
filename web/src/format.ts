// The workbench prints dates with the server's own formatter (core/dates.ts), in Beijing time:
// 2021年6月25日（星期五）, and 2021年6月25日（星期五）14时3分 with a time.
export { formatDateWithWeekday as formatDate, formatDateTime, todayInBeijing } from '../../core/dates';
