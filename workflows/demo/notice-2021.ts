import type { InspectionScopeGroup, UnitKind } from '../../db/schema/index.js';

/**
 * The 2021 Yiyang notice (益政务办发〔2021〕2号, ../shared/notice-2021-yiyang.txt) as demo data:
 * the units it names, the inspection with the scope of 附件1/附件2, its 8 failed websites, the 13
 * accounts of 附件3, and the problems its body (二(二)–(六)) names unit by unit, which are not 单否.
 */

export interface DemoUnit {
  code: string;
  name: string;
  aliases: string[];
  kind: UnitKind;
  parentCode: string | null;
}

const city = (code: string, name: string, aliases: string[], parentCode = 'YY-ZWB'): DemoUnit => ({ code, name, aliases, kind: 'city_department', parentCode });
const county = (code: string, name: string, aliases: string[]): DemoUnit => ({ code, name, aliases, kind: 'county', parentCode: 'YY-ZWB' });
const under = (parentCode: string, code: string, name: string, aliases: string[], kind: UnitKind = 'other'): DemoUnit => ({ code, name, aliases, kind, parentCode });

export const demoUnits: DemoUnit[] = [
  // The inspecting office: the notice is issued in its name, feedback goes to its 政府网站管理科.
  // Not 政务管理服务局: the notice's 省政务管理服务局 is the provincial bureau.
  { code: 'YY-ZWB', name: '益阳市政务公开政务服务管理办公室', aliases: ['市政府办政府网站管理科', '市政务公开政务服务管理办公室'], kind: 'other', parentCode: null },
  city('YY-SLJ', '益阳市水利局', ['市水利局']),
  city('YY-NYJ', '益阳市农业农村局', ['市农业农村局']),
  city('YY-WJW', '益阳市卫生健康委员会', ['市卫生健康委', '益阳市卫生健康委', '市卫健委']),
  city('YY-SJJ', '益阳市审计局', ['市审计局']),
  city('YY-XCZX', '益阳市乡村振兴局', ['市乡村振兴局']),
  city('YY-FGW', '益阳市发展和改革委员会', ['市发改委']),
  city('YY-ZRZY', '益阳市自然资源和规划局', ['市自然资源和规划局']),
  city('YY-JGSW', '益阳市机关事务管理局', ['市机关事务管理局']),
  city('YY-TYJR', '益阳市退役军人事务局', ['市退役军人事务局']),
  city('YY-XFJ', '益阳市信访局', ['市信访局']),
  city('YY-LYJ', '益阳市林业局', ['市林业局']),
  city('YY-CGJ', '益阳市城市管理和综合执法局', ['市城市管理和综合执法局']),
  city('YY-GAJ', '益阳市公安局', ['市公安局']),
  under('YY-GAJ', 'YY-GAJ-WAZD', '益阳市公安局网络安全保卫与技术侦察支队', ['益阳网警'], 'city_department'),
  city('YY-ZJJ', '益阳市住房和城乡建设局', ['市住房和城乡建设局', '市住建局']),
  city('YY-RSJ', '益阳市人力资源和社会保障局', ['市人社局']),
  under('YY-RSJ', 'YY-RSJ-SCZX', '益阳市人力资源市场管理中心', [], 'city_department'),
  city('YY-JTJ', '益阳市交通运输局', ['市交通运输局']),
  county('HS', '益阳市赫山区人民政府办公室', ['赫山区']),
  county('ZY', '益阳市资阳区人民政府办公室', ['资阳区']),
  county('YJ', '沅江市人民政府办公室', ['沅江市']),
  county('NX', '南县人民政府办公室', ['南县']),
  county('TJ', '桃江县人民政府办公室', ['桃江县']),
  county('AH', '安化县人民政府办公室', ['安化县']),
  county('DTH', '益阳市大通湖区管理委员会办公室', ['大通湖区']),
  county('GXQ', '益阳高新技术产业开发区管理委员会办公室', ['益阳高新区', '高新区']),
  county('DBXQ', '益阳市东部新区管理委员会办公室', ['东部新区']),
  under('NX', 'NX-WLJ', '南县文化旅游广电体育局', ['南县文旅广体局']),
  under('YJ', 'YJ-ZRZY', '沅江市自然资源局', []),
  under('ZY', 'ZY-YJJ', '益阳市资阳区应急管理局', ['资阳区应急管理局']),
  under('TJ', 'TJ-LCD', '桃江县鸬鹚渡镇人民政府', ['鸬鹚渡镇'], 'township'),
  under('TJ', 'TJ-WLJ', '桃江县文化旅游广电体育局', ['桃江县文旅广体局']),
  under('TJ', 'TJ-SJZX', '桃江县数据资源服务中心', []),
  under('AH', 'AH-SWJ', '安化县商务局', []),
  under('AH', 'AH-GL', '安化县古楼乡人民政府', ['古楼乡'], 'township'),
  under('GXQ', 'GXQ-SPJ', '益阳高新区行政审批局', []),
];

export const demoInspection = {
  title: '关于2021年全市政府网站与政务新媒体检查情况的通报',
  documentNumber: '益政务办发〔2021〕2号',
  shortCode: '2021-2',
  issuedOn: '2021-06-17',
  samplingFrom: '2021-05-26',
  samplingTo: '2021-06-09',
  feedbackDeadline: '2021-06-25',
  issuingUnitCode: 'YY-ZWB',
  contact: { name: '文雪飞', phone: '0737-4382206' },
  scope: [
    { group: '市直部门', targetKind: 'website', checked: 31, failed: 5 },
    { group: '区县(市)', targetKind: 'website', checked: 8, failed: 3 },
    { group: '其他网站', targetKind: 'website', checked: 10, failed: 0 },
    { group: '市直部门', targetKind: 'new_media', checked: 49, failed: 6 },
    { group: '大通湖区', targetKind: 'new_media', checked: 13, failed: 0 },
    { group: '益阳高新区', targetKind: 'new_media', checked: 6, failed: 0 },
    { group: '东部新区', targetKind: 'new_media', checked: 2, failed: 0 },
    { group: '南县', targetKind: 'new_media', checked: 14, failed: 1 },
    { group: '沅江市', targetKind: 'new_media', checked: 26, failed: 1 },
    { group: '资阳区', targetKind: 'new_media', checked: 15, failed: 1 },
    { group: '赫山区', targetKind: 'new_media', checked: 18, failed: 0 },
    { group: '桃江县', targetKind: 'new_media', checked: 27, failed: 2 },
    { group: '安化县', targetKind: 'new_media', checked: 46, failed: 2 },
  ] satisfies InspectionScopeGroup[],
};

/** The 8 websites the notice names as failed; its main problem for all: 应更新未更新栏目超过10个. */
const websiteFindings = [
  ['安化县人民政府门户网站', '安化县'],
  ['桃江县人民政府门户网站', '桃江县'],
  ['大通湖区门户网站', '大通湖区'],
  ['益阳市水利局网站', '市水利局'],
  ['益阳市农业农村局网站', '市农业农村局'],
  ['益阳市卫生健康委员会网站', '市卫生健康委'],
  ['益阳市审计局网站', '市审计局'],
  ['益阳市乡村振兴局网站', '市乡村振兴局'],
].map(([targetName, ownerUnit]) => ({
  targetKind: 'website',
  platform: null,
  targetName,
  ownerUnit,
  county: null,
  problems: ['应更新未更新栏目超过10个'],
  lastUpdatedOn: null,
  outstanding: true,
}));

/** 附件3 检查发现存在突出问题的政务新媒体名单, as the notice prints it. */
export const notice2021AccountsCsv = `序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间
1,益阳网警巡查执法,益阳市公安局网络安全保卫与技术侦察支队,今日头条,,监测时间点前2周内无更新,4.21
2,益阳住建人防,益阳市住房和城乡建设局,微信订阅号,,互动回应差,
3,健康益阳,益阳市卫生健康委员会,微信订阅号,,互动回应差,
4,益阳智慧医疗,益阳市卫生健康委员会,微信服务号,,互动回应差,
5,益阳人力资源服务,益阳市人力资源市场管理中心,微信服务号,,互动回应差,
6,益阳交通,益阳市交通运输局,微信订阅号,,"互动回应差,菜单链接错误",
7,南县公共文旅云,南县文化旅游广电体育局,微信服务号,南县,"互动回应差,监测时间点前2周内无更新",5.19
8,沅江自然资源局,沅江市自然资源局,微信订阅号,沅江市,监测时间点前2周内无更新,5.18
9,资阳区应急管理,益阳市资阳区应急管理局,微信订阅号,资阳区,互动回应差,
10,红色故里美丽鸬鹚,桃江县鸬鹚渡镇人民政府,微信订阅号,桃江县,监测时间点前2周内无更新,5.21
11,桃江文旅,桃江县文化旅游广电体育局,微信服务号,桃江县,互动回应差,
12,安化招商引资,安化县商务局,微信订阅号,安化县,监测时间点前2周内无更新,5.19
13,印象古楼,安化县古楼乡人民政府,微信订阅号,安化县,监测时间点前2周内无更新,5.18
`;

export const notice2021WebsitesJson = { findings: websiteFindings };

const bodyFinding = (
  targetKind: 'website' | 'new_media',
  targetName: string,
  ownerUnit: string,
  problem: string,
  note: string,
  county: string | null = null,
) => ({ targetKind, platform: targetKind === 'website' ? null : '其他', targetName, ownerUnit, county, problems: [problem], lastUpdatedOn: null, outstanding: false, note });

/**
 * The problems the notice's body names unit by unit (二(二)–(六)): not 单否, so they do not count
 * against the pass rates of 附件1/附件2, but each unit is to rectify and feed back all the same.
 * Where the notice names no account or platform, the target says so rather than guess.
 */
export const notice2021BodyJson = {
  findings: [
    ...['益阳市水利局', '益阳市自然资源和规划局', '益阳市机关事务管理局'].map((unit) =>
      bodyFinding('website', `${unit}（市政府信息公开平台栏目）`, unit, '信息更新量少且不规范', '通报二(二)：今年1月1日-5月25日，5个多月在市政府信息公开平台总共发布信息仅1条甚至为零。'),
    ),
    bodyFinding('website', '益阳市发展和改革委员会网站', '市发改委', '内容与栏目不匹配', '通报二(二)：将一条信息发布到其网站十多个不同栏目，导致多个栏目的内容基本相同。'),
    bodyFinding('website', '益阳市退役军人事务局网站', '市退役军人事务局', '政策发布解读不足', '通报二(三)：自网站开设以来未发布任何本部门政策文件。'),
    bodyFinding('website', '益阳市信访局网站', '市信访局', '政策发布解读不足', '通报二(三)：自网站开设以来未发布任何本部门政策文件。'),
    bodyFinding('website', '益阳市林业局网站', '市林业局', '政策发布解读不足', '通报二(三)：网站近三年来无政策文件发布。'),
    bodyFinding('website', '益阳市城市管理和综合执法局网站', '市城市管理和综合执法局', '互动交流栏目空白', '通报二(五)：咨询建言类栏目对所有网民留言都未公开，互动交流栏目为空白栏目。'),
    bodyFinding('new_media', '桃江县数据资源服务中心', '桃江县数据资源服务中心', '账号信息错误', '通报二(六)：录入全国政务新媒体信息报送系统的账号信息存在错误（通报未列明平台）。', '桃江县'),
    // The notice names the account, not its owner; it holds the counties to account for what they entered.
    bodyFinding('new_media', '茶溪小镇·冷市慢城', '安化县', '账号信息错误', '通报二(六)：录入全国政务新媒体信息报送系统的账号信息存在错误（通报未列明平台和开设主体，由区县政府办核实）。', '安化县'),
    bodyFinding('new_media', '益阳市卫生健康委员会（同一平台多个账号）', '市卫生健康委', '同一单位同平台多账号', '通报二(六)：同一单位在同一平台开设了多个政务新媒体（通报未列明平台）。'),
    bodyFinding('new_media', '益阳高新区行政审批局（同一平台多个账号）', '益阳高新区行政审批局', '同一单位同平台多账号', '通报二(六)：同一单位在同一平台开设了多个政务新媒体（通报未列明平台）。', '益阳高新区'),
  ],
};
