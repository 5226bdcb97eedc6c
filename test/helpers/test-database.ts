import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, type Database } from '../../db/client.js';
import { migrate, migrationsFolder } from '../../db/migrate.js';

export interface TestDatabase extends Database {
  /** The URL of the fresh PostgreSQL database, or undefined on PGlite. */
  url: string | undefined;
  dataDir: string;
  /** Closes and drops the database (PostgreSQL) or removes the data folder (PGlite). */
  destroy(): Promise<void>;
}

export const onPostgres = Boolean(process.env.DATABASE_URL);

/**
 * Names the migrated template by the committed migrations, so a template built from other
 * migrations (another checkout, an older commit) or another PGlite release is never reused.
 */
function migrationsDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(entry.name).update(fs.readFileSync(full));
    }
  };
  walk(migrationsFolder);
  // A PGlite release may change its on-disk format.
  hash.update(fs.readFileSync(path.join(process.cwd(), 'node_modules/@electric-sql/pglite/package.json')));
  return hash.digest('hex').slice(0, 16);
}

const digest = migrationsDigest();

/**
 * A PGlite data folder migrated once per migration set and copied for each test file: migrating
 * a fresh PGlite takes seconds, copying its folder a fraction of one. Worker processes build it
 * at most once between them, under a lock folder.
 */
async function pgliteTemplate(): Promise<string> {
  const template = path.join(os.tmpdir(), `rectify-template-${digest}`);
  if (fs.existsSync(path.join(template, 'ready'))) return template;
  const lock = `${template}.lock`;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (fs.existsSync(path.join(template, 'ready'))) return template;
      // A builder that died leaves its lock behind; a build takes well under a minute.
      const since = fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (fs.existsSync(path.join(template, 'ready'))) return template;
    const building = `${template}.building-${process.pid}`;
    fs.rmSync(building, { recursive: true, force: true });
    fs.mkdirSync(building);
    const database = await createDatabase({ dataDir: building, command: 'vitest template' });
    await migrate(database);
    await database.close();
    fs.writeFileSync(path.join(building, 'ready'), '');
    fs.rmSync(template, { recursive: true, force: true });
    fs.renameSync(building, template);
    return template;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * A new data folder holding a copy of the migrated PGlite template, for a `rectify` process or
 * command started on the embedded database: it then opens a migrated database instead of running
 * initdb and every migration (the migrations' own tests start from an empty folder).
 */
export async function migratedPgliteDataDir(prefix: string): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  await copyPgliteTemplate(dataDir);
  return dataDir;
}

async function copyPgliteTemplate(dataDir: string): Promise<void> {
  fs.cpSync(path.join(await pgliteTemplate(), 'pg'), path.join(dataDir, 'pg'), { recursive: true });
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function urlOf(name: string): string {
  const parsed = new URL(process.env.DATABASE_URL!);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A PostgreSQL database migrated once per migration set, the template of each test file's database. */
async function postgresTemplate(): Promise<string> {
  const name = `rectify_template_${digest}`;
  await withAdmin(async (admin) => {
    // Any fixed number; the worker processes serialise the one build on it.
    await admin.query('select pg_advisory_lock(727172099)');
    try {
      const found = await admin.query("select 1 from pg_database where datname = $1 and datallowconn and pg_catalog.shobj_description(oid, 'pg_database') = 'ready'", [name]);
      if (found.rowCount) return;
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name}`);
      const database = await createDatabase({ databaseUrl: urlOf(name), dataDir: os.tmpdir(), command: 'vitest template' });
      await migrate(database);
      await database.close();
      await admin.query(`comment on database ${name} is 'ready'`);
    } finally {
      await admin.query('select pg_advisory_unlock(727172099)');
    }
  });
  return name;
}

/**
 * A fresh, migrated database for one test file: a new database on the PostgreSQL server
 * named by DATABASE_URL, else a new PGlite data folder. Both start as a copy of a template
 * migrated once; `migrate` still runs on the copy (it finds nothing to apply and re-seeds).
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrated !== false;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-test-'));
  let url: string | undefined;
  let dropDatabase = async () => {};
  if (process.env.DATABASE_URL) {
    const name = `rectify_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const template = migrated ? await postgresTemplate() : undefined;
    await withAdmin((admin) => admin.query(`create database ${name}${template ? ` template ${template}` : ''}`));
    url = urlOf(name);
    dropDatabase = () => withAdmin((admin) => admin.query(`drop database if exists ${name} with (force)`)).then(() => {});
  } else if (migrated) {
    await copyPgliteTemplate(dataDir);
  }
  const database = await createDatabase({ databaseUrl: url, dataDir, command: 'vitest' });
  if (migrated) await migrate(database);
  return {
    ...database,
    url,
    dataDir,
    async destroy() {
      await database.close();
      await dropDatabase();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
