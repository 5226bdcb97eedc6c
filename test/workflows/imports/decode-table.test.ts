import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeTable, tableFromJson, type DecodeInput, type DecodedTable } from '../../../workflows/imports/decode-table.js';
import { findingsTableSpec } from '../../../workflows/imports/findings.parse.js';
import { ImportFileError } from '../../../workflows/imports/import.errors.js';
import { unitsTableSpec } from '../../../workflows/imports/units.parse.js';

const HEADER = '序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间';
const ROWS = [
  '1,益阳网警巡查执法,益阳市公安局网络安全保卫与技术侦察支队,今日头条,,监测时间点前2周内无更新,4.21',
  '7,南县公共文旅云,南县文化旅游广电体育局,微信服务号,南县,"互动回应差，监测时间点前2周内无更新",5.19',
];
const CSV = [HEADER, ...ROWS].join('\r\n') + '\r\n';

const FIRST_ROW = ['1', '益阳网警巡查执法', '益阳市公安局网络安全保卫与技术侦察支队', '今日头条', '', '监测时间点前2周内无更新', '4.21'];

/** Cells by header, for readable assertions. */
function record(table: DecodedTable, index: number): Record<string, unknown> {
  const row = table.rows[index];
  return Object.fromEntries(table.headers.map((h, i) => [h, row?.values[i]]));
}

async function decodeError(input: DecodeInput): Promise<ImportFileError> {
  const error: unknown = await decodeTable(input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImportFileError);
  return error as ImportFileError;
}

async function workbookBytes(fill: (workbook: ExcelJS.Workbook) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  fill(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('decodeTable: CSV text encodings', () => {
  it('reads GB18030, as Excel and WPS save CSV on Chinese Windows, without being told', async () => {
    const table = await decodeTable({ bytes: iconv.encode(CSV, 'gb18030'), filename: '附件3.csv' });
    expect(table.format).toBe('csv');
    expect(table.headers).toEqual(HEADER.split(','));
    expect(table.rows[0]?.values).toEqual(FIRST_ROW);
    expect(record(table, 1)['存在的问题']).toBe('互动回应差，监测时间点前2周内无更新');
  });

  it('reads UTF-8 with a BOM and drops the BOM from the first header', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CSV)]);
    const table = await decodeTable({ bytes, contentType: 'text/csv' });
    expect(table.headers[0]).toBe('序号');
    expect(table.rows[0]?.values).toEqual(FIRST_ROW);
  });

  it('reads UTF-8 without a BOM', async () => {
    const table = await decodeTable({ bytes: Buffer.from(CSV) });
    expect(table.headers).toEqual(HEADER.split(','));
    expect(table.rows.map((r) => r.values[1])).toEqual(['益阳网警巡查执法', '南县公共文旅云']);
  });

  it('reads UTF-16LE with a BOM (Excel "Unicode text", tab-separated)', async () => {
    const text = [HEADER, ...ROWS].map((line) => line.replaceAll(',', '\t').replaceAll('"', '')).join('\r\n');
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const table = await decodeTable({ bytes });
    expect(table.rows[0]?.values).toEqual(FIRST_ROW);
  });
});

describe('decodeTable: CSV layout', () => {
  it('accepts tab and semicolon delimiters when the header line uses them', async () => {
    for (const delimiter of ['\t', ';']) {
      const text = [HEADER, ROWS[0] ?? ''].map((line) => line.replaceAll(',', delimiter)).join('\n');
      const table = await decodeTable({ bytes: Buffer.from(text) });
      expect(table.headers).toEqual(HEADER.split(','));
      expect(table.rows[0]?.values).toEqual(FIRST_ROW);
    }
  });

  it('honours an Excel sep= line and does not count it as a row', async () => {
    const table = await decodeTable({ bytes: Buffer.from(`sep=;\n${HEADER.replaceAll(',', ';')}\n1;名称;单位;微博;;僵尸账号;`) });
    expect(table.headers).toHaveLength(7);
    expect(table.rows[0]?.row).toBe(2);
  });

  it('trims cells, skips empty lines, and numbers rows as Excel shows them', async () => {
    const text = [
      HEADER,
      '',
      ' 1 , 益阳网警巡查执法 ,"益阳市公安局网络安全保卫与技术侦察支队",今日头条, ,监测时间点前2周内无更新,4.21',
      ',,,,,,',
      '2,"他说""好"",再见","多行\r\n单元格",微博,,"互动回应差\n菜单链接错误",',
      '3,  "  引号外有空格",单位,抖音,,僵尸账号,',
    ].join('\r\n');
    const table = await decodeTable({ bytes: Buffer.from(text) });
    expect(table.rows.map((r) => r.row)).toEqual([3, 5, 6]);
    expect(table.rows[0]?.values).toEqual(FIRST_ROW);
    expect(record(table, 1)).toMatchObject({
      账号名称: '他说"好",再见',
      开设主体: '多行\r\n单元格',
      存在的问题: '互动回应差\n菜单链接错误',
    });
    // Like Excel, a quote that does not open the cell is literal text.
    expect(record(table, 2)['账号名称']).toBe('"  引号外有空格"');
  });

  it('finds the header below the notice title lines and drops the footnote row', async () => {
    const text = ['附件3,,,,,,', '检查发现存在突出问题的政务新媒体名单', CSV, '"注:检查采样时间为2021年6月4日,复核时间为6月9日",,,,,,'].join('\n');
    const table = await decodeTable({ bytes: Buffer.from(text), spec: findingsTableSpec });
    expect(table.headers).toEqual(HEADER.split(','));
    expect(table.rows.map((r) => r.row)).toEqual([4, 5]);
  });

  it('refuses a quote that is never closed, naming the row', async () => {
    const error = await decodeError({ bytes: Buffer.from(`${HEADER}\n1,"未闭合,单位,微博,,僵尸账号,\n2,a,b,微博,,僵尸账号,`) });
    expect(error.code).toBe('import.unreadable');
    expect(error.message).toContain('第 2 行');
  });
});

describe('decodeTable: XLSX', () => {
  it('reads the first sheet with the headers, below a title, as the text the user sees', async () => {
    const bytes = await workbookBytes((workbook) => {
      workbook.addWorksheet('说明').addRow(['本表为检查结果']);
      const sheet = workbook.addWorksheet('附件3');
      sheet.addRow(['检查发现存在突出问题的政务新媒体名单']);
      sheet.addRow(HEADER.split(','));
      sheet.addRow([
        1,
        { richText: [{ text: '益阳' }, { text: '网警巡查执法', font: { bold: true } }] },
        { text: '益阳市公安局网络安全保卫与技术侦察支队', hyperlink: 'https://example.gov.cn' },
        '今日头条',
        null,
        '监测时间点前2周内无更新',
        4.21,
      ]);
      sheet.addRow([2, '南县公共文旅云', '南县文化旅游广电体育局', '微信服务号', '南县', '互动回应差', 4.2099999999999991]);
      sheet.addRow([3, '日期', '单位', '微博', '', '僵尸账号', new Date(Date.UTC(2021, 4, 21))]);
      const fixed = sheet.addRow([4, '两位小数', '单位', '微博', '', '僵尸账号', 5.1]);
      fixed.getCell(7).numFmt = '0.00';
      sheet.addRow([5, '公式', '单位', '微博', '', { formula: 'B4', result: '僵尸账号' }, 5.1]);
    });
    const table = await decodeTable({ bytes, filename: 'findings.xlsx', spec: findingsTableSpec });
    expect(table.format).toBe('xlsx');
    expect(table.headers).toEqual(HEADER.split(','));
    expect(table.rows.map((r) => r.row)).toEqual([3, 4, 5, 6, 7]);
    expect(table.rows[0]?.values).toEqual(FIRST_ROW);
    expect(table.rows.map((r) => r.values[6])).toEqual(['4.21', '4.21', '2021-05-21', '5.10', '5.1']);
    expect(record(table, 4)['存在的问题']).toBe('僵尸账号');
  });

  it('takes an XLSX sent as application/octet-stream by its bytes', async () => {
    const bytes = await workbookBytes((workbook) => {
      const sheet = workbook.addWorksheet('Sheet1');
      sheet.addRow(HEADER.split(','));
      sheet.addRow(FIRST_ROW);
    });
    const table = await decodeTable({ bytes, contentType: 'application/octet-stream', filename: 'upload.bin' });
    expect(table.format).toBe('xlsx');
    expect(table.rows[0]).toEqual({ row: 2, values: FIRST_ROW });
  });

  it('refuses a damaged XLSX and an old .xls', async () => {
    const damaged = await decodeError({ bytes: Buffer.from('PK\x03\x04 not really a zip', 'latin1'), filename: 'a.xlsx' });
    expect(damaged.code).toBe('import.unreadable');
    const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);
    expect((await decodeError({ bytes: xls, filename: 'a.xls' })).code).toBe('import.unsupported_format');
  });
});

describe('decodeTable: JSON', () => {
  const finding = {
    targetKind: 'new_media',
    platform: 'wechat_subscription',
    targetName: '健康益阳',
    ownerUnit: '益阳市卫生健康委员会',
    county: null,
    problems: ['互动回应差', ' 菜单链接错误 '],
    lastUpdatedOn: null,
    outstanding: true,
  };

  it('reads {"findings": [...]} keeping arrays as lists', async () => {
    const table = await decodeTable({ bytes: Buffer.from(JSON.stringify({ findings: [finding] })), contentType: 'application/json' });
    expect(table.format).toBe('json');
    expect(table.headers).toEqual(Object.keys(finding));
    expect(table.rows).toEqual([
      {
        row: 1,
        values: ['new_media', 'wechat_subscription', '健康益阳', '益阳市卫生健康委员会', '', ['互动回应差', '菜单链接错误'], '', 'true'],
      },
    ]);
  });

  it('reads a bare array sniffed from its first character, with Chinese keys and numbers as text', async () => {
    const body = `\ufeff  [{"账号名称":"益阳交通","开设主体":"益阳市交通运输局","存在的问题":"互动回应差","最后更新时间":4.21}]`;
    const table = await decodeTable({ bytes: Buffer.from(body) });
    expect(table.format).toBe('json');
    expect(record(table, 0)).toEqual({ 账号名称: '益阳交通', 开设主体: '益阳市交通运输局', 存在的问题: '互动回应差', 最后更新时间: '4.21' });
  });

  it('flattens nested objects into dotted headers (the units API shape)', () => {
    const table = tableFromJson(
      { units: [{ code: 'YY-WJW', name: '益阳市卫生健康委员会', kind: 'city_department', contact: { name: '张三', phone: '0737-1234567' } }] },
      unitsTableSpec,
    );
    expect(table.headers).toEqual(['code', 'name', 'kind', 'contact.name', 'contact.phone']);
  });

  it('refuses malformed JSON and JSON of the wrong shape', async () => {
    expect((await decodeError({ bytes: Buffer.from('{"findings": [') })).code).toBe('import.unreadable');
    expect((await decodeError({ bytes: Buffer.from('{"rows": []}') })).code).toBe('import.unreadable');
    expect((await decodeError({ bytes: Buffer.from('[1, 2]') })).code).toBe('import.unreadable');
    expect((await decodeError({ bytes: Buffer.from('{"findings": []}') })).code).toBe('import.no_rows');
  });
});

describe('decodeTable: files that are not a table', () => {
  it('calls an empty file empty, also when it holds only a BOM and blank lines', async () => {
    expect((await decodeError({ bytes: Buffer.alloc(0) })).code).toBe('import.empty_file');
    const blank = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' \r\n\r\n')]);
    expect((await decodeError({ bytes: blank })).code).toBe('import.empty_file');
  });

  it('calls binary garbage unreadable', async () => {
    let seed = 42;
    const garbage = Buffer.from(
      Array.from({ length: 4096 }, () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed >> 23;
      }),
    );
    const error = await decodeError({ bytes: garbage, filename: 'findings.csv' });
    expect(error.code).toBe('import.unreadable');
    expect(error.message).toContain('CSV');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect((await decodeError({ bytes: png })).code).toBe('import.unreadable');
  });

  it('names the required columns that are missing', async () => {
    const text = '序号,账号名称,账号类型,区县\n1,益阳交通,微信订阅号,';
    const error = await decodeError({ bytes: Buffer.from(text), spec: findingsTableSpec });
    expect(error.code).toBe('import.missing_headers');
    expect(error.status).toBe(422);
    expect(error.missing).toEqual(['开设主体（或 主办单位）', '存在的问题']);
    expect(error.message).toContain('开设主体');
    expect(error.message).toContain('序号、账号名称、账号类型、区县');
  });

  it('names every required column when no header is recognised at all', async () => {
    const error = await decodeError({ bytes: Buffer.from('甲,乙,丙\n1,2,3'), spec: unitsTableSpec });
    expect(error.code).toBe('import.missing_headers');
    expect(error.missing).toEqual(['代码', '名称', '类型']);
  });

  it('refuses a table with a header and no data rows', async () => {
    expect((await decodeError({ bytes: Buffer.from(`${HEADER}\n,,,,,,\n`) })).code).toBe('import.no_rows');
  });
});
