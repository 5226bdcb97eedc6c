import { and, asc, eq, gt, like, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.js';
import { units, type NewUnit, type Unit } from '../schema/index.js';
import { unitScope, type Viewer } from './scope.js';

export type UnitInput = Omit<NewUnit, 'id' | 'path' | 'parentId' | 'createdAt' | 'updatedAt'> & { parentId: number | null };

export interface UnitWithParent extends Unit {
  parentCode: string | null;
}

const parents = sql`(select p.code from units p where p.id = ${units.parentId})`;

export function createUnitsRepository({ db }: { db: Db }) {
  const withParent = (tx: Db) => tx.select({ unit: units, parentCode: sql<string | null>`${parents}` }).from(units);
  const flatten = (rows: { unit: Unit; parentCode: string | null }[]): UnitWithParent[] =>
    rows.map((r) => ({ ...r.unit, parentCode: r.parentCode }));

  return {
    async list(
      { viewer, limit, after, q }: { viewer: Viewer; limit: number; after?: string; q?: string },
      tx: Db = db,
    ): Promise<UnitWithParent[]> {
      const pattern = q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
      const rows = await withParent(tx)
        .where(
          and(
            unitScope(viewer, units.id),
            after ? gt(units.code, after) : undefined,
            pattern
              ? or(like(units.name, pattern), like(units.code, pattern), sql`array_to_string(${units.aliases}, ' ') like ${pattern}`)
              : undefined,
          ),
        )
        .orderBy(asc(units.code))
        .limit(limit);
      return flatten(rows);
    },

    async findByCode({ code, viewer }: { code: string; viewer?: Viewer }, tx: Db = db): Promise<UnitWithParent | undefined> {
      const rows = await withParent(tx)
        .where(and(eq(units.code, code), viewer ? unitScope(viewer, units.id) : undefined))
        .limit(1);
      return flatten(rows)[0];
    },

    async findById({ id }: { id: number }, tx: Db = db): Promise<Unit | undefined> {
      const [row] = await tx.select().from(units).where(eq(units.id, id)).limit(1);
      return row;
    },

    /** Every unit's identity, for matching the names a notice uses (code, name, aliases). */
    async directory(tx: Db = db): Promise<Pick<Unit, 'id' | 'code' | 'name' | 'aliases' | 'path' | 'parentId' | 'kind'>[]> {
      return tx
        .select({ id: units.id, code: units.code, name: units.name, aliases: units.aliases, path: units.path, parentId: units.parentId, kind: units.kind })
        .from(units);
    },

    async create({ input, parentPath }: { input: UnitInput; parentPath: string | null }, tx: Db = db): Promise<Unit> {
      // The path embeds the id, so take the id first.
      const [next] = await queryRows<{ id: number }>(sql`select nextval(pg_get_serial_sequence('units', 'id'))::int as id`, tx);
      if (!next) throw new Error('no id from the units sequence');
      const id = next.id;
      const [row] = await tx
        .insert(units)
        .values({ ...input, id, path: `${parentPath ?? '/'}${id}/` })
        .returning();
      if (!row) throw new Error('insert into units returned nothing');
      return row;
    },

    async update(
      { unit, patch, newParent }: { unit: Unit; patch: Partial<UnitInput>; newParent?: { id: number; path: string } | null },
      tx: Db = db,
    ): Promise<Unit> {
      const values: Partial<NewUnit> = { ...patch, updatedAt: new Date() };
      if (newParent !== undefined) {
        const newPath = `${newParent?.path ?? '/'}${unit.id}/`;
        // Move the whole subtree: every descendant's path starts with the old path.
        await tx.execute(
          sql`update units set path = ${newPath} || substr(path, ${unit.path.length + 1}) where path like ${`${unit.path}%`}`,
        );
        values.parentId = newParent?.id ?? null;
      }
      const [row] = await tx.update(units).set(values).where(eq(units.id, unit.id)).returning();
      if (!row) throw new Error(`unit ${unit.id} vanished during update`);
      return row;
    },
  };
}

export type UnitsRepository = ReturnType<typeof createUnitsRepository>;
