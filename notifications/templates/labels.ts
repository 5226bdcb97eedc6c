import type { Platform, TargetKind } from '../../db/schema/targets.table.js';
import type { TicketState } from '../../db/schema/tickets.table.js';

/** The platform names as the inspection notices print them. */
export const platformLabels: Record<Platform, string> = {
  wechat_subscription: '微信订阅号',
  wechat_service: '微信服务号',
  weibo: '微博',
  douyin: '抖音',
  toutiao: '今日头条',
  yidian: '一点号',
  wechat_channels: '微信视频号',
  kuaishou: '快手',
  xiaohongshu: '小红书',
  baijiahao: '百家号',
  bilibili: '哔哩哔哩',
  mini_program: '小程序',
  gov_app: '政务App',
  other: '其他',
};

export const stateLabels: Record<TicketState, string> = {
  issued: '待签收',
  acknowledged: '已签收，整改中',
  rectified: '已提交整改，待核验',
  verified: '已核销',
  withdrawn: '已撤销',
};

const levelNumerals = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** 1 → 一级; the escalation level is capped at 10 by the tickets table. */
export function levelLabel(level: number): string {
  return `${levelNumerals[level] ?? String(level)}级`;
}

export function targetKindLabel(target: { kind: TargetKind; platform: Platform | null }): string {
  if (target.kind === 'website') return '网站';
  return platformLabels[target.platform ?? 'other'];
}

/** 健康益阳（微信订阅号） */
export function targetLabel(target: { kind: TargetKind; platform: Platform | null; name: string }): string {
  return `${target.name}（${targetKindLabel(target)}）`;
}

/** A problem as people read it: its label, or for one outside the catalogue the inspector's own words. */
export function problemWords(problem: { code: string; label: string; text?: string }): string {
  return problem.code === 'other' && problem.text ? problem.text : problem.label;
}

/** At most two labels, so a subject stays readable on a phone: 甲、乙等3项. */
export function problemSummary(problems: { code: string; label: string; text?: string }[]): string {
  if (problems.length === 0) return '整改事项';
  const shown = problems.slice(0, 2).map(problemWords).join('、');
  return problems.length > 2 ? `${shown}等${problems.length}项` : shown;
}
