import { createHash, createHmac } from 'node:crypto';

/**
 * The hash chain of an audit trail (ticket_events, feedback_events): each row's hash covers the
 * previous row's hash and the row's own content, so rewriting a row breaks every later link.
 *
 * Version 2 (every row written since migration 0014) is HMAC-SHA256 under the audit key, which
 * lives outside the database (DATA_DIR/audit.key or AUDIT_KEY): recomputing the chain after an
 * edit needs the key. Version 1 is the earlier plain SHA-256, kept for rows written before the
 * key existed; the migration recorded the highest such row id (`audit_legacy_max_ids()`), and a
 * version 1 row above it is reported as a rewrite.
 */
export const CURRENT_CHAIN_VERSION = 2;

/** One row's place in its chain, as stored. */
export interface ChainLink {
  id: number;
  seq: number;
  prevHash: string | null;
  hash: string;
  chainVersion: number;
}

/** The columns of one event that its hash covers, whichever trail it belongs to. */
export interface ChainedContent {
  seq: number;
  type: string;
  fromState: string | null;
  toState: string;
  actorUserId: number | null;
  actor: string;
  at: Date;
  payload: Record<string, unknown>;
}

/**
 * What can be wrong with an owner (a ticket, a written feedback) and its trail:
 * - hash_mismatch: a row's content does not match its hash (changed after it was written);
 * - prev_hash_mismatch: a row does not link to the row before it (that one was changed or replaced);
 * - seq_gap: rows are missing before this one;
 * - unkeyed: a row written after the key exists is not keyed (rewritten without the key);
 * - events_missing: the owner records more events than its trail holds (the last ones, or all, deleted);
 * - tail_mismatch: the trail's last event is not the one the owner records (another last hash, or more events);
 * - state_mismatch: the owner's state is not the state its last event led to (changed without an event).
 */
export const trailProblems = ['hash_mismatch', 'prev_hash_mismatch', 'seq_gap', 'unkeyed', 'events_missing', 'tail_mismatch', 'state_mismatch'] as const;
export type TrailProblem = (typeof trailProblems)[number];
export type ChainProblem = Extract<TrailProblem, 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'unkeyed'>;

/** JSON with object keys sorted at every depth, so jsonb's own key order cannot change a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    // Plain string sort is the code-unit order the comparison of keys wants.
    const keys = Object.keys(object).sort();
    let out = '{';
    for (const key of keys) {
      const v = object[key];
      if (v === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The key's length, in bytes, of a generated key and the least a given one must have. */
export const AUDIT_KEY_BYTES = 32;

const CHAINED_FIELDS = ['seq', 'type', 'fromState', 'toState', 'actorUserId', 'actor', 'at', 'payload'] as const;
type ChainedField = (typeof CHAINED_FIELDS)[number];
const chainedFields: ReadonlySet<string> = new Set(CHAINED_FIELDS);
type Layout = readonly { name: string; json: string; fromOwner: boolean }[];
const layouts = new Map<string, Layout>();

/** The hashed keys in canonicalJson's order for an owner with these keys (a field wins over an owner key of its name). */
function layoutOf(owner: Record<string, number>): Layout {
  const ownerKeys = Object.keys(owner);
  const signature = ownerKeys.join('\u0000');
  let layout = layouts.get(signature);
  if (!layout) {
    layout = [...new Set([...ownerKeys, ...CHAINED_FIELDS])].sort().map((name) => ({ name, json: JSON.stringify(name), fromOwner: !chainedFields.has(name) }));
    layouts.set(signature, layout);
  }
  return layout;
}

/**
 * `toISOString` for the events of a batch, which mostly share their moment (an import's 100,000
 * ISSUE events): the text is made again only when the moment changes.
 */
export function sharedMomentIso(): (at: Date) => string {
  let lastTime = Number.NaN;
  let lastIso = '';
  return (at) => {
    const time = at.getTime();
    if (time !== lastTime) {
      lastIso = at.toISOString();
      lastTime = time;
    }
    return lastIso;
  };
}

/**
 * The chain of both trails under one key. `owner` names the trail's owner column as it is hashed
 * (`ticketId`, `feedbackId`), so an event cannot be moved from one owner to another.
 */
export function createAuditChain(key: Buffer) {
  if (key.length < AUDIT_KEY_BYTES) throw new Error(`the audit key must have at least ${AUDIT_KEY_BYTES} bytes`);

  function digest(version: number, prevHash: string | null, content: string): string {
    const hasher = version === 1 ? createHash('sha256') : createHmac('sha256', key);
    return hasher.update(`${prevHash ?? ''}\n${content}`).digest('hex');
  }

  const isoOf = sharedMomentIso();

  /**
   * canonicalJson of the owner's keys and exactly the chained fields (a stored row also has `id`,
   * `prevHash`, `hash` and its version, which must not count), written straight from the event:
   * the keys' order is worked out once per kind of owner, not sorted again for every event.
   */
  function contentJson(owner: Record<string, number>, event: ChainedContent): string {
    let out = '{';
    for (const { name, json, fromOwner } of layoutOf(owner)) {
      const value = fromOwner ? owner[name] : name === 'at' ? isoOf(event.at) : event[name as ChainedField];
      if (value === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${json}:${canonicalJson(value)}`;
    }
    return `${out}}`;
  }

  return {
    /** The hash of a new event chained to `prevHash` (the owner's recorded tail), under the current version. */
    link(owner: Record<string, number>, prevHash: string | null, event: ChainedContent): { hash: string; chainVersion: number } {
      return { hash: digest(CURRENT_CHAIN_VERSION, prevHash, contentJson(owner, event)), chainVersion: CURRENT_CHAIN_VERSION };
    },

    /**
     * Walks one owner's events in `seq` order and reports the first break of the chain, if any.
     * `legacyMaxId`: the highest id an unkeyed (version 1) row may have.
     */
    findBreak<E extends ChainLink & ChainedContent>(owner: Record<string, number>, events: E[], legacyMaxId: number): { seq: number; problem: ChainProblem } | undefined {
      let prev: string | null = null;
      let expectedSeq = 1;
      let keyed = false;
      for (const event of events) {
        if (event.seq !== expectedSeq) return { seq: event.seq, problem: 'seq_gap' };
        if (event.prevHash !== prev) return { seq: event.seq, problem: 'prev_hash_mismatch' };
        // Unkeyed rows come only from before the key, and never after a keyed one.
        if (event.chainVersion !== CURRENT_CHAIN_VERSION && (event.chainVersion !== 1 || event.id > legacyMaxId || keyed)) return { seq: event.seq, problem: 'unkeyed' };
        if (digest(event.chainVersion, prev, contentJson(owner, event)) !== event.hash) return { seq: event.seq, problem: 'hash_mismatch' };
        keyed ||= event.chainVersion === CURRENT_CHAIN_VERSION;
        prev = event.hash;
        expectedSeq++;
      }
      return undefined;
    },

    /**
     * Everything wrong with one owner and its trail: the chain's first break, and whether the
     * trail ends where the owner says it does (its recorded seq and hash) in the state the owner is in.
     */
    check<E extends ChainLink & ChainedContent>(
      ownerKey: Record<string, number>,
      /** `initialState`: the state of an owner with no events yet; without it, an owner always has at least one event (a ticket its ISSUE). */
      owner: { state: string; auditSeq: number; auditHash: string | null; initialState?: string },
      events: E[],
      legacyMaxId: number,
    ): { seq: number | null; problem: TrailProblem }[] {
      const problems: { seq: number | null; problem: TrailProblem }[] = [];
      const chainBreak = this.findBreak(ownerKey, events, legacyMaxId);
      if (chainBreak) problems.push(chainBreak);
      const last = events.at(-1);
      const count = events.length;
      if (count < owner.auditSeq || (count === 0 && owner.initialState === undefined)) problems.push({ seq: Math.max(owner.auditSeq, 1), problem: 'events_missing' });
      else if (last && (last.seq !== owner.auditSeq || last.hash !== owner.auditHash)) problems.push({ seq: last.seq, problem: 'tail_mismatch' });
      const expectedState = last ? last.toState : owner.initialState;
      if (expectedState !== undefined && expectedState !== owner.state) problems.push({ seq: last?.seq ?? null, problem: 'state_mismatch' });
      return problems;
    },
  };
}

export type AuditChain = ReturnType<typeof createAuditChain>;
