import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Document, Packer, Paragraph } from 'docx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditChain } from '../../db/audit-chain.js';
import { loadAuditKey } from '../../server/audit-key.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { ofdSample, png, samples, upload, uploadOk, type UploadedItem } from '../helpers/evidence-files.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { onPostgres } from '../helpers/test-database.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let t: TestApp;
let tokens: Record<string, string>;
let tickets: { id: number; number: string }[];
const token = (name: string) => tokens[name] ?? '';
const blobOf = (hash: string) => path.join(t.db.dataDir, 'files', hash.slice(0, 2), hash.slice(2, 4), hash);

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z', attachmentMaxMb: 1 });
  ({ tokens } = await seedOrganisation(t));
  const inspection = await createInspection(t, token('gov-sup'));
  ({ tickets } = await issueFindings(t, inspection.id, [
    { unitCode: 'YY-WJW', targetName: '健康益阳' },
    { unitCode: 'YY-JTJ', targetName: '益阳交通' },
  ]));
});
afterAll(async () => t?.close());

async function submitWith(ticketId: number, officer: string, attachmentIds: string[], extra: Record<string, unknown> = {}) {
  await t.request(token(officer), 'POST', `/api/tickets/${ticketId}/events`, { type: 'ACKNOWLEDGE' });
  return t.request(token(officer), 'POST', `/api/tickets/${ticketId}/events`, { type: 'SUBMIT_RECTIFICATION', feedback: '已整改', attachmentIds, ...extra });
}

describe(`POST /api/attachments and GET /api/attachments/:id on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('keeps a screenshot with its Chinese name and gives it back byte for byte, inline, with nosniff', async () => {
    const [item] = await uploadOk(t, token('wjw-off'), [{ name: '整改后截图（首页）.png', bytes: samples.png }]);
    expect(item).toMatchObject({ name: '整改后截图（首页）.png', size: samples.png.length, contentType: 'image/png', sha256: sha256(samples.png) });
    const response = await t.request(token('wjw-off'), 'GET', `/api/attachments/${item?.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(samples.png)).toBe(true);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-disposition']).toBe(
      `inline; filename="_________.png"; filename*=UTF-8''${encodeURIComponent('整改后截图（首页）.png')}`,
    );
    // Stored once per content, readable by the server's user only.
    expect(fs.readFileSync(blobOf(item?.sha256 ?? '')).equals(samples.png)).toBe(true);
    expect(fs.statSync(blobOf(item?.sha256 ?? '')).mode & 0o077).toBe(0);
  });

  it('recognises PDF, JPEG, OFD, DOCX and XLSX by content, whatever they are called; DOCX and XLSX download', async () => {
    const docx = await Packer.toBuffer(new Document({ sections: [{ children: [new Paragraph('整改报告')] }] }));
    const { default: Excel } = await import('exceljs');
    const workbook = new Excel.Workbook();
    workbook.addWorksheet('清单').addRow(['序号', '问题']);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const items = await uploadOk(t, token('wjw-off'), [
      { name: '盖章扫描件.bin', bytes: samples.pdf },
      { name: 'photo', bytes: samples.jpeg },
      { name: '整改报告.ofd', bytes: ofdSample() },
      { name: '报告.docx', bytes: docx },
      { name: '清单.xlsx', bytes: xlsx },
    ]);
    expect(items.map((i) => i.contentType)).toEqual([
      'application/pdf',
      'image/jpeg',
      'application/ofd',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
    const download = await t.request(token('wjw-off'), 'GET', `/api/attachments/${items[3]?.id}`);
    expect(download.headers['content-disposition']).toMatch(/^attachment; /);
    const pdf = await t.request(token('wjw-off'), 'GET', `/api/attachments/${items[0]?.id}`);
    expect(pdf.headers['content-disposition']).toMatch(/^inline; /);
  });

  it('refuses a program renamed .png with 415 naming the allowed types, and keeps nothing of the upload', async () => {
    const response = await upload(t, token('wjw-off'), [
      { name: '截图.png', bytes: samples.png },
      { name: '截图2.png', bytes: samples.exe },
    ]);
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'attachments.unsupported_type' });
    expect(response.json().detail).toContain('PNG、JPEG、WebP 图片，PDF，OFD，DOCX，XLSX');
    expect(fs.readdirSync(path.join(t.db.dataDir, 'files', 'tmp'))).toEqual([]);
  });

  it('answers 413 for a file over ATTACHMENT_MAX_MB, cut off while it streams in', async () => {
    const big = Buffer.concat([samples.png, Buffer.alloc(1024 * 1024 + 10)]);
    const response = await upload(t, token('wjw-off'), [{ name: '大图.png', bytes: big }]);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'attachments.too_large' });
    expect(fs.readdirSync(path.join(t.db.dataDir, 'files', 'tmp'))).toEqual([]);
  });

  it('answers 413 for more than 20 files in one upload', async () => {
    const files = Array.from({ length: 21 }, (_, i) => ({ name: `截图${i}.png`, bytes: samples.png }));
    const response = await upload(t, token('wjw-off'), files);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'attachments.too_many' });
  });

  it('shows an upload to its uploader only until a ticket event references it; then to whoever sees the ticket (404 outside)', async () => {
    const [item] = await uploadOk(t, token('wjw-off'), [{ name: '整改前.png', bytes: png('scope') }]);
    const url = `/api/attachments/${item?.id}`;
    expect((await t.request(token('gov-sup'), 'GET', url)).statusCode).toBe(404);
    expect((await t.request(token('jtj-off'), 'GET', url)).statusCode).toBe(404);

    const submitted = await submitWith(tickets[0]?.id ?? 0, 'wjw-off', [item?.id ?? '']);
    expect(submitted.statusCode).toBe(200);
    expect((await t.request(token('gov-sup'), 'GET', url)).statusCode).toBe(200);
    expect((await t.request(token('wjw-sup'), 'GET', url)).statusCode).toBe(200);
    expect((await t.request(token('jtj-off'), 'GET', url)).statusCode).toBe(404);
    // A county office supervises its own county, not the city's departments.
    expect((await t.request(token('ah-sup'), 'GET', url)).statusCode).toBe(404);
    expect((await t.request(token('gl-off'), 'GET', url)).statusCode).toBe(404);
  });

  it('records each file id, name, size and SHA-256 in the SUBMIT_RECTIFICATION event, under the hash chain, and lists them on the ticket', async () => {
    const bytes = png('chain');
    const [item] = await uploadOk(t, token('jtj-off'), [{ name: '整改后.png', bytes }]);
    const ticketId = tickets[1]?.id ?? 0;
    const submitted = await submitWith(ticketId, 'jtj-off', [item?.id ?? ''], { evidence: ['https://jtj.yiyang.gov.cn/news/1'] });
    expect(submitted.statusCode).toBe(200);

    const detail = (await t.request(token('gov-sup'), 'GET', `/api/tickets/${ticketId}`)).json();
    const event = detail.events.at(-1);
    expect(event.type).toBe('SUBMIT_RECTIFICATION');
    const record = { id: item?.id, name: '整改后.png', size: bytes.length, contentType: 'image/png', sha256: sha256(bytes) };
    expect(event.attachments).toEqual([record]);
    expect(event.payload.attachments).toEqual([record]);
    expect(event.payload).not.toHaveProperty('attachmentIds');

    const [stored] = (await t.services.ticketEvents.listForTicket({ ticketId })).slice(-1);
    const chain = createAuditChain(loadAuditKey({ dataDir: t.db.dataDir }));
    expect(stored && chain.link({ ticketId }, stored.prevHash, stored).hash).toBe(stored?.hash);
    expect(stored && chain.link({ ticketId }, stored.prevHash, { ...stored, payload: { ...stored.payload, attachments: [{ ...record, sha256: '0'.repeat(64) }] } }).hash).not.toBe(stored?.hash);

  });

  it('refuses an attachment id the sender may not see, and more than 20 files on one event', async () => {
    const [other] = await uploadOk(t, token('gov-off'), [{ name: '别人的.png', bytes: samples.png }]);
    const inspection = await t.services.inspections.findByShortCode({ shortCode: '2021-2' });
    const issued = await issueFindings(t, inspection?.id ?? 0, [{ unitCode: 'YY-WJW', targetName: '益阳卫健' }]);
    const ticketId = issued.tickets[0]?.id ?? 0;
    const refused = await submitWith(ticketId, 'wjw-off', [other?.id ?? '']);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'attachments.not_found', errors: [{ field: 'attachmentIds' }] });
    const tooMany = await t.request(token('wjw-off'), 'POST', `/api/tickets/${ticketId}/events`, {
      type: 'SUBMIT_RECTIFICATION',
      feedback: '已整改',
      attachmentIds: Array.from({ length: 21 }, () => other?.id ?? ''),
    });
    expect(tooMany.statusCode).toBe(400);
  });

  it('finds a referenced file changed or missing on disk', async () => {
    const before = await t.services.attachments.verifyRecorded();
    expect(before.firstProblem).toBeUndefined();
    const detail = (await t.request(token('gov-sup'), 'GET', `/api/tickets/${tickets[1]?.id}`)).json();
    const file = detail.events.at(-1).attachments[0] as UploadedItem;
    const blob = blobOf(file.sha256);
    const original = fs.readFileSync(blob);
    fs.writeFileSync(blob, Buffer.concat([original, Buffer.from('x')]));
    expect((await t.services.attachments.verifyRecorded()).firstProblem).toMatchObject({ trail: 'ticket', ownerId: tickets[1]?.id, problem: 'changed', file: { id: file.id } });
    fs.rmSync(blob);
    expect((await t.services.attachments.verifyRecorded()).firstProblem).toMatchObject({ problem: 'missing' });
    fs.writeFileSync(blob, original);
    expect((await t.services.attachments.verifyRecorded()).firstProblem).toBeUndefined();
  });

  it('removes an upload nothing referenced once it is a day old, and keeps referenced files', async () => {
    const lonely = png('lonely');
    const [item] = await uploadOk(t, token('wjw-off'), [{ name: '没用上的.png', bytes: lonely }]);
    await t.services.attachments.collectGarbage();
    expect((await t.request(token('wjw-off'), 'GET', `/api/attachments/${item?.id}`)).statusCode).toBe(200);

    const detail = (await t.request(token('gov-sup'), 'GET', `/api/tickets/${tickets[1]?.id}`)).json();
    const kept = detail.events.at(-1).attachments[0] as UploadedItem;
    t.clock.set(new Date(t.clock.now().getTime() + 25 * 60 * 60 * 1000));
    await t.services.attachments.collectGarbage();
    expect((await t.request(token('wjw-off'), 'GET', `/api/attachments/${item?.id}`)).statusCode).toBe(404);
    expect(fs.existsSync(blobOf(sha256(lonely)))).toBe(false);
    expect((await t.request(token('gov-sup'), 'GET', `/api/attachments/${kept.id}`)).statusCode).toBe(200);
    expect(fs.existsSync(blobOf(kept.sha256))).toBe(true);
  });
});
