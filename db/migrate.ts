import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './client.js';
import { seedProblemCatalogue } from './problem-catalogue.js';

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Brings the database to the committed schema and seeds the problem catalogue; safe to run at every start. */
export async function migrate(database: Database): Promise<void> {
  await database.applyMigrations(migrationsFolder);
  // Under the start-up lock too: instances seeding an empty database at the same moment would
  // collide on the unique labels, which the insert's ON CONFLICT (code) does not cover.
  await database.exclusively(() => seedProblemCatalogue(database.db));
}
