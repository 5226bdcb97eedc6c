import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, text, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { unitKinds } from '../../core/vocabulary.js';

export { unitKinds, type UnitKind } from '../../core/vocabulary.js';

export const units = pgTable(
  'units',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull().unique(),
    name: text('name').notNull().unique(),
    aliases: text('aliases').array().notNull().default(sql`'{}'::text[]`),
    kind: text('kind', { enum: unitKinds }).notNull(),
    parentId: integer('parent_id').references((): AnyPgColumn => units.id, { onDelete: 'restrict' }),
    // Materialised ancestry ("/1/7/42/") so subtree scope is one indexed prefix match.
    path: text('path').notNull(),
    emails: text('emails').array().notNull().default(sql`'{}'::text[]`),
    // 主要负责人/分管负责人: copied from 督办 on (SPEC "The ladder").
    leaderEmails: text('leader_emails').array().notNull().default(sql`'{}'::text[]`),
    contactName: text('contact_name'),
    contactPhone: text('contact_phone'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('units_kind_check', sql`${t.kind} in ('city_department', 'county', 'township', 'other')`),
    check('units_code_check', sql`${t.code} ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'`),
    check('units_name_check', sql`length(trim(${t.name})) > 0`),
    check('units_path_check', sql`${t.path} ~ '^(/[0-9]+)+/$'`),
    index('units_parent_idx').on(t.parentId),
    index('units_path_idx').on(t.path.op('text_pattern_ops')),
  ],
);

export type Unit = typeof units.$inferSelect;
export type NewUnit = typeof units.$inferInsert;
