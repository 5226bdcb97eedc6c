import { createHash } from 'node:crypto';

/** A ticket_events row as SQL returns it. */
export type EventRow = Record<string, unknown> & { id: number | string; ticket_id: number; seq: number; prev_hash: string | null; hash: string };

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The chain as it was before the audit key (chain version 1): plain SHA-256 over the previous hash
 * and the row's canonical JSON. What anyone can recompute, written out here as they would.
 */
export function unkeyedHash(prevHash: string | null, row: Omit<EventRow, 'id' | 'prev_hash' | 'hash'>): string {
  const content = {
    ticketId: row.ticket_id,
    seq: row.seq,
    type: row.type,
    fromState: row.from_state,
    toState: row.to_state,
    actorUserId: row.actor_user_id,
    actor: row.actor,
    at: new Date(row.at as string).toISOString(),
    payload: row.payload,
  };
  return createHash('sha256').update(prevHash ?? '').update('\n').update(canonicalJson(content)).digest('hex');
}
