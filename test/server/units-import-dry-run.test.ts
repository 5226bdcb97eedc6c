import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { auditLog } from '../../db/schema/index.js';
import { seedOrganisation } from '../helpers/fixtures.js';

// The check before an import (the workbench's 检查文件): the whole import runs and is rolled back.
let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  const { tokens } = await seedOrganisation(t);
  admin = tokens.admin ?? '';
});
afterAll(() => t.close());

const HEADER = '代码,名称,简称,类型,上级,邮箱,联系人,电话';
const check = (csv: string, query = '?dryRun=true') =>
  t.app.inject({ method: 'POST', url: `/api/units/import${query}`, headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, payload: csv });
const unitStatus = async (code: string) => (await t.request(admin, 'GET', `/api/units/${code}`)).statusCode;
const importAudits = async () => {
  const [row] = await t.services.db.select({ n: count() }).from(auditLog).where(eq(auditLog.action, 'import_units'));
  return row?.n ?? 0;
};

describe('POST /api/units/import?dryRun=true', () => {
  it('counts what the import would create and update, and writes nothing', async () => {
    const csv = [HEADER, 'DRY-A,益阳市试算甲单位,,其他,YY-GOV,a@example.gov.cn,,', 'DRY-B,益阳市试算乙单位,,其他,DRY-A,,,', 'YY-JTJ,益阳市交通运输局,,市直部门,YY-GOV,new@yiyang.test,,'].join('\r\n');
    const audits = await importAudits();

    const checked = await check(csv);
    expect(checked.statusCode, checked.body).toBe(200);
    expect(checked.json()).toEqual({ created: 2, updated: 1, unchanged: 0, dryRun: true });
    expect(await unitStatus('DRY-A')).toBe(404);
    expect(await unitStatus('DRY-B')).toBe(404);
    expect((await t.request(admin, 'GET', '/api/units/YY-JTJ')).json().emails).toEqual(['jtj@yiyang.test']);
    expect(await importAudits()).toBe(audits);

    const imported = await check(csv, '');
    expect(imported.json()).toEqual({ created: 2, updated: 1, unchanged: 0 });
    expect(await unitStatus('DRY-B')).toBe(200);
    expect(await importAudits()).toBe(audits + 1);
  });

  it('lists every row error as the import would, with suggestions, and writes nothing', async () => {
    const csv = [HEADER, 'DRY-OK,益阳市试算好单位,,其他,YY-GOV,,,', 'DRY-P,益阳市试算某局,,其他,益阳市交通局,,,', 'DRY-E,益阳市试算某办,,其他,YY-GOV,not-an-email,,'].join('\r\n');
    const response = await check(csv);
    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('import.invalid_rows');
    expect(response.json().errors).toEqual([
      expect.objectContaining({ row: 3, column: '上级', value: '益阳市交通局', suggestions: expect.arrayContaining(['益阳市交通运输局']) }),
      expect.objectContaining({ row: 4, column: '邮箱', value: 'not-an-email' }),
    ]);
    expect(await unitStatus('DRY-OK')).toBe(404);
  });

  it('finds what only the database can tell: a unit moved under its own subordinate', async () => {
    const response = await check([HEADER, 'AH-GOV,安化县人民政府办公室,安化县,区县,AH-GL,ah@yiyang.test,,'].join('\r\n'));
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([expect.objectContaining({ row: 2, column: '上级', message: expect.stringContaining('下级') })]);
    expect((await t.request(admin, 'GET', '/api/units/AH-GOV')).json().parentCode).toBe('YY-GOV');
  });

  it('refuses a dryRun that is not true or false, naming the field', async () => {
    const response = await check(`${HEADER}\r\nDRY-X,益阳市试算丙单位,,其他,YY-GOV,,,`, '?dryRun=maybe');
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json().errors)).toContain('dryRun');
    expect(await unitStatus('DRY-X')).toBe(404);
  });
});
