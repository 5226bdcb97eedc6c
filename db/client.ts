import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { lockDataDir, secureDataDir } from './data-dir-lock.js';
import { initPgliteDataDir, PGLITE_START_PARAMS } from './pglite-start.js';

// Any fixed 64-bit number; instances starting together serialise on it.
const MIGRATION_LOCK_KEY = 727_172_021;

/**
 * The drizzle handle every repository takes; a transaction (`tx`) is one too. Made without the
 * schema: nothing uses drizzle's relational queries (`db.query`), whose builders, one a table,
 * drizzle would otherwise build again for every transaction.
 */
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Runs `select 1`; throws when the database cannot be reached. */
  ping(): Promise<void>;
  /** Applies drizzle-kit migrations; on PostgreSQL under an advisory lock so instances may start together. */
  applyMigrations(migrationsFolder: string): Promise<void>;
  /**
   * Runs `fn` under the same lock, for other once-only start-up work (the first admin). Not
   * re-entrant: `fn` must not apply migrations.
   */
  exclusively<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel` (delivered once its transaction commits). On
   * PostgreSQL a connection of its own listens; when it drops, `onError` hears of it and it
   * connects again after `retryMs`, so a caller that must not miss work also polls.
   */
  listen(channel: string, onNotify: () => void, options?: { onError?: (error: Error) => void; retryMs?: number }): Promise<Listening>;
  close(): Promise<void>;
}

export interface Listening {
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /**
   * The connection of the role that owns the tables (MIGRATION_DATABASE_URL): migrations run as it
   * and grant the server's own role (`databaseUrl`) what it needs, and no UPDATE, DELETE or
   * TRUNCATE on the audit trails. Unset, both are `databaseUrl`.
   */
  migrationUrl?: string | undefined;
  dataDir: string;
  /** Named in the lock message another process sees (e.g. "rectify serve"). */
  command?: string;
  poolSize?: number;
  onPoolError?: (error: Error) => void;
}

/** The one database factory: PostgreSQL over `pg` when a URL is given, else PGlite in `dataDir/pg`. */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return createPostgres(options.databaseUrl, options);
  return createPglite(options);
}

async function createPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A client whose connection drops (a restart, pg_terminate_backend) emits 'error', idle or checked
  // out; unheard, that ends the process. Each client reports it once here: a checked-out one also
  // fails its query in progress (the request answers 503), and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', (error) => options.onPoolError?.(error)));
  // The pool re-emits an idle client's error, already reported by the client's own listener above.
  pool.on('error', () => {});
  const db = drizzlePg({ client: pool });
  // Advisory locks belong to a session: lock, work and unlock on one connection. Its own
  // connection, outside the pool, so that work done through the pool meanwhile never waits for it.
  async function withLock<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: options.migrationUrl ?? url, connectionTimeoutMillis: 5_000 });
    // A dropped connection also fails the query in progress; the event itself must not crash us.
    client.on('error', (error) => options.onPoolError?.(error));
    await client.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        return await fn(client);
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await client.end();
    }
  }
  return {
    db,
    kind: 'postgres',
    async ping() {
      await db.execute(sql`select 1`);
    },
    async applyMigrations(migrationsFolder) {
      await withLock(async (client) => {
        await migratePg(drizzlePg({ client }), { migrationsFolder });
        if (!options.migrationUrl) return;
        const [server] = await queryRows<{ role: string }>(sql`select current_user as role`, db);
        const [owner] = (await client.query<{ role: string }>('select current_user as role')).rows;
        if (server && owner && server.role !== owner.role) await grantServerRole(client, server.role);
      });
    },
    exclusively: (fn) => withLock(() => fn()),
    listen: (channel, onNotify, listenOptions) => listenPostgres(url, channel, onNotify, listenOptions),
    async close() {
      await pool.end();
    },
  };
}

/**
 * LISTEN on a connection outside the pool (it is held for good), connecting again whenever it
 * drops or cannot be made (a pooler in transaction mode refuses LISTEN): the caller's polling
 * carries on meanwhile, so this never fails the caller.
 */
async function listenPostgres(url: string, channel: string, onNotify: () => void, { onError, retryMs = 5_000 }: { onError?: (error: Error) => void; retryMs?: number } = {}): Promise<Listening> {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    let failed = false;
    const fail = (error: Error) => {
      if (failed || closed) return;
      failed = true;
      client = undefined;
      onError?.(error);
      void next.end().catch(() => {});
      retry = setTimeout(() => void connect(), retryMs);
      retry.unref();
    };
    next.on('error', fail);
    next.on('end', () => fail(new Error(`the connection listening on ${channel} ended`)));
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      if (closed) await next.end();
      else client = next;
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  };
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}

/** The trails the server may only read and append to. */
export const auditTables = ['ticket_events', 'feedback_events', 'audit_log'] as const;

/**
 * What the server's role may do, granted by the owner after each migration so new tables are
 * covered: read and write the tables, but only SELECT and INSERT on the audit trails; nothing
 * on the schema itself (no ALTER, no DISABLE TRIGGER, no TRUNCATE).
 */
async function grantServerRole(owner: pg.Client, role: string): Promise<void> {
  const quoted = pg.escapeIdentifier(role);
  await owner.query(`grant usage on schema public to ${quoted}`);
  await owner.query(`grant select, insert, update, delete on all tables in schema public to ${quoted}`);
  await owner.query(`grant usage, select on all sequences in schema public to ${quoted}`);
  await owner.query(`revoke update, delete, truncate, trigger, references on ${auditTables.join(', ')} from ${quoted}`);
}

async function createPglite(options: DatabaseOptions): Promise<Database> {
  // Loaded here, not at the top: a server on PostgreSQL never needs PGlite, whose code alone
  // would add some 35 MB to its resident memory.
  const [{ PGlite: PGliteClient }, { pg_trgm }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const release = lockDataDir(options.dataDir, options.command ?? 'rectify');
  let client: PGlite;
  const pgDir = path.join(options.dataDir, 'pg');
  try {
    await initPgliteDataDir(pgDir);
    // pg_trgm: the migrations create it, as on PostgreSQL (the ticket list's text search).
    client = await PGliteClient.create(pgDir, { extensions: { pg_trgm }, startParams: [...PGLITE_START_PARAMS] });
    // PGlite's file layer gives its files mode 666 whatever the umask: take group and other off
    // now and again on close; in between, the owner-only folders keep everyone else out.
    secureDataDir(pgDir);
  } catch (error) {
    release();
    throw error;
  }
  const db = drizzlePglite({ client });
  return {
    db,
    kind: 'pglite',
    async ping() {
      await db.execute(sql`select 1`);
    },
    async applyMigrations(migrationsFolder) {
      // The data-folder lock already makes this process the only one.
      await migratePglite(db, { migrationsFolder });
    },
    exclusively: (fn) => fn(),
    async listen(channel, onNotify) {
      // One process owns the database: its notifications never travel over a connection that could drop.
      const unlisten = await client.listen(channel, () => onNotify());
      return { close: () => (client.closed ? Promise.resolve() : unlisten()) };
    },
    async close() {
      if (client.closed) return;
      try {
        await client.close();
        secureDataDir(pgDir);
      } finally {
        release();
      }
    },
  };
}

/**
 * Raw SQL for what the query builder cannot say. Both drivers answer with `{ rows }`;
 * the generic `Db` type cannot know that, hence the one cast here.
 */
export async function queryRows<T extends Record<string, unknown>>(query: SQL, db: Db): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
