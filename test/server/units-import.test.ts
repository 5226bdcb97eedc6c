import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let admin: string;
let supervisor: string;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  const { tokens } = await seedOrganisation(t);
  admin = tokens.admin ?? '';
  supervisor = tokens['gov-sup'] ?? '';
});
afterAll(() => t.close());

const HEADER = ['代码', '名称', '简称', '类型', '上级', '邮箱', '联系人', '电话'];
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * A county's unit tree as a city would list it. The township comes BEFORE the county government it
 * names as parent; parents are given by name (the township), by code from the database (the county,
 * under the seeded YY-GOV), by code from the file (the bureau) and by alias (the school).
 */
function countyTree(code: string, name: string): string[][] {
  const lower = code.toLowerCase();
  return [
    HEADER,
    [`${code}-XX`, `${name}新兴镇人民政府`, '', '乡镇', `${name}人民政府`, `xx.${lower}@example.gov.cn`, '', ''],
    [code, `${name}人民政府`, name, '区县', 'YY-GOV', `${lower}@example.gov.cn`, '张三', '0737-1234567'],
    [`${code}-JYJ`, `${name}教育局`, '', '其他', code, '', '', ''],
    [`${code}-YZ`, `${name}第一中学`, '', '其他', name, `yz.${lower}@example.gov.cn`, '', ''],
  ];
}

function csvText(rows: string[][]): string {
  const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
  return rows.map((row) => row.map(quote).join(',')).join('\r\n');
}

async function xlsxBytes(rows: string[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('单位');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function upload(payload: Buffer | string, contentType: string, token = admin) {
  return t.app.inject({ method: 'POST', url: '/api/units/import', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload });
}

async function unit(code: string) {
  const response = await t.request(admin, 'GET', `/api/units/${code}`);
  return response.statusCode === 200 ? response.json() : null;
}

/** Every unit of countyTree(code, name) is in the database with the parent the file gave it. */
async function expectCountyTree(code: string, name: string) {
  const lower = code.toLowerCase();
  expect(await unit(code)).toEqual({
    code,
    name: `${name}人民政府`,
    aliases: [name],
    kind: 'county',
    parentCode: 'YY-GOV',
    emails: [`${lower}@example.gov.cn`],
    leaderEmails: [],
    contact: { name: '张三', phone: '0737-1234567' },
    // This file has no 领导邮箱 column: the admin is told the ladder cannot reach the leaders.
    warnings: [expect.objectContaining({ code: 'units.no_leader_emails', field: 'leaderEmails' })],
  });
  expect(await unit(`${code}-XX`)).toMatchObject({ name: `${name}新兴镇人民政府`, kind: 'township', parentCode: code, emails: [`xx.${lower}@example.gov.cn`] });
  expect(await unit(`${code}-JYJ`)).toMatchObject({ name: `${name}教育局`, kind: 'other', parentCode: code, emails: [] });
  expect(await unit(`${code}-YZ`)).toMatchObject({ name: `${name}第一中学`, parentCode: code });
}

function multipartBody(boundary: string, filename: string, contentType: string, bytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

describe('POST /api/units/import', () => {
  it('imports a UTF-8 CSV with BOM, child before parent, parents by name, code and alias', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvText(countyTree('YJ', '沅江市')))]);
    const response = await upload(bytes, 'text/csv');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ created: 4, updated: 0, unchanged: 0 });
    await expectCountyTree('YJ', '沅江市');
  });

  it('imports a GB18030 CSV as Chinese Excel saves it', async () => {
    const response = await upload(iconv.encode(csvText(countyTree('TJ', '桃江县')), 'gb18030'), 'text/csv');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ created: 4, updated: 0, unchanged: 0 });
    await expectCountyTree('TJ', '桃江县');
  });

  it('imports an XLSX file made with exceljs', async () => {
    const response = await upload(await xlsxBytes(countyTree('NX', '南县')), XLSX_TYPE);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ created: 4, updated: 0, unchanged: 0 });
    await expectCountyTree('NX', '南县');
  });

  it('imports the JSON shape {units: […]} with the API field names', async () => {
    const response = await t.request(admin, 'POST', '/api/units/import', {
      units: [
        { code: 'HS-XX', name: '赫山区新兴镇人民政府', kind: 'township', parentCode: '赫山区人民政府', emails: ['xx.hs@example.gov.cn'] },
        { code: 'HS', name: '赫山区人民政府', aliases: ['赫山区'], kind: 'county', parentCode: 'YY-GOV', emails: ['hs@example.gov.cn'], contact: { name: '张三', phone: '0737-1234567' } },
        { code: 'HS-JYJ', name: '赫山区教育局', kind: 'other', parentCode: 'HS', emails: [] },
        { code: 'HS-YZ', name: '赫山区第一中学', kind: 'other', parentCode: '赫山区', emails: ['yz.hs@example.gov.cn'] },
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ created: 4, updated: 0, unchanged: 0 });
    await expectCountyTree('HS', '赫山区');
  });

  it('takes a multipart/form-data upload in the field "file"', async () => {
    const boundary = '----RectifyUnitsBoundary7MA4YWxkTrZu0gW';
    const body = multipartBody(boundary, '单位名录.xlsx', XLSX_TYPE, await xlsxBytes(countyTree('ZY', '资阳区')));
    const response = await upload(body, `multipart/form-data; boundary=${boundary}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ created: 4, updated: 0, unchanged: 0 });
    await expectCountyTree('ZY', '资阳区');
  });

  it('is idempotent: the same file again changes nothing, and a changed email updates that unit only', async () => {
    const rows = countyTree('DTH', '大通湖区');
    expect((await upload(csvText(rows), 'text/csv')).json()).toEqual({ created: 4, updated: 0, unchanged: 0 });

    const again = await upload(csvText(rows), 'text/csv');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ created: 0, updated: 0, unchanged: 4 });

    const changed = rows.map((row) => (row[0] === 'DTH-JYJ' ? row.map((cell, i) => (i === 5 ? 'jyj.dth@example.gov.cn' : cell)) : row));
    const update = await upload(csvText(changed), 'text/csv');
    expect(update.statusCode).toBe(200);
    expect(update.json()).toEqual({ created: 0, updated: 1, unchanged: 3 });
    expect(await unit('DTH-JYJ')).toMatchObject({ emails: ['jyj.dth@example.gov.cn'], parentCode: 'DTH' });
    expect((await upload(csvText(changed), 'text/csv')).json()).toEqual({ created: 0, updated: 0, unchanged: 4 });
  });

  it('refuses the whole file when any row is bad, listing every error with row, column, value and a Chinese message', async () => {
    const rows = [
      HEADER,
      ['BAD-OK', '益阳市好单位', '', '其他', 'YY-GOV', 'ok@example.gov.cn', '', ''],
      ['BAD-P', '益阳市某某局', '', '其他', '益阳市卫生建康委员会', 'p@example.gov.cn', '', ''],
      ['BAD-E', '益阳市某某办', '', '其他', 'YY-GOV', 'not-an-email', '', ''],
      ['BAD-K', '益阳市某某中心', '', '事业单位', 'YY-GOV', '', '', ''],
    ];
    const response = await upload(csvText(rows), 'text/csv');
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body.code).toBe('import.invalid_rows');
    const errors = [...(body.errors as { row: number; message: string }[])].sort((a, b) => a.row - b.row);
    expect(errors).toEqual([
      expect.objectContaining({ row: 3, column: '上级', value: '益阳市卫生建康委员会', suggestions: expect.arrayContaining(['益阳市卫生健康委员会']) }),
      expect.objectContaining({ row: 4, column: '邮箱', value: 'not-an-email' }),
      expect.objectContaining({ row: 5, column: '类型', value: '事业单位' }),
    ]);
    for (const error of errors) expect(error.message).toMatch(/[\u4e00-\u9fff]/);

    for (const code of ['BAD-OK', 'BAD-P', 'BAD-E', 'BAD-K']) expect(await unit(code), code).toBeNull();
  });

  it('refuses an unknown parent with close names even when the file has no other error', async () => {
    const rows = [HEADER, ['BAD2-OK', '益阳市另一单位', '', '其他', 'YY-GOV', '', '', ''], ['BAD2-P', '益阳市另一某局', '', '其他', '益阳市交通局', '', '', '']];
    const response = await upload(csvText(rows), 'text/csv');
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([
      expect.objectContaining({ row: 3, column: '上级', value: '益阳市交通局', suggestions: expect.arrayContaining(['益阳市交通运输局']) }),
    ]);
    expect(await unit('BAD2-OK')).toBeNull();
  });

  it('answers 422 for a cycle of parents inside the file and creates nothing', async () => {
    const rows = [
      HEADER,
      ['CYC-ROOT', '益阳市循环测试办', '', '其他', 'YY-GOV', '', '', ''],
      ['CYC-A', '益阳市甲单位', '', '其他', 'CYC-B', '', '', ''],
      ['CYC-B', '益阳市乙单位', '', '其他', 'CYC-A', '', '', ''],
    ];
    const response = await upload(csvText(rows), 'text/csv');
    expect(response.statusCode).toBe(422);
    const body = response.json();
    expect(body.code).toBe('import.invalid_rows');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 3, column: '上级', value: 'CYC-B', message: expect.stringContaining('循环') }),
        expect.objectContaining({ row: 4, column: '上级', value: 'CYC-A', message: expect.stringContaining('循环') }),
      ]),
    );
    for (const code of ['CYC-ROOT', 'CYC-A', 'CYC-B']) expect(await unit(code), code).toBeNull();
  });

  it('calls a cycle a cycle when its parents are written by name', async () => {
    const rows = [HEADER, ['CYN-A', '益阳市丙单位', '', '其他', '益阳市丁单位', '', '', ''], ['CYN-B', '益阳市丁单位', '', '其他', '益阳市丙单位', '', '', '']];
    const response = await upload(csvText(rows), 'text/csv');
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([
      expect.objectContaining({ row: 2, value: '益阳市丁单位', message: expect.stringContaining('循环') }),
      expect.objectContaining({ row: 3, value: '益阳市丙单位', message: expect.stringContaining('循环') }),
    ]);
    for (const code of ['CYN-A', 'CYN-B']) expect(await unit(code), code).toBeNull();
  });

  it('imports 领导邮箱 as the leaders the ladder copies, and keeps them when a later file has no such column', async () => {
    const header = [...HEADER.slice(0, 6), '领导邮箱', ...HEADER.slice(6)];
    const rows = [
      header,
      ['TJ', '桃江县人民政府办公室', '桃江县', '区县', 'YY-GOV', 'tj@example.gov.cn', 'tj-zr@example.gov.cn、tj-fg@example.gov.cn', '', ''],
      ['TJ-JYJ', '桃江县教育局', '', '其他', 'TJ', 'jyj.tj@example.gov.cn', '', '', ''],
    ];
    const response = await upload(csvText(rows), 'text/csv');
    expect(response.statusCode, response.body).toBe(200);
    expect(await unit('TJ')).toMatchObject({ emails: ['tj@example.gov.cn'], leaderEmails: ['tj-zr@example.gov.cn', 'tj-fg@example.gov.cn'], warnings: [] });
    expect(await unit('TJ-JYJ')).toMatchObject({ leaderEmails: [], warnings: [expect.objectContaining({ code: 'units.no_leader_emails' })] });

    // An older file without the column changes nothing; with the column, an emptied cell clears them.
    const older = rows.map((row) => [...row.slice(0, 6), ...row.slice(7)]);
    expect((await upload(csvText(older), 'text/csv')).json()).toEqual({ created: 0, updated: 0, unchanged: 2 });
    expect(await unit('TJ')).toMatchObject({ leaderEmails: ['tj-zr@example.gov.cn', 'tj-fg@example.gov.cn'] });
    const cleared = rows.map((row) => (row[0] === 'TJ' ? row.map((cell, i) => (i === 6 ? '' : cell)) : row));
    expect((await upload(csvText(cleared), 'text/csv')).json()).toEqual({ created: 0, updated: 1, unchanged: 1 });
    expect(await unit('TJ')).toMatchObject({ leaderEmails: [] });

    // A bad address is refused like any other, naming the column; the JSON shape takes leaderEmails.
    const bad = await upload(csvText([header, ['TJ', '桃江县人民政府办公室', '桃江县', '区县', 'YY-GOV', 'tj@example.gov.cn', '县长信箱', '', '']]), 'text/csv');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([expect.objectContaining({ row: 2, column: '领导邮箱', value: '县长信箱' })]);
    const json = await t.request(admin, 'POST', '/api/units/import', {
      units: [{ code: 'TJ', name: '桃江县人民政府办公室', aliases: ['桃江县'], kind: 'county', parentCode: 'YY-GOV', emails: ['tj@example.gov.cn'], leaderEmails: ['tj-zr@example.gov.cn'] }],
    });
    expect(json.statusCode, json.body).toBe(200);
    expect(await unit('TJ')).toMatchObject({ leaderEmails: ['tj-zr@example.gov.cn'] });
  });

  it('answers 403 to anyone but an admin and imports nothing', async () => {
    const response = await upload(csvText(countyTree('AJ', '安家县')), 'text/csv', supervisor);
    expect(response.statusCode).toBe(403);
    expect(await unit('AJ')).toBeNull();
  });
});
