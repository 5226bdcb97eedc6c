import { badRequest } from '../errors.js';

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
  const key = parsed?.l === list ? read(parsed.k) : undefined;
  if (key === undefined) {
    throw badRequest('request.invalid_cursor', '分页游标无效，请从第一页重新开始。', {
      errors: [{ field: 'querystring.cursor', value: cursor, message: '分页游标无效' }],
    });
  }
  return key;
}

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
  return dueAt && !Number.isNaN(dueAt.getTime()) && Number.isInteger(id) ? { dueAt, id: id as number } : undefined;
}
