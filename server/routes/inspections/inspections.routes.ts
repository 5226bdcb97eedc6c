import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '../../errors.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { decodeCursor, pageOf } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { CreateInspectionBody, InspectionList, InspectionListQuery, InspectionParams, InspectionSchema, toInspectionDto } from './inspections.schemas.js';

export const inspectionsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', app.requireRole('admin', 'supervisor'));

  app.post(
    '/api/inspections',
    {
      schema: {
        tags: ['inspections'],
        summary: '新建检查（通报）',
        body: CreateInspectionBody,
        response: { 201: InspectionSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const inspection = await services.inspectionsService.create({ fields: request.body, actor: request.viewer });
      return reply.code(201).send(toInspectionDto(inspection));
    },
  );

  app.get(
    '/api/inspections',
    { schema: { tags: ['inspections'], summary: '检查列表（新的在前）', querystring: InspectionListQuery, response: { 200: InspectionList, ...problemResponses(400, 401, 403) } } },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor ? decodeCursor(request.query.cursor, 'inspections', (v) => (Number.isInteger(v) ? (v as number) : undefined)) : undefined;
      const rows = await services.inspections.list({ viewer: request.viewer, limit: limit + 1, ...(before !== undefined ? { before } : {}) });
      return pageOf(rows, limit, 'inspections', (row) => row.id, (row) => toInspectionDto(row));
    },
  );

  app.get(
    '/api/inspections/:id',
    { schema: { tags: ['inspections'], summary: '检查详情及各状态工单数', params: InspectionParams, response: { 200: InspectionSchema, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => {
      const inspection = await services.inspections.find({ id: request.params.id, viewer: request.viewer });
      if (!inspection) throw notFound('inspections.not_found', `检查 ${request.params.id} 不存在。`);
      const counts = await services.inspections.countByState({ id: inspection.id, viewer: request.viewer, now: services.now() });
      return toInspectionDto(inspection, counts);
    },
  );
};
