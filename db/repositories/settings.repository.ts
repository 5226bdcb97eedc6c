import { eq, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { settings } from '../schema/index.js';

export type SettingKey = 'public_url';

/** Small values the server keeps for the other commands sharing its database. */
export function createSettingsRepository({ db }: { db: Db }) {
  return {
    async get({ key }: { key: SettingKey }, tx: Db = db): Promise<string | undefined> {
      const [row] = await tx.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
      return row?.value;
    },

    async set({ key, value }: { key: SettingKey; value: string }, tx: Db = db): Promise<void> {
      await tx
        .insert(settings)
        .values({ key, value })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: sql`now()` } });
    },
  };
}

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;
