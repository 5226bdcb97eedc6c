import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { workingDaysOverdue } from '../../../workflows/deadlines.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { decodeCursor, pageOf, readDueCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { toTicketDto } from '../tickets/tickets.schemas.js';
import { OverdueList, OverdueQuery } from './reports.schemas.js';

export const reportsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', app.requireRole('admin', 'supervisor'));

  app.get(
    '/api/reports/overdue',
    {
      schema: {
        tags: ['reports'],
        summary: '逾期工单（本单位及下级；期限最早的在前，游标分页）',
        description: '逾期：已过反馈期限且仍为“已下发”或“已签收”。overdueWorkingDays 为期限当日之后已经过完的整工作日数。',
        querystring: OverdueQuery,
        response: { 200: OverdueList, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, unit, inspection } = request.query;
      const after = cursor ? decodeCursor(cursor, 'overdue', readDueCursor) : undefined;
      const now = services.now();
      const rows = await services.tickets.list({
        viewer: request.viewer,
        filters: { overdue: true, ...(unit ? { unitCode: unit } : {}), ...(inspection !== undefined ? { inspectionId: inspection } : {}) },
        limit: limit + 1,
        ...(after ? { after } : {}),
        now,
      });
      const calendar = await services.calendarService.current();
      const page = pageOf(rows, limit, 'overdue', (t) => [t.dueAt.toISOString(), t.id], (t) => {
        const overdue = workingDaysOverdue(calendar, t.dueAt, now);
        return { ...toTicketDto(t, now), overdueWorkingDays: overdue.value, overdueProvisional: overdue.provisional };
      });
      const feedbackOverdue = after
        ? []
        : await services.feedbacks.overdue({ viewer: request.viewer, now, ...(unit ? { unitCode: unit } : {}), ...(inspection !== undefined ? { inspectionId: inspection } : {}) });
      return {
        ...page,
        feedbackOverdue: feedbackOverdue.map((f) => ({
          inspectionId: f.inspectionId,
          inspectionShortCode: f.inspection.shortCode,
          unitCode: f.unitCode,
          unitName: f.unitName,
          state: f.state,
          dueAt: f.dueAt.toISOString(),
        })),
      };
    },
  );
};
