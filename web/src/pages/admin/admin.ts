import { api } from '../../api/client';
import type { paths } from '../../api/schema';
import { asProblem, type Problem } from '../../api/types';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Unit = Json<paths['/api/units/{code}']['get']['responses'][200]>;
export type UnitBody = NonNullable<paths['/api/units']['post']['requestBody']>['content']['application/json'];
export type UnitKind = UnitBody['kind'];
export type UnitsImportResult = Json<paths['/api/units/import']['post']['responses'][200]>;
export type User = Json<paths['/api/users/{id}']['get']['responses'][200]>;
export type UserBody = NonNullable<paths['/api/users']['post']['requestBody']>['content']['application/json'];
export type Notification = Json<paths['/api/notifications/{id}']['get']['responses'][200]>;
export type NotificationListItem = Json<paths['/api/notifications']['get']['responses'][200]>['items'][number];
export type NotificationStatus = NonNullable<NonNullable<paths['/api/notifications']['get']['parameters']['query']>['status']>;
export type CalendarDay = Json<paths['/api/calendar/{date}']['get']['responses'][200]>;
export type CalendarOverride = Json<paths['/api/calendar']['get']['responses'][200]>['items'][number];
export type Arrangement = NonNullable<paths['/api/calendar/import']['post']['requestBody']>['content']['application/json'];
export type RowError = NonNullable<Problem['errors']>[number];

export { unitKindLabels } from '../../../../core/labels';

/** Every unit the admin may see (the list comes in pages of at most 200). */
export async function loadAllUnits(): Promise<Unit[]> {
  const all: Unit[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data, error } = await api.GET('/api/units', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } });
    if (error || !data) throw asProblem(error);
    all.push(...data.items);
    if (!data.nextCursor) return all;
    cursor = data.nextCursor;
  }
}

/** Every user (pages of at most 200). */
export async function loadAllUsers(): Promise<User[]> {
  const all: User[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data, error } = await api.GET('/api/users', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } });
    if (error || !data) throw asProblem(error);
    all.push(...data.items);
    if (!data.nextCursor) return all;
    cursor = data.nextCursor;
  }
}

/**
 * Sends a unit table (CSV or XLSX) as multipart/form-data. The route reads its body itself (it
 * takes several formats), so its schema declares none and the file passes as the raw body.
 */
export function postUnitTable(file: File, dryRun: boolean) {
  const form = new FormData();
  form.append('file', file, file.name);
  return api.POST('/api/units/import', { params: { query: dryRun ? { dryRun: true } : {} }, body: form as never, bodySerializer: () => form });
}

/** A list typed in one field: 、，,；; spaces and new lines all separate. */
export const splitList = (text: string) =>
  text
    .split(/[、，,；;\s]+/)
    .map((part) => part.trim())
    .filter(Boolean);

export const joinList = (items: readonly string[]) => items.join('，');
