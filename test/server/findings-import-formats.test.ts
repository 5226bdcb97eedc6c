import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let sup: string;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  const { tokens } = await seedOrganisation(t);
  sup = tokens['gov-sup'] ?? '';
});
afterAll(() => t.close());

const HEADER = ['序号', '账号名称', '开设主体', '账号类型', '区县', '存在的问题', '最后更新时间'];
// Two rows of the notice's 附件3 whose units the seeded organisation knows.
const ROWS = [
  ['3', '健康益阳', '益阳市卫生健康委员会', '微信订阅号', '', '互动回应差', ''],
  ['13', '印象古楼', '安化县古楼乡人民政府', '微信订阅号', '安化县', '监测时间点前2周内无更新', '5.18'],
];
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const csvOf = (rows: string[][]) => rows.map((row) => row.join(',')).join('\r\n');

function upload(inspectionId: number, payload: Buffer | string, contentType: string) {
  return t.app.inject({
    method: 'POST',
    url: `/api/inspections/${inspectionId}/findings`,
    headers: { authorization: `Bearer ${sup}`, 'content-type': contentType },
    payload,
  });
}

async function ticketsOf(inspectionId: number) {
  const list = (await t.request(sup, 'GET', `/api/inspections/${inspectionId}`)).json();
  const tickets = (await t.request(sup, 'GET', `/api/tickets?inspection=${inspectionId}&limit=200`)).json();
  return { counts: list.counts as { tickets: number }, items: tickets.items as { number: string; unitCode: string; target: { name: string; platform: string | null }; problems: { code: string }[] }[] };
}

describe('POST /api/inspections/:id/findings, file formats', () => {
  it('takes a hand-built multipart/form-data upload with the XLSX in the field "file"', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'mp-1' });
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('附件3');
    sheet.addRow(['附件3', '政务新媒体检查情况']);
    for (const row of [HEADER, ...ROWS]) sheet.addRow(row);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());

    const boundary = '----RectifyFormBoundaryq8Z2m3xR';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n第一批\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="附件3.xlsx"\r\nContent-Type: ${XLSX_TYPE}\r\n\r\n`),
      xlsx,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await upload(inspection.id, body, `multipart/form-data; boundary=${boundary}`);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ created: 2, unchanged: 0, tickets: [{ number: 'mp-1-001' }, { number: 'mp-1-002' }] });

    const { items } = await ticketsOf(inspection.id);
    expect(items.map((i) => [i.target.name, i.unitCode, i.target.platform, i.problems.map((p) => p.code)])).toEqual([
      ['健康益阳', 'YY-WJW', 'wechat_subscription', ['poor_interaction']],
      ['印象古楼', 'AH-GL', 'wechat_subscription', ['no_recent_update']],
    ]);
  });

  it('takes a UTF-8 CSV with a byte-order mark', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'bom-1' });
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvOf([HEADER, ...ROWS]), 'utf8')]);
    const response = await upload(inspection.id, bytes, 'text/csv');
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ created: 2, unchanged: 0 });
    const { items } = await ticketsOf(inspection.id);
    expect(items.map((i) => i.target.name)).toEqual(['健康益阳', '印象古楼']);
    const detail = (await t.request(sup, 'GET', `/api/tickets/${(items[1] as unknown as { id: number }).id}`)).json();
    expect(detail.finding.lastUpdatedOn).toBe('2021-05-18');
  });

  it('answers 422 import.missing_headers naming 存在的问题 when that column is missing, and imports nothing', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'hdr-1' });
    const without = [HEADER, ...ROWS].map((row) => row.filter((_, i) => i !== 5));
    const response = await upload(inspection.id, csvOf(without), 'text/csv');
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body.code).toBe('import.missing_headers');
    expect(body.detail).toContain('存在的问题');
    expect(body.errors).toEqual([{ column: '存在的问题', message: expect.stringContaining('缺少必需的列「存在的问题」') }]);
    expect((await ticketsOf(inspection.id)).counts.tickets).toBe(0);
  });

  it('writes one ISSUE event and one issued notification per ticket, in the import', async () => {
    const inspection = await createInspection(t, sup, { shortCode: 'evt-1' });
    const response = await upload(inspection.id, csvOf([HEADER, ...ROWS]), 'text/csv');
    expect(response.statusCode, response.body).toBe(201);
    const ids = (response.json().tickets as { id: number }[]).map((ticket) => ticket.id);
    expect(ids).toHaveLength(2);

    const perTicket = await queryRows<{ ticket_id: number; issue_events: number; other_events: number; issued_mails: number; other_mails: number }>(sql`select t.id as ticket_id,
                 (select count(*)::int from ticket_events e where e.ticket_id = t.id and e.type = 'ISSUE' and e.seq = 1) as issue_events,
                 (select count(*)::int from ticket_events e where e.ticket_id = t.id and e.type <> 'ISSUE') as other_events,
                 (select count(*)::int from notifications n where n.ticket_id = t.id and n.kind = 'issued') as issued_mails,
                 (select count(*)::int from notifications n where n.ticket_id = t.id and n.kind <> 'issued') as other_mails
            from tickets t where t.inspection_id = ${inspection.id} order by t.id`,
      t.db.db,
    );
    expect(perTicket).toEqual(ids.map((id) => ({ ticket_id: id, issue_events: 1, other_events: 0, issued_mails: 1, other_mails: 0 })));

    // The notification points at its ISSUE event, and a re-import adds neither.
    const linked = await queryRows<{ n: number }>(sql`select count(*)::int as n from notifications n join ticket_events e on e.id = n.event_id
           where e.type = 'ISSUE' and e.ticket_id = n.ticket_id and n.ticket_id in (select id from tickets where inspection_id = ${inspection.id})`,
      t.db.db,
    );
    expect(linked[0]?.n).toBe(2);
    expect((await upload(inspection.id, csvOf([HEADER, ...ROWS]), 'text/csv')).json()).toMatchObject({ created: 0, unchanged: 2 });
    const totals = await queryRows<{ events: number; mails: number }>(sql`select (select count(*)::int from ticket_events where ticket_id in ${ids}) as events,
                 (select count(*)::int from notifications where ticket_id in ${ids}) as mails`,
      t.db.db,
    );
    expect(totals[0]).toEqual({ events: 2, mails: 2 });
  });
});
