import { and, eq, isNull, lt, ne } from 'drizzle-orm';
import type { Db } from '../client.js';
import { sessions, units, users } from '../schema/index.js';
import type { Viewer } from './scope.js';

/** The viewer behind a live session, and whether it must change its password first. */
export interface SessionViewer {
  viewer: Viewer;
  mustChangePassword: boolean;
}

export function createSessionsRepository({ db }: { db: Db }) {
  return {
    async create({ id, userId, expiresAt }: { id: string; userId: number; expiresAt: Date }, tx: Db = db): Promise<void> {
      await tx.insert(sessions).values({ id, userId, expiresAt });
    },

    /** One read per request: the session must be unrevoked and its user active. */
    async findViewer({ id, userId }: { id: string; userId: number }, tx: Db = db): Promise<SessionViewer | undefined> {
      const [row] = await tx
        .select({
          userId: users.id,
          username: users.username,
          role: users.role,
          unitId: users.unitId,
          unitCode: units.code,
          unitPath: units.path,
          mustChangePassword: users.mustChangePassword,
        })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .innerJoin(units, eq(units.id, users.unitId))
        .where(and(eq(sessions.id, id), eq(sessions.userId, userId), isNull(sessions.revokedAt), eq(users.active, true)))
        .limit(1);
      if (!row) return undefined;
      const { mustChangePassword, ...viewer } = row;
      return { viewer, mustChangePassword };
    },

    async revoke({ id, at }: { id: string; at: Date }, tx: Db = db): Promise<void> {
      await tx.update(sessions).set({ revokedAt: at }).where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
    },

    /** Ends every session of a user, or every one but `except` (the one changing its own password). */
    async revokeAllOfUser({ userId, except, at }: { userId: number; except?: string; at: Date }, tx: Db = db): Promise<void> {
      await tx
        .update(sessions)
        .set({ revokedAt: at })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except === undefined ? undefined : ne(sessions.id, except)));
    },

    /** Rows of tokens that have expired anyway; kept out of the table so it does not grow without end. */
    async deleteExpired({ userId, before }: { userId: number; before: Date }, tx: Db = db): Promise<void> {
      await tx.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, before)));
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
