import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Role } from '../schema/index.js';

/** Who is asking: enough to decide what they may see. Built once per request from the database. */
export interface Viewer {
  userId: number;
  username: string;
  role: Role;
  unitId: number;
  unitCode: string;
  unitPath: string;
}

/**
 * The one place that decides who may see what: a user sees the rows of its own unit's subtree,
 * an admin sees everything. Returns undefined when no condition applies.
 */
export function unitScope(viewer: Viewer, unitIdColumn: AnyColumn): SQL | undefined {
  if (viewer.role === 'admin') return undefined;
  return sql`${unitIdColumn} in (select u.id from units u where u.path like ${`${viewer.unitPath}%`})`;
}

/** True when `unitPath` lies in the viewer's subtree (for rows already loaded). */
export function inScope(viewer: Viewer, unitPath: string): boolean {
  return viewer.role === 'admin' || unitPath.startsWith(viewer.unitPath);
}
