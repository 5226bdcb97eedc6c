import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';

// The check before an import (?dryRun=true): the import's own answer, errors and counts, and not
// one row written anywhere — on PGlite, and on PostgreSQL when DATABASE_URL is set.
let t: TestApp;
let sup: string;
let tokens: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  sup = tokens['gov-sup'] ?? '';
});
afterAll(() => t.close());

const HEADER = '序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间';
// Units the seeded organisation knows; the second row has a problem outside the catalogue (a warning).
const GOOD = ['3,健康益阳,益阳市卫生健康委员会,微信订阅号,,互动回应差,', '13,印象古楼,安化县古楼乡人民政府,微信订阅号,安化县,"监测时间点前2周内无更新，发布内容违规",5.18'];
// 益阳市卫健委员会 is no unit's name or alias: a row error with 益阳市卫生健康委员会 suggested.
const BAD = '14,某账号,益阳市卫健委员会,微信订阅号,,互动回应差,2.30';
const gb18030 = (lines: string[]) => iconv.encode([HEADER, ...lines].join('\r\n'), 'gb18030');
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function upload(inspectionId: number, payload: Buffer | string, contentType: string, options: { dryRun?: boolean; token?: string } = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/api/inspections/${inspectionId}/findings${options.dryRun ? '?dryRun=true' : ''}`,
    headers: { authorization: `Bearer ${options.token ?? sup}`, 'content-type': contentType },
    payload,
  });
}

/** Every table's rows as one digest each: a dry run must leave every one of them as it was. */
async function snapshot(): Promise<Record<string, string>> {
  const tables = await queryRows<{ name: string }>(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    t.services.db,
  );
  const digests: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await queryRows<{ n: number; digest: string | null }>(sql`select count(*)::int as n, md5(string_agg(r::text, '|' order by r::text)) as digest from ${sql.identifier(name)} r`,
      t.services.db,
    );
    digests[name] = `${row?.n ?? 0}:${row?.digest ?? ''}`;
  }
  return digests;
}

/** A problem body without what differs from one request to the next. */
const stable = (body: Record<string, unknown>) => {
  const { requestId: _id, instance: _instance, ...rest } = body;
  return rest;
};

async function xlsxOf(lines: string[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('附件3');
  for (const line of [HEADER, ...lines]) sheet.addRow(line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((cell) => cell.replaceAll('"', '')));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function multipart(file: Buffer, filename: string, contentType: string) {
  const boundary = '----RectifyDryRunBoundary7Qd1';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('POST /api/inspections/:id/findings?dryRun=true', () => {
  it('answers what the import would create, writes nothing, and the import then does exactly that', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'dry-1' });
    const file = gb18030(GOOD);
    const before = await snapshot();

    const check = await upload(inspection.id, file, 'text/csv', { dryRun: true });
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json()).toEqual({
      created: 2,
      unchanged: 0,
      tickets: [],
      warnings: [expect.objectContaining({ row: 3, column: '存在的问题', value: '发布内容违规' })],
      totalWarnings: 1,
      dryRun: true,
    });
    expect(await snapshot()).toEqual(before);

    const real = await upload(inspection.id, file, 'text/csv');
    expect(real.statusCode, real.body).toBe(201);
    const imported = real.json();
    expect(imported).toMatchObject({ created: 2, unchanged: 0, dryRun: false, warnings: check.json().warnings });
    expect(imported.tickets.map((ticket: { number: string }) => ticket.number)).toEqual(['dry-1-001', 'dry-1-002']);

    // After the import, the check says the same file would change nothing, and still writes nothing.
    const after = await snapshot();
    const again = await upload(inspection.id, file, 'text/csv', { dryRun: true });
    expect(again.json()).toMatchObject({ created: 0, unchanged: 2, tickets: [], dryRun: true });
    expect(await snapshot()).toEqual(after);
  });

  it('lists the same row errors as the import, with the suggested unit, and neither writes anything', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'dry-2' });
    const file = gb18030([...GOOD, BAD]);
    const before = await snapshot();

    const check = await upload(inspection.id, file, 'text/csv', { dryRun: true });
    expect(check.statusCode).toBe(422);
    expect(check.headers['content-type']).toContain('application/problem+json');
    const problem = check.json();
    expect(problem.code).toBe('import.invalid_rows');
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 4, column: '开设主体', value: '益阳市卫健委员会', suggestions: expect.arrayContaining(['益阳市卫生健康委员会']) }),
        expect.objectContaining({ row: 4, column: '最后更新时间', value: '2.30' }),
      ]),
    );
    expect(problem.warnings).toEqual([expect.objectContaining({ value: '发布内容违规' })]);

    const real = await upload(inspection.id, file, 'text/csv');
    expect(real.statusCode).toBe(422);
    expect(stable(real.json())).toEqual(stable(problem));
    expect(await snapshot()).toEqual(before);
  });

  it('checks JSON, and XLSX sent as a form, as the import reads them', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'dry-3' });
    const json = JSON.stringify({
      findings: [{ targetKind: 'new_media', platform: 'weibo', targetName: '益阳交通微博', ownerUnit: '益阳市交通运输局', problems: ['互动回应差'] }],
    });
    const form = multipart(await xlsxOf(GOOD), '附件3.xlsx', XLSX_TYPE);
    const before = await snapshot();

    const jsonCheck = await upload(inspection.id, json, 'application/json', { dryRun: true });
    expect(jsonCheck.statusCode, jsonCheck.body).toBe(200);
    expect(jsonCheck.json()).toMatchObject({ created: 1, unchanged: 0, dryRun: true });
    const formCheck = await upload(inspection.id, form.body, form.contentType, { dryRun: true });
    expect(formCheck.statusCode, formCheck.body).toBe(200);
    expect(formCheck.json()).toMatchObject({ created: 2, unchanged: 0, dryRun: true });
    expect(await snapshot()).toEqual(before);

    expect((await upload(inspection.id, json, 'application/json')).json()).toMatchObject({ created: 1, unchanged: 0 });
    expect((await upload(inspection.id, form.body, form.contentType)).json()).toMatchObject({ created: 2, unchanged: 0, warnings: formCheck.json().warnings });
  });

  it('refuses whom the import refuses: a supervisor below the issuing unit', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'dry-4' });
    const county = await upload(inspection.id, gb18030(GOOD), 'text/csv', { dryRun: true, token: tokens['ah-sup'] ?? '' });
    expect([403, 404]).toContain(county.statusCode);
  });

  it('refuses a dryRun that is not true or false, naming it', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'dry-5' });
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/inspections/${inspection.id}/findings?dryRun=perhaps`,
      headers: { authorization: `Bearer ${sup}`, 'content-type': 'text/csv' },
      payload: gb18030(GOOD),
    });
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json().errors)).toContain('dryRun');
  });
});
