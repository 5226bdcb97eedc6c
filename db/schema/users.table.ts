import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { roles } from '../../core/vocabulary.js';
import { units } from './units.table.js';

export { roles, type Role } from '../../core/vocabulary.js';

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    username: text('username').notNull().unique(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: roles }).notNull(),
    unitId: integer('unit_id')
      .notNull()
      .references(() => units.id, { onDelete: 'restrict' }),
    displayName: text('display_name'),
    email: text('email'),
    active: boolean('active').notNull().default(true),
    /** Set after a generated or reset password: the user may do nothing else until it is changed. */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('users_role_check', sql`${t.role} in ('admin', 'supervisor', 'officer')`),
    check('users_username_check', sql`${t.username} ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$'`),
    index('users_unit_idx').on(t.unitId),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
