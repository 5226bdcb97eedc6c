import { platformLabels } from '../../core/labels.js';
import type { Platform, TargetKind } from '../../core/vocabulary.js';

export function targetKindLabel(target: { kind: TargetKind; platform: Platform | null }): string {
  if (target.kind === 'website') return '网站';
  return platformLabels[target.platform ?? 'other'];
}

/**
 * 「“健康益阳”微信订阅号」, 「益阳市水利局网站」: the target as a notice names it. A website whose
 * name already says 网站 is not called 网站 twice.
 */
export function targetLabel(target: { kind: TargetKind; platform: Platform | null; name: string }): string {
  if (target.kind === 'website') return /网站$|网$/.test(target.name) ? target.name : `“${target.name}”网站`;
  const kind = targetKindLabel(target);
  return `“${target.name}”${kind === '其他' ? '政务新媒体' : kind}`;
}

/** One problem of a finding; `text` is the inspector's own words for it. */
export interface ProblemWords {
  code: string;
  label: string;
  text?: string;
}

// Punctuation and spaces do not make the inspector's words differ from the label.
const bare = (value: string) => value.replace(/[\s，,。.、；;：:“”"'‘’（）()]/g, '');

/**
 * A problem as the unit must read it: the catalogue's label, with the inspector's words when they
 * say more (「栏目更新不及时（应更新未更新栏目超过10个）」), and for a problem outside the catalogue
 * the words themselves (「其他：发布内容违规」), never a bare 其他.
 */
export function problemWording(problem: ProblemWords): string {
  const text = problem.text?.trim() ?? '';
  if (problem.code === 'other') return text && bare(text) !== bare(problem.label) ? `${problem.label}：${text}` : problem.label;
  if (!text || bare(text) === bare(problem.label)) return problem.label;
  return `${problem.label}（${text}）`;
}

/** The problems of one ticket in one line: 互动回应差；菜单链接错误. */
export function problemsLine(problems: ProblemWords[]): string {
  return problems.length === 0 ? '（未列明）' : problems.map(problemWording).join('；');
}

/** At most two problems, so a subject stays readable on a phone: 甲、乙等3项. */
export function problemSummary(problems: ProblemWords[]): string {
  if (problems.length === 0) return '整改事项';
  const shown = problems.slice(0, 2).map(problemWording).join('、');
  return problems.length > 2 ? `${shown}等${problems.length}项` : shown;
}
