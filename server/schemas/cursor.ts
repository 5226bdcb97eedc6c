import { badRequest } from '../../core/errors.js';

/** Opaque keyset cursors: base64url JSON tagged with the list they belong to. */
export function encodeCursor(list: string, key: unknown): string {
  return Buffer.from(JSON.stringify({ l: list, k: key })).toString('base64url');
}

export function decodeCursor<T>(cursor: string, list: string, read: (key: unknown) => T | undefined): T {
  let parsed: { l?: unknown; k?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { l?: unknown; k?: unknown };
  } catch {
    parsed = undefined;
  }
  // Cursors come back from clients: keys only as the database can take them (no NUL in text).
  const key = parsed?.l === list && !JSON.stringify(parsed.k ?? null).includes('\\u0000') ? read(parsed.k) : undefined;
  if (key === undefined) {
    throw badRequest('request.invalid_cursor', '分页游标无效，请从第一页重新开始。', {
      errors: [{ field: 'querystring.cursor', value: cursor, message: '分页游标无效' }],
    });
  }
  return key;
}

const MAX_ID = 2_147_483_647;
/** An id key as the database stores them (integer, 32 bits). */
export function readIdCursor(key: unknown): number | undefined {
  return Number.isInteger(key) && (key as number) >= 0 && (key as number) <= MAX_ID ? (key as number) : undefined;
}

/** A text key (a unit code, a username). */
export function readTextCursor(key: unknown): string | undefined {
  return typeof key === 'string' && key.length <= 1_000 ? key : undefined;
}

// timestamptz covers 4713 BC to 294276 AD; dates outside years 1–9999 are nobody's cursor.
const validInstant = (date: Date) => !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;

/** Rows were fetched with `limit + 1`: the extra row only says that there is a next page. */
export function pageOf<T, D>(rows: T[], limit: number, list: string, keyOf: (row: T) => unknown, toDto: (row: T) => D) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toDto), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(list, keyOf(last)) : null };
}

/** The key of lists ordered by due time then id: `[dueAt ISO, id]`. */
export function readDueCursor(key: unknown): { dueAt: Date; id: number } | undefined {
  if (!Array.isArray(key) || key.length !== 2) return undefined;
  const [due, id] = key as unknown[];
  const dueAt = typeof due === 'string' ? new Date(due) : undefined;
  const validId = readIdCursor(id);
  return dueAt && validInstant(dueAt) && validId !== undefined ? { dueAt, id: validId } : undefined;
}
