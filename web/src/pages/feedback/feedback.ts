import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** One unit's written feedback (书面反馈) in one inspection, as the list gives it. */
export type FeedbackItem = Json<paths['/api/inspections/{id}/feedback']['get']['responses'][200]>['items'][number];
export type FeedbackDetail = Json<paths['/api/inspections/{id}/feedback/{unitCode}']['get']['responses'][200]>;
export type FeedbackEvent = FeedbackDetail['events'][number];
export type FeedbackEventBody = NonNullable<paths['/api/inspections/{id}/feedback/{unitCode}/events']['post']['requestBody']>['content']['application/json'];
export type FeedbackEventType = FeedbackEventBody['type'];
export type FeedbackState = FeedbackItem['state'];
/** The viewer's written feedback across inspections (GET /api/feedback). */
export type MyFeedbackItem = Json<paths['/api/feedback']['get']['responses'][200]>['items'][number];

export { feedbackStateLabels } from '../../../../core/labels';
export const feedbackStateTones: Record<FeedbackState, string> = { pending: 'red', submitted: 'blue', accepted: 'green', returned: 'amber' };

export const feedbackEventLabels: Record<FeedbackEventType, string> = { SUBMIT_FEEDBACK: '报送', ACCEPT_FEEDBACK: '接收', RETURN_FEEDBACK: '退回' };
export const feedbackHistoryLabels: Record<string, string> = { SUBMIT_FEEDBACK: '报送书面报告', ACCEPT_FEEDBACK: '接收书面报告', RETURN_FEEDBACK: '退回书面报告' };

/** 按期 / 逾期 / 未到期, from the server's onTime (true, false, null while not yet due). */
export const punctuality = (item: Pick<FeedbackItem, 'onTime'>) => (item.onTime === null ? '未到期' : item.onTime ? '按期报送' : '逾期');

/** The latest event of a type (the scan of the last submission, the reason of the last return). */
export const latest = (events: FeedbackEvent[], type: FeedbackEventType) => [...events].reverse().find((event) => event.type === type);

export const draftUrl = (inspectionId: number, unitCode: string) => `/api/inspections/${inspectionId}/feedback/${encodeURIComponent(unitCode)}/draft.docx`;
