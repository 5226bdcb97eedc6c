import { and, eq, isNull, lt, ne } from 'drizzle-orm';
import type { Db } from '../client.js';
import { runPrepared, type PreparedStatement } from '../prepared.js';
import { sessions, type Role } from '../schema/index.js';
import type { Viewer } from './scope.js';

/** The viewer behind a live session, and whether it must change its password first. */
export interface SessionViewer {
  viewer: Viewer;
  mustChangePassword: boolean;
}

type ViewerRow = { user_id: number; username: string; role: Role; unit_id: number; unit_code: string; unit_path: string; must_change_password: boolean };

const findViewerStatement: PreparedStatement = {
  name: 'sessions_find_viewer',
  text: `select u.id as user_id, u.username, u.role, u.unit_id, un.code as unit_code, un.path as unit_path, u.must_change_password
         from sessions s join users u on u.id = s.user_id join units un on un.id = u.unit_id
         where s.id = $1 and s.user_id = $2 and s.revoked_at is null and u.active
         limit 1`,
};

export function createSessionsRepository({ db }: { db: Db }) {
  return {
    async create({ id, userId, expiresAt }: { id: string; userId: number; expiresAt: Date }, tx: Db = db): Promise<void> {
      await tx.insert(sessions).values({ id, userId, expiresAt });
    },

    /**
     * One read per request: the session must be unrevoked and its user active. Not cached: a
     * deactivation, a revoked session or a moved unit (also written by another instance, or by
     * hand in SQL) must stop the very next request. A fixed prepared statement instead, so the
     * read costs one index lookup per table and no query building.
     */
    async findViewer({ id, userId }: { id: string; userId: number }, tx: Db = db): Promise<SessionViewer | undefined> {
      const [row] = await runPrepared<ViewerRow>(findViewerStatement, [id, userId], tx);
      if (!row) return undefined;
      return {
        viewer: { userId: row.user_id, username: row.username, role: row.role, unitId: row.unit_id, unitCode: row.unit_code, unitPath: row.unit_path },
        mustChangePassword: row.must_change_password,
      };
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
