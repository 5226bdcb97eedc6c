import { sql, type SQL } from 'drizzle-orm';

/**
 * One column of a batch as a single array parameter, for `… FROM unnest($1::int[], $2::text[], …)`:
 * a parameter per column instead of one per value, so a batch's size never meets PostgreSQL's
 * limit of 65,535 parameters and the statement text stays the same for every batch.
 */
export function unnestColumn<T>(rows: readonly T[], value: (row: T) => string | number | boolean | null): SQL {
  return sql`${sql.param(rows.map(value))}`;
}
