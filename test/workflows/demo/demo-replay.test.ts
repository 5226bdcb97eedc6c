// The 2021 notice replayed on its own calendar (SPEC "Deadlines, reminders, escalation", issue #13):
// every email of two tickets, with the moment it was made and who is To and who is Cc.
//   健康益阳 (市卫生健康委, whose parent is the inspecting office): submit → 退回 → resubmit → 销号.
//   印象古楼 (古楼乡, under the 安化县 office): never answers, and climbs 催办 → 督办 → 通报.
// The sweep runs at every moment of the replay, as the server's timer would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../../server/commands/demo.command.js';
import { demoUnits } from '../../../workflows/demo/notice-2021.js';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';

/** An instant written in Shanghai local time. */
const at = (shanghaiLocal: string) => new Date(`${shanghaiLocal.replace(' ', 'T')}+08:00`).toISOString();

interface Mail {
  kind: string;
  to: string[];
  cc: string[];
  subject: string;
  createdAt: string;
}

// The demo's units carry no addresses; an administrator enters them first (loadDemo keeps existing units).
const addressed = [
  { code: 'YY-ZWB', name: '益阳市政务公开政务服务管理办公室', kind: 'other', parentCode: null, emails: ['zwb@yiyang.test'], leaderEmails: ['zwb-leader@yiyang.test'] },
  { code: 'YY-WJW', name: '益阳市卫生健康委员会', kind: 'city_department', parentCode: 'YY-ZWB', emails: ['wjw@yiyang.test'], leaderEmails: ['wjw-leader@yiyang.test'] },
  { code: 'AH', name: '安化县人民政府办公室', kind: 'county', parentCode: 'YY-ZWB', emails: ['ah@yiyang.test'], leaderEmails: ['ah-leader@yiyang.test'] },
  { code: 'AH-GL', name: '安化县古楼乡人民政府', kind: 'township', parentCode: 'AH', emails: ['gulou@yiyang.test'], leaderEmails: ['gulou-leader@yiyang.test'] },
] as const;

let t: TestApp;
let admin: string;
let supervisor: string;
let wjw: string;
let jiankang: number;
let gulou: number;
let inspectionId: number;

async function sweepAt(moment: string) {
  t.clock.set(at(moment));
  const response = await t.request(admin, 'POST', '/api/admin/sweep');
  expect(response.statusCode, response.body).toBe(200);
}

async function send(token: string, ticketId: number, body: Record<string, unknown>, moment: string) {
  t.clock.set(at(moment));
  const response = await t.request(token, 'POST', `/api/tickets/${ticketId}/events`, body);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function mailsOf(ticketId: number): Promise<Mail[]> {
  const detail = (await t.request(admin, 'GET', `/api/tickets/${ticketId}`)).json();
  return (detail.notifications as Mail[]).map(({ kind, to, cc, subject, createdAt }) => ({ kind, to, cc, subject, createdAt }));
}

beforeAll(async () => {
  t = await buildTestApp({ now: at('2021-06-18 10:00') });
  admin = await t.login('admin');
  for (const unit of addressed) {
    const aliases = demoUnits.find((u) => u.code === unit.code)?.aliases ?? [];
    await t.services.directory.createUnit({ fields: { ...unit, aliases, emails: [...unit.emails], leaderEmails: [...unit.leaderEmails] }, actor: null });
  }
  const summary = await loadDemo(t.services);
  inspectionId = summary.inspectionId;
  const password = (username: string) => summary.usersCreated.find((u) => u.username === username)?.password ?? '';
  supervisor = await t.login('zwb-sup', password('zwb-sup'));
  wjw = await t.login('yy-wjw', password('yy-wjw'));
  const list = (await t.request(admin, 'GET', `/api/tickets?inspection=${inspectionId}&limit=50`)).json().items as { id: number; target: { name: string } }[];
  jiankang = list.find((i) => i.target.name === '健康益阳')?.id ?? 0;
  gulou = list.find((i) => i.target.name === '印象古楼')?.id ?? 0;

  // The replay: the sweep at each moment something may fall due, and the people's events between.
  await send(wjw, jiankang, { type: 'ACKNOWLEDGE' }, '2021-06-21 10:00');
  await sweepAt('2021-06-22 00:00');
  await sweepAt('2021-06-22 08:59');
  await sweepAt('2021-06-22 09:00');
  await sweepAt('2021-06-24 09:00');
  await send(wjw, jiankang, { type: 'SUBMIT_RECTIFICATION', feedback: '已安排专人回复全部留言', evidence: ['https://example.gov.cn/a'] }, '2021-06-25 16:00');
  await sweepAt('2021-06-29 00:00');
  await sweepAt('2021-06-29 09:00');
  await sweepAt('2021-07-02 09:00');
  await sweepAt('2021-07-03 00:00'); // Saturday: the verification reminder is due, and waits.
  await sweepAt('2021-07-05 09:00');
  await sweepAt('2021-07-07 09:00');
  await send(supervisor, jiankang, { type: 'REJECT', reason: '仍有3条留言未回复' }, '2021-07-08 10:00');
  await sweepAt('2021-07-08 10:05');
  await sweepAt('2021-07-12 09:00');
  await send(wjw, jiankang, { type: 'SUBMIT_RECTIFICATION', feedback: '已全部回复' }, '2021-07-13 10:00');
  await send(supervisor, jiankang, { type: 'VERIFY', comment: '核验通过' }, '2021-07-14 10:00');
  await sweepAt('2021-07-20 09:00');
}, 600_000);
afterAll(() => t?.close());

describe('the 2021 notice replayed on its calendar', () => {
  it('健康益阳: issued, reminded, submitted, reminded to verify on Monday, returned with a fair period, reminded, resubmitted, 销号', async () => {
    const mails = await mailsOf(jiankang);
    expect(mails.map(({ subject: _s, ...m }) => m)).toEqual([
      { kind: 'issued', to: ['wjw@yiyang.test'], cc: [], createdAt: at('2021-06-18 10:00') },
      { kind: 'reminder', to: ['wjw@yiyang.test'], cc: [], createdAt: at('2021-06-22 09:00') },
      { kind: 'reminder', to: ['wjw@yiyang.test'], cc: [], createdAt: at('2021-06-24 09:00') },
      // Submissions reach the office in its daily 待核验 digest at 09:00 on working days (here, the days the replay sweeps).
      { kind: 'submitted', to: ['zwb@yiyang.test'], cc: [], createdAt: at('2021-06-29 09:00') },
      { kind: 'submitted', to: ['zwb@yiyang.test'], cc: [], createdAt: at('2021-07-02 09:00') },
      // Five working days after Friday 06-25 ended with Friday 07-02: not Saturday 00:00, but Monday 09:00.
      { kind: 'verify_reminder', to: ['zwb@yiyang.test'], cc: [], createdAt: at('2021-07-05 09:00') },
      { kind: 'submitted', to: ['zwb@yiyang.test'], cc: [], createdAt: at('2021-07-05 09:00') },
      { kind: 'submitted', to: ['zwb@yiyang.test'], cc: [], createdAt: at('2021-07-07 09:00') },
      { kind: 'rejected', to: ['wjw@yiyang.test'], cc: [], createdAt: at('2021-07-08 10:00') },
      // The new period ends with Thursday 07-15: its reminder 3 is for Monday 07-12.
      { kind: 'reminder', to: ['wjw@yiyang.test'], cc: [], createdAt: at('2021-07-12 09:00') },
      { kind: 'verified', to: ['wjw@yiyang.test'], cc: [], createdAt: at('2021-07-14 10:00') },
    ]);
    // The return asks for a date still ahead, and the office's two weeks of checking escalate nothing.
    expect(mails.find((m) => m.kind === 'rejected')?.subject).toContain('2021年7月15日前重新报送');
    expect(mails.some((m) => m.kind === 'escalation')).toBe(false);
    const detail = (await t.request(admin, 'GET', `/api/tickets/${jiankang}`)).json();
    expect(detail.ticket).toMatchObject({ state: 'verified', escalationLevel: 0, ladder: null, dueAt: '2021-07-15T15:59:59.999Z' });
    expect(detail.events.find((e: { type: string }) => e.type === 'REJECT').payload).toMatchObject({ dueAt: '2021-07-15T15:59:59.999Z', previousDueAt: '2021-06-25T15:59:59.999Z' });
  });

  it('印象古楼: 催办 to the township, 督办 copied to its leaders and the county office, 通报 to it and its leaders, copied to the county and the inspecting office', async () => {
    const mails = await mailsOf(gulou);
    expect(mails.map(({ subject: _s, ...m }) => m)).toEqual([
      { kind: 'issued', to: ['gulou@yiyang.test'], cc: [], createdAt: at('2021-06-18 10:00') },
      { kind: 'reminder', to: ['gulou@yiyang.test'], cc: [], createdAt: at('2021-06-22 09:00') },
      { kind: 'reminder', to: ['gulou@yiyang.test'], cc: [], createdAt: at('2021-06-24 09:00') },
      // Monday 06-28, the first working day after the due day, has ended; office hours open at 09:00.
      { kind: 'escalation', to: ['gulou@yiyang.test'], cc: [], createdAt: at('2021-06-29 09:00') },
      { kind: 'escalation', to: ['gulou@yiyang.test'], cc: ['gulou-leader@yiyang.test', 'ah@yiyang.test'], createdAt: at('2021-07-02 09:00') },
      {
        kind: 'escalation',
        to: ['gulou@yiyang.test', 'gulou-leader@yiyang.test'],
        cc: ['ah@yiyang.test', 'zwb@yiyang.test'],
        createdAt: at('2021-07-07 09:00'),
      },
    ]);
    expect(mails.slice(3).map((m) => /^【(.+?)】/.exec(m.subject)?.[1])).toEqual(['催办', '督办', '通报']);
  });

  it('puts 印象古楼 on the bulletin candidates from 2021-07-07 09:00, and not 健康益阳', async () => {
    const response = await t.request(supervisor, 'GET', `/api/inspections/${inspectionId}/bulletin-candidates`);
    expect(response.statusCode, response.body).toBe(200);
    const items = response.json().items as { ticket: { id: number; ladder: string }; unit: { code: string }; overdueWorkingDays: number; since: string }[];
    const entry = items.find((i) => i.ticket.id === gulou);
    // 06-28 to 07-19: 16 working days had ended by 07-20 09:00.
    expect(entry).toMatchObject({ ticket: { ladder: '通报' }, unit: { code: 'AH-GL' }, overdueWorkingDays: 16, since: at('2021-07-07 09:00') });
    expect(items.some((i) => i.ticket.id === jiankang)).toBe(false);
  });
});
