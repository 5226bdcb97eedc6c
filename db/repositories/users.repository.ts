import { and, asc, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { units, users, type NewUser, type User } from '../schema/index.js';
import { unitScope, type Viewer } from './scope.js';

const { passwordHash: _omit, ...publicColumns } = getTableColumns(users);

/** A user as it may leave the server: never with password material. */
export type PublicUser = Omit<User, 'passwordHash'> & { unitCode: string; unitName: string };

export function createUsersRepository({ db }: { db: Db }) {
  const selectPublic = (tx: Db) => tx.select({ ...publicColumns, unitCode: units.code, unitName: units.name }).from(users).innerJoin(units, eq(units.id, users.unitId));

  return {
    async create(input: NewUser, tx: Db = db): Promise<User> {
      const [row] = await tx.insert(users).values(input).returning();
      if (!row) throw new Error('insert into users returned nothing');
      return row;
    },

    /** For checking a password only (login, a password change): the reads that return the hash. */
    async findCredentials({ username, id }: { username?: string; id?: number }, tx: Db = db): Promise<User | undefined> {
      const where = id !== undefined ? eq(users.id, id) : username !== undefined ? eq(users.username, username) : undefined;
      if (!where) return undefined;
      const [row] = await tx.select().from(users).where(where).limit(1);
      return row;
    },

    async update(
      { id, patch }: { id: number; patch: Partial<Pick<User, 'displayName' | 'email' | 'role' | 'unitId' | 'active'>> },
      tx: Db = db,
    ): Promise<void> {
      await tx.update(users).set({ ...patch, updatedAt: sql`now()` }).where(eq(users.id, id));
    },

    async setPassword({ id, passwordHash, mustChangePassword }: { id: number; passwordHash: string; mustChangePassword: boolean }, tx: Db = db): Promise<void> {
      await tx.update(users).set({ passwordHash, mustChangePassword, updatedAt: sql`now()` }).where(eq(users.id, id));
    },

    /**
     * The active administrators, locked (in id order, so concurrent callers cannot deadlock) until the
     * transaction ends: two admins demoting each other at once cannot both succeed and leave nobody.
     */
    async lockActiveAdmins(tx: Db = db): Promise<number[]> {
      const rows = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'admin'), eq(users.active, true)))
        .orderBy(asc(users.id))
        .for('update');
      return rows.map((r) => r.id);
    },

    async findPublic({ id, username }: { id?: number; username?: string }, tx: Db = db): Promise<PublicUser | undefined> {
      const where = id !== undefined ? eq(users.id, id) : username !== undefined ? eq(users.username, username) : undefined;
      if (!where) return undefined;
      const [row] = await selectPublic(tx).where(where).limit(1);
      return row;
    },

    /** The viewer behind a token: the user with its unit's current path, if still active. */
    async findViewer({ id }: { id: number }, tx: Db = db): Promise<Viewer | undefined> {
      const [row] = await tx
        .select({ userId: users.id, username: users.username, role: users.role, unitId: users.unitId, unitCode: units.code, unitPath: units.path })
        .from(users)
        .innerJoin(units, eq(units.id, users.unitId))
        .where(and(eq(users.id, id), eq(users.active, true)))
        .limit(1);
      return row;
    },

    async list({ viewer, limit, after }: { viewer: Viewer; limit: number; after?: string }, tx: Db = db): Promise<PublicUser[]> {
      return selectPublic(tx)
        .where(and(unitScope(viewer, users.unitId), after ? gt(users.username, after) : undefined))
        .orderBy(asc(users.username))
        .limit(limit);
    },

    /** Every user, or those of one unit, by username: for the command line, which has no viewer. */
    async listAll({ unitId }: { unitId?: number } = {}, tx: Db = db): Promise<PublicUser[]> {
      return selectPublic(tx)
        .where(unitId === undefined ? undefined : eq(users.unitId, unitId))
        .orderBy(asc(users.username));
    },

    async exists({ username }: { username: string }, tx: Db = db): Promise<boolean> {
      const [row] = await tx.select({ id: users.id }).from(users).where(eq(users.username, username)).limit(1);
      return row !== undefined;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
