import type { Db } from './client.js';
import { problemTypes, type ProblemAppliesTo, type ProblemSeverity } from './schema/index.js';

export interface CatalogueEntry {
  code: string;
  label: string;
  aliases: string[];
  /** `veto` 单项否决: one such problem fails the target; `deduction` 扣分. */
  severity: ProblemSeverity;
  appliesTo: ProblemAppliesTo;
}

/**
 * The SPEC's problem catalogue: the national indicators' veto items (国办秘函〔2019〕19号) and the
 * problems the 2021 notice names. Seeded on every start (existing rows are left as administrators
 * edited them; migration 0010 brought the rows of earlier versions up to this one).
 */
export const problemCatalogue: CatalogueEntry[] = [
  // 国办秘函〔2019〕19号 单项否决
  { code: 'serious_error', label: '严重表述错误', aliases: ['出现严重表述错误', '严重错误'], severity: 'veto', appliesTo: 'any' },
  { code: 'security_incident', label: '安全泄密事故', aliases: ['发生安全泄密事故', '安全、泄密事故', '泄密事故', '安全事故'], severity: 'veto', appliesTo: 'any' },
  { code: 'site_unreachable', label: '站点无法访问', aliases: ['网站无法访问', '无法访问', '站点不能访问'], severity: 'veto', appliesTo: 'website' },
  { code: 'homepage_not_updated', label: '首页不更新', aliases: ['首页栏目信息超过2周未更新', '首页超过2周未更新', '站点不更新', '首页两周未更新'], severity: 'veto', appliesTo: 'website' },
  { code: 'blank_columns', label: '空白栏目', aliases: ['空白栏目5个以上', '空白栏目数量超过5个', '空白栏目过多'], severity: 'veto', appliesTo: 'website' },
  { code: 'broken_links', label: '链接不可用', aliases: ['首页链接不可用', '链接无法访问', '死链', '错链', '不可用链接'], severity: 'veto', appliesTo: 'website' },
  { code: 'service_unusable', label: '服务不实用', aliases: ['无在线服务', '办事服务不实用', '未提供在线服务'], severity: 'veto', appliesTo: 'website' },
  // The notice's problems; 应更新未更新栏目超过10个 and 互动回应差 are veto items nationally too.
  { code: 'columns_not_updated', label: '栏目更新不及时', aliases: ['应更新未更新栏目超过10个', '网站栏目更新不及时', '栏目未及时更新', '栏目不更新'], severity: 'veto', appliesTo: 'website' },
  { code: 'little_information', label: '信息更新量少且不规范', aliases: ['信息更新量少', '信息更新不规范', '更新量少'], severity: 'deduction', appliesTo: 'website' },
  { code: 'content_mismatch', label: '内容与栏目不匹配', aliases: ['栏目内容不匹配'], severity: 'deduction', appliesTo: 'website' },
  { code: 'policy_interpretation_missing', label: '政策发布解读不足', aliases: ['政策发布解读严重不足', '政策解读不足', '未发布政策文件'], severity: 'deduction', appliesTo: 'website' },
  { code: 'service_guide_incomplete', label: '办事指南要素缺失', aliases: ['办事指南要素不全', '政务服务事项不规范'], severity: 'deduction', appliesTo: 'website' },
  { code: 'interaction_blocked', label: '互动交流渠道不畅', aliases: ['留言超期未处理', '互动交流栏目空白', '互动交流渠道不畅通'], severity: 'deduction', appliesTo: 'website' },
  { code: 'no_recent_update', label: '监测时间点前2周内无更新', aliases: ['两周内无更新', '2周内无更新', '监测时间点前两周内无更新'], severity: 'veto', appliesTo: 'any' },
  { code: 'poor_interaction', label: '互动回应差', aliases: ['互动回应不及时', '留言超过3个月未回应', '无可用的咨询渠道'], severity: 'veto', appliesTo: 'any' },
  { code: 'menu_link_error', label: '菜单链接错误', aliases: ['菜单链接失效', '链接错误'], severity: 'veto', appliesTo: 'any' },
  { code: 'wrong_account_info', label: '账号信息错误', aliases: ['账号信息有误', '信息报送系统账号信息错误'], severity: 'deduction', appliesTo: 'new_media' },
  { code: 'duplicate_accounts', label: '同一单位同平台多账号', aliases: ['同一平台多个账号', '一个单位同平台开设多个账号'], severity: 'deduction', appliesTo: 'new_media' },
  { code: 'zombie_account', label: '僵尸账号', aliases: ['“僵尸”账号'], severity: 'deduction', appliesTo: 'new_media' },
  { code: 'other', label: '其他', aliases: [], severity: 'deduction', appliesTo: 'any' },
];

export async function seedProblemCatalogue(db: Db): Promise<void> {
  await db
    .insert(problemTypes)
    .values(problemCatalogue)
    .onConflictDoNothing({ target: problemTypes.code });
}

/** The catalogue as administrators keep it, for matching an import's problem texts. */
export async function loadProblemCatalogue(db: Db): Promise<Pick<CatalogueEntry, 'code' | 'label' | 'aliases'>[]> {
  return db.select({ code: problemTypes.code, label: problemTypes.label, aliases: problemTypes.aliases }).from(problemTypes);
}
