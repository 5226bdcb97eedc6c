import { sql, type SQL } from 'drizzle-orm';

/**
 * One column of a batch as a single array parameter, for `… FROM unnest($1::int[], $2::text[], …)`:
 * a parameter per column instead of one per value, so a batch's size never meets PostgreSQL's
 * limit of 65,535 parameters and the statement text stays the same for every batch.
 */
export function unnestColumn<T>(rows: readonly T[], value: (row: T) => string | number | boolean | null): SQL {
  return sql`${sql.param(rows.map(value))}`;
}

/** The element types the batches' columns are cast to. */
export type UnnestType = 'int' | 'bigint' | 'smallint' | 'text' | 'timestamptz' | 'boolean';

/**
 * unnestColumn with its cast (`…::int[]`): when every row has the same value (a batch's event
 * type, actor and moment, its emails' kind), that value is sent once and PostgreSQL repeats it
 * (array_fill), instead of the driver writing it into the array text for every row.
 */
export function unnestArray<T>(rows: readonly T[], value: (row: T) => string | number | boolean | null, type: UnnestType): SQL {
  const values = rows.map(value);
  const cast = sql.raw(type);
  const [first] = values;
  if (values.length > 1 && values.every((v) => v === first)) return sql`array_fill(${first ?? null}::${cast}, array[${values.length}::int])`;
  return sql`${sql.param(values)}::${cast}[]`;
}
