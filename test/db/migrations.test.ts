import { is, sql, type SQL } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { queryRows } from '../../db/client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../db/migrate.js';
import * as schema from '../../db/schema/index.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false });
});
afterAll(async () => {
  await database.destroy();
});

const rows = <T extends Record<string, unknown>>(query: SQL) => queryRows<T>(query, database.db);

describe(`migrations on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('apply from an empty database, and a second run changes nothing', async () => {
    await migrate(database);
    const tables = await rows<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    // Every table the schema declares, and no other: the migrations build exactly the schema.
    const declared = (Object.values(schema) as unknown[])
      .flatMap((value) => (is(value, PgTable) ? [getTableConfig(value).name] : []))
      .sort();
    expect(tables.map((t) => t.table_name)).toEqual(declared);
    await migrate(database);
    const applied = await rows<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(applied[0]?.n).toBeGreaterThanOrEqual(2);
  });

  it('seeds the problem catalogue with Chinese labels', async () => {
    const catalogue = await rows<{ code: string; label: string }>(sql`select code, label from problem_types order by code`);
    expect(catalogue).toContainEqual({ code: 'poor_interaction', label: '互动回应差' });
    expect(catalogue).toContainEqual({ code: 'no_recent_update', label: '监测时间点前2周内无更新' });
    expect(catalogue.length).toBe(20);
  });
});
