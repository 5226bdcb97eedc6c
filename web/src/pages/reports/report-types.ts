import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The report pages' shapes, derived from the API's own description (npm run api:types). */
export type BulletinCandidate = Json<paths['/api/inspections/{id}/bulletin-candidates']['get']['responses'][200]>['items'][number];
export type RepeatOffender = Json<paths['/api/reports/repeat-offenders']['get']['responses'][200]>['items'][number];
