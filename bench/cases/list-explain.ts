import type { TicketFilters, TicketsRepository } from '../../db/repositories/tickets.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { TicketState } from '../../db/schema/index.js';
import type { RawSql } from '../bench-database.js';
import type { Session } from './list.case.js';

/** What EXPLAIN (ANALYZE, BUFFERS) says of one page of one filter set. */
export interface PageExplain {
  page: number;
  ms: number;
  /** Rows every plan node produced or filtered out, summed: what the page read, not what it returned. */
  rowsExamined: number;
  sharedHit: number;
  sharedRead: number;
  /** One line per plan node, indented by depth: node, relation or index, rows, rows removed. */
  plan: string[];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Rows Removed by Join Filter'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Subplan Name'?: string;
  Plans?: PlanNode[];
}

/** The route's filters from the session's query string (as tickets.routes.ts reads them). */
export function filtersOf(query: Record<string, string>): TicketFilters {
  return {
    ...(query.state ? { state: query.state.split(',') as TicketState[] } : {}),
    ...(query.unit ? { unitCode: query.unit } : {}),
    ...(query.inspection ? { inspectionId: Number(query.inspection) } : {}),
    ...(query.overdue ? { overdue: query.overdue === 'true' } : {}),
    ...(query.escalated ? { escalated: query.escalated === 'true' } : {}),
    ...(query.q ? { q: query.q } : {}),
  };
}

function summarise(root: PlanNode, ms: number, page: number): PageExplain {
  const plan: string[] = [];
  let rowsExamined = 0;
  const walk = (node: PlanNode, depth: number) => {
    const loops = node['Actual Loops'] ?? 1;
    const rows = (node['Actual Rows'] ?? 0) * loops;
    const removed = (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0) + (node['Rows Removed by Join Filter'] ?? 0);
    rowsExamined += rows + removed;
    const on = node['Index Name'] ?? node['Relation Name'];
    const name = `${node['Subplan Name'] ? `${node['Subplan Name']}: ` : ''}${node['Node Type']}${on ? ` ${on}` : ''}`;
    plan.push(`${'  '.repeat(depth)}${name} rows=${rows}${loops > 1 ? ` loops=${loops}` : ''}${removed ? ` removed=${removed}` : ''}`);
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(root, 0);
  return { page, ms, rowsExamined, sharedHit: root['Shared Hit Blocks'] ?? 0, sharedRead: root['Shared Read Blocks'] ?? 0, plan };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the product's own list statement for each filter set: its first
 * page and its page `pagesDeep` (the cursor followed there through the repository), so the
 * output shows which index each set walks and how much it reads for the rows it returns.
 */
export async function explainList(
  raw: RawSql,
  { tickets, viewerOf, sessions, pagesDeep, limit, now }: {
    tickets: Pick<TicketsRepository, 'listQuery'>;
    viewerOf: (username: string) => Promise<Viewer>;
    sessions: Session[];
    pagesDeep: number;
    limit: number;
    now: Date;
  },
): Promise<{ session: string; pages: PageExplain[] }[]> {
  const out: { session: string; pages: PageExplain[] }[] = [];
  for (const session of sessions) {
    const viewer = await viewerOf(session.username);
    const filters = filtersOf(session.filters);
    // Follow the cursor through the repository first, then EXPLAIN the first page and the deepest one reached.
    const cursors: ({ dueAt: Date; id: number } | undefined)[] = [undefined];
    while (cursors.length < pagesDeep) {
      const after = cursors[cursors.length - 1];
      const rows = await (await tickets.listQuery({ viewer, filters, limit: limit + 1, now, ...(after ? { after } : {}) })).run();
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      if (!last) break;
      cursors.push({ dueAt: last.dueAt, id: last.id });
    }
    const pages: PageExplain[] = [];
    for (const page of new Set([1, cursors.length])) {
      const after = cursors[page - 1];
      const { sql, params } = (await tickets.listQuery({ viewer, filters, limit: limit + 1, now, ...(after ? { after } : {}) })).toSQL();
      const [row] = await raw.query<{ 'QUERY PLAN': { Plan: PlanNode; 'Execution Time': number }[] }>(`explain (analyze, buffers, format json) ${sql}`, params);
      const result = row?.['QUERY PLAN'][0];
      if (result) pages.push(summarise(result.Plan, result['Execution Time'], page));
    }
    out.push({ session: session.label, pages });
  }
  return out;
}
