import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';

/** The highest row id of each trail written before the audit key (migration 0014): above it, every row is keyed. */
export async function legacyMaxIds(tx: Db): Promise<{ ticketEvents: number; feedbackEvents: number }> {
  const [row] = await queryRows<{ ticket_events: string | number; feedback_events: string | number }>(sql`select * from audit_legacy_max_ids()`, tx);
  return { ticketEvents: Number(row?.ticket_events ?? 0), feedbackEvents: Number(row?.feedback_events ?? 0) };
}
