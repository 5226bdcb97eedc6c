import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../../server/commands/demo.command.js';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  admin = await t.login('admin');
});
afterAll(() => t.close());

// 附件3 as the notice prints it: name, unit, platform, problems, last update.
const accounts: [string, string, string, string[], string | null][] = [
  ['益阳网警巡查执法', 'YY-GAJ-WAZD', 'toutiao', ['no_recent_update'], '2021-04-21'],
  ['益阳住建人防', 'YY-ZJJ', 'wechat_subscription', ['poor_interaction'], null],
  ['健康益阳', 'YY-WJW', 'wechat_subscription', ['poor_interaction'], null],
  ['益阳智慧医疗', 'YY-WJW', 'wechat_service', ['poor_interaction'], null],
  ['益阳人力资源服务', 'YY-RSJ-SCZX', 'wechat_service', ['poor_interaction'], null],
  ['益阳交通', 'YY-JTJ', 'wechat_subscription', ['poor_interaction', 'menu_link_error'], null],
  ['南县公共文旅云', 'NX-WLJ', 'wechat_service', ['poor_interaction', 'no_recent_update'], '2021-05-19'],
  ['沅江自然资源局', 'YJ-ZRZY', 'wechat_subscription', ['no_recent_update'], '2021-05-18'],
  ['资阳区应急管理', 'ZY-YJJ', 'wechat_subscription', ['poor_interaction'], null],
  ['红色故里美丽鸬鹚', 'TJ-LCD', 'wechat_subscription', ['no_recent_update'], '2021-05-21'],
  ['桃江文旅', 'TJ-WLJ', 'wechat_service', ['poor_interaction'], null],
  ['安化招商引资', 'AH-SWJ', 'wechat_subscription', ['no_recent_update'], '2021-05-19'],
  ['印象古楼', 'AH-GL', 'wechat_subscription', ['no_recent_update'], '2021-05-18'],
];
const websites: [string, string][] = [
  ['安化县人民政府门户网站', 'AH'],
  ['桃江县人民政府门户网站', 'TJ'],
  ['大通湖区门户网站', 'DTH'],
  ['益阳市水利局网站', 'YY-SLJ'],
  ['益阳市农业农村局网站', 'YY-NYJ'],
  ['益阳市卫生健康委员会网站', 'YY-WJW'],
  ['益阳市审计局网站', 'YY-SJJ'],
  ['益阳市乡村振兴局网站', 'YY-XCZX'],
];

// 二(二)–(六) of the notice's body: unit, problem; not 单否.
const bodyFindings: [string, string][] = [
  ['YY-SLJ', 'little_information'],
  ['YY-ZRZY', 'little_information'],
  ['YY-JGSW', 'little_information'],
  ['YY-FGW', 'content_mismatch'],
  ['YY-TYJR', 'policy_interpretation_missing'],
  ['YY-XFJ', 'policy_interpretation_missing'],
  ['YY-LYJ', 'policy_interpretation_missing'],
  ['YY-CGJ', 'interaction_blocked'],
  ['TJ-SJZX', 'wrong_account_info'],
  ['AH', 'wrong_account_info'],
  ['YY-WJW', 'duplicate_accounts'],
  ['GXQ-SPJ', 'duplicate_accounts'],
];

type Item = { id: number; number: string; unitCode: string; dueAt: string; outstanding: boolean; target: { kind: string; platform: string | null; name: string }; problems: { code: string }[] };

describe('rectify demo', () => {
  it('loads the 2021 notice: 21 单否 tickets matching it row by row and the 12 its body names, due 2021-06-25 in Shanghai', { timeout: 300_000 }, async () => {
    const summary = await loadDemo(t.services);
    expect(summary.ticketsCreated).toBe(33);
    const response = await t.request(admin, 'GET', `/api/tickets?inspection=${summary.inspectionId}&limit=50`);
    const all = response.json().items as Item[];
    expect(all).toHaveLength(33);
    expect(new Set(all.map((i) => i.dueAt))).toEqual(new Set(['2021-06-25T15:59:59.999Z']));
    expect(all.map((i) => i.number)).toEqual(Array.from({ length: 33 }, (_, n) => `2021-2-${String(n + 1).padStart(3, '0')}`));
    const items = all.filter((i) => i.outstanding);
    expect(items).toHaveLength(21);
    const body = all.filter((i) => !i.outstanding);
    expect(body.map((i) => [i.unitCode, ...i.problems.map((p) => p.code)])).toEqual(bodyFindings);

    const byName = new Map(items.map((i) => [i.target.name, i]));
    for (const [name, unitCode] of websites) {
      expect(byName.get(name), name).toMatchObject({ unitCode, target: { kind: 'website', platform: null }, problems: [{ code: 'columns_not_updated' }] });
    }
    for (const [name, unitCode, platform, problems, lastUpdatedOn] of accounts) {
      const ticket = byName.get(name);
      expect(ticket, name).toMatchObject({ unitCode, target: { kind: 'new_media', platform } });
      expect(ticket?.problems.map((p) => p.code), name).toEqual(problems);
      const detail = (await t.request(admin, 'GET', `/api/tickets/${(ticket as unknown as { id: number }).id}`)).json();
      expect(detail.finding.lastUpdatedOn, name).toBe(lastUpdatedOn);
    }

    const inspection = (await t.request(admin, 'GET', `/api/inspections/${summary.inspectionId}`)).json();
    expect(inspection).toMatchObject({ documentNumber: '益政务办发〔2021〕2号', feedbackDeadline: '2021-06-25', counts: { tickets: 33, issued: 33 } });
    expect(inspection.scope.filter((g: { targetKind: string }) => g.targetKind === 'website').reduce((n: number, g: { checked: number }) => n + g.checked, 0)).toBe(49);
    expect(inspection.scope.filter((g: { targetKind: string }) => g.targetKind === 'new_media').reduce((n: number, g: { checked: number }) => n + g.checked, 0)).toBe(216);
  });

  it('gives each county office a supervisor, who sees its own subtree', async () => {
    const users = (await t.request(admin, 'GET', '/api/users?limit=200')).json().items as { username: string; role: string; unitCode: string }[];
    const supervisors = users.filter((u) => u.role === 'supervisor').map((u) => `${u.username} ${u.unitCode}`);
    expect(supervisors.sort()).toEqual(['ah-sup AH', 'dbxq-sup DBXQ', 'dth-sup DTH', 'gxq-sup GXQ', 'hs-sup HS', 'nx-sup NX', 'tj-sup TJ', 'yj-sup YJ', 'zwb-sup YY-ZWB', 'zy-sup ZY'].sort());
  });

  it('does not take the provincial 政务管理服务局 for the inspecting office', async () => {
    const inspection = (await t.request(admin, 'GET', '/api/inspections')).json().items[0];
    const response = await t.request(admin, 'POST', `/api/inspections/${inspection.id}/findings`, {
      findings: [{ targetKind: 'website', targetName: '某网站', ownerUnit: '益阳市政务管理服务局', problems: ['栏目更新不及时'] }],
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0]).toMatchObject({ column: 'ownerUnit', value: '益阳市政务管理服务局' });
  });

  it('loading it twice duplicates nothing', async () => {
    const again = await loadDemo(t.services);
    expect(again).toMatchObject({ unitsCreated: 0, usersCreated: [], ticketsCreated: 0, ticketsUnchanged: 33 });
  });
});
