import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { badRequest, notFound } from '../../../core/errors.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import type { Services } from '../../services.js';
import { ArrangementBody, ArrangementResult, DayParams, DaySchema, OverrideBody, OverrideList, OverrideListQuery, OverrideSchema, toOverrideDto } from './calendar.schemas.js';

export const calendarRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'calendarService'> }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/api/calendar',
    {
      schema: {
        tags: ['calendar'],
        summary: '本地调整的工作日/休息日（按日期排序）',
        querystring: OverrideListQuery,
        response: { 200: OverrideList, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      if (from && to && from > to) {
        throw badRequest('calendar.invalid_range', `起始日期 ${from} 晚于结束日期 ${to}。`, {
          errors: [{ field: 'querystring.from', value: from, message: '起始日期不能晚于结束日期' }],
        });
      }
      const rows = await services.calendarService.listOverrides({ ...(from ? { from } : {}), ...(to ? { to } : {}) });
      return { items: rows.map(toOverrideDto) };
    },
  );

  app.post(
    '/api/calendar/import',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['calendar'],
        summary: '导入国务院办公厅公布的年度节假日安排（管理员）',
        description: '每个节日的放假起止日期及调休上班日期；再次导入同一年份将替换原有安排。本地调整仍然优先。',
        body: ArrangementBody,
        response: { 200: ArrangementResult, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => services.calendarService.importArrangement({ year: request.body.year, holidays: request.body.holidays, actor: request.viewer }),
  );

  app.get(
    '/api/calendar/:date',
    {
      schema: {
        tags: ['calendar'],
        summary: '某一天是否工作日，以及依据',
        params: DayParams,
        response: { 200: DaySchema, ...problemResponses(400, 401) },
      },
    },
    async (request) => services.calendarService.describe({ day: request.params.date }),
  );

  app.put(
    '/api/calendar/:date',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['calendar'],
        summary: '设定某一天为工作日或休息日（管理员；覆盖已公布的安排）',
        description: '已计算的提醒和督办时刻会在下一次扫描时按新的日历重新计算。',
        params: DayParams,
        body: OverrideBody,
        response: { 200: OverrideSchema, 201: OverrideSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { override, created } = await services.calendarService.setOverride({
        day: request.params.date,
        kind: request.body.kind,
        note: request.body.note?.trim() || null,
        actor: request.viewer,
      });
      return reply.code(created ? 201 : 200).send(toOverrideDto(override));
    },
  );

  app.delete(
    '/api/calendar/:date',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['calendar'],
        summary: '删除某一天的本地调整（管理员），恢复已公布的安排',
        params: DayParams,
        response: { 204: Type.Null({ description: 'removed' }), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const removed = await services.calendarService.removeOverride({ day: request.params.date, actor: request.viewer });
      if (!removed) throw notFound('calendar.override_not_found', `${request.params.date} 没有本地调整。`);
      return reply.code(204).send(null);
    },
  );
};
