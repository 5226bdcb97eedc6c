import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';

/** One raw statement: the baselines talk to the database without drizzle, repositories or HTTP. */
export type RawQuery = <T extends Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

export interface RawSql {
  query: RawQuery;
  /** BEGIN … COMMIT on one connection (ROLLBACK when `fn` throws). */
  transaction<T>(fn: (query: RawQuery) => Promise<T>): Promise<T>;
  /** Connections that can work at once: the pool size on PostgreSQL, 1 on PGlite. */
  connections: number;
  close(): Promise<void>;
}

export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** The fresh database's URL (PostgreSQL); undefined on PGlite. */
  url: string | undefined;
  /** DATA_DIR for the server: the PGlite files live in `dataDir/pg`, the .eml outbox beside them. */
  dataDir: string;
  /** Opens the app's own database handle (drizzle), as `rectify serve` would. */
  open(): Promise<Database>;
  /** Opens a raw connection pool of `connections` (PostgreSQL) or wraps the open PGlite handle. */
  raw(database: Database | undefined, connections: number): Promise<RawSql>;
  /** Drops the database (PostgreSQL) and removes the data folder. */
  destroy(): Promise<void>;
}

/**
 * A fresh database for one run: `rectify_bench_<pid>` on the server DATABASE_URL names (dropped at
 * the end), or a new PGlite data folder when it is unset.
 */
export async function createBenchDatabase(databaseUrl: string | undefined): Promise<BenchDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-bench-'));
  if (!databaseUrl) return pgliteBench(dataDir);

  const name = `rectify_bench_${process.pid}`;
  await adminQuery(databaseUrl, `drop database if exists ${name} with (force)`);
  await adminQuery(databaseUrl, `create database ${name}`);
  const parsed = new URL(databaseUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  return {
    kind: 'postgres',
    url,
    dataDir,
    async open() {
      const database = await createDatabase({ databaseUrl: url, dataDir, command: 'rectify bench' });
      await migrate(database);
      return database;
    },
    async raw(_database, connections) {
      return pgRaw(new pg.Pool({ connectionString: url, max: connections }), connections);
    },
    async destroy() {
      await adminQuery(databaseUrl, `drop database if exists ${name} with (force)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function pgRaw(pool: pg.Pool, connections: number): RawSql {
  // Dropping the database at the end ends idle connections; that is expected, not a crash.
  pool.on('error', () => {});
  const query: RawQuery = async <T extends Record<string, unknown>>(text: string, params?: unknown[]) => (await pool.query<T>(text, params)).rows;
  return {
    query,
    connections,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn(async <T extends Record<string, unknown>>(text: string, params?: unknown[]) => (await client.query<T>(text, params)).rows);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function pgliteBench(dataDir: string): BenchDatabase {
  return {
    kind: 'pglite',
    url: undefined,
    dataDir,
    async open() {
      const database = await createDatabase({ dataDir, command: 'rectify bench' });
      await migrate(database);
      return database;
    },
    async raw(database) {
      // PGlite is one connection inside this process: the baseline shares the app's handle.
      const client = (database?.db as unknown as { $client?: unknown } | undefined)?.$client;
      if (!(client instanceof PGlite)) throw new Error('the PGlite baseline needs the open PGlite database');
      const query: RawQuery = async <T extends Record<string, unknown>>(text: string, params?: unknown[]) => (await client.query<T>(text, params)).rows;
      return {
        query,
        connections: 1,
        transaction: (fn) => client.transaction((tx) => fn(async <T extends Record<string, unknown>>(text: string, params?: unknown[]) => (await tx.query<T>(text, params)).rows)),
        close: async () => {},
      };
    },
    async destroy() {
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
