import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './client.js';
import { seedProblemCatalogue } from './problem-catalogue.js';

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Brings the database to the committed schema and seeds the problem catalogue; safe to run at every start. */
export async function migrate(database: Database): Promise<void> {
  await database.applyMigrations(migrationsFolder);
  await seedProblemCatalogue(database.db);
}
