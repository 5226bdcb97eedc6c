import { createHash } from 'node:crypto';

/** What the hash of one audit row covers. */
export interface ChainedEvent {
  ticketId: number;
  seq: number;
  type: string;
  fromState: string | null;
  toState: string;
  actorUserId: number | null;
  actor: string;
  at: Date;
  payload: Record<string, unknown>;
}

/** JSON with object keys sorted at every depth, so jsonb's own key order cannot change a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** sha256 over the previous row's hash and this row's content: rewriting any row breaks every later link. */
export function linkHash(prevHash: string | null, content: Record<string, unknown>): string {
  return createHash('sha256').update(prevHash ?? '').update('\n').update(canonicalJson(content)).digest('hex');
}

/** The link of one ticket event. */
export function chainHash(prevHash: string | null, event: ChainedEvent): string {
  // Exactly the chained fields: a stored row also has `id`, `prevHash` and `hash`, which must not count.
  return linkHash(prevHash, {
    ticketId: event.ticketId,
    seq: event.seq,
    type: event.type,
    fromState: event.fromState,
    toState: event.toState,
    actorUserId: event.actorUserId,
    actor: event.actor,
    at: event.at.toISOString(),
    payload: event.payload,
  });
}

export interface ChainBreak {
  ticketId: number;
  seq: number;
  problem: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap';
}

/** Walks one chain's rows in `seq` order, each hashed by `hashOf`, and reports the first break, if any. */
export function findLinkBreak<E extends { seq: number; prevHash: string | null; hash: string }>(
  events: E[],
  hashOf: (prevHash: string | null, event: E) => string,
): { seq: number; problem: ChainBreak['problem'] } | undefined {
  let prev: string | null = null;
  let expectedSeq = 1;
  for (const event of events) {
    if (event.seq !== expectedSeq) return { seq: event.seq, problem: 'seq_gap' };
    if (event.prevHash !== prev) return { seq: event.seq, problem: 'prev_hash_mismatch' };
    if (hashOf(prev, event) !== event.hash) return { seq: event.seq, problem: 'hash_mismatch' };
    prev = event.hash;
    expectedSeq++;
  }
  return undefined;
}

/** Walks one ticket's events in `seq` order and reports the first break, if any. */
export function findChainBreak(events: (ChainedEvent & { prevHash: string | null; hash: string })[]): ChainBreak | undefined {
  const found = findLinkBreak(events, chainHash);
  return found && { ticketId: events[0]?.ticketId ?? 0, ...found };
}
