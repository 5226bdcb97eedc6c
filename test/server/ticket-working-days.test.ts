import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

// The numbers the workbench shows as 逾期N个工作日 / 还剩N个工作日, and the ladder counts of 督办台.
let t: TestApp;
let tokens: Record<string, string>;
let inspectionId = 0;
const ids: Record<string, number> = {};

interface ListItem { number: string; overdue: boolean; overdueWorkingDays?: number; workingDaysLeft?: number | null; escalationLevel: number }
const list = async (url: string) => {
  const response = await t.request(tokens['gov-sup'] ?? '', 'GET', url);
  expect(response.statusCode).toBe(200);
  return (response.json() as { items: ListItem[] }).items;
};

beforeAll(async () => {
  // Monday 2021-06-21; the notice's deadline is Friday 2021-06-25.
  t = await buildTestApp({ now: '2021-06-21T10:00:00+08:00' });
  ({ tokens } = await seedOrganisation(t));
  const notice = await createInspection(t, tokens['gov-sup'] ?? '');
  inspectionId = notice.id;
  const issued = await issueFindings(t, notice.id, [
    { unitCode: 'YY-WJW', targetName: '健康益阳' },
    { unitCode: 'YY-JTJ', targetName: '益阳交通' },
  ]);
  for (const ticket of issued.tickets) ids[ticket.number] = ticket.id;
  const submit = async (body: object) => {
    const response = await t.request(tokens['jtj-off'] ?? '', 'POST', `/api/tickets/${ids['2021-2-002']}/events`, body);
    if (response.statusCode !== 200) throw new Error(response.body);
  };
  await submit({ type: 'ACKNOWLEDGE' });
  await submit({ type: 'SUBMIT_RECTIFICATION', feedback: '已更新' });
});
afterAll(() => t.close());

describe('GET /api/tickets working-day counts', () => {
  it('gives an open ticket in time the working days left, today and the due day both counted', async () => {
    const items = await list('/api/tickets');
    const open = items.find((item) => item.number === '2021-2-001');
    expect(open).toMatchObject({ overdue: false, overdueWorkingDays: 0, workingDaysLeft: 5 });
    // Waiting for verification: the unit has nothing left to do by a date.
    expect(items.find((item) => item.number === '2021-2-002')).toMatchObject({ workingDaysLeft: null });
    const detail = await t.request(tokens['wjw-off'] ?? '', 'GET', `/api/tickets/${ids['2021-2-001']}`);
    expect(detail.json()).toMatchObject({ ticket: { workingDaysLeft: 5 } });
  });

  it('gives an overdue ticket the whole working days since the due day, and the ladder level filter and counts', async () => {
    // Wednesday 2021-06-30: Monday 28 and Tuesday 29 have ended after the due day; level 1 (催办) is due.
    t.clock.set('2021-06-30T10:00:00+08:00');
    await t.services.sweep.run({ now: t.clock.now() });
    const items = await list('/api/tickets?state=issued');
    expect(items).toEqual([expect.objectContaining({ number: '2021-2-001', overdue: true, overdueWorkingDays: 2, workingDaysLeft: null, escalationLevel: 1 })]);
    expect((await list('/api/tickets?level=1')).map((item) => item.number)).toEqual(['2021-2-001']);
    expect((await list('/api/tickets?level=0')).map((item) => item.number)).toEqual(['2021-2-002']);
    expect(await list('/api/tickets?level=2')).toEqual([]);

    const inspection = await t.request(tokens['gov-sup'] ?? '', 'GET', `/api/inspections/${inspectionId}`);
    expect(inspection.json()).toMatchObject({ levels: [{ level: 1, tickets: 1 }] });
    // Scoped: the transport bureau's officer sees none of the health commission's escalations.
    const scoped = await t.request(tokens['jtj-off'] ?? '', 'GET', `/api/tickets?level=1`);
    expect(scoped.json()).toMatchObject({ items: [] });
  });
});
