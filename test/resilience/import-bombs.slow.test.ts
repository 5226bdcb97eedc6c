// Issue 11 item 4: small uploads must not exhaust memory or hold the server. Each bomb goes to a
// real server process over HTTP; its answer names the limit, and the process's own peak RSS (reset
// before each request through /proc/<pid>/clear_refs) stays within a bound.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCall, httpLogin, startRectifyProcess, waitFor, type HttpResult, type RectifyProcess } from '../helpers/rectify-process.js';
import { createTestDatabase, migratedPgliteDataDir, onPostgres } from '../helpers/test-database.js';
import { xlsxWithHugeCell } from '../helpers/zip-bomb.js';

const ADMIN_PASSWORD = 'import-bombs-admin-password';
// Raised from the default (200,000) so that a million bad rows are read and their errors counted.
const MAX_ROWS = 1_000_000;
const MB = 1024 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
let server: RectifyProcess;
let dataDir: string;
let token: string;
let importUrl: string;

/** The server's resident memory now and its peak since the last reset, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Runs `send` and answers how far the server's RSS rose above where it was, at its highest. */
async function rssGrowth<T>(send: () => Promise<T>): Promise<{ result: T; growth: number }> {
  fs.writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  const before = memoryOf(server.pid).rss;
  const result = await send();
  return { result, growth: memoryOf(server.pid).peak - before };
}

const upload = (body: Buffer | string, contentType: string) => httpCall(server.url, 'POST', importUrl, { token, body, contentType });

const problem = (response: HttpResult) => response.body as { code: string; limit?: number; errors?: unknown[]; totalErrors?: number };

beforeAll(async () => {
  // On the embedded database the server opens a copy of the migrated template.
  dataDir = onPostgres ? fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-bombs-')) : await migratedPgliteDataDir('rectify-bombs-');
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = { DATA_DIR: dataDir, RECTIFY_ADMIN_PASSWORD: ADMIN_PASSWORD, IMPORT_MAX_ROWS: String(MAX_ROWS) };
  if (onPostgres) {
    const database = await createTestDatabase({ migrated: false });
    cleanups.push(() => database.destroy());
    if (database.url) env.DATABASE_URL = database.url;
  }
  // A busy machine can take more than a minute to start a server.
  server = await startRectifyProcess(env, { timeoutMs: 240_000 });
  cleanups.push(() => server.kill());
  token = await httpLogin(server.url, 'admin', ADMIN_PASSWORD);
  const unit = await httpCall(server.url, 'POST', '/api/units', { token, body: { code: 'YY-GOV', name: '益阳市人民政府办公室', kind: 'other', parentCode: 'ROOT', emails: [] } });
  expect(unit.status, unit.text).toBe(201);
  const inspection = await httpCall(server.url, 'POST', '/api/inspections', {
    token,
    body: { title: '检查情况通报', documentNumber: '益政务办发〔2021〕2号', shortCode: 'bombs', issuedOn: '2021-06-17', feedbackDeadline: '2021-06-25', issuingUnitCode: 'YY-GOV' },
  });
  expect(inspection.status, inspection.text).toBe(201);
  importUrl = `/api/inspections/${(inspection.body as { id: number }).id}/findings`;
  // The first import starts the decoding worker; the bombs below are measured against a warm server.
  const warm = await upload('序号,账号名称,开设主体,存在的问题\n1,政务账号,益阳市人民政府办公室,僵尸账号\n', 'text/csv');
  expect(warm.status, warm.text).toBe(201);
}, 400_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('import bombs against a running server', { timeout: 300_000 }, () => {
  it('refuses a 400 KB XLSX holding one 400 MB cell with 422 import.cell_too_long (32,767), before inflating it', async () => {
    const bomb = await xlsxWithHugeCell(400 * MB);
    expect(bomb.length).toBeLessThan(1 * MB);
    const { result, growth } = await rssGrowth(() => upload(bomb, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'));
    expect(result.status, result.text).toBe(422);
    expect(result.contentType).toContain('application/problem+json');
    expect(problem(result)).toMatchObject({ code: 'import.cell_too_long', limit: 32_767 });
    expect(growth).toBeLessThan(150 * MB);
  });

  it('lists the first 1,000 errors of a million bad rows with totalErrors, in a small answer, and answers /healthz meanwhile', async () => {
    // Every row lacks its 开设主体: one error each. 7 bytes a row, some 7 MB.
    const csv = `序号,账号名称,开设主体,存在的问题\n${'1,a,,b\n'.repeat(1_000_000)}`;
    let finished = false;
    const { result, growth } = await rssGrowth(async () => {
      const importing = upload(csv, 'text/csv').finally(() => (finished = true));
      // Health asked while the server reads the file: it answers before the import does.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(finished, 'the import finished before /healthz was asked; the file is too small to tell').toBe(false);
      return importing;
    });
    expect(result.status, result.text.slice(0, 500)).toBe(422);
    const body = problem(result);
    expect(body.code).toBe('import.invalid_rows');
    expect(body.errors).toHaveLength(1_000);
    expect(body.totalErrors).toBe(1_000_000);
    expect(body.errors?.[0]).toMatchObject({ row: 2, column: '开设主体' });
    expect(Buffer.byteLength(result.text)).toBeLessThan(1 * MB);
    expect(growth).toBeLessThan(1024 * MB);
  });

  it(`refuses a CSV over IMPORT_MAX_ROWS (${MAX_ROWS.toLocaleString('en-US')}) with 413 import.too_many_rows`, async () => {
    // As many fields as the header: csv-parse builds an error object for each row of another width.
    const csv = `序号,账号名称,开设主体,存在的问题\n${'1,,,\n'.repeat(MAX_ROWS + 1)}`;
    const { result, growth } = await rssGrowth(() => upload(csv, 'text/csv'));
    expect(result.status, result.text.slice(0, 500)).toBe(413);
    expect(problem(result)).toMatchObject({ code: 'import.too_many_rows', limit: MAX_ROWS });
    // The rows up to the limit are read before the one over it is refused: the same bound as the
    // million bad rows above (measured 0.4–0.55 GB here; at the default 200,000 rows, a fifth of it).
    expect(growth).toBeLessThan(1024 * MB);
  });

  it('refuses JSON nested 100,000 deep, as a body (request.too_deep) and as a file (import.too_deep), with 422 and the limit 32', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const { result: body, growth } = await rssGrowth(() => upload(deep, 'application/json'));
    expect(body.status, body.text).toBe(422);
    expect(problem(body)).toMatchObject({ code: 'request.too_deep', limit: 32 });
    expect(growth).toBeLessThan(100 * MB);

    const form = new FormData();
    form.append('file', new Blob([`{"findings":${deep}}`], { type: 'application/json' }), '附件3.json');
    const file = await fetch(`${server.url}${importUrl}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(file.status).toBe(422);
    expect(await file.json()).toMatchObject({ code: 'import.too_deep', limit: 32 });
  });

  it('refuses a body over 1 MB on a route that takes no files with 413 request.too_large naming 1 MB', async () => {
    const body = JSON.stringify({ code: 'BIG', name: 'x'.repeat(2 * MB), kind: 'other', parentCode: 'ROOT' });
    const { result, growth } = await rssGrowth(() => httpCall(server.url, 'POST', '/api/units', { token, body }));
    expect(result.status, result.text).toBe(413);
    expect(problem(result)).toMatchObject({ code: 'request.too_large', limit: MB });
    expect(growth).toBeLessThan(50 * MB);
    // A CSV is not taken where no file is expected.
    const csv = await httpCall(server.url, 'POST', '/api/tickets/events', { token, body: 'a,b\n1,2\n', contentType: 'text/csv' });
    expect(csv.status).toBe(415);
  });

  it('keeps no upload in DATA_DIR/uploads once answered, and keeps that folder to the owner', async () => {
    const uploads = path.join(dataDir, 'uploads');
    expect(fs.statSync(uploads).mode & 0o777).toBe(0o700);
    await waitFor('the uploads to be removed', async () => fs.readdirSync(uploads).length === 0, { timeoutMs: 10_000 });
  });
});
