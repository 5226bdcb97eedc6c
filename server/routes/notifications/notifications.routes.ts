import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { conflict, notFound } from '../../../core/errors.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { decodeCursor, pageOf, readIdCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { NotificationDetail, NotificationList, NotificationListQuery, NotificationParams, NotificationSchema, toNotificationDto } from './notifications.schemas.js';

export const notificationsRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'notifications' | 'outbox'> }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', app.requireRole('admin'));

  app.get(
    '/api/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: '邮件发件箱（管理员）：按状态、工单筛选，新的在前',
        querystring: NotificationListQuery,
        response: { 200: NotificationList, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status, ticket } = request.query;
      const before = cursor ? decodeCursor(cursor, 'notifications', readIdCursor) : undefined;
      const rows = await services.notifications.list({
        limit: limit + 1,
        ...(status ? { status } : {}),
        ...(ticket !== undefined ? { ticketId: ticket } : {}),
        ...(before !== undefined ? { before } : {}),
      });
      return pageOf(rows, limit, 'notifications', (row) => row.id, toNotificationDto);
    },
  );

  app.get(
    '/api/notifications/:id',
    {
      schema: {
        tags: ['notifications'],
        summary: '一封邮件及其正文（管理员）',
        params: NotificationParams,
        response: { 200: NotificationDetail, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await services.outbox.findWithText({ id: request.params.id });
      if (!row) throw notFound('notifications.not_found', `邮件 ${request.params.id} 不存在。`);
      return { ...toNotificationDto(row), text: row.text };
    },
  );

  app.post(
    '/api/notifications/:id/resend',
    {
      schema: {
        tags: ['notifications'],
        summary: '重新发送一封发送失败的邮件（同一 Message-ID）',
        params: NotificationParams,
        response: { 200: NotificationSchema, ...problemResponses(400, 401, 403, 409) },
      },
    },
    async (request) => {
      const row = await services.outbox.resendFailed({ id: request.params.id });
      if (!row) throw conflict('notifications.not_failed', `邮件 ${request.params.id} 不存在或不是“发送失败”状态，无需重发。`);
      return toNotificationDto(row);
    },
  );
};
