import type { BenchUnit } from './organisation.js';

const PLATFORMS = ['微信订阅号', '微信服务号', '微博', '抖音', '今日头条', '一点号'];
// Cells as inspectors write them: catalogue labels, aliases, several problems in one cell, free text (其他).
const PROBLEMS = [
  '互动回应差',
  '监测时间点前2周内无更新',
  '"互动回应差,菜单链接错误"',
  '账号信息错误、同一单位同平台多账号',
  '僵尸账号',
  '互动回应不及时；监测时间点前两周内无更新',
  '发布内容与本单位职能无关',
];
const LAST_UPDATED = ['4.21', '', '5.18', '', '5.19', '3.7'];

export interface GeneratedFinding {
  row: number;
  targetName: string;
  unit: BenchUnit;
  platform: string;
}

/**
 * A 附件3 table (检查发现存在突出问题的政务新媒体名单) of `count` accounts spread evenly over `units`:
 * 序号, 账号名称, 开设主体, 账号类型, 区县, 存在的问题, 最后更新时间 — the notice's own columns.
 * `suffix` keeps account names apart between two tables that must not share targets.
 */
export function generateFindingsCsv(units: readonly BenchUnit[], count: number, suffix = ''): { csv: string; rows: GeneratedFinding[] } {
  const lines = ['序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间'];
  const rows: GeneratedFinding[] = [];
  for (let i = 0; i < count; i++) {
    const unit = units[i % units.length];
    if (!unit) throw new Error('no units to own the findings');
    const n = Math.floor(i / units.length) + 1;
    const platform = PLATFORMS[i % PLATFORMS.length] ?? '微信订阅号';
    const targetName = `${unit.name.replace(/人民政府(办公室)?$/, '')}政务号${n}${suffix}`;
    rows.push({ row: i + 2, targetName, unit, platform });
    lines.push([i + 1, targetName, unit.name, platform, unit.county ?? '', PROBLEMS[i % PROBLEMS.length], LAST_UPDATED[i % LAST_UPDATED.length]].join(','));
  }
  return { csv: `${lines.join('\n')}\n`, rows };
}
