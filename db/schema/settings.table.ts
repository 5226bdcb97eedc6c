import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Values the server remembers for the other commands, e.g. `public_url`: CLI commands link to the server people open. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type Setting = typeof settings.$inferSelect;
