import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeTable, type DecodedTable } from '../../../workflows/imports/decode-table.js';
import { ImportFileError } from '../../../workflows/imports/import.errors.js';
import { parseUnitRows, unitsTableSpec } from '../../../workflows/imports/units.parse.js';

function csv(lines: readonly string[]): Buffer {
  return Buffer.from(lines.join('\n'));
}

async function decodeUnits(bytes: Buffer): Promise<DecodedTable> {
  return decodeTable({ bytes, spec: unitsTableSpec });
}

describe('parseUnitRows', () => {
  it('reads a units sheet with Chinese headers (GB18030 CSV)', async () => {
    const text = [
      '代码,单位名称,简称,类型,上级单位,邮箱,联系人,联系电话',
      'YY-GOV,益阳市人民政府办公室,市政府办,其他,,wzglk@example.gov.cn,文雪飞,0737-4382206',
      'YY-WJW,益阳市卫生健康委员会,"市卫生健康委、市卫健委；益阳市卫健委",市直部门,YY-GOV,"wjw@example.gov.cn; office@example.gov.cn  WJW@example.gov.cn",,',
      'TJ,桃江县人民政府,桃江县,区县(市),益阳市人民政府办公室,tj@example.gov.cn,,',
      'TJ-LCD,桃江县鸬鹚渡镇人民政府,鸬鹚渡镇,乡镇（街道）,TJ,,,',
    ].join('\r\n');
    const { units, errors } = parseUnitRows(await decodeUnits(iconv.encode(text, 'gb18030')));
    expect(errors).toEqual([]);
    expect(units).toEqual([
      {
        row: 2,
        code: 'YY-GOV',
        name: '益阳市人民政府办公室',
        aliases: ['市政府办'],
        kind: 'other',
        parent: null,
        emails: ['wzglk@example.gov.cn'],
        contactName: '文雪飞',
        contactPhone: '0737-4382206',
      },
      {
        row: 3,
        code: 'YY-WJW',
        name: '益阳市卫生健康委员会',
        aliases: ['市卫生健康委', '市卫健委', '益阳市卫健委'],
        kind: 'city_department',
        parent: 'YY-GOV',
        emails: ['wjw@example.gov.cn', 'office@example.gov.cn'],
        contactName: null,
        contactPhone: null,
      },
      {
        row: 4,
        code: 'TJ',
        name: '桃江县人民政府',
        aliases: ['桃江县'],
        kind: 'county',
        parent: '益阳市人民政府办公室',
        emails: ['tj@example.gov.cn'],
        contactName: null,
        contactPhone: null,
      },
      {
        row: 5,
        code: 'TJ-LCD',
        name: '桃江县鸬鹚渡镇人民政府',
        aliases: ['鸬鹚渡镇'],
        kind: 'township',
        parent: 'TJ',
        emails: [],
        contactName: null,
        contactPhone: null,
      },
    ]);
  });

  it('reads the JSON shape of POST /api/units', async () => {
    const body = {
      units: [
        {
          code: 'YY-WJW',
          name: '益阳市卫生健康委员会',
          aliases: ['市卫生健康委'],
          kind: 'city_department',
          parentCode: 'YY-GOV',
          emails: ['wjw@example.gov.cn'],
          contact: { name: '张三', phone: '0737-1234567' },
        },
      ],
    };
    const table = await decodeTable({ bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json', spec: unitsTableSpec });
    expect(parseUnitRows(table)).toEqual({
      units: [
        {
          row: 1,
          code: 'YY-WJW',
          name: '益阳市卫生健康委员会',
          aliases: ['市卫生健康委'],
          kind: 'city_department',
          parent: 'YY-GOV',
          emails: ['wjw@example.gov.cn'],
          contactName: '张三',
          contactPhone: '0737-1234567',
        },
      ],
      errors: [],
    });
  });

  it('reads an XLSX with English headers', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('units');
    sheet.addRow(['code', 'name', 'kind', 'emails']);
    sheet.addRow(['AH', '安化县人民政府', 'county', { text: 'ah@example.gov.cn', hyperlink: 'mailto:ah@example.gov.cn' }]);
    const { units, errors } = parseUnitRows(await decodeUnits(Buffer.from(await workbook.xlsx.writeBuffer())));
    expect(errors).toEqual([]);
    expect(units).toMatchObject([{ row: 2, code: 'AH', kind: 'county', emails: ['ah@example.gov.cn'] }]);
  });

  it('lists every error of every row', async () => {
    const table = await decodeUnits(
      csv([
        '代码,名称,别名,类型,上级,邮箱',
        'YY-WJW,益阳市卫生健康委员会,市卫健委,市直部门,,wjw@example.gov.cn',
        '卫健委,,,局,,not-an-email 张三',
        'yy-wjw,益阳市卫生健康委员会 ,,市直部门,,',
        'YY-JT,益阳市交通运输局,市卫健委,市直部门,YY-JT,jt@example',
        ',益阳市水利局,,市直部门,,',
      ]),
    );
    const { units, errors } = parseUnitRows(table);
    expect(units.map((u) => u.row)).toEqual([2]);
    expect(errors).toEqual([
      {
        row: 3,
        column: '代码',
        value: '卫健委',
        message: '代码只能由字母、数字和 _ . - 组成（以字母或数字开头，最长 64 位），如 YY-WJW',
      },
      { row: 3, column: '名称', value: '', message: '名称不能为空' },
      { row: 3, column: '类型', value: '局', message: '无法识别的类型“局”，可填：市直部门、区县、乡镇、其他' },
      { row: 3, column: '邮箱', value: 'not-an-email', message: '邮箱地址“not-an-email”格式不正确，多个邮箱请用逗号或空格分隔' },
      { row: 3, column: '邮箱', value: '张三', message: '邮箱地址“张三”格式不正确，多个邮箱请用逗号或空格分隔' },
      { row: 4, column: '代码', value: 'yy-wjw', message: '代码“yy-wjw”与第 2 行单位的代码重复' },
      { row: 4, column: '名称', value: '益阳市卫生健康委员会', message: '名称“益阳市卫生健康委员会”与第 2 行单位的名称重复' },
      { row: 5, column: '上级', value: 'YY-JT', message: '上级单位不能是本单位' },
      { row: 5, column: '邮箱', value: 'jt@example', message: '邮箱地址“jt@example”格式不正确，多个邮箱请用逗号或空格分隔' },
      { row: 6, column: '代码', value: '', message: '代码不能为空' },
    ]);
  });

  it('refuses an alias that another unit of the file already uses', () => {
    const table = {
      headers: ['code', 'name', 'aliases', 'kind'],
      rows: [
        { row: 2, values: ['A', '甲单位', ['甲'], 'other'] },
        { row: 3, values: ['B', '乙单位', ['甲', '乙'], 'other'] },
        { row: 4, values: ['C', '甲', [], 'other'] },
      ],
    };
    expect(parseUnitRows(table).errors).toEqual([
      { row: 3, column: 'aliases', value: '甲', message: '简称“甲”与第 2 行单位的简称重复' },
      { row: 4, column: 'name', value: '甲', message: '名称“甲”与第 2 行单位的简称重复' },
    ]);
  });

  it('throws import.missing_headers naming the missing columns', () => {
    const table = { headers: ['名称', '邮箱'], rows: [{ row: 2, values: ['益阳市水利局', ''] }] };
    let caught: unknown;
    try {
      parseUnitRows(table);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ImportFileError);
    expect(caught).toMatchObject({ code: 'import.missing_headers', missing: ['代码', '类型'] });
  });
});
