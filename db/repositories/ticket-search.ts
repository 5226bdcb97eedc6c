import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { tickets } from '../schema/index.js';

/**
 * Below this many matching tickets the list fetches every match and sorts them; from it on it walks
 * the list's (due time, id) order and keeps the rows that match. Fetching costs a few index probes
 * per match, walking one probe per row passed over (about 51 × tickets / matches per page): at a
 * million tickets the two meet near a few thousand matches.
 */
export const SEARCH_WALK_FROM = 2_000;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The ids of the tickets whose number, target name or unit name contains the pattern, each found
 * through its own index; `byNumber` adds a column telling the number's matches from the others.
 */
const matchingIds = (pattern: string, byNumber = false) => {
  const tag = (value: boolean) => (byNumber ? sql.raw(`, ${value} as by_number`) : sql``);
  return sql`
  select t.id${tag(true)} from tickets t where t.number ilike ${pattern}
  union all select t.id${tag(false)} from targets g join findings f on f.target_id = g.id join tickets t on t.finding_id = f.id where g.name ilike ${pattern}
  union all select t.id${tag(false)} from units u join tickets t on t.unit_id = u.id where u.name ilike ${pattern}`;
};

/**
 * The list's q= condition: any part of the ticket number, the target's name or the unit's name,
 * `%` and `_` taken literally. A few matches are fetched by id; many are tested row by row while
 * the list walks its order (the number, or the ids of the few tickets whose number matches; hashed
 * sets of the matching units and targets),
 * so a page reads about as many rows as it passes over instead of every match. The condition is on
 * `tickets` alone.
 */
export async function searchCondition(q: string, tx: Db): Promise<SQL> {
  const pattern = `%${escapeLike(q)}%`;
  // UNION ALL and a LIMIT: the count stops at the threshold instead of collecting every match.
  // The number's matches come first (a plain Append runs its arms in order), so below the
  // threshold they are all counted.
  const [counted] = await tx
    .select({ n: sql<number>`count(*)::int`, numbers: sql<number>`(count(*) filter (where c.by_number))::int` })
    .from(sql`(select m.by_number from (${matchingIds(pattern, true)}) m limit ${SEARCH_WALK_FROM}) c`);
  const many = (counted?.n ?? 0) >= SEARCH_WALK_FROM;
  if (!many) {
    return sql`${tickets.id} in (${matchingIds(pattern)})`;
  }
  // Tested on columns of tickets_list_idx, without reading the table: the number, the unit, and the
  // finding among those of the matching targets (a hashed set, from findings (target_id, …)). The
  // targets' ids come first, as one array: written as a join, the planner costed the findings high
  // enough to start a parallel worker for them, which made the page four times slower. Fewer
  // tickets than the threshold whose number matches are a hashed set of ids too (from the number's
  // trigram index): an ILIKE on every walked entry cost about half of a page that passed 30,000.
  const number =
    (counted?.numbers ?? 0) < SEARCH_WALK_FROM
      ? sql`${tickets.id} in (select t.id from tickets t where t.number ilike ${pattern})`
      : sql`${tickets.number} ilike ${pattern}`;
  return sql`(${number}
    or ${tickets.unitId} in (select u.id from units u where u.name ilike ${pattern})
    or ${tickets.findingId} in (select f.id from findings f where f.target_id = any (array(select g.id from targets g where g.name ilike ${pattern}))))`;
}
