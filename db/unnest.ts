import { sql, type SQL } from 'drizzle-orm';

type Scalar = string | number | boolean | null;

// Quoting and backslashes are needed only for these; most values have none.
const SPECIAL = /["\\]/;
const quoted = (text: string) => `"${SPECIAL.test(text) ? text.replace(/["\\]/g, '\\$&') : text}"`;

/**
 * PostgreSQL's array literal of the values (`{1,NULL,"a b"}`), strings always quoted. The driver
 * would build the same text, element by element through string concatenation and two replaces
 * each; an import's columns of 100,000 values made that a large part of its CPU and garbage.
 */
export function arrayLiteral(values: readonly Scalar[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? null;
    parts[i] = value === null ? 'NULL' : typeof value === 'string' ? quoted(value) : String(value);
  }
  return `{${parts.join(',')}}`;
}

/**
 * One column of a batch as a single array parameter, for `… FROM unnest($1::int[], $2::text[], …)`:
 * a parameter per column instead of one per value, so a batch's size never meets PostgreSQL's
 * limit of 65,535 parameters and the statement text stays the same for every batch. The parameter
 * is the array's literal text; the statement's cast (`::int[]`) reads it.
 */
export function unnestColumn<T>(rows: readonly T[], value: (row: T) => Scalar): SQL {
  return sql`${sql.param(arrayLiteral(rows.map(value)))}`;
}

/**
 * JSON texts as one JSON array (`[a,b,…]`), for `json_array_elements($1::json)` beside an
 * unnest in `ROWS FROM`: the texts go as they are, without the quoting and backslashes an array
 * literal would add to every quote of every document, and PostgreSQL reads them without undoing it.
 */
export function jsonColumn<T>(rows: readonly T[], json: (row: T) => string): SQL {
  return sql`${sql.param(`[${rows.map(json).join(',')}]`)}`;
}

/** The element types the batches' columns are cast to. */
export type UnnestType = 'int' | 'bigint' | 'smallint' | 'text' | 'timestamptz' | 'boolean';

/**
 * unnestColumn with its cast (`…::int[]`): when every row has the same value (a batch's event
 * type, actor and moment, its emails' kind), that value is sent once and PostgreSQL repeats it
 * (array_fill), instead of the driver writing it into the array text for every row.
 */
export function unnestArray<T>(rows: readonly T[], value: (row: T) => Scalar, type: UnnestType): SQL {
  const values = rows.map(value);
  const cast = sql.raw(type);
  const [first] = values;
  if (values.length > 1 && values.every((v) => v === first)) return sql`array_fill(${first ?? null}::${cast}, array[${values.length}::int])`;
  return sql`${sql.param(arrayLiteral(values))}::${cast}[]`;
}
