import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifications } from '../../db/schema/index.js';
import { renderStoredMail } from '../../notifications/mail-payload.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { ofdSample, png, samples, uploadOk } from '../helpers/evidence-files.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { onPostgres } from '../helpers/test-database.js';

let t: TestApp;
let tokens: Record<string, string>;
let inspectionId: number;
const token = (name: string) => tokens[name] ?? '';
const base = () => `/api/inspections/${inspectionId}/feedback`;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  inspectionId = (await createInspection(t, token('gov-sup'))).id;
  // Findings imported over HTTP: the import creates one written feedback per unit with tickets.
  const imported = await t.request(token('gov-sup'), 'POST', `/api/inspections/${inspectionId}/findings`, {
    findings: [
      { targetKind: 'new_media', platform: 'wechat_subscription', targetName: '健康益阳', ownerUnit: '益阳市卫生健康委员会', problems: ['互动回应差'], outstanding: true },
      { targetKind: 'website', targetName: '益阳市卫生健康委员会网站', ownerUnit: '益阳市卫生健康委员会', problems: ['栏目更新不及时'], outstanding: false },
      { targetKind: 'website', targetName: '益阳市交通运输局网站', ownerUnit: '益阳市交通运输局', problems: ['链接不可用'], outstanding: true },
      { targetKind: 'website', targetName: '古楼乡政府网站', ownerUnit: '安化县古楼乡人民政府', problems: ['首页不更新'], outstanding: true },
    ],
  });
  if (imported.statusCode !== 201) throw new Error(imported.body);
});
afterAll(async () => t?.close());

const send = (who: string, unitCode: string, body: Record<string, unknown>) => t.request(token(who), 'POST', `${base()}/${unitCode}/events`, body);

describe(`written feedback on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('has one pending feedback per unit with tickets, due at the end of the deadline day in Beijing', async () => {
    const response = await t.request(token('gov-sup'), 'GET', base());
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toEqual([
      expect.objectContaining({ unitCode: 'YY-WJW', state: 'pending', dueAt: '2021-06-25T15:59:59.999Z', overdue: false, onTime: null, allowedEvents: [] }),
      expect.objectContaining({ unitCode: 'YY-JTJ', state: 'pending' }),
      expect.objectContaining({ unitCode: 'AH-GL', state: 'pending' }),
    ].sort(() => 0));
    expect(response.json().items).toHaveLength(3);
  });

  it('shows an officer its own unit only, a county office its county only; 404 outside', async () => {
    const own = await t.request(token('wjw-off'), 'GET', base());
    expect(own.json().items.map((i: { unitCode: string }) => i.unitCode)).toEqual(['YY-WJW']);
    expect(own.json().items[0].allowedEvents).toEqual(['SUBMIT_FEEDBACK']);
    expect((await t.request(token('wjw-off'), 'GET', `${base()}/YY-JTJ`)).statusCode).toBe(404);
    const county = await t.request(token('ah-sup'), 'GET', base());
    expect(county.json().items.map((i: { unitCode: string }) => i.unitCode)).toEqual(['AH-GL']);
    expect((await t.request(token('ah-sup'), 'GET', `${base()}/YY-WJW`)).statusCode).toBe(404);
    expect((await send('jtj-off', 'YY-WJW', { type: 'SUBMIT_FEEDBACK', attachmentIds: [] })).statusCode).toBe(400);
  });

  it('takes the stamped scan only as PDF, OFD or an image', async () => {
    const { Document, Packer, Paragraph } = await import('docx');
    const [docx] = await uploadOk(t, token('wjw-off'), [{ name: '报告.docx', bytes: await Packer.toBuffer(new Document({ sections: [{ children: [new Paragraph('x')] }] })) }]);
    const refused = await send('wjw-off', 'YY-WJW', { type: 'SUBMIT_FEEDBACK', attachmentIds: [docx?.id] });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'attachments.wrong_type', errors: [{ field: 'attachmentIds' }] });
    const missing = await send('wjw-off', 'YY-WJW', { type: 'SUBMIT_FEEDBACK' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([expect.objectContaining({ field: 'attachmentIds' })]);
  });

  it('lets the unit submit, a supervisor of another unit return with a reason, the unit submit again and the office accept; each step audited, chained and emailed', async () => {
    const [scan] = await uploadOk(t, token('wjw-off'), [{ name: '关于整改情况的报告（盖章）.pdf', bytes: samples.pdf }]);
    const submitted = await send('wjw-off', 'YY-WJW', { type: 'SUBMIT_FEEDBACK', attachmentIds: [scan?.id], note: '已加盖公章' });
    expect(submitted.statusCode).toBe(200);
    expect(submitted.json().feedback).toMatchObject({ state: 'submitted', onTime: true, version: 2 });

    // Its own unit's supervisor may not decide on it; nor an officer.
    expect((await send('wjw-sup', 'YY-WJW', { type: 'ACCEPT_FEEDBACK' })).statusCode).toBe(403);
    expect((await send('wjw-off', 'YY-WJW', { type: 'ACCEPT_FEEDBACK' })).statusCode).toBe(403);
    expect((await send('gov-sup', 'YY-WJW', { type: 'RETURN_FEEDBACK' })).statusCode).toBe(400);
    expect((await send('gov-sup', 'YY-WJW', { type: 'RETURN_FEEDBACK', reason: '未加盖公章', comment: 'x' })).statusCode).toBe(400);

    const returned = await send('gov-sup', 'YY-WJW', { type: 'RETURN_FEEDBACK', reason: '未加盖公章' });
    expect(returned.json().feedback).toMatchObject({ state: 'returned', returns: 1 });
    const stale = await send('wjw-off', 'YY-WJW', { type: 'SUBMIT_FEEDBACK', attachmentIds: [scan?.id], expectedVersion: 2 });
    expect(stale.statusCode).toBe(409);

    const [image] = await uploadOk(t, token('wjw-off'), [{ name: '盖章页.png', bytes: png('stamp') }, { name: '正文.ofd', bytes: ofdSample() }]);
    const again = await send('wjw-off', 'YY-WJW', { type: 'SUBMIT_FEEDBACK', attachmentIds: [image?.id, scan?.id] });
    expect(again.json().feedback).toMatchObject({ state: 'submitted' });
    const accepted = await send('gov-sup', 'YY-WJW', { type: 'ACCEPT_FEEDBACK', comment: '同意' });
    expect(accepted.json().feedback).toMatchObject({ state: 'accepted', allowedEvents: [] });
    expect((await send('gov-sup', 'YY-WJW', { type: 'ACCEPT_FEEDBACK' })).statusCode).toBe(409);

    const detail = (await t.request(token('gov-sup'), 'GET', `${base()}/YY-WJW`)).json();
    expect(detail.events.map((e: { type: string; to: string }) => `${e.type}→${e.to}`)).toEqual([
      'SUBMIT_FEEDBACK→submitted',
      'RETURN_FEEDBACK→returned',
      'SUBMIT_FEEDBACK→submitted',
      'ACCEPT_FEEDBACK→accepted',
    ]);
    expect(detail.events[0].attachments).toEqual([{ id: scan?.id, name: '关于整改情况的报告（盖章）.pdf', size: samples.pdf.length, contentType: 'application/pdf', sha256: scan?.sha256 }]);
    expect(detail.tickets.map((x: { number: string }) => x.number)).toEqual(['2021-2-001', '2021-2-002']);
    expect(detail.notifications.map((n: { kind: string }) => n.kind)).toEqual(['feedback_submitted', 'feedback_returned', 'feedback_submitted', 'feedback_accepted']);
    expect(await t.services.feedbacks.verifyChains()).toEqual({ checkedEvents: 4, checkedFeedbacks: 1 });

    // Whoever may see the feedback may read its scan; others may not.
    expect((await t.request(token('gov-sup'), 'GET', `/api/attachments/${scan?.id}`)).statusCode).toBe(200);
    expect((await t.request(token('jtj-off'), 'GET', `/api/attachments/${scan?.id}`)).statusCode).toBe(404);

    const rows = await t.services.db.select().from(notifications).where(sql`${notifications.feedbackId} is not null`).orderBy(notifications.id);
    // The stored data rendered as the outbox sends it.
    const mails = rows.map((row) => ({ ...row, bodyText: renderStoredMail(row).text }));
    expect(mails[0]).toMatchObject({ recipients: ['gov@yiyang.test'], subject: '【书面反馈已报送】益阳市卫生健康委员会：2021-2 整改情况书面报告（请审核）' });
    expect(mails[0]?.bodyText).toContain('益阳市人民政府办公室：');
    expect(mails[0]?.bodyText).toContain('关于整改情况的报告（盖章）.pdf');
    expect(mails[0]?.bodyText).toContain('2021年6月25日（星期五）');
    expect(mails[0]?.bodyText).toContain(`https://rectify.test/inspections/${inspectionId}`);
    expect(mails[1]).toMatchObject({ recipients: ['wjw@yiyang.test'] });
    expect(mails[1]?.bodyText).toContain('未加盖公章');
    expect(mails[1]?.bodyText).not.toContain('贵单位');
  });

  it('refuses to rewrite the feedback trail in the database', async () => {
    const refusal = async (query: Promise<unknown>) => {
      const error = await query.then(() => undefined, (e: unknown) => e as Error & { cause?: Error });
      return String(error?.cause?.message ?? error?.message);
    };
    expect(await refusal(t.services.db.execute(sql`update feedback_events set actor = 'someone'`))).toMatch(/append-only/);
    expect(await refusal(t.services.db.execute(sql`delete from feedback_events`))).toMatch(/append-only/);
  });

  it('shows the feedback and its punctuality in the report, and lists units without accepted feedback after the deadline as overdue', async () => {
    const report = (await t.request(token('gov-sup'), 'GET', `/api/inspections/${inspectionId}/report`)).json();
    const row = (code: string) => report.byUnit.find((u: { unitCode: string }) => u.unitCode === code);
    expect(row('YY-WJW')).toMatchObject({ feedback: 'accepted', feedbackOnTime: true });
    expect(row('YY-JTJ')).toMatchObject({ feedback: 'pending', feedbackOnTime: null });
    expect((await t.request(token('gov-sup'), 'GET', '/api/reports/overdue')).json().feedbackOverdue).toEqual([]);

    t.clock.set('2021-06-28T02:00:00Z');
    const overdue = (await t.request(token('gov-sup'), 'GET', '/api/reports/overdue')).json().feedbackOverdue;
    expect(overdue.map((f: { unitCode: string }) => f.unitCode).sort()).toEqual(['AH-GL', 'YY-JTJ']);
    expect(overdue[0]).toMatchObject({ inspectionShortCode: '2021-2', state: 'pending', dueAt: '2021-06-25T15:59:59.999Z' });
    const county = (await t.request(token('ah-sup'), 'GET', '/api/reports/overdue')).json().feedbackOverdue;
    expect(county.map((f: { unitCode: string }) => f.unitCode)).toEqual(['AH-GL']);
    const late = (await t.request(token('gov-sup'), 'GET', `/api/inspections/${inspectionId}/report`)).json();
    expect(late.byUnit.find((u: { unitCode: string }) => u.unitCode === 'YY-JTJ')).toMatchObject({ feedback: 'pending', feedbackOnTime: false });
  });

  it('creates the feedback on first read for tickets issued without the import (data from before written feedback)', async () => {
    const other = await createInspection(t, token('gov-sup'), { shortCode: '2021-3', feedbackDeadline: '2021-07-30' });
    await issueFindings(t, other.id, [{ unitCode: 'YY-JTJ', targetName: '益阳交通' }]);
    const response = await t.request(token('gov-sup'), 'GET', `/api/inspections/${other.id}/feedback`);
    expect(response.json().items).toEqual([expect.objectContaining({ unitCode: 'YY-JTJ', state: 'pending', dueAt: '2021-07-30T15:59:59.999Z' })]);
  });
});
