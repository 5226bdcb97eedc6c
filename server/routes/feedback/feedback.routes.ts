import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { feedbackDraftDocx } from '../../../workflows/feedback/feedback-draft.js';
import { allowedFeedbackEvents } from '../../../workflows/feedback/feedback.machine.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { decodeCursor, pageOf, readIdCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { toNotificationDto } from '../notifications/notifications.schemas.js';
import { contentDisposition } from '../attachments/attachments.schemas.js';
import {
  FeedbackDetail,
  FeedbackEventBody,
  FeedbackEventResponse,
  FeedbackAcrossInspections,
  FeedbackList,
  MyFeedbackQuery,
  FeedbackParams,
  UnitFeedbackParams,
  toFeedbackDto,
  toFeedbackEventDto,
} from './feedback.schemas.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export const feedbackRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'feedbackWorkflow' | 'now'> }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/api/feedback',
    {
      schema: {
        tags: ['feedback'],
        summary: '本人可见的书面反馈（责任单位：本单位在各次检查中的；监管人员：管辖范围内的），新的在前',
        querystring: MyFeedbackQuery,
        response: { 200: FeedbackAcrossInspections, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor ? decodeCursor(request.query.cursor, 'feedback', readIdCursor) : undefined;
      const rows = await services.feedbackWorkflow.listForViewer({ viewer: request.viewer, limit: limit + 1, ...(before !== undefined ? { before } : {}) });
      const now = services.now();
      return pageOf(rows, limit, 'feedback', ({ feedback }) => feedback.id, ({ feedback, allowedEvents }) => ({
        ...toFeedbackDto(feedback, allowedEvents, now),
        inspection: { id: feedback.inspection.id, title: feedback.inspection.title, documentNumber: feedback.inspection.documentNumber, shortCode: feedback.inspection.shortCode },
      }));
    },
  );

  app.get(
    '/api/inspections/:id/feedback',
    {
      schema: {
        tags: ['feedback'],
        summary: '各单位整改情况书面反馈（监管人员：管辖范围内全部；责任单位：本单位）',
        params: FeedbackParams,
        response: { 200: FeedbackList, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const rows = await services.feedbackWorkflow.list({ inspectionId: request.params.id, viewer: request.viewer });
      const now = services.now();
      return { items: rows.map(({ feedback, allowedEvents }) => toFeedbackDto(feedback, allowedEvents, now)) };
    },
  );

  app.get(
    '/api/inspections/:id/feedback/:unitCode',
    {
      schema: {
        tags: ['feedback'],
        summary: '一个单位的书面反馈：办理记录、附件、邮件',
        params: UnitFeedbackParams,
        response: { 200: FeedbackDetail, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const detail = await services.feedbackWorkflow.detail({ inspectionId: request.params.id, unitCode: request.params.unitCode, viewer: request.viewer });
      return {
        feedback: toFeedbackDto(detail.feedback, detail.allowedEvents, services.now()),
        tickets: detail.tickets.map((t) => ({ id: t.id, number: t.number, state: t.state })),
        events: detail.events.map(toFeedbackEventDto),
        notifications: detail.notifications.map(toNotificationDto),
      };
    },
  );

  app.get(
    '/api/inspections/:id/feedback/:unitCode/draft.docx',
    {
      schema: {
        tags: ['feedback'],
        summary: '生成书面报告草稿（DOCX）：逐项列出问题、整改措施、完成时间和佐证材料',
        params: UnitFeedbackParams,
        response: { 200: { description: 'DOCX', content: { [DOCX]: { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } } }, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const source = await services.feedbackWorkflow.draftSource({ inspectionId: request.params.id, unitCode: request.params.unitCode, viewer: request.viewer });
      const bytes = await feedbackDraftDocx(source);
      const name = `${source.feedback.unitName}关于${source.feedback.inspection.shortCode}整改情况的报告（草稿）.docx`;
      return reply.type(DOCX).header('content-disposition', contentDisposition('attachment', name)).header('x-content-type-options', 'nosniff').send(bytes);
    },
  );

  app.post(
    '/api/inspections/:id/feedback/:unitCode/events',
    {
      schema: {
        tags: ['feedback'],
        summary: '报送、接收或退回书面反馈',
        description:
          'SUBMIT_FEEDBACK {attachmentIds, note?}：责任单位报送加盖公章的书面报告扫描件（PDF、OFD 或图片，先经 POST /api/attachments 上传）；' +
          'ACCEPT_FEEDBACK {comment?} / RETURN_FEEDBACK {reason}：非本单位的监管人员接收或退回。',
        params: UnitFeedbackParams,
        body: FeedbackEventBody,
        response: { 200: FeedbackEventResponse, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const feedback = await services.feedbackWorkflow.apply({ inspectionId: request.params.id, unitCode: request.params.unitCode, viewer: request.viewer, input: request.body });
      const allowed = allowedFeedbackEvents({ state: feedback.state, context: { unitId: feedback.unitId, returns: feedback.returns } }, { role: request.viewer.role, unitId: request.viewer.unitId });
      return { feedback: toFeedbackDto(feedback, allowed, services.now()) };
    },
  );
};
