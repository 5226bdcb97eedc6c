import { sql, type AnyColumn, type Placeholder, type SQL } from 'drizzle-orm';
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
  const prefix = scopePrefix(viewer);
  return prefix === undefined ? undefined : scopeCondition(unitIdColumn, prefix);
}

/** The `path` pattern of the viewer's subtree; undefined for an admin, who sees everything. */
export function scopePrefix(viewer: Viewer): string | undefined {
  return viewer.role === 'admin' ? undefined : `${viewer.unitPath}%`;
}

/**
 * unitScope with the pattern as given: a value, or the placeholder `scope` of a prepared
 * statement (bound to scopePrefix(viewer)).
 */
export function scopeCondition(unitIdColumn: AnyColumn, prefix: string | Placeholder): SQL {
  return sql`${unitIdColumn} in (select u.id from units u where u.path like ${prefix})`;
}

/** True when `unitPath` lies in the viewer's subtree (for rows already loaded). */
export function inScope(viewer: Viewer, unitPath: string): boolean {
  return viewer.role === 'admin' || unitPath.startsWith(viewer.unitPath);
}
