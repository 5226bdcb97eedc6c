import { sql } from 'drizzle-orm';
import { createDatabase, queryRows } from '../../db/client.js';
for (const url of [undefined, 'postgres://postgres@127.0.0.1:5432/postgres']) {
  const d = await createDatabase({ databaseUrl: url, dataDir: '/tmp/scratch-param' });
  const rows = await queryRows(d.db, sql`select * from unnest(${sql.param([1, 2, null])}::int[], ${sql.param(['a"b', null, 'c\\d'])}::text[], ${sql.param([true, false, null])}::bool[], ${sql.param(['2021-04-21', null, '2021-05-01'])}::date[], ${sql.param(['{"a":1}', '{}', '[]'])}::jsonb[]) as u(a, b, c, d, e)`);
  console.log(d.kind, rows);
  const big = await queryRows(d.db, sql`select 1::bigint as x, 2::int as y`);
  console.log(big, typeof big[0]?.x);
  await d.close();
}
