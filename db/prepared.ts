import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';

/** A fixed SQL text with positional parameters, named for the driver. */
export interface PreparedStatement {
  /** Unique per text: PostgreSQL keeps one prepared statement of this name per connection. */
  name: string;
  text: string;
}

/**
 * Runs a fixed statement on `db` (a transaction too) as a named prepared statement: PostgreSQL
 * parses and plans it once per connection, and no query builder runs per call (drizzle's own
 * `.prepare()` binds the statement to the handle it was built on, so it cannot be kept across
 * transactions). For the few statements every ticket event runs. Rows come back as the driver
 * gives them: timestamps as text, bigint as text.
 */
export async function runPrepared<T extends Record<string, unknown>>(statement: PreparedStatement, params: unknown[], db: Db): Promise<T[]> {
  const query = db._.session.prepareQuery({ sql: statement.text, params }, undefined, statement.name, false);
  // Both drivers answer with `{ rows }`; drizzle's generic result type cannot know that.
  const result = (await query.execute()) as unknown as { rows: T[] };
  return result.rows;
}

const dialect = new PgDialect();

/**
 * Runs `query` on `db` with each row as an array of its columns in the order selected (the
 * driver's array row mode): no object with named keys is built per row and drizzle maps nothing,
 * for reads of many rows that the caller turns into its own objects. Values come as the driver
 * gives them, as with runPrepared.
 */
export async function queryArrays<T extends unknown[]>(query: SQL, db: Db): Promise<T[]> {
  const prepared = db._.session.prepareQuery<{ execute: T[]; all: unknown; values: unknown }>(dialect.sqlToQuery(query), undefined, undefined, true, (rows) => rows as T[]);
  return prepared.execute();
}
