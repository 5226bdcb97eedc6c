import type { RawValue } from './decode-table.js';

/** A decoded grid before the header is known: the row number the user sees, and its cells. */
export interface GridRow {
  row: number;
  cells: string[];
}

// Header detection looks this far; a notice puts at most a few title lines above its table.
export const MAX_HEADER_SCAN = 20;

export function isBlank(values: readonly RawValue[]): boolean {
  return values.every((v) => (Array.isArray(v) ? v.length === 0 : v.trim() === ''));
}
