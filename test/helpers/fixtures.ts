import type { Inspection } from '../../db/schema/index.js';
import type { FindingToIssue } from '../../workflows/tickets/ticket-issuance.js';
import { createWorkingCalendar } from '../../workflows/deadlines/calendar.js';
import type { TestApp } from './build-test-app.js';

export const PASSWORD = 'password-for-tests';

/**
 * A small unit tree like the 2021 notice's: the city office supervising city departments and a county,
 * the county office supervising a township. One supervisor and one officer per unit where it matters.
 */
export async function seedOrganisation(t: TestApp) {
  const admin = await t.login('admin');
  const units = [
    { code: 'YY-GOV', name: '益阳市人民政府办公室', kind: 'other', parentCode: 'ROOT', emails: ['gov@yiyang.test'] },
    { code: 'YY-WJW', name: '益阳市卫生健康委员会', aliases: ['市卫生健康委', '益阳市卫健委'], kind: 'city_department', parentCode: 'YY-GOV', emails: ['wjw@yiyang.test'] },
    { code: 'YY-JTJ', name: '益阳市交通运输局', kind: 'city_department', parentCode: 'YY-GOV', emails: ['jtj@yiyang.test'] },
    { code: 'AH-GOV', name: '安化县人民政府办公室', aliases: ['安化县'], kind: 'county', parentCode: 'YY-GOV', emails: ['ah@yiyang.test'] },
    { code: 'AH-GL', name: '安化县古楼乡人民政府', kind: 'township', parentCode: 'AH-GOV', emails: ['gulou@yiyang.test'] },
    { code: 'AH-SWJ', name: '安化县商务局', kind: 'other', parentCode: 'AH-GOV', emails: [] },
  ];
  for (const unit of units) {
    const response = await t.request(admin, 'POST', '/api/units', unit);
    if (response.statusCode !== 201) throw new Error(`unit ${unit.code}: ${response.body}`);
  }
  const users = [
    { username: 'gov-sup', role: 'supervisor', unitCode: 'YY-GOV' },
    { username: 'gov-off', role: 'officer', unitCode: 'YY-GOV' },
    { username: 'wjw-off', role: 'officer', unitCode: 'YY-WJW' },
    { username: 'wjw-sup', role: 'supervisor', unitCode: 'YY-WJW' },
    { username: 'jtj-off', role: 'officer', unitCode: 'YY-JTJ' },
    { username: 'ah-sup', role: 'supervisor', unitCode: 'AH-GOV' },
    { username: 'ah-off', role: 'officer', unitCode: 'AH-GOV' },
    { username: 'gl-off', role: 'officer', unitCode: 'AH-GL' },
  ];
  for (const user of users) {
    const response = await t.request(admin, 'POST', '/api/users', { ...user, password: PASSWORD });
    if (response.statusCode !== 201) throw new Error(`user ${user.username}: ${response.body}`);
  }
  const tokens: Record<string, string> = { admin };
  for (const user of users) tokens[user.username] = await t.login(user.username, PASSWORD);
  return { tokens };
}

/** The 2021 notice as a POST /api/inspections body, issued by the seeded city office. */
export const inspection2021 = {
  title: '2021年全市政府网站与政务新媒体检查情况通报',
  documentNumber: '益政务办发〔2021〕2号',
  shortCode: '2021-2',
  issuedOn: '2021-06-17',
  samplingFrom: '2021-05-26',
  samplingTo: '2021-06-09',
  feedbackDeadline: '2021-06-25',
  issuingUnitCode: 'YY-GOV',
  contact: { name: '文雪飞', phone: '0737-4382206' },
};

/** Creates the 2021 inspection over HTTP as the city supervisor. */
export async function createInspection(t: TestApp, token: string, overrides: Record<string, unknown> = {}): Promise<Inspection & { id: number }> {
  const response = await t.request(token, 'POST', '/api/inspections', { ...inspection2021, ...overrides });
  if (response.statusCode !== 201) throw new Error(`inspection: ${response.body}`);
  return response.json();
}

/** Issues tickets straight through the issuance workflow (the import's own persistence path). */
export async function issueFindings(t: TestApp, inspectionId: number, items: (Partial<FindingToIssue> & { unitCode: string; targetName: string })[]) {
  const inspection = await t.services.inspections.find({ id: inspectionId });
  if (!inspection) throw new Error(`no inspection ${inspectionId}`);
  const resolved: FindingToIssue[] = [];
  for (const item of items) {
    const unit = await t.services.units.findByCode({ code: item.unitCode });
    if (!unit) throw new Error(`no unit ${item.unitCode}`);
    const { unitCode: _code, ...rest } = item;
    resolved.push({
      targetKind: 'new_media',
      platform: 'wechat_subscription',
      url: null,
      county: null,
      problems: [{ code: 'poor_interaction', text: '互动回应差' }],
      problemsText: '互动回应差',
      lastUpdatedOn: null,
      outstanding: true,
      note: null,
      ...rest,
      unitId: unit.id,
    });
  }
  return t.services.db.transaction((tx) =>
    t.services.issuance.issue({
      inspection: inspection as Inspection,
      items: resolved,
      actor: { userId: null, name: 'test' },
      calendar: createWorkingCalendar(new Map()),
      now: t.clock.now(),
    }, tx),
  );
}
