import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { problemCatalogue } from '../../../db/problem-catalogue.js';
import { decodeTable, type DecodedTable } from '../../../workflows/imports/decode-table.js';
import { findingsTableSpec, parseFindingRows, parseNoticeDate, type FindingsParseContext } from '../../../workflows/imports/findings.parse.js';
import { createUnitResolver, normaliseUnitName, suggestClosest } from '../../../workflows/imports/unit-names.js';
import { ImportFileError } from '../../../workflows/imports/import.errors.js';

/** 附件3 of 益政务办发〔2021〕2号, typed from the notice. */
const NOTICE_ROWS = [
  ['1', '益阳网警巡查执法', '益阳市公安局网络安全保卫与技术侦察支队', '今日头条', '', '监测时间点前2周内无更新', '4.21'],
  ['2', '益阳住建人防', '益阳市住房和城乡建设局', '微信订阅号', '', '互动回应差', ''],
  ['3', '健康益阳', '益阳市卫生健康委员会', '微信订阅号', '', '互动回应差', ''],
  ['4', '益阳智慧医疗', '益阳市卫生健康委员会', '微信服务号', '', '互动回应差', ''],
  ['5', '益阳人力资源服务', '益阳市人力资源市场管理中心', '微信服务号', '', '互动回应差', ''],
  ['6', '益阳交通', '益阳市交通运输局', '微信订阅号', '', '互动回应差，菜单链接错误', ''],
  ['7', '南县公共文旅云', '南县文化旅游广电体育局', '微信服务号', '南县', '互动回应差，监测时间点前2周内无更新', '5.19'],
  ['8', '沅江自然资源局', '沅江市自然资源局', '微信订阅号', '沅江市', '监测时间点前2周内无更新', '5.18'],
  ['9', '资阳区应急管理', '益阳市资阳区应急管理局', '微信订阅号', '资阳区', '互动回应差', ''],
  ['10', '红色故里美丽鸬鹚', '桃江县鸬鹚渡镇人民政府', '微信订阅号', '桃江县', '监测时间点前2周内无更新', '5.21'],
  ['11', '桃江文旅', '桃江县文化旅游广电体育局', '微信服务号', '桃江县', '互动回应差', ''],
  ['12', '安化招商引资', '安化县商务局', '微信订阅号', '安化县', '监测时间点前2周内无更新', '5.19'],
  ['13', '印象古楼', '安化县古楼乡人民政府', '微信订阅号', '安化县', '监测时间点前2周内无更新', '5.18'],
];
const NOTICE_HEADER = ['序号', '账号名称', '开设主体', '账号类型', '区县', '存在的问题', '最后更新时间'];

const NOTICE_UNITS = [...new Set(NOTICE_ROWS.map((r) => r[2] ?? ''))].map((name, index) => ({
  id: index + 1,
  code: `U${index + 1}`,
  name,
  aliases: name === '益阳市卫生健康委员会' ? ['市卫生健康委'] : [],
}));

const ctx: FindingsParseContext = {
  year: 2021,
  resolveUnit: createUnitResolver(NOTICE_UNITS),
  problemCatalogue,
};

function unitId(name: string): number {
  const unit = NOTICE_UNITS.find((u) => u.name === name);
  if (!unit) throw new Error(`test unit ${name} missing`);
  return unit.id;
}

function csvLine(cells: readonly string[]): string {
  return cells.map((c) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',');
}

function csv(header: readonly string[], rows: readonly (readonly string[])[]): Buffer {
  return Buffer.from([header, ...rows].map(csvLine).join('\r\n'));
}

async function decodeFindings(bytes: Buffer): Promise<DecodedTable> {
  return decodeTable({ bytes, spec: findingsTableSpec });
}

describe('parseFindingRows on the 2021 notice (附件3)', () => {
  const noticeCsv = [
    '附件3,,,,,,',
    '检查发现存在突出问题的政务新媒体名单,,,,,,',
    csvLine(NOTICE_HEADER),
    ...NOTICE_ROWS.map(csvLine),
    '"注:检查采样时间为2021年6月4日,复核时间为6月9日",,,,,,',
  ].join('\r\n');

  it('gives 13 findings with the right units, platforms, problems and dates (GB18030 CSV)', async () => {
    const table = await decodeFindings(iconv.encode(noticeCsv, 'gb18030'));
    const { findings, errors } = parseFindingRows(table, ctx);
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(13);
    expect(findings.map((f) => f.row)).toEqual(NOTICE_ROWS.map((_, i) => i + 4));
    expect(findings.every((f) => f.targetKind === 'new_media' && f.outstanding)).toBe(true);
    expect(findings.map((f) => f.platform)).toEqual([
      'toutiao',
      'wechat_subscription',
      'wechat_subscription',
      'wechat_service',
      'wechat_service',
      'wechat_subscription',
      'wechat_service',
      'wechat_subscription',
      'wechat_subscription',
      'wechat_subscription',
      'wechat_service',
      'wechat_subscription',
      'wechat_subscription',
    ]);
    expect(findings.map((f) => f.unitId)).toEqual(NOTICE_ROWS.map((r) => unitId(r[2] ?? '')));
    expect(findings.map((f) => f.lastUpdatedOn)).toEqual([
      '2021-04-21',
      null,
      null,
      null,
      null,
      null,
      '2021-05-19',
      '2021-05-18',
      null,
      '2021-05-21',
      null,
      '2021-05-19',
      '2021-05-18',
    ]);
    expect(findings.map((f) => f.county)).toEqual([null, null, null, null, null, null, '南县', '沅江市', '资阳区', '桃江县', '桃江县', '安化县', '安化县']);
  });

  it('splits the problems of rows 6 and 7 and keeps the cell as written', async () => {
    const { findings } = parseFindingRows(await decodeFindings(Buffer.from(noticeCsv)), ctx);
    expect(findings[0]?.problems).toEqual([{ code: 'no_recent_update', text: '监测时间点前2周内无更新' }]);
    expect(findings[5]).toMatchObject({
      targetName: '益阳交通',
      ownerUnitText: '益阳市交通运输局',
      problems: [
        { code: 'poor_interaction', text: '互动回应差' },
        { code: 'menu_link_error', text: '菜单链接错误' },
      ],
      problemsText: '互动回应差，菜单链接错误',
    });
    expect(findings[6]?.problems.map((p) => p.code)).toEqual(['poor_interaction', 'no_recent_update']);
  });

  it('reads the same table from an XLSX where Excel stored 4.21 and 5.21 as numbers', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('附件3');
    sheet.addRow(['检查发现存在突出问题的政务新媒体名单']);
    sheet.addRow(NOTICE_HEADER);
    for (const row of NOTICE_ROWS) sheet.addRow(row.map((cell, i) => (i === 0 || (i === 6 && cell !== '') ? Number(cell) : cell)));
    const table = await decodeFindings(Buffer.from(await workbook.xlsx.writeBuffer()));
    const { findings, errors } = parseFindingRows(table, ctx);
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(13);
    expect(findings[0]).toMatchObject({ row: 3, lastUpdatedOn: '2021-04-21' });
    expect(findings[9]).toMatchObject({ targetName: '红色故里美丽鸬鹚', lastUpdatedOn: '2021-05-21' });
  });
});

describe('parseFindingRows: cells', () => {
  it('reads the JSON shape of the API', async () => {
    const body = {
      findings: [
        {
          targetKind: 'new_media',
          platform: 'wechat_subscription',
          targetName: '健康益阳',
          ownerUnit: '益阳市卫生健康委员会',
          county: null,
          problems: ['互动回应差'],
          lastUpdatedOn: null,
          outstanding: true,
        },
        { targetKind: 'website', platform: null, targetName: '益阳市卫生健康委员会网站', ownerUnit: 'U3', problems: '栏目更新不及时；信息更新量少', url: 'http://wjw.yiyang.gov.cn', outstanding: false, note: '复核仍未整改' },
      ],
    };
    const table = await decodeTable({ bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json', spec: findingsTableSpec });
    const { findings, errors } = parseFindingRows(table, ctx);
    expect(errors).toEqual([]);
    expect(findings).toEqual([
      {
        row: 1,
        targetKind: 'new_media',
        platform: 'wechat_subscription',
        targetName: '健康益阳',
        url: null,
        ownerUnitText: '益阳市卫生健康委员会',
        unitId: unitId('益阳市卫生健康委员会'),
        county: null,
        problems: [{ code: 'poor_interaction', text: '互动回应差' }],
        problemsText: '互动回应差',
        lastUpdatedOn: null,
        outstanding: true,
        note: null,
      },
      {
        row: 2,
        targetKind: 'website',
        platform: null,
        targetName: '益阳市卫生健康委员会网站',
        url: 'http://wjw.yiyang.gov.cn',
        ownerUnitText: 'U3',
        unitId: 3,
        county: null,
        problems: [
          { code: 'columns_not_updated', text: '栏目更新不及时' },
          { code: 'little_information', text: '信息更新量少' },
        ],
        problemsText: '栏目更新不及时；信息更新量少',
        lastUpdatedOn: null,
        outstanding: false,
        note: '复核仍未整改',
      },
    ]);
  });

  it('takes a website table: 网站名称 and 主办单位, no 账号类型', async () => {
    const table = await decodeFindings(
      csv(['序号', '网站名称', '主办单位', '存在的问题', '网址'], [['1', '益阳市交通运输局网站', '益阳市交通运输局', '应更新未更新栏目超过10个', 'http://jtj.yiyang.gov.cn']]),
    );
    const { findings, errors } = parseFindingRows(table, ctx);
    expect(errors).toEqual([]);
    expect(findings[0]).toMatchObject({ targetKind: 'website', platform: null, url: 'http://jtj.yiyang.gov.cn' });
    expect(findings[0]?.problems).toEqual([{ code: 'columns_not_updated', text: '应更新未更新栏目超过10个' }]);
  });

  it('matches problems by label or alias across width, spacing and a final 。, keeping unknown words as other', async () => {
    const cell = '互动回应 差；应更新未更新栏目超过１０个。\n两周内无更新、互动回应不及时，留言3条未回复（5月）、菜单链接错误（首页）';
    const table = await decodeFindings(csv(['账号名称', '开设主体', '账号类型', '存在的问题'], [['益阳交通', '益阳市交通运输局', '公众号', cell]]));
    const { findings } = parseFindingRows(table, ctx);
    expect(findings[0]?.problems).toEqual([
      { code: 'poor_interaction', text: '互动回应 差' },
      { code: 'columns_not_updated', text: '应更新未更新栏目超过１０个' },
      { code: 'no_recent_update', text: '两周内无更新' },
      { code: 'other', text: '留言3条未回复（5月）' },
      { code: 'menu_link_error', text: '菜单链接错误（首页）' },
    ]);
  });

  it('maps every platform name of the notice and the English codes', async () => {
    const names = ['微信公众号', '微信服务号', '新浪微博', '抖音', '头条号', '一点资讯', '其他', 'weibo', 'Wechat_Service', '网站'];
    const rows = names.map((name, i) => [`账号${i}`, '益阳市交通运输局', name, '互动回应差']);
    const { findings, errors } = parseFindingRows(await decodeFindings(csv(['账号名称', '开设主体', '账号类型', '存在的问题'], rows)), ctx);
    expect(errors).toEqual([]);
    expect(findings.map((f) => f.platform)).toEqual([
      'wechat_subscription',
      'wechat_service',
      'weibo',
      'douyin',
      'toutiao',
      'yidian',
      'other',
      'weibo',
      'wechat_service',
      null,
    ]);
    expect(findings.at(-1)?.targetKind).toBe('website');
  });

  it('reads the outstanding flag and the note', async () => {
    const table = await decodeFindings(
      csv(['账号名称', '开设主体', '账号类型', '存在的问题', '是否突出问题（单否）', '备注'], [
        ['甲', '益阳市交通运输局', '微博', '僵尸账号', '否', '已关停'],
        ['乙', '益阳市交通运输局', '微博', '僵尸账号', '是', ''],
      ]),
    );
    const { findings } = parseFindingRows(table, ctx);
    expect(findings.map((f) => [f.outstanding, f.note])).toEqual([
      [false, '已关停'],
      [true, null],
    ]);
  });
});

describe('parseFindingRows: errors', () => {
  it('lists every error of every row with row, column, value, a Chinese message and unit suggestions', async () => {
    const header = ['序号', '账号名称', '开设主体', '账号类型', '区县', '存在的问题', '最后更新时间', '是否突出问题'];
    const table = await decodeFindings(
      csv(header, [
        ['1', '健康益阳', '益阳市卫健委', '微信订阅号', '', '互动回应差', '2.30', ''],
        ['2', '', '', '微信订閱号', '', '', '13.1', '也许'],
        ['3', '益阳交通', '益阳市交通运输局', '微信订阅号', '', '互动回应差', '5.1', ''],
        ['4', '益阳交通', '益阳市交通运输局', '微信订阅号', '', '菜单链接错误', '', ''],
        ['5', '益阳住建人防', '益阳市住房和城乡建设局', '', '', '互动回应差', '昨天', ''],
      ]),
    );
    const { findings, errors } = parseFindingRows(table, ctx);
    expect(findings.map((f) => f.row)).toEqual([4]);
    expect(errors).toEqual([
      {
        row: 2,
        column: '开设主体',
        value: '益阳市卫健委',
        message: '找不到单位“益阳市卫健委”（按单位代码、名称或别名查找），是否为：益阳市卫生健康委员会？',
        suggestions: ['益阳市卫生健康委员会'],
      },
      { row: 2, column: '最后更新时间', value: '2.30', message: '最后更新时间“2.30”：日期不存在：2021年2月30日' },
      { row: 3, column: '账号名称', value: '', message: '账号名称不能为空' },
      {
        row: 3,
        column: '账号类型',
        value: '微信订閱号',
        message: '无法识别的账号类型“微信订閱号”，可填：微信订阅号、微信服务号、微博、抖音、今日头条、一点号、微信视频号、快手、小红书、百家号、哔哩哔哩、小程序、政务App、其他、网站',
        suggestions: ['微信订阅号'],
      },
      { row: 3, column: '开设主体', value: '', message: '开设主体不能为空' },
      { row: 3, column: '存在的问题', value: '', message: '存在的问题不能为空' },
      { row: 3, column: '最后更新时间', value: '13.1', message: '最后更新时间“13.1”：日期不存在：2021年13月1日' },
      { row: 3, column: '是否突出问题', value: '也许', message: '是否突出问题应填“是”或“否”' },
      {
        row: 5,
        column: '账号名称',
        value: '益阳交通',
        message: '与第 4 行重复：同一单位的同一账号在一个文件中只能出现一次',
      },
      {
        row: 6,
        column: '账号类型',
        value: '',
        message: '账号类型不能为空：政务新媒体须填写账号类型（如 微信订阅号、微博、抖音），网站请填“网站”',
      },
      {
        row: 6,
        column: '最后更新时间',
        value: '昨天',
        message: '最后更新时间“昨天”：无法识别的日期，应写作 4.21、4月21日 或 2021-04-21',
      },
    ]);
  });

  it('says when an unknown unit has no close name', () => {
    const table = { headers: ['账号名称', '开设主体', '存在的问题', '账号类型'], rows: [{ row: 2, values: ['甲', 'Zzz', '僵尸账号', '微博'] }] };
    const { errors } = parseFindingRows(table, ctx);
    expect(errors).toEqual([
      {
        row: 2,
        column: '开设主体',
        value: 'Zzz',
        message: '找不到单位“Zzz”（按单位代码、名称或别名查找）；请先添加该单位，或把这个名称加为已有单位的别名',
      },
    ]);
  });

  it('refuses a conflicting targetKind and platform', () => {
    const table = {
      headers: ['targetKind', 'platform', 'targetName', 'ownerUnit', 'problems'],
      rows: [
        { row: 1, values: ['website', 'weibo', '甲', 'U1', '僵尸账号'] },
        { row: 2, values: ['new_media', '', '乙', 'U1', '僵尸账号'] },
        { row: 3, values: ['blog', 'weibo', '丙', 'U1', '僵尸账号'] },
      ],
    };
    const { errors } = parseFindingRows(table, ctx);
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [1, 'platform'],
      [2, 'platform'],
      [3, 'targetKind'],
    ]);
  });

  it('throws import.missing_headers when the table lacks a required column', () => {
    const table = { headers: ['账号名称', '账号类型'], rows: [{ row: 2, values: ['甲', '微博'] }] };
    expect(() => parseFindingRows(table, ctx)).toThrow(ImportFileError);
    expect(() => parseFindingRows(table, ctx)).toThrow(/开设主体（或 主办单位）、存在的问题/);
  });
});

describe('parseNoticeDate', () => {
  it('reads the forms inspectors write, in the inspection year when the year is left out', () => {
    for (const text of ['4.21', '４．２１', '4月21日', '4月21', '04-21', '4/21', '2021-04-21', '2021/4/21', '2021.4.21', '2021年4月21日', '2021-04-21 10:30', '2021-04-21T00:00:00.000Z']) {
      expect(parseNoticeDate(text, 2021), text).toEqual({ date: '2021-04-21' });
    }
    expect(parseNoticeDate('2.29', 2024)).toEqual({ date: '2024-02-29' });
  });

  it('refuses impossible dates', () => {
    for (const text of ['2.30', '13.1', '0.5', '2.29', '2021-02-29', '4.31']) {
      expect(parseNoticeDate(text, 2021), text).toHaveProperty('error');
    }
  });
});

describe('unit names', () => {
  it('normalises brackets, width and spacing the same way on both sides', () => {
    expect(normaliseUnitName('  益阳市 资阳区（长春经济开发区） ')).toBe('益阳市资阳区(长春经济开发区)');
    expect(normaliseUnitName('【益阳】〔2021〕 Yiyang   City')).toBe('[益阳][2021] Yiyang City');
    expect(normaliseUnitName('ＹＹ－ＷＪＷ')).toBe('YY-WJW');
  });

  it('suggests close Chinese names, best first', () => {
    const names = NOTICE_UNITS.map((u) => u.name);
    expect(suggestClosest('益阳市卫健委', names)).toEqual(['益阳市卫生健康委员会']);
    expect(suggestClosest('桃江县文旅局', names)[0]).toBe('桃江县文化旅游广电体育局');
    expect(suggestClosest('交通运输局', names)).toEqual(['益阳市交通运输局']);
    expect(suggestClosest('文化旅游广电体育局', names)).toEqual(['南县文化旅游广电体育局', '桃江县文化旅游广电体育局']);
    expect(suggestClosest('完全无关', names)).toEqual([]);
    expect(suggestClosest('益阳市', names, 2)).toHaveLength(2);
  });

  it('resolves by code, name or alias, and offers official names otherwise', () => {
    const resolve = createUnitResolver(NOTICE_UNITS);
    const wjw = unitId('益阳市卫生健康委员会');
    expect(resolve('U3')).toEqual({ unitId: wjw });
    expect(resolve(' 益阳市卫生健康委员会 ')).toEqual({ unitId: wjw });
    expect(resolve('市卫生健康委')).toEqual({ unitId: wjw });
    expect(resolve('市卫健委')).toEqual({ suggestions: ['益阳市卫生健康委员会'] });
  });
});

describe('parseFindingRows at scale', () => {
  it('decodes and parses a 100,000-row CSV', async () => {
    const lines = [csvLine(NOTICE_HEADER)];
    for (let i = 0; i < 100_000; i++) {
      const source = NOTICE_ROWS[i % NOTICE_ROWS.length] ?? [];
      lines.push(csvLine([String(i + 1), `${source[1]}${i}`, ...source.slice(2)]));
    }
    const table = await decodeFindings(Buffer.from(lines.join('\n')));
    expect(table.rows).toHaveLength(100_000);
    const { findings, errors } = parseFindingRows(table, ctx);
    expect(errors).toHaveLength(0);
    expect(findings).toHaveLength(100_000);
    expect(findings.at(-1)?.row).toBe(100_001);
  });
});
