import type { Services } from '../services.js';
import { generatePassword } from '../../core/password.js';
import { demoInspection, demoUnits, notice2021AccountsCsv, notice2021BodyJson, notice2021WebsitesJson } from '../../workflows/demo/notice-2021.js';

export interface DemoSummary {
  unitsCreated: number;
  usersCreated: { username: string; role: string; unitCode: string; password: string }[];
  inspectionId: number;
  ticketsCreated: number;
  ticketsUnchanged: number;
}

const SUPERVISOR = 'zwb-sup';
const usernameOf = (unitCode: string) => unitCode.toLowerCase();

/**
 * Loads the 2021 Yiyang notice: its units, a supervisor for the inspecting office and one for each
 * county office (the notice makes the counties 主管 of their accounts), one officer per unit, the
 * inspection with its scope, the 21 单否 findings and the 12 the notice's body names, through the same
 * services the API uses. Running it again creates nothing new (and prints no password twice).
 */
export async function loadDemo(services: Services): Promise<DemoSummary> {
  let unitsCreated = 0;
  for (const unit of demoUnits) {
    if (await services.units.findByCode({ code: unit.code })) continue;
    await services.directory.createUnit({
      fields: { ...unit, parentCode: unit.parentCode ?? 'ROOT', emails: [`${unit.code.toLowerCase()}@demo.rectify.local`] },
      actor: null,
    });
    unitsCreated++;
  }

  const usersCreated: DemoSummary['usersCreated'] = [];
  const accounts = [
    { username: SUPERVISOR, role: 'supervisor' as const, unitCode: 'YY-ZWB', displayName: '政府网站管理科' },
    ...demoUnits.filter((u) => u.kind === 'county').map((u) => ({ username: `${usernameOf(u.code)}-sup`, role: 'supervisor' as const, unitCode: u.code, displayName: u.name })),
    ...demoUnits.filter((u) => u.code !== 'YY-ZWB').map((u) => ({ username: usernameOf(u.code), role: 'officer' as const, unitCode: u.code, displayName: u.name })),
  ];
  for (const account of accounts) {
    if (await services.users.exists({ username: account.username })) continue;
    const password = generatePassword();
    await services.directory.createUser({ fields: { ...account, password }, actor: null });
    usersCreated.push({ username: account.username, role: account.role, unitCode: account.unitCode, password });
  }

  const supervisorUser = await services.users.findPublic({ username: SUPERVISOR });
  const supervisor = supervisorUser ? await services.users.findViewer({ id: supervisorUser.id }) : undefined;
  if (!supervisor) throw new Error(`the demo supervisor ${SUPERVISOR} is missing or inactive`);

  const existing = await services.inspections.findByShortCode({ shortCode: demoInspection.shortCode });
  const inspection = existing ?? (await services.inspectionsService.create({ fields: demoInspection, actor: supervisor }));

  const websites = await services.findingsImport.importFindings({ inspectionId: inspection.id, viewer: supervisor, source: { json: notice2021WebsitesJson } });
  const accountsResult = await services.findingsImport.importFindings({
    inspectionId: inspection.id,
    viewer: supervisor,
    source: { bytes: Buffer.from(notice2021AccountsCsv, 'utf8'), contentType: 'text/csv', filename: '附件3.csv' },
  });
  const body = await services.findingsImport.importFindings({ inspectionId: inspection.id, viewer: supervisor, source: { json: notice2021BodyJson } });
  const results = [websites, accountsResult, body];
  return {
    unitsCreated,
    usersCreated,
    inspectionId: inspection.id,
    ticketsCreated: results.reduce((n, r) => n + r.created, 0),
    ticketsUnchanged: results.reduce((n, r) => n + r.unchanged, 0),
  };
}

export function describeDemo(summary: DemoSummary): string[] {
  const lines = [
    `Demo: the 2021 Yiyang notice (益政务办发〔2021〕2号) — ${summary.unitsCreated} units created, ${summary.ticketsCreated} tickets created, ${summary.ticketsUnchanged} already there.`,
  ];
  if (summary.usersCreated.length > 0) {
    lines.push('Demo users (passwords shown only this once):');
    for (const user of summary.usersCreated) lines.push(`  ${user.username.padEnd(14)} ${user.role.padEnd(10)} ${user.unitCode.padEnd(12)} ${user.password}`);
  }
  return lines;
}
