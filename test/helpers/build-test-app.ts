import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createFolderFileStore } from '../../storage/folder.driver.js';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type App } from '../../server/app.js';
import { ensureAdmin } from '../../server/bootstrap.js';
import { createServices, type Services } from '../../server/services.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { loadAuditKey } from '../../server/audit-key.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

/** A settable clock: tests move time instead of waiting for it. */
export interface TestClock {
  now: () => Date;
  set(instant: Date | string): void;
}

export function createTestClock(start: Date | string = new Date()): TestClock {
  let current = new Date(start);
  return { now: () => new Date(current), set: (instant) => (current = new Date(instant)) };
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  services: Services;
  clock: TestClock;
  jwtSecret: string;
  /** Logs in over HTTP and returns the bearer token. */
  login(username: string, password?: string): Promise<string>;
  /** An authenticated JSON request. */
  request(token: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The real app on a fresh, migrated database (PGlite, or PostgreSQL when DATABASE_URL is set), with `admin` created. */
export async function buildTestApp(
  options: { now?: Date | string; loginMaxPerMinute?: number; attachmentMaxMb?: number; importMaxRows?: number; webRoot?: string; /** A database already migrated, instead of a fresh one. */ database?: TestDatabase } = {},
): Promise<TestApp> {
  const db = options.database ?? (await createTestDatabase());
  const clock = createTestClock(options.now);
  const services = createServices({ database: db, publicUrl: 'https://rectify.test', mailFrom: 'Rectify <rectify@rectify.test>', now: clock.now, files: createFolderFileStore({ root: path.join(db.dataDir, 'files') }), auditKey: loadAuditKey({ dataDir: db.dataDir }) });
  await ensureAdmin(services, { password: ADMIN_PASSWORD, print: () => {} });
  const jwtSecret = randomBytes(32).toString('hex');
  const app = await buildApp({
    config: {
      jwtExpiresIn: '8h',
      loginMaxPerMinute: options.loginMaxPerMinute ?? 1000,
      dataDir: db.dataDir,
      ...(options.attachmentMaxMb ? { attachmentMaxMb: options.attachmentMaxMb } : {}),
      ...(options.importMaxRows ? { importMaxRows: options.importMaxRows } : {}),
    },
    jwtSecret,
    services,
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
  });

  const request: TestApp['request'] = (token, method, url, body) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });

  return {
    app,
    db,
    services,
    clock,
    jwtSecret,
    async login(username, password = ADMIN_PASSWORD) {
      const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
      if (response.statusCode !== 200) throw new Error(`login ${username} failed: ${response.statusCode} ${response.body}`);
      return (response.json() as { token: string }).token;
    },
    request,
    async close() {
      await app.close();
      await db.destroy();
    },
  };
}
