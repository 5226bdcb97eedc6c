import { and, asc, eq, getTableColumns, gt } from 'drizzle-orm';
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

    /** For login only: the one read that returns the hash. */
    async findCredentials({ username }: { username: string }, tx: Db = db): Promise<User | undefined> {
      const [row] = await tx.select().from(users).where(eq(users.username, username)).limit(1);
      return row;
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

    async exists({ username }: { username: string }, tx: Db = db): Promise<boolean> {
      const [row] = await tx.select({ id: users.id }).from(users).where(eq(users.username, username)).limit(1);
      return row !== undefined;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
