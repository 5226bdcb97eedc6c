import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../server/app.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { configuredSecrets, loggerOptions, MAX_LOGGED_STRING } from '../../server/logging.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const ADMIN_PASSWORD = 'configured-admin-password-1';
const SMTP_PASSWORD = 'smtp-pass-word-42';

let t: TestApp;
let app: App;
let token: string;
const lines: string[] = [];

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  // The server's own logger settings, writing into memory; the app over the same real database.
  app = await buildApp({
    config: { jwtExpiresIn: '8h', loginMaxPerMinute: 1000 },
    jwtSecret: t.jwtSecret,
    services: t.services,
    logger: loggerOptions({ level: 'info', secrets: configuredSecrets([ADMIN_PASSWORD, t.jwtSecret, `smtp://mailer:${SMTP_PASSWORD}@mail.example:587`]), stream }),
  });
  token = await t.login('admin');
});
afterAll(async () => {
  await app.close();
  await t.close();
});

describe('the server log', () => {
  it('holds no SQL parameters, password hash or body when an insert fails unexpectedly', async () => {
    // A real failure inside the users insert, whose parameters carry the new user's scrypt hash.
    await t.services.db.execute(sql.raw(`create function refuse_users_insert() returns trigger language plpgsql as $$ begin raise exception 'disk on fire' using errcode = 'XX000'; end; $$`));
    await t.services.db.execute(sql.raw('create trigger refuse_users_insert before insert on users for each row execute function refuse_users_insert()'));
    const response = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { authorization: `Bearer ${token}` },
      payload: { username: 'log-victim', password: 'victim-password-123', role: 'officer', unitCode: 'ROOT' },
    });
    await t.services.db.execute(sql.raw('drop trigger refuse_users_insert on users'));
    expect(response.statusCode).toBe(500);
    const logged = lines.join('\n');
    expect(logged).toContain('disk on fire');
    expect(logged).toContain('params: [redacted]');
    expect(logged).not.toContain('scrypt');
    expect(logged).not.toContain('victim-password-123');
    expect(logged).not.toContain('log-victim');
  });

  it("writes one line a request, with its id, method, path, status and time, and nothing of its headers", async () => {
    lines.length = 0;
    const response = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    expect(lines).toHaveLength(1);
    const [entry] = lines.map((line) => JSON.parse(line) as { msg?: string; reqId?: unknown; req?: unknown; res?: unknown; responseTime?: unknown });
    expect(entry).toMatchObject({ msg: 'request completed', req: { method: 'GET', url: '/api/me' }, res: { statusCode: 200 } });
    expect(entry?.reqId).toEqual(expect.any(String));
    expect(entry?.responseTime).toEqual(expect.any(Number));
    expect(lines.join('\n')).not.toContain(token);
  });

  it('cleans the logged path: a secret in the query string is blanked', async () => {
    lines.length = 0;
    const response = await app.inject({ method: 'GET', url: `/api/me?note=${encodeURIComponent(SMTP_PASSWORD)}`, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SMTP_PASSWORD);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ msg: 'request completed', req: { url: '/api/me?note=[redacted]' } });
  });

  it('cuts every string, and blanks the configured secrets wherever they appear', () => {
    lines.length = 0;
    app.log.error({ cell: '长'.repeat(5_000_000), note: `password was ${ADMIN_PASSWORD}` }, `smtp ${SMTP_PASSWORD} and jwt ${t.jwtSecret}`);
    expect(lines).toHaveLength(1);
    const [line = ''] = lines;
    expect(line.length).toBeLessThan(MAX_LOGGED_STRING * 4 + 1_000);
    for (const secret of [ADMIN_PASSWORD, SMTP_PASSWORD, t.jwtSecret]) expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({ note: 'password was [redacted]', msg: 'smtp [redacted] and jwt [redacted]' });
  });
});

describe('configuration errors', () => {
  it('name the key of a bad secret without echoing its value', () => {
    let error: unknown;
    try {
      loadConfig({ RECTIFY_ADMIN_PASSWORD: 'pw#12', JWT_SECRET: 'tiny-secret', DATABASE_URL: 'mysql://root:hunter2-db@db/x', SMTP_URL: 'ftp://u:hunter3-smtp@x', PORT: 'eighty' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const key of ['RECTIFY_ADMIN_PASSWORD', 'DATABASE_URL', 'SMTP_URL', 'PORT']) expect(message).toContain(key);
    expect(message).toContain('"eighty"');
    for (const secret of ['pw#12', 'tiny-secret', 'hunter2-db', 'hunter3-smtp']) expect(message).not.toContain(secret);
  });
});
