import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { platforms, targetKinds } from '../../core/vocabulary.js';
import { units } from './units.table.js';

export { platforms, targetKinds, type Platform, type TargetKind } from '../../core/vocabulary.js';

/** A website or a new-media account; the same target is reused by every inspection that checks it. */
export const targets = pgTable(
  'targets',
  {
    id: serial('id').primaryKey(),
    kind: text('kind', { enum: targetKinds }).notNull(),
    platform: text('platform', { enum: platforms }),
    name: text('name').notNull(),
    url: text('url'),
    ownerUnitId: integer('owner_unit_id').references(() => units.id, { onDelete: 'restrict' }),
    county: text('county'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('targets_kind_check', sql`${t.kind} in ('website', 'new_media')`),
    check(
      'targets_platform_check',
      sql`(${t.kind} = 'website' and ${t.platform} is null) or (${t.kind} = 'new_media' and ${t.platform} is not null and ${t.platform} in (${sql.raw(platforms.map((p) => `'${p}'`).join(', '))}))`,
    ),
    check('targets_name_check', sql`length(trim(${t.name})) > 0`),
    unique('targets_identity_key').on(t.kind, t.platform, t.name, t.ownerUnitId).nullsNotDistinct(),
    // The ticket list's q= (ILIKE '%…%') finds targets by any part of their name here (pg_trgm, migration 0004).
    index('targets_name_trgm_idx').using('gin', t.name.op('gin_trgm_ops')),
  ],
);

export type Target = typeof targets.$inferSelect;
export type NewTarget = typeof targets.$inferInsert;
