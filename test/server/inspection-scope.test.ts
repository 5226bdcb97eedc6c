import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

// The inspection's scope (checked targets per group and kind, the notice's 附件1/附件2): set on
// create, replaced by PATCH, or imported from the attachment tables as the notice prints them.
let t: TestApp;
let tokens: Record<string, string>;
const sup = () => tokens['gov-sup'] ?? '';

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
});
afterAll(() => t.close());

type Scope = { group: string; targetKind: string; checked: number; failed?: number }[];
const scopeOf = async (id: number) => (await t.request(sup(), 'GET', `/api/inspections/${id}`)).json().scope as Scope;
const upload = (id: number, payload: Buffer | string, contentType: string, token = sup()) =>
  t.app.inject({ method: 'POST', url: `/api/inspections/${id}/scope`, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload });

// 附件1 as the notice prints it, saved by Chinese Excel: title lines, a two-row heading, a 合计 row.
const attachment1 = [
  '附件1,,,,,',
  '全市政府网站检查情况,,,,,',
  '序号,单位,实际运行 网站数,检查 网站数,发现存在 突出问题的网站,',
  ',,,,网站数,占检查数比例',
  '1,市直部门,31,31,5,16.1%',
  '2,区县(市),8,8,3,37.5%',
  '3,其他网站,10,10,0,0',
  '合计,,49,49,8,16.3%',
  '注：检查采样时间为2021年5月26日至6月9日,,,,,',
].join('\r\n');

describe('the scope of an inspection', () => {
  it('is set on create and replaced by PATCH /api/inspections/:id', async () => {
    const scope = [
      { group: '市直部门', targetKind: 'website', checked: 31, failed: 5 },
      { group: '市直部门', targetKind: 'new_media', checked: 49 },
    ];
    const created = await createInspection(t, sup(), { shortCode: 'scope-1', scope });
    expect(await scopeOf(created.id)).toEqual(scope);

    const replaced = await t.request(sup(), 'PATCH', `/api/inspections/${created.id}`, { scope: [{ group: ' 南县 ', targetKind: 'new_media', checked: 14 }] });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json().scope).toEqual([{ group: '南县', targetKind: 'new_media', checked: 14 }]);
    // The contact stays as it was when only the scope changes.
    expect(replaced.json().contact).toEqual({ name: '文雪飞', phone: '0737-4382206' });

    const contactOnly = await t.request(sup(), 'PATCH', `/api/inspections/${created.id}`, { contact: null });
    expect(contactOnly.json()).toMatchObject({ contact: null, scope: [{ group: '南县', checked: 14 }] });
  });

  it('refuses a group given twice, more failed than checked, an empty change and another office’s inspection', async () => {
    const created = await createInspection(t, sup(), { shortCode: 'scope-2' });
    const twice = await t.request(sup(), 'PATCH', `/api/inspections/${created.id}`, {
      scope: [
        { group: '市直部门', targetKind: 'website', checked: 31 },
        { group: '市直部门', targetKind: 'website', checked: 30 },
      ],
    });
    expect(twice.statusCode).toBe(422);
    expect(twice.json().errors).toEqual([expect.objectContaining({ field: 'scope.1.group' })]);
    const tooMany = await t.request(sup(), 'POST', '/api/inspections', {
      title: '检查', shortCode: 'scope-3', issuedOn: '2021-06-17', feedbackDeadline: '2021-06-25', issuingUnitCode: 'YY-GOV',
      scope: [{ group: '南县', targetKind: 'new_media', checked: 14, failed: 15 }],
    });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().errors).toEqual([expect.objectContaining({ field: 'scope.0.failed' })]);
    const blank = await t.request(sup(), 'PATCH', `/api/inspections/${created.id}`, { scope: [{ group: '　 ', targetKind: 'website', checked: 1 }] });
    expect(blank.json().errors).toEqual([expect.objectContaining({ field: 'scope.0.group' })]);
    expect((await t.request(sup(), 'PATCH', `/api/inspections/${created.id}`, {})).statusCode).toBe(400);
    const county = await t.request(tokens['ah-sup'] ?? '', 'PATCH', `/api/inspections/${created.id}`, { scope: [] });
    expect(county.statusCode).toBe(404);
    expect(await scopeOf(created.id)).toEqual([]);
  });

  it('imports 附件1 from a GB18030 CSV as the notice prints it, keeping the new-media scope', async () => {
    const created = await createInspection(t, sup(), { shortCode: 'scope-4', scope: [{ group: '南县', targetKind: 'new_media', checked: 14 }] });
    await issueFindings(t, created.id, [{ unitCode: 'YY-WJW', targetName: '益阳市卫生健康委员会网站', targetKind: 'website', platform: null }]);
    const response = await upload(created.id, iconv.encode(attachment1, 'gb18030'), 'text/csv');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().scope).toEqual([
      { group: '南县', targetKind: 'new_media', checked: 14 },
      { group: '市直部门', targetKind: 'website', checked: 31, failed: 5 },
      { group: '区县(市)', targetKind: 'website', checked: 8, failed: 3 },
      { group: '其他网站', targetKind: 'website', checked: 10, failed: 0 },
    ]);
    const report = (await t.request(sup(), 'GET', `/api/inspections/${created.id}/report`)).json();
    expect(report.totals.scope.website).toEqual({ checked: 49, failed: 1, passRate: 0.98 });
    expect(report.byGroup.filter((g: { targetKind: string }) => g.targetKind === 'website').map((g: { group: string; checked: number }) => [g.group, g.checked])).toEqual([
      ['市直部门', 31],
      ['区县(市)', 8],
      ['其他网站', 10],
    ]);
  });

  it('imports 附件2 from an XLSX, replacing only the new-media scope', async () => {
    const created = await createInspection(t, sup(), { shortCode: 'scope-5', scope: [{ group: '市直部门', targetKind: 'website', checked: 31 }, { group: '旧分组', targetKind: 'new_media', checked: 1 }] });
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('附件2');
    sheet.addRow(['全市政务新媒体检查情况']);
    sheet.addRow(['序号', '单位', '政务新媒体数', '发现存在突出问题的政务新媒体数', '所占比例']);
    sheet.addRow([1, '市直部门', 49, 6, '12.2%']);
    sheet.addRow([2, '大通湖区', 13, 0, '0']);
    sheet.addRow(['合计', '', 62, 6, '9.7%']);
    const response = await upload(created.id, Buffer.from(await workbook.xlsx.writeBuffer()), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().scope).toEqual([
      { group: '市直部门', targetKind: 'website', checked: 31 },
      { group: '市直部门', targetKind: 'new_media', checked: 49, failed: 6 },
      { group: '大通湖区', targetKind: 'new_media', checked: 13, failed: 0 },
    ]);
  });

  it('answers every bad row with its row, column and value, and changes nothing', async () => {
    const created = await createInspection(t, sup(), { shortCode: 'scope-6', scope: [{ group: '市直部门', targetKind: 'website', checked: 31 }] });
    const csv = ['序号,单位,检查网站数,发现存在突出问题的网站数', '1,市直部门,三十一,5', '2,区县(市),8,9', '3,区县(市),8,0', '4,,7,'].join('\r\n');
    const response = await upload(created.id, csv, 'text/csv');
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors).toEqual([
      expect.objectContaining({ row: 2, column: '检查网站数', value: '三十一' }),
      expect.objectContaining({ row: 3, column: '发现存在突出问题的网站数', value: '9' }),
      expect.objectContaining({ row: 4, column: '单位', value: '区县(市)' }),
      expect.objectContaining({ row: 5, column: '单位', value: '' }),
    ]);
    expect(await scopeOf(created.id)).toEqual([{ group: '市直部门', targetKind: 'website', checked: 31 }]);

    const noCounts = await upload(created.id, '序号,单位,备注\r\n1,市直部门,无', 'text/csv');
    expect(noCounts.statusCode).toBe(422);
    expect(noCounts.json().detail).toContain('检查网站数');
    expect((await upload(created.id, attachment1, 'text/csv', tokens['ah-sup'])).statusCode).toBe(404);
  });
});
