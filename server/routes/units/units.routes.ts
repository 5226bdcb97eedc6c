import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '../../../core/errors.js';
import { decodeCursor, pageOf, readTextCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { importProblemResponses, problemResponses } from '../../schemas/common.schemas.js';
import { readTableUpload, tableUploadsPlugin, type TableUploadOptions } from '../../plugins/uploads.plugin.js';
import { CreateUnitBody, UnitsImportQuery, UnitsImportResult, UnitList, UnitListQuery, UnitParams, UnitSchema, UpdateUnitBody, toUnitDto } from './units.schemas.js';

export const unitsRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'directory' | 'units' | 'unitsImport'>; uploads: TableUploadOptions }> = async (app, { services, uploads }) => {
  app.addHook('onRequest', app.authenticate);
  await app.register(tableUploadsPlugin, uploads);

  app.get(
    '/api/units',
    {
      schema: {
        tags: ['units'],
        summary: '单位列表（本单位及下级）',
        querystring: UnitListQuery,
        response: { 200: UnitList, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = request.query.cursor ? decodeCursor(request.query.cursor, 'units', readTextCursor) : undefined;
      const rows = await services.units.list({ viewer: request.viewer, limit: limit + 1, after, q: request.query.q });
      return pageOf(rows, limit, 'units', (row) => row.code, toUnitDto);
    },
  );

  app.get(
    '/api/units/:code',
    { schema: { tags: ['units'], params: UnitParams, response: { 200: UnitSchema, ...problemResponses(401, 404) } } },
    async (request) => {
      const unit = await services.units.findByCode({ code: request.params.code, viewer: request.viewer });
      if (!unit) throw notFound('units.not_found', `单位 ${request.params.code} 不存在`);
      return toUnitDto(unit);
    },
  );

  app.post(
    '/api/units',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['units'],
        summary: '新建单位（管理员）',
        body: CreateUnitBody,
        response: { 201: UnitSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const unit = await services.directory.createUnit({ fields: request.body, actor: request.viewer });
      return reply.code(201).send(toUnitDto(unit));
    },
  );

  app.post(
    '/api/units/import',
    {
      bodyLimit: uploads.maxBytes,
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['units'],
        summary: '批量导入单位（管理员）',
        description:
          '表头：代码、名称、简称、类型（市直部门/区县/乡镇/其他）、上级（代码或名称）、邮箱、领导邮箱（单位负责人，督办时抄送、通报时收件）、联系人、电话。CSV（UTF-8 或 GB18030）、XLSX、' +
          'application/json（{"units":[…]}）或 multipart/form-data 的 file 字段。任何一行有错则整个文件不导入；重复导入不会重复创建。' +
          '加 ?dryRun=true 只检查文件、统计将新增和修改的单位数，不写入任何数据。',
        querystring: UnitsImportQuery,
        response: { 200: UnitsImportResult, ...problemResponses(400, 401, 403, 415), ...importProblemResponses },
      },
    },
    async (request) => {
      const source = await readTableUpload(request);
      return services.unitsImport.importUnits({ source, actor: request.viewer, dryRun: request.query.dryRun ?? false });
    },
  );

  app.patch(
    '/api/units/:code',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['units'],
        summary: '修改单位（管理员）',
        params: UnitParams,
        body: UpdateUnitBody,
        response: { 200: UnitSchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const unit = await services.directory.updateUnit({ code: request.params.code, fields: request.body, actor: request.viewer });
      return toUnitDto(unit);
    },
  );
};
