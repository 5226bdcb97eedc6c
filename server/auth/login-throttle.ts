/**
 * Failed sign-ins, counted per (username, address) and per address, each with delays that grow
 * once its free failures are spent. Never per username alone: then anyone could lock a user out
 * by guessing its password from elsewhere. Kept in memory: each server instance counts on its own.
 */
export interface LoginThrottleOptions {
  /** Failures of one username from one address before delays begin; an address alone gets three times as many. */
  freeFailures: number;
  now: () => Date;
}

export interface LoginThrottle {
  /** Seconds to wait before this attempt may be checked; 0 when it may go ahead. */
  waitSeconds(attempt: { username: string; address: string }): number;
  failed(attempt: { username: string; address: string }): void;
  succeeded(attempt: { username: string; address: string }): void;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
}

const FIRST_DELAY_MS = 60_000;
const MAX_DELAY_MS = 60 * 60_000;
/** A count is forgotten this long after its delay (if any) has run out with no new failure. */
const FORGET_AFTER_MS = 15 * 60_000;
/** Enough for any real use; bounded so that a flood of made-up names cannot exhaust memory. */
const MAX_ENTRIES = 100_000;

export function createLoginThrottle({ freeFailures, now }: LoginThrottleOptions): LoginThrottle {
  const entries = new Map<string, Entry>();
  const budgets = [
    { key: (a: { username: string; address: string }) => `user\u0000${a.username.toLowerCase()}\u0000${a.address}`, free: freeFailures },
    { key: (a: { address: string }) => `addr\u0000${a.address}`, free: freeFailures * 3 },
  ];

  // 1 minute after the free failures, doubling with each further failure, up to an hour.
  const delayOf = (entry: Entry, free: number) =>
    entry.failures < free ? 0 : Math.min(FIRST_DELAY_MS * 2 ** (entry.failures - free), MAX_DELAY_MS);

  function live(key: string, free: number, at: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry && at > entry.lastFailureAt + delayOf(entry, free) + FORGET_AFTER_MS) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function prune(at: number) {
    for (const [key, entry] of entries) {
      const free = key.startsWith('addr') ? freeFailures * 3 : freeFailures;
      if (at > entry.lastFailureAt + delayOf(entry, free) + FORGET_AFTER_MS) entries.delete(key);
    }
    // Still full: drop the oldest counts (a Map iterates in insertion order).
    for (const key of entries.keys()) {
      if (entries.size < MAX_ENTRIES) break;
      entries.delete(key);
    }
  }

  return {
    waitSeconds(attempt) {
      const at = now().getTime();
      let wait = 0;
      for (const budget of budgets) {
        const entry = live(budget.key(attempt), budget.free, at);
        if (entry) wait = Math.max(wait, entry.lastFailureAt + delayOf(entry, budget.free) - at);
      }
      return wait > 0 ? Math.ceil(wait / 1000) : 0;
    },
    failed(attempt) {
      const at = now().getTime();
      if (entries.size >= MAX_ENTRIES) prune(at);
      for (const budget of budgets) {
        const key = budget.key(attempt);
        const entry = live(key, budget.free, at) ?? { failures: 0, lastFailureAt: at };
        entries.delete(key);
        entries.set(key, { failures: entry.failures + 1, lastFailureAt: at });
      }
    },
    succeeded(attempt) {
      // Only the pair's count: a success must not wipe the address's count, or an attacker holding
      // one account could reset it between guesses at others.
      entries.delete(budgets[0]?.key(attempt) ?? '');
    },
  };
}
