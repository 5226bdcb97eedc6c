import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, queryRows } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-database.js';

/**
 * The server connects as a role that may read the audit trails and append to them, nothing more,
 * while migrations run as the tables' owner (MIGRATION_DATABASE_URL). Connected as that role, the
 * trigger cannot be switched off (`session_replication_role`, `DISABLE TRIGGER`) and UPDATE, DELETE
 * and TRUNCATE are refused by the privileges themselves. PostgreSQL only: the embedded database has
 * one user.
 */

let owner: TestDatabase;
let t: TestApp;
let role: string;

async function asAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The database's own message for a refused statement. */
async function refusal(query: Promise<unknown>): Promise<string> {
  const outcome = await query.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome === undefined) throw new Error('the database accepted the statement');
  const messages: string[] = [];
  for (let error: unknown = outcome; error instanceof Error; error = error.cause) messages.push(error.message);
  return messages.join(' / ');
}

describe.skipIf(!onPostgres)('the server’s database role (PostgreSQL)', () => {
  beforeAll(async () => {
    role = `rectify_app_${randomBytes(4).toString('hex')}`;
    // As the README says: a login role of its own, nothing else; the migrations grant it the rest.
    await asAdmin((client) => client.query(`create role ${role} login`));
    owner = await createTestDatabase({ migrated: false });
    const serverUrl = new URL(owner.url ?? '');
    serverUrl.username = role;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-role-'));
    const database = await createDatabase({ databaseUrl: serverUrl.toString(), migrationUrl: owner.url, dataDir, command: 'vitest' });
    await migrate(database);
    t = await buildTestApp({
      now: '2021-06-18T02:00:00Z',
      database: {
        ...database,
        url: serverUrl.toString(),
        dataDir,
        async destroy() {
          await database.close();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await owner?.destroy();
    await asAdmin((client) => client.query(`drop role if exists ${role}`));
  });

  it('runs the app: an import’s tickets and their events are written and verify intact', async () => {
    const [{ who } = { who: '' }] = await queryRows<{ who: string }>(sql`select current_user as who`, t.services.db);
    expect(who).toBe(role);
    const { tokens } = await seedOrganisation(t);
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
    const { tickets } = await issueFindings(t, inspection.id, [{ unitCode: 'YY-JTJ', targetName: '益阳交通' }]);
    const response = await t.request(tokens['jtj-off'] ?? '', 'POST', `/api/tickets/${tickets[0]?.id}/events`, { type: 'ACKNOWLEDGE' });
    expect(response.statusCode, response.body).toBe(200);
    expect(await t.services.audit.verify()).toMatchObject({ intact: true, checkedTicketEvents: 2, problems: [] });
  });

  it('cannot switch the append-only triggers off', async () => {
    expect(await refusal(t.services.db.execute(sql`set session_replication_role = replica`))).toMatch(/permission denied/);
    expect(await refusal(t.services.db.execute(sql`alter table ticket_events disable trigger ticket_events_no_update_delete`))).toMatch(/must be owner/);
  });

  it('is refused UPDATE, DELETE and TRUNCATE on the audit trails by its privileges', async () => {
    for (const table of ['ticket_events', 'feedback_events', 'audit_log']) {
      expect(await refusal(t.services.db.execute(sql.raw(`delete from ${table}`)))).toMatch(/permission denied/);
      expect(await refusal(t.services.db.execute(sql.raw(`update ${table} set id = id`)))).toMatch(/permission denied/);
      expect(await refusal(t.services.db.execute(sql.raw(`truncate ${table} cascade`)))).toMatch(/permission denied/);
    }
    // The rows are all still there.
    const [{ n } = { n: 0 }] = await queryRows<{ n: number }>(sql`select count(*)::int as n from ticket_events`, t.services.db);
    expect(n).toBe(2);
  });
});
