import { sql } from 'drizzle-orm';
import { pipelineStatements } from '../pipeline.js';
import { unnestColumn } from '../unnest.js';
import { queryRows, type Db } from '../client.js';
import { findingProblems, findings, problemTypes, targets, tickets, units, type Platform, type TargetKind } from '../schema/index.js';

// Rows per statement: each column is one array parameter (unnest), so this bounds only a statement's size.
const CHUNK = 2000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface TargetToStore {
  kind: TargetKind;
  platform: Platform | null;
  name: string;
  url: string | null;
  unitId: number;
  county: string | null;
}

export interface StoredTarget {
  id: number;
  kind: string;
  platform: string | null;
  name: string;
  unitId: number | null;
  url: string | null;
  county: string | null;
}

export interface FindingToStore {
  targetId: number;
  unitId: number;
  outstanding: boolean;
  lastUpdatedOn: string | null;
  note: string | null;
  problemsText: string;
  sourceRow: number | null;
}

export interface TicketToStore {
  number: string;
  findingId: number;
  unitId: number;
}

/**
 * The import's writes (workflows/ticket-issuance.ts): targets, findings with their problems and
 * tickets, each as `INSERT … SELECT FROM unnest(…)` per chunk, the next chunk's built while the
 * database writes the one before (db/pipeline.ts). The ISSUE events go through the
 * ticket events repository, the emails through the notifier.
 */
export function createTicketIssuanceRepository() {
  return {
    /** Inserts the targets or, when one is known already, fills in its URL and county; returns every one stored. */
    async upsertTargets({ rows }: { rows: readonly TargetToStore[] }, tx: Db): Promise<StoredTarget[]> {
      const stored: StoredTarget[] = [];
      type Row = { id: number; kind: string; platform: string | null; name: string; unit_id: number | null; url: string | null; county: string | null };
      await pipelineStatements(chunks(rows), {
        build: (part) => sql`insert into ${targets} (kind, platform, name, url, owner_unit_id, county)
              select * from unnest(${unnestColumn(part, (f) => f.kind)}::text[], ${unnestColumn(part, (f) => f.platform)}::text[], ${unnestColumn(part, (f) => f.name)}::text[],
                                   ${unnestColumn(part, (f) => f.url)}::text[], ${unnestColumn(part, (f) => f.unitId)}::int[], ${unnestColumn(part, (f) => f.county)}::text[])
              on conflict (kind, platform, name, owner_unit_id) do update
                set url = coalesce(excluded.url, ${targets.url}), county = coalesce(excluded.county, ${targets.county})
              returning id, kind, platform, name, owner_unit_id as unit_id, url, county`,
        run: (statement) => queryRows<Row>(statement, tx),
        done: (inserted) => {
          for (const row of inserted) stored.push({ id: row.id, kind: row.kind, platform: row.platform, name: row.name, unitId: row.unit_id, url: row.url, county: row.county });
        },
      });
      return stored;
    },

    /**
     * The findings not yet imported for this inspection (one per target), one statement per part as
     * the caller cut them; returns each part's new findings' ids with their target.
     */
    async insertFindings({ inspectionId, parts }: { inspectionId: number; parts: readonly (readonly FindingToStore[])[] }, tx: Db): Promise<{ id: number; targetId: number }[][]> {
      const created: { id: number; targetId: number }[][] = [];
      await pipelineStatements(parts, {
        build: (part) => sql`insert into ${findings} (inspection_id, target_id, unit_id, outstanding, last_updated_on, note, problems_text, source_row)
              select ${inspectionId}::int, * from unnest(${unnestColumn(part, (f) => f.targetId)}::int[], ${unnestColumn(part, (f) => f.unitId)}::int[],
                                   ${unnestColumn(part, (f) => f.outstanding)}::bool[], ${unnestColumn(part, (f) => f.lastUpdatedOn)}::date[],
                                   ${unnestColumn(part, (f) => f.note)}::text[], ${unnestColumn(part, (f) => f.problemsText)}::text[],
                                   ${unnestColumn(part, (f) => f.sourceRow)}::int[])
              on conflict (inspection_id, target_id) do nothing
              returning id, target_id`,
        run: (statement) => queryRows<{ id: number; target_id: number }>(statement, tx),
        done: (inserted) => created.push(inserted.map((row) => ({ id: row.id, targetId: row.target_id }))),
      });
      return created;
    },

    async insertFindingProblems({ rows }: { rows: readonly { findingId: number; position: number; problemCode: string; text: string }[] }, tx: Db): Promise<void> {
      await pipelineStatements(chunks(rows), {
        build: (part) =>
          sql`insert into ${findingProblems} (finding_id, position, problem_code, text)
              select * from unnest(${unnestColumn(part, (p) => p.findingId)}::int[], ${unnestColumn(part, (p) => p.position)}::int[], ${unnestColumn(part, (p) => p.problemCode)}::text[], ${unnestColumn(part, (p) => p.text)}::text[])`,
        run: async (statement) => {
          await tx.execute(statement);
        },
        done: () => undefined,
      });
    },

    /** How many tickets the inspection has, for numbering the next ones. */
    async countTickets({ inspectionId }: { inspectionId: number }, tx: Db): Promise<number> {
      const [{ n } = { n: 0 }] = await queryRows<{ n: number }>(sql`select count(*)::int as n from ${tickets} where ${tickets.inspectionId} = ${inspectionId}`, tx);
      return n;
    },

    /** New tickets of one inspection, issued at `at` and due at `dueAt`; returns their ids and numbers in id order. */
    async insertTickets(
      { inspectionId, rows, dueAt, dueProvisional, at }: { inspectionId: number; rows: readonly TicketToStore[]; dueAt: Date; dueProvisional: boolean; at: Date },
      tx: Db,
    ): Promise<{ id: number; number: string }[]> {
      const created: { id: number; number: string }[] = [];
      const stamp = at.toISOString();
      await pipelineStatements(chunks(rows), {
        build: (part) => sql`insert into ${tickets} (number, inspection_id, finding_id, unit_id, state, due_at, due_provisional, next_action_at, created_at, updated_at)
              select u.number, ${inspectionId}::int, u.finding_id, u.unit_id, 'issued', ${dueAt.toISOString()}::timestamptz, ${dueProvisional}::bool,
                     ${stamp}::timestamptz, ${stamp}::timestamptz, ${stamp}::timestamptz
              from unnest(${unnestColumn(part, (t) => t.number)}::text[], ${unnestColumn(part, (t) => t.findingId)}::int[], ${unnestColumn(part, (t) => t.unitId)}::int[]) as u(number, finding_id, unit_id)
              returning id, number`,
        run: (statement) => queryRows<{ id: number; number: string }>(statement, tx),
        done: (inserted) => created.push(...inserted.sort((a, b) => a.id - b.id)),
      });
      return created;
    },

    /** Code and name of these units. */
    async unitNames({ ids }: { ids: readonly number[] }, tx: Db): Promise<Map<number, { code: string; name: string }>> {
      const rows = await tx.select({ id: units.id, code: units.code, name: units.name }).from(units).where(sql`${units.id} = any(${sql.param([...ids])}::int[])`);
      return new Map(rows.map(({ id, ...names }) => [id, names]));
    },

    /** The catalogue's label of every problem code. */
    async problemLabels(tx: Db): Promise<Map<string, string>> {
      return new Map((await tx.select({ code: problemTypes.code, label: problemTypes.label }).from(problemTypes)).map((p) => [p.code, p.label]));
    },
  };
}

export type TicketIssuanceRepository = ReturnType<typeof createTicketIssuanceRepository>;
