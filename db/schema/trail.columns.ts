import { sql } from 'drizzle-orm';
import { integer, jsonb, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.table.js';

/**
 * The columns every hash-chained trail row (ticket_events, feedback_events) has after its owner and
 * states: who acted, when, what was sent, and the link of the chain (db/audit-chain.ts).
 */
export function trailColumns() {
  return {
    actorUserId: integer('actor_user_id').references(() => users.id, { onDelete: 'restrict' }),
    // Username at the time, or "system" for the sweep: the trail must read without joins.
    actor: text('actor').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    prevHash: text('prev_hash'),
    hash: text('hash').notNull(),
    // 1: plain SHA-256 (rows from before migration 0014); 2: HMAC-SHA256 under the audit key.
    chainVersion: smallint('chain_version').notNull().default(2),
  };
}
