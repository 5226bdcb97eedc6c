import type { paths } from './schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type TicketDetail = Json<paths['/api/tickets/{id}']['get']['responses'][200]>;
export type Ticket = TicketDetail['ticket'];
export type TicketEvent = TicketDetail['events'][number];
export type TicketListItem = Json<paths['/api/tickets']['get']['responses'][200]>['items'][number];
export type TicketListQuery = NonNullable<paths['/api/tickets']['get']['parameters']['query']>;
export type TicketState = Ticket['state'];
export type EventBody = NonNullable<paths['/api/tickets/{id}/events']['post']['requestBody']>['content']['application/json'];
export type EventType = EventBody['type'];
export type BulkResult = Json<paths['/api/tickets/events']['post']['responses'][200]>['results'][number];
export type Me = Json<paths['/api/me']['get']['responses'][200]>;
export type Inspection = Json<paths['/api/inspections/{id}']['get']['responses'][200]>;
export type Report = Json<paths['/api/inspections/{id}/report']['get']['responses'][200]>;
export type OverdueItem = Json<paths['/api/reports/overdue']['get']['responses'][200]>['items'][number];
export type Problem = Json<paths['/api/tickets/{id}']['get']['responses'][404]>;
export type Role = Me['user']['role'];

/** A problem+json body, or a stand-in when the server could not be reached or answered something else. */
export function asProblem(error: unknown): Problem {
  if (error && typeof error === 'object' && 'code' in error && 'title' in error) return error as Problem;
  return { type: 'about:blank', title: '请求未完成', status: 0, code: 'network', detail: '无法连接服务器，请检查网络后重试。' };
}
