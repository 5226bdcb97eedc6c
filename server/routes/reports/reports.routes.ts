import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { workingDaysOverdue } from '../../../workflows/deadlines/deadlines.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { decodeCursor, pageOf, readDueCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { toTicketDto } from '../tickets/tickets.schemas.js';
import { OverdueList, OverdueQuery, RepeatOffendersList, RepeatOffendersQuery } from './reports.schemas.js';
import { groupRepeats } from '../../../workflows/reports/repeat-offenders.js';

export const reportsRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'calendarService' | 'feedbacks' | 'now' | 'reports' | 'tickets'> }> = async (app, { services }) => {
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

  app.get(
    '/api/reports/repeat-offenders',
    {
      schema: {
        tags: ['reports'],
        summary: '屡查屡犯：同一检查对象在多次检查中被查出同一问题',
        description: 'since（YYYY-MM-DD）只看此日及以后印发的检查；同一问题指问题目录中的同一项，“其他”类问题须原文相同。每项列出各次检查及其工单，早的在前。',
        querystring: RepeatOffendersQuery,
        response: { 200: RepeatOffendersList, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { since, inspection } = request.query;
      const rows = await services.reports.repeats({ viewer: request.viewer, ...(since ? { since } : {}), ...(inspection !== undefined ? { inspectionId: inspection } : {}) });
      return { items: groupRepeats(rows) };
    },
  );
};
