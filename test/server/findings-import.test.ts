import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifications, notificationTickets } from '../../db/schema/index.js';
import { renderStoredMail } from '../../notifications/mail-payload.js';
import { renderTicketMailData } from '../../notifications/templates/ticket-mail.js';
import { notice2021AccountsCsv } from '../../workflows/demo/notice-2021.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let sup: string;
let tokens: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  sup = tokens['gov-sup'] ?? '';
});
afterAll(() => t.close());

const upload = (inspectionId: number, payload: Buffer | string, contentType: string) =>
  t.app.inject({ method: 'POST', url: `/api/inspections/${inspectionId}/findings`, headers: { authorization: `Bearer ${sup}`, 'content-type': contentType }, payload });

// Two accounts of units the seeded organisation knows (益阳市卫生健康委员会 is YY-WJW; 安化县古楼乡人民政府 is AH-GL).
const twoRows = notice2021AccountsCsv
  .split('\n')
  .filter((line, i) => i === 0 || line.startsWith('3,') || line.startsWith('13,'))
  .join('\n');

describe('POST /api/inspections/:id/findings', () => {
  it('refuses a supervisor below the issuing unit, even one who sees the inspection through its tickets', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'scope-imp' });
    // A township ticket makes the city's inspection visible to the county supervisor.
    expect((await upload(inspection.id, twoRows, 'text/csv')).statusCode).toBe(201);
    expect((await t.request(tokens['ah-sup'] ?? '', 'GET', `/api/inspections/${inspection.id}`)).statusCode).toBe(200);
    const county = await t.app.inject({
      method: 'POST',
      url: `/api/inspections/${inspection.id}/findings`,
      headers: { authorization: `Bearer ${tokens['ah-sup']}`, 'content-type': 'text/csv' },
      payload: twoRows.replace('印象古楼', '古楼新账号'),
    });
    expect(county.statusCode, county.body).toBe(403);
    expect(county.json()).toMatchObject({ code: 'inspections.import_forbidden' });
    // A supervisor of a sibling department does not see it at all.
    const sibling = await t.app.inject({
      method: 'POST',
      url: `/api/inspections/${inspection.id}/findings`,
      headers: { authorization: `Bearer ${tokens['wjw-sup']}`, 'content-type': 'text/csv' },
      payload: twoRows,
    });
    expect([403, 404]).toContain(sibling.statusCode);
    const admin = await t.app.inject({
      method: 'POST',
      url: `/api/inspections/${inspection.id}/findings`,
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'text/csv' },
      payload: twoRows,
    });
    expect(admin.json()).toMatchObject({ created: 0, unchanged: 2 });
  });

  it('imports a GB18030 CSV as Chinese Excel saves it, and a re-import creates nothing', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'csv-1' });
    const bytes = iconv.encode(twoRows.replaceAll('\n', '\r\n'), 'gb18030');
    const first = await upload(inspection.id, bytes, 'text/csv');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ created: 2, unchanged: 0, tickets: [{ number: 'csv-1-001' }, { number: 'csv-1-002' }] });
    const again = await upload(inspection.id, bytes, 'text/csv');
    expect(again.json()).toMatchObject({ created: 0, unchanged: 2, tickets: [] });

    const list = (await t.request(sup, 'GET', `/api/tickets?inspection=${inspection.id}`)).json();
    expect(list.items.map((i: { target: { name: string }; unitCode: string }) => [i.target.name, i.unitCode])).toEqual([
      ['健康益阳', 'YY-WJW'],
      ['印象古楼', 'AH-GL'],
    ]);
  });

  it("queues for each unit the issue email its tickets' stored views render to", async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'mail-1' });
    // The same accounts as the first test: their targets are reused, and the emails show them as stored.
    const response = await upload(inspection.id, twoRows, 'text/csv');
    expect(response.statusCode).toBe(201);
    const ids = (response.json().tickets as { id: number }[]).map((ticket) => ticket.id);
    const views = await t.services.tickets.findViews({ ids });
    const expected = await t.services.notifier.preview(views.map((ticket) => ({ kind: 'issued' as const, ticket, eventId: null })), t.services.db);
    const queued = await t.services.db
      .selectDistinct({ id: notifications.id, kind: notifications.kind, subject: notifications.subject, bodyText: notifications.bodyText, bodyHtml: notifications.bodyHtml, payload: notifications.payload })
      .from(notifications)
      .innerJoin(notificationTickets, eq(notificationTickets.notificationId, notifications.id))
      .where(inArray(notificationTickets.ticketId, ids));
    // Two units, one email each, stored as data and rendered when sent.
    expect(queued).toHaveLength(2);
    expect(new Set(queued.map((q) => JSON.stringify({ listed: q.subject, ...renderStoredMail(q), kind: q.kind })))).toEqual(
      new Set(expected.map((e) => JSON.stringify({ listed: e.subject, ...renderTicketMailData('issued', e.data), kind: 'issued' }))),
    );
  });

  it('imports an XLSX file', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'xlsx-1' });
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('附件3');
    for (const line of twoRows.split('\n').filter(Boolean)) sheet.addRow(line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((c) => c.replaceAll('"', '')));
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const response = await upload(inspection.id, bytes, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(response.statusCode).toBe(201);
    expect(response.json().created).toBe(2);
  });

  it('refuses the whole file with every error listed when a row names an unknown unit', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'bad-1' });
    const bad = `${twoRows}\n14,某账号,益阳市卫健委员会,微信订阅号,,互动回应差,2.30\n`;
    const response = await upload(inspection.id, bad, 'text/csv; charset=utf-8');
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body.code).toBe('import.invalid_rows');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 4, column: '开设主体', value: '益阳市卫健委员会', suggestions: expect.arrayContaining(['益阳市卫生健康委员会']) }),
        expect.objectContaining({ row: 4, column: '最后更新时间', value: '2.30' }),
      ]),
    );
    const list = (await t.request(sup, 'GET', `/api/tickets?inspection=${inspection.id}`)).json();
    expect(list.items).toEqual([]);
  });

  it('takes the SPEC JSON shape', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'json-1' });
    const response = await t.request(sup, 'POST', `/api/inspections/${inspection.id}/findings`, {
      findings: [{ targetKind: 'new_media', platform: 'wechat_subscription', targetName: '健康益阳', ownerUnit: '益阳市卫生健康委员会', county: null, problems: ['互动回应差'], lastUpdatedOn: null, outstanding: true }],
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ created: 1, tickets: [{ number: 'json-1-001' }] });
  });

  it("answers 404 for an inspection out of the caller's scope and 403 for officers", async () => {
    const response = await upload(999999, twoRows, 'text/csv');
    expect(response.statusCode).toBe(404);
    const officer = await t.login('wjw-off', 'password-for-tests');
    const forbidden = await t.app.inject({ method: 'POST', url: '/api/inspections/1/findings', headers: { authorization: `Bearer ${officer}`, 'content-type': 'text/csv' }, payload: twoRows });
    expect(forbidden.statusCode).toBe(403);
  });

  it('refuses binary garbage and an empty body with a 4xx problem', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'junk-1' });
    const garbage = await upload(inspection.id, Buffer.from([0, 1, 2, 3, 255, 254, 0, 7, 8, 9]), 'application/octet-stream');
    expect(garbage.statusCode).toBe(422);
    const empty = await upload(inspection.id, Buffer.alloc(0), 'text/csv');
    expect(empty.statusCode).toBeGreaterThanOrEqual(400);
    expect(empty.statusCode).toBeLessThan(500);
  });
});
