// Issue #11 item 5: DATA_DIR holds the embedded database, the generated JWT secret and every email
// as an .eml file. A running `rectify serve` leaves nothing there that group or others may read,
// write or enter: neither what it creates nor what an older version left world-readable.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { httpCall, httpLogin, startRectifyProcess, waitFor, type RectifyProcess } from '../helpers/rectify-process.js';

const ADMIN_PASSWORD = 'permissions-test-admin-password';
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Every file and folder under `root` (itself included) whose mode gives group or others anything. */
function tooOpen(root: string): string[] {
  const found: string[] = [];
  const visit = (file: string) => {
    const stat = fs.lstatSync(file);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) found.push(`${(stat.mode & 0o777).toString(8)} ${path.relative(root, file) || '.'}`);
    if (stat.isDirectory()) for (const name of fs.readdirSync(file)) visit(path.join(file, name));
  };
  visit(root);
  return found;
}

describe('DATA_DIR permissions', { timeout: 180_000 }, () => {
  it('keeps the embedded database, the secrets and the .eml files owner-only', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-perm-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    // What an older version (or a copy) left behind: open to everybody.
    fs.chmodSync(dataDir, 0o777);
    fs.mkdirSync(path.join(dataDir, 'outbox'), { mode: 0o777 });
    fs.chmodSync(path.join(dataDir, 'outbox'), 0o777);
    fs.writeFileSync(path.join(dataDir, 'outbox', 'old.eml'), 'Subject: old\r\n\r\nold\r\n', { mode: 0o666 });
    fs.chmodSync(path.join(dataDir, 'outbox', 'old.eml'), 0o666);

    const server: RectifyProcess = await startRectifyProcess({ DATA_DIR: dataDir, RECTIFY_ADMIN_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: 'warn' });
    cleanups.push(() => server.kill());
    const token = await httpLogin(server.url, 'admin', ADMIN_PASSWORD);
    // One email, so the outbox writes a new .eml file.
    const created = await httpCall(server.url, 'POST', '/api/units', {
      token,
      body: { code: 'YY-GOV', name: '益阳市人民政府办公室', kind: 'other', parentCode: 'ROOT', emails: ['zwb@yiyang.example.gov.cn'] },
    });
    expect(created.status, created.text).toBe(201);
    const inspection = await httpCall(server.url, 'POST', '/api/inspections', {
      token,
      body: { title: '检查', shortCode: 'perm', issuedOn: '2021-06-17', samplingFrom: '2021-05-26', samplingTo: '2021-06-09', feedbackDeadline: '2021-06-25', issuingUnitCode: 'YY-GOV' },
    });
    expect(inspection.status, inspection.text).toBe(201);
    const imported = await httpCall(server.url, 'POST', `/api/inspections/${(inspection.body as { id: number }).id}/findings`, {
      token,
      body: '序号,网站名称,主办单位,存在的问题\n1,益阳市人民政府门户网站,益阳市人民政府办公室,互动回应差\n',
      contentType: 'text/csv',
    });
    expect(imported.status, imported.text).toBe(201);
    await waitFor('the issue email as an .eml file', async () => fs.readdirSync(path.join(dataDir, 'outbox')).filter((name) => name.endsWith('.eml')).length >= 2, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    expect(fs.readdirSync(path.join(dataDir, 'pg')).length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);
    // While it runs: no folder lets anyone else in, and no secret or email is open.
    expect(tooOpen(dataDir).filter((entry) => !/ pg\/./.test(entry) || fs.statSync(path.join(dataDir, entry.split(' ')[1] ?? '')).isDirectory())).toEqual([]);
    await server.stop();
    // At rest: nothing at all.
    expect(tooOpen(dataDir)).toEqual([]);
  });
});
