import { and, asc, eq, gt, gte, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { PgSelect } from 'drizzle-orm/pg-core';
import { queryArrays, runPrepared, type PreparedStatement } from '../prepared.js';
import type { Db } from '../client.js';
import {
  findings,
  inspections,
  targets,
  tickets,
  units,
  resolvePolicy,
  type EscalationPolicy,
  type NewTicket,
  type Platform,
  type TargetKind,
  type ExtensionRequest,
  type Ticket,
  type TicketState,
} from '../schema/index.js';
import { searchCondition } from './ticket-search.js';
import { scopeCondition, scopePrefix, unitScope, type Viewer } from './scope.js';

export interface TicketProblem {
  code: string;
  label: string;
  text: string;
}

/** A ticket with what every reader of it needs: its unit, inspection, target and problems. */
export interface TicketView extends Ticket {
  unitCode: string;
  unitName: string;
  unitPath: string;
  inspection: { id: number; title: string; documentNumber: string | null; shortCode: string; issuingUnitId: number; policy: EscalationPolicy };
  target: { kind: TargetKind; platform: Platform | null; name: string; url: string | null; county: string | null };
  finding: { outstanding: boolean; lastUpdatedOn: string | null; note: string | null; problemsText: string };
  problems: TicketProblem[];
  /** Earlier tickets of the same target with one of the same problems (屡查屡犯), oldest first. */
  repeatOf: { inspection: string; number: string }[];
}

/**
 * What the sweep reads of a ticket (its escalations, reminders and digests): the machine's context,
 * the audit tail and what its email shows, without the view's finding and `repeatOf`, which no
 * email prints. The tickets of one inspection share one `inspection` object.
 */
export type SweepView = Pick<
  TicketView,
  | 'id'
  | 'number'
  | 'inspectionId'
  | 'unitId'
  | 'state'
  | 'dueAt'
  | 'dueProvisional'
  | 'escalationLevel'
  | 'rejections'
  | 'extensionRequest'
  | 'extensionsGranted'
  | 'version'
  | 'nextActionAt'
  | 'rectifiedAt'
  | 'auditSeq'
  | 'auditHash'
  | 'unitCode'
  | 'unitName'
  | 'inspection'
  | 'target'
  | 'problems'
>;

// One row of findSweepViews, its columns in the order selected.
type SweepRow = [
  id: number,
  number: string,
  inspectionId: number,
  unitId: number,
  state: TicketState,
  dueAt: string | Date,
  dueProvisional: boolean,
  escalationLevel: number,
  rejections: number,
  extensionRequest: ExtensionRequest | string | null,
  extensionsGranted: number,
  version: number,
  nextActionAt: string | Date | null,
  rectifiedAt: string | Date | null,
  auditSeq: number,
  auditHash: string | null,
  unitCode: string,
  unitName: string,
  targetKind: TargetKind,
  targetPlatform: Platform | null,
  targetName: string,
  targetUrl: string | null,
  targetCounty: string | null,
  problems: TicketProblem[] | string,
];

// PGlite and node-postgres differ in what a json column and a timestamptz in a raw row come back as.
const asDate = (value: string | Date) => (value instanceof Date ? value : new Date(value));
const asJson = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

export interface TicketFilters {
  state?: TicketState[];
  unitCode?: string;
  inspectionId?: number;
  overdue?: boolean;
  escalated?: boolean;
  /** Exactly this escalation level (0: none, 1 催办, 2 督办, 3 通报). */
  level?: number;
  /** true: only tickets with an extension request awaiting a decision (申请延期); false: only those without. */
  extensionRequested?: boolean;
  q?: string;
}

export const overdueStates: TicketState[] = ['issued', 'acknowledged'];

/** The columns every accepted event sets; `persist` of many events writes exactly these with the tails. */
export type TicketChange = Required<Pick<NewTicket, 'state' | 'version' | 'updatedAt' | 'unitId' | 'dueAt' | 'escalationLevel' | 'rejections' | 'nextActionAt'>>;
export const ticketChangeColumns: ReadonlySet<string> = new Set<string>(['state', 'version', 'updatedAt', 'unitId', 'dueAt', 'escalationLevel', 'rejections', 'nextActionAt']);

/** The unit ids of a subtree as one array (one row to decode instead of one per unit), planned once per connection. */
const scopeIdsStatement: PreparedStatement = {
  name: 'tickets_scope_unit_ids',
  text: `select array_agg(id order by id) as ids from units where path like $1`,
};

// At most this many ordered walks merged for one list page (units of the viewer's subtree × states asked for).
const MAX_WALKS = 100;

/** A ticket's problems in the notice's order, as one JSON array (shared by the views and the report). */
export const problemsOf = sql<TicketProblem[]>`coalesce((
  select json_agg(json_build_object('code', fp.problem_code, 'label', pt.label, 'text', fp.text) order by fp.position)
  from finding_problems fp join problem_types pt on pt.code = fp.problem_code
  where fp.finding_id = ${tickets.findingId}), '[]'::json)`;

/** A problem as compared between findings: its code, or for `other` also the words (a code cannot hold ':'). */
const problemKey = (alias: string) => sql.raw(`case when ${alias}.problem_code = 'other' then 'other:' || ${alias}.text else ${alias}.problem_code end`);

/**
 * Earlier findings of the ticket's target with one of its problems: the same catalogue code, or for
 * `other` the same words. "Earlier" is by issue date, then by inspection id. Correlated with the
 * enclosing query's `tickets`, `findings` (the ticket's) and `inspections` (the ticket's). The
 * target's findings come from one index-only probe of findings (target_id, id, inspection_id); the
 * ticket's own problems are read once, as keys (an InitPlan, run only when an earlier finding of
 * the target exists), instead of once per earlier finding.
 */
export const earlierSameProblem = sql`
  from findings pf
  join inspections pi on pi.id = pf.inspection_id
  join tickets pt on pt.finding_id = pf.id
  where pf.target_id = ${findings.targetId}
    and pf.id <> ${tickets.findingId}
    and (pi.issued_on, pi.id) < (${inspections.issuedOn}, ${inspections.id})
    and exists (select 1 from finding_problems a where a.finding_id = pf.id
      and ${problemKey('a')} = any(array(select ${problemKey('b')} from finding_problems b where b.finding_id = ${tickets.findingId})))`;

/** The earlier tickets of earlierSameProblem, as TICKET's `repeatOf`. */
export const repeatOfTicket = sql<{ inspection: string; number: string }[]>`coalesce((
  select json_agg(json_build_object('inspection', pi.short_code, 'number', pt.number) order by pi.issued_on, pi.id)
  ${earlierSameProblem}), '[]'::json)`;

// What a ticket's view holds of its inspection: the full view's and the sweep's.
const inspectionColumns = {
    id: inspections.id,
    title: inspections.title,
    documentNumber: inspections.documentNumber,
    shortCode: inspections.shortCode,
    issuingUnitId: inspections.issuingUnitId,
    policy: inspections.policy,
};

const viewColumns = {
  ticket: tickets,
  unitCode: units.code,
  unitName: units.name,
  unitPath: units.path,
  inspection: inspectionColumns,
  target: { kind: targets.kind, platform: targets.platform, name: targets.name, url: targets.url, county: targets.county },
  finding: { outstanding: findings.outstanding, lastUpdatedOn: findings.lastUpdatedOn, note: findings.note, problemsText: findings.problemsText },
  problems: problemsOf,
  repeatOf: repeatOfTicket,
};

/** A row of the ticket list: what its page shows of a ticket (toTicketDto), and no more. */
export type TicketListItem = Pick<
  TicketView,
  'id' | 'number' | 'state' | 'inspectionId' | 'dueAt' | 'dueProvisional' | 'escalationLevel' | 'extensionRequest' | 'rejections' | 'version' | 'unitCode' | 'unitName' | 'problems' | 'repeatOf'
> & { target: Pick<TicketView['target'], 'kind' | 'platform' | 'name'>; finding: Pick<TicketView['finding'], 'outstanding'> };

// The list's columns, already in TicketListItem's shape: a page of 50 rows is decoded, mapped and
// sent without the inspection's policy, the timestamps and texts the list does not show, and
// without flattening each view.
const itemColumns = {
  id: tickets.id,
  number: tickets.number,
  state: tickets.state,
  inspectionId: tickets.inspectionId,
  dueAt: tickets.dueAt,
  dueProvisional: tickets.dueProvisional,
  escalationLevel: tickets.escalationLevel,
  extensionRequest: tickets.extensionRequest,
  rejections: tickets.rejections,
  version: tickets.version,
  unitCode: units.code,
  unitName: units.name,
  target: { kind: targets.kind, platform: targets.platform, name: targets.name },
  finding: { outstanding: findings.outstanding },
  problems: problemsOf,
  repeatOf: repeatOfTicket,
};

type ViewRow = { ticket: Ticket } & Omit<TicketView, keyof Ticket>;
const flatten = ({ ticket, ...rest }: ViewRow): TicketView => ({ ...ticket, ...rest, inspection: { ...rest.inspection, policy: resolvePolicy(rest.inspection.policy) } });

interface ListArgs {
  viewer: Viewer;
  filters: TicketFilters;
  limit: number;
  after?: { dueAt: Date; id: number };
  now: Date;
}

export interface ListQuery<T> {
  run(): Promise<T[]>;
  toSQL(): { sql: string; params: unknown[] };
}

export function createTicketsRepository({ db }: { db: Db }) {
  // A ticket with its unit, inspection, finding and target: the full view's and the list row's joins
  // (repeatOf reads the ticket's inspection and finding).
  const joined = <Q extends PgSelect>(query: Q) =>
    query
      .innerJoin(units, eq(units.id, tickets.unitId))
      .innerJoin(inspections, eq(inspections.id, tickets.inspectionId))
      .innerJoin(findings, eq(findings.id, tickets.findingId))
      .innerJoin(targets, eq(targets.id, findings.targetId));
  const selectView = (tx: Db, columns: typeof viewColumns = viewColumns) => joined(tx.select(columns).from(tickets).$dynamic());
  const selectItems = (tx: Db) => joined(tx.select(itemColumns).from(tickets).$dynamic());

  /**
   * The viewer's subtree as unit ids (undefined for an admin, who sees everything), looked up
   * first: PostgreSQL then knows how many tickets the scope holds, and a small subtree can be
   * walked unit by unit (below) instead of guessed from a path pattern.
   */
  async function scopeIdsOf(viewer: Viewer, tx: Db): Promise<number[] | undefined> {
    const prefix = scopePrefix(viewer);
    if (prefix === undefined) return undefined;
    const [row] = await runPrepared<{ ids: number[] | null }>(scopeIdsStatement, [prefix], tx);
    return row?.ids ?? [];
  }

  /** The ids of the list's page, in its order, as a subquery (q= first asks how many tickets match). */
  async function pageIds({ viewer, filters, limit, after, now }: ListArgs, tx: Db): Promise<SQL> {
    const scopeIds = await scopeIdsOf(viewer, tx);
    const conditions: (SQL | undefined)[] = [scopeIds === undefined ? undefined : sql`${tickets.unitId} = any(${`{${scopeIds.join(',')}}`}::int[])`];
    if (filters.state?.length) conditions.push(inArray(tickets.state, filters.state));
    // On the ticket's own column, so that (unit_id, due_at, id) gives the page in order.
    if (filters.unitCode) conditions.push(sql`${tickets.unitId} = (select u.id from units u where u.code = ${filters.unitCode})`);
    if (filters.inspectionId !== undefined) conditions.push(eq(tickets.inspectionId, filters.inspectionId));
    if (filters.overdue !== undefined) {
      const overdue = and(inArray(tickets.state, overdueStates), lt(tickets.dueAt, now));
      conditions.push(filters.overdue ? overdue : sql`not (${overdue})`);
    }
    if (filters.escalated !== undefined) {
      conditions.push(filters.escalated ? gt(tickets.escalationLevel, 0) : eq(tickets.escalationLevel, 0));
    }
    if (filters.level !== undefined) conditions.push(eq(tickets.escalationLevel, filters.level));
    if (filters.extensionRequested !== undefined) {
      const pending = sql`jsonb_typeof(${tickets.extensionRequest}) = 'object'`;
      conditions.push(filters.extensionRequested ? pending : sql`not coalesce(${pending}, false)`);
    }
    if (filters.q) conditions.push(await searchCondition(filters.q, tx));
    if (after) {
      // A row comparison, which an index on (due_at, id) can seek to; the equivalent OR of two
      // conditions makes PostgreSQL walk past every earlier row instead.
      conditions.push(sql`(${tickets.dueAt}, ${tickets.id}) > (${after.dueAt.toISOString()}::timestamptz, ${after.id}::int)`);
    }
    // The page's ids first, from tickets alone: every condition above is on columns of
    // tickets_list_idx (due_at, id, unit_id, state, escalation_level, inspection_id, finding_id,
    // number), so PostgreSQL walks that index in the list's order, tests each entry without reading
    // the table, and stops at the limit. Only the page's rows are then joined into the view.
    const walk = (extra?: SQL) =>
      sql`select ${tickets.id}, ${tickets.dueAt} from ${tickets} where ${and(...conditions, extra) ?? sql`true`} order by ${tickets.dueAt}, ${tickets.id} limit ${limit}`;
    // One walk per unit of a small subtree and per state of several: each reads (unit_id, state,
    // due_at, id) or (unit_id, due_at, id) from its start up to the limit, an empty one after one
    // probe, and the page is the first `limit` of them all. One walk over the whole order would pass
    // every ticket of the other units and states first, and PostgreSQL cannot keep an index's order
    // across the values of an IN list. The walks are one LATERAL subquery over the arrays of units
    // and states, planned once: as a UNION ALL of one subquery each, PostgreSQL planned every branch
    // on every request, and a county's 35 units × 2 states cost more to plan than to run.
    const states = filters.state && filters.state.length > 1 ? filters.state : undefined;
    const unitIds = scopeIds && scopeIds.length * (states?.length ?? 1) <= MAX_WALKS ? scopeIds : undefined;
    if (unitIds === undefined && states === undefined) return sql`select w.id from (${walk()}) w`;
    const sources: SQL[] = [];
    if (unitIds) sources.push(sql`unnest(${`{${unitIds.join(',')}}`}::int[]) as wu(unit_id)`);
    if (states) sources.push(sql`unnest(${`{${states.join(',')}}`}::text[]) as ws(state)`);
    const perWalk = and(unitIds ? sql`${tickets.unitId} = wu.unit_id` : undefined, states ? sql`${tickets.state} = ws.state` : undefined);
    return sql`select p.id from ${sql.join(sources, sql`, `)}, lateral (${walk(perWalk)}) p order by p.due_at, p.id limit ${limit}`;
  }

  /** GET /api/tickets's statement, not yet run: `listItems` runs it, the bench EXPLAINs it. */
  async function listQuery(args: ListArgs, tx: Db = db): Promise<ListQuery<TicketListItem>> {
    const query = selectItems(tx)
      .where(sql`${tickets.id} in (${await pageIds(args, tx)})`)
      .orderBy(asc(tickets.dueAt), asc(tickets.id));
    return { run: () => query, toSQL: () => query.toSQL() };
  }

  const byId = eq(tickets.id, sql.placeholder('id'));
  const inScope = scopeCondition(tickets.unitId, sql.placeholder('scope'));
  const lockBuilders = {
    lockView: (tx: Db) => selectView(tx).where(byId).for('update', { of: tickets }).prepare('tickets_lock_view'),
    lockViewInScope: (tx: Db) => selectView(tx).where(and(byId, inScope)).for('update', { of: tickets }).prepare('tickets_lock_view_in_scope'),
    lock: (tx: Db) => tx.select({ id: tickets.id }).from(tickets).where(byId).for('update').prepare('tickets_lock'),
    view: (tx: Db) => selectView(tx).where(byId).prepare('tickets_view'),
    viewInScope: (tx: Db) => selectView(tx).where(and(byId, inScope)).prepare('tickets_view_in_scope'),
  };
  type LockStatements = { [K in keyof typeof lockBuilders]: ReturnType<(typeof lockBuilders)[K]> };
  // drizzle binds a prepared query to the connection of the handle it was built on, so the built
  // queries are kept per pooled connection (a transaction's handle is new each time, its connection
  // is not): the five-table join is built a few times, not once per event. On PGlite every
  // transaction has a connection object of its own, so there each is built when first used in it.
  const keptOn = new WeakMap<object, Partial<LockStatements>>();
  function lockStatement<K extends keyof LockStatements>(key: K, tx: Db): LockStatements[K] {
    const connection = (tx._.session as unknown as { client?: unknown }).client;
    if (typeof connection !== 'object' || connection === null) return lockBuilders[key](tx) as LockStatements[K];
    let kept = keptOn.get(connection);
    if (!kept) keptOn.set(connection, (kept = {}));
    const found = kept[key] ?? (lockBuilders[key](tx) as LockStatements[K]);
    kept[key] = found;
    return found;
  }

  return {
    /** One ticket as the viewer may see it; undefined when it does not exist or lies outside the viewer's scope. */
    async findView({ id, viewer }: { id: number; viewer?: Viewer }, tx: Db = db): Promise<TicketView | undefined> {
      const [row] = await selectView(tx)
        .where(and(eq(tickets.id, id), viewer ? unitScope(viewer, tickets.unitId) : undefined))
        .limit(1);
      return row ? flatten(row) : undefined;
    },

    /**
     * findView that also takes the ticket's row lock for the rest of the transaction: concurrent
     * events on it queue here, then read the row as the winner left it.
     *
     * One statement locks and reads the joined view. When it finds nothing, the lock is taken on the
     * ticket alone and the view read after it: waiting behind a winner that moved the ticket to
     * another unit, PostgreSQL re-checks the new row against the unit row it read before waiting,
     * the join no longer matches, and the ticket would seem gone (404 instead of 409). Out of scope,
     * the caller's transaction ends with the 404 and lets go of the lock.
     */
    async lockView({ id, viewer }: { id: number; viewer?: Viewer }, tx: Db): Promise<TicketView | undefined> {
      // Named prepared statements: planning the five-table join costs PostgreSQL several times what
      // running it does, and every ticket event starts here. Each pooled connection plans them a
      // few times, then keeps a generic plan; the built statements are kept per connection too.
      const scope = viewer ? scopePrefix(viewer) : undefined;
      const params = scope === undefined ? { id } : { id, scope };
      const [row] = await (scope === undefined ? lockStatement('lockView', tx) : lockStatement('lockViewInScope', tx)).execute(params);
      if (row) return flatten(row);
      const [locked] = await lockStatement('lock', tx).execute({ id });
      if (!locked) return undefined;
      const [view] = await (scope === undefined ? lockStatement('view', tx) : lockStatement('viewInScope', tx)).execute(params);
      return view ? flatten(view) : undefined;
    },

    /**
     * `repeats: false` leaves `repeatOf` empty rather than searching every ticket's earlier
     * inspections, for readers that do not show it (the sweep's escalation emails).
     */
    async findViews({ ids, repeats = true }: { ids: number[]; repeats?: boolean }, tx: Db = db): Promise<TicketView[]> {
      if (ids.length === 0) return [];
      const query = repeats ? selectView(tx) : selectView(tx, { ...viewColumns, repeatOf: sql<{ inspection: string; number: string }[]>`'[]'::json` });
      const rows = await query.where(sql`${tickets.id} = any(${sql.param(ids)}::int[])`).orderBy(asc(tickets.id));
      return rows.map(flatten);
    },

    /**
     * The tickets as the sweep needs them (SweepView), in id order: one statement for the tickets
     * with their unit, target and problems as plain rows, one for their inspections, each read once.
     */
    async findSweepViews({ ids }: { ids: readonly number[] }, tx: Db): Promise<SweepView[]> {
      if (ids.length === 0) return [];
      const rows = await queryArrays<SweepRow>(
        sql`select ${tickets.id}, ${tickets.number}, ${tickets.inspectionId}, ${tickets.unitId}, ${tickets.state}, ${tickets.dueAt}, ${tickets.dueProvisional},
                   ${tickets.escalationLevel}, ${tickets.rejections}, ${tickets.extensionRequest}, ${tickets.extensionsGranted}, ${tickets.version},
                   ${tickets.nextActionAt}, ${tickets.rectifiedAt}, ${tickets.auditSeq}, ${tickets.auditHash}, ${units.code}, ${units.name},
                   ${targets.kind}, ${targets.platform}, ${targets.name}, ${targets.url}, ${targets.county}, ${problemsOf}
            from ${tickets}
            join ${units} on ${units.id} = ${tickets.unitId}
            join ${findings} on ${findings.id} = ${tickets.findingId}
            join ${targets} on ${targets.id} = ${findings.targetId}
            where ${tickets.id} = any(${sql.param([...ids])}::int[])
            order by ${tickets.id}`,
        tx,
      );
      const inspectionIds = [...new Set(rows.map((row) => Number(row[2])))];
      const inspectionOf = new Map<number, TicketView['inspection']>();
      if (inspectionIds.length > 0) {
        const found = await tx
          .select(inspectionColumns)
          .from(inspections)
          .where(inArray(inspections.id, inspectionIds));
        for (const inspection of found) inspectionOf.set(inspection.id, { ...inspection, policy: resolvePolicy(inspection.policy) });
      }
      return rows.map(([id, number, inspectionId, unitId, state, dueAt, dueProvisional, escalationLevel, rejections, extensionRequest, extensionsGranted, version, nextActionAt, rectifiedAt, auditSeq, auditHash, unitCode, unitName, kind, platform, name, url, county, problems]) => {
        const inspection = inspectionOf.get(Number(inspectionId));
        if (!inspection) throw new Error(`ticket ${id}: its inspection ${inspectionId} is missing`);
        return {
          id: Number(id),
          number,
          inspectionId: Number(inspectionId),
          unitId: Number(unitId),
          state,
          dueAt: asDate(dueAt),
          dueProvisional,
          escalationLevel: Number(escalationLevel),
          rejections: Number(rejections),
          extensionRequest: extensionRequest === null ? null : asJson(extensionRequest),
          extensionsGranted: Number(extensionsGranted),
          version: Number(version),
          nextActionAt: nextActionAt === null ? null : asDate(nextActionAt),
          rectifiedAt: rectifiedAt === null ? null : asDate(rectifiedAt),
          auditSeq: Number(auditSeq),
          auditHash,
          unitCode,
          unitName,
          inspection,
          // In the views' key order: the email's data stores the target as it is.
          target: { kind, platform, name, url, county },
          problems: asJson(problems),
        };
      });
    },

    /** Takes the ticket's row lock for the rest of the transaction; concurrent events on it queue here. */
    async lock({ id }: { id: number }, tx: Db): Promise<Ticket | undefined> {
      const [row] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
      return row;
    },

    async update({ id, values }: { id: number; values: Partial<NewTicket> }, tx: Db): Promise<Ticket> {
      const [row] = await tx.update(tickets).set(values).where(eq(tickets.id, id)).returning();
      if (!row) throw new Error(`ticket ${id} vanished during update`);
      return row;
    },

    /**
     * Tickets of an inspection in the viewer's scope at escalation level `minLevel` or above (通报),
     * not withdrawn, with the moment each last reached that level; longest there first.
     */
    async listBulletinCandidates(
      { inspectionId, viewer, minLevel }: { inspectionId: number; viewer: Viewer; minLevel: number },
      tx: Db = db,
    ): Promise<(TicketView & { since: Date | null })[]> {
      const since = sql<string | null>`(select max(e.at) from ticket_events e
        where e.ticket_id = ${tickets.id} and e.type = 'ESCALATE' and (e.payload->>'level')::int >= ${minLevel})`;
      const rows = await tx
        .select({ ...viewColumns, since })
        .from(tickets)
        .innerJoin(units, eq(units.id, tickets.unitId))
        .innerJoin(inspections, eq(inspections.id, tickets.inspectionId))
        .innerJoin(findings, eq(findings.id, tickets.findingId))
        .innerJoin(targets, eq(targets.id, findings.targetId))
        .where(and(unitScope(viewer, tickets.unitId), eq(tickets.inspectionId, inspectionId), gte(tickets.escalationLevel, minLevel), ne(tickets.state, 'withdrawn')))
        .orderBy(asc(tickets.dueAt), asc(tickets.id));
      return rows.map(({ since: at, ...row }) => ({ ...flatten(row), since: at === null ? null : new Date(at) }));
    },

    /** The list's page as full views, for readers that need more than a list row. */
    async list(args: ListArgs, tx: Db = db): Promise<TicketView[]> {
      const rows = await selectView(tx)
        .where(sql`${tickets.id} in (${await pageIds(args, tx)})`)
        .orderBy(asc(tickets.dueAt), asc(tickets.id));
      return rows.map(flatten);
    },

    /** The list's page as list rows (GET /api/tickets). */
    async listItems(args: ListArgs, tx: Db = db): Promise<TicketListItem[]> {
      return (await listQuery(args, tx)).run();
    },

    listQuery,
  };
}

export type TicketsRepository = ReturnType<typeof createTicketsRepository>;
