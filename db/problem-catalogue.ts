import type { Db } from './client.js';
import { problemTypes } from './schema/index.js';

export interface CatalogueEntry {
  code: string;
  label: string;
  aliases: string[];
  appliesTo: 'website' | 'new_media' | 'any';
}

/** The SPEC's problem catalogue; seeded on every start (existing rows are left as administrators edited them). */
export const problemCatalogue: CatalogueEntry[] = [
  { code: 'columns_not_updated', label: '栏目更新不及时', aliases: ['应更新未更新栏目超过10个', '网站栏目更新不及时', '栏目未及时更新'], appliesTo: 'website' },
  { code: 'little_information', label: '信息更新量少且不规范', aliases: ['信息更新量少', '信息更新不规范', '更新量少'], appliesTo: 'website' },
  { code: 'content_mismatch', label: '内容与栏目不匹配', aliases: ['栏目内容不匹配'], appliesTo: 'website' },
  { code: 'policy_interpretation_missing', label: '政策发布解读不足', aliases: ['政策发布解读严重不足', '政策解读不足', '未发布政策文件'], appliesTo: 'website' },
  { code: 'service_guide_incomplete', label: '办事指南要素缺失', aliases: ['办事指南要素不全', '政务服务事项不规范'], appliesTo: 'website' },
  { code: 'interaction_blocked', label: '互动交流渠道不畅', aliases: ['留言超期未处理', '互动交流栏目空白', '互动交流渠道不畅通'], appliesTo: 'website' },
  { code: 'no_recent_update', label: '监测时间点前2周内无更新', aliases: ['两周内无更新', '2周内无更新', '监测时间点前两周内无更新'], appliesTo: 'new_media' },
  { code: 'poor_interaction', label: '互动回应差', aliases: ['互动回应不及时'], appliesTo: 'new_media' },
  { code: 'menu_link_error', label: '菜单链接错误', aliases: ['菜单链接失效', '链接错误'], appliesTo: 'any' },
  { code: 'wrong_account_info', label: '账号信息错误', aliases: ['账号信息有误', '信息报送系统账号信息错误'], appliesTo: 'new_media' },
  { code: 'duplicate_accounts', label: '同一单位同平台多账号', aliases: ['同一平台多个账号', '一个单位同平台开设多个账号'], appliesTo: 'new_media' },
  { code: 'zombie_account', label: '僵尸账号', aliases: ['“僵尸”账号'], appliesTo: 'new_media' },
  { code: 'other', label: '其他', aliases: [], appliesTo: 'any' },
];

export async function seedProblemCatalogue(db: Db): Promise<void> {
  await db
    .insert(problemTypes)
    .values(problemCatalogue)
    .onConflictDoNothing({ target: problemTypes.code });
}
