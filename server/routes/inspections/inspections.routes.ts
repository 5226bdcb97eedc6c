import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../../../core/errors.js';
import { importProblemResponses, problemResponses } from '../../schemas/common.schemas.js';
import { decodeCursor, pageOf, readIdCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { restDayWarning } from '../../../workflows/tickets/ticket.workflow.js';
import { toTicketDto } from '../tickets/tickets.schemas.js';
import { readTableUpload, tableUploadsPlugin, type TableUploadOptions } from '../../plugins/uploads.plugin.js';
import { reportCsv, reportXlsx } from '../../../workflows/reports/inspection-report.js';
import { bulletinDocx } from '../../../workflows/reports/bulletin.js';
import { BulletinCandidateList, CreateInspectionBody, UpdateInspectionBody, ImportQuery, ImportResult, ReportQuery, ReportSchema, InspectionList, InspectionListQuery, InspectionParams, InspectionSchema, toInspectionDto } from './inspections.schemas.js';

export const inspectionsRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'bulletin' | 'bulletinCandidates' | 'calendarService' | 'findingsImport' | 'inspectionReport' | 'inspections' | 'inspectionsService' | 'now'>; uploads: TableUploadOptions }> = async (app, { services, uploads }) => {
  app.addHook('onRequest', app.authenticate);
  await app.register(tableUploadsPlugin, uploads);
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
      // A feedback date on a rest day is kept as written; the office is told the next working day.
      const warning = inspection.feedbackDeadline ? restDayWarning(await services.calendarService.current(), inspection.feedbackDeadline, 'feedbackDeadline') : null;
      return reply.code(201).send({ ...toInspectionDto(inspection), ...(warning ? { warnings: [warning] } : {}) });
    },
  );

  app.get(
    '/api/inspections',
    { schema: { tags: ['inspections'], summary: '检查列表（新的在前），各带调用者管辖范围内的工单数', querystring: InspectionListQuery, response: { 200: InspectionList, ...problemResponses(400, 401, 403) } } },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor ? decodeCursor(request.query.cursor, 'inspections', readIdCursor) : undefined;
      const rows = await services.inspections.list({ viewer: request.viewer, limit: limit + 1, ...(before !== undefined ? { before } : {}) });
      const counts = await services.inspections.countsByState({ ids: rows.slice(0, limit).map((row) => row.id), viewer: request.viewer, now: services.now() });
      return pageOf(rows, limit, 'inspections', (row) => row.id, (row) => toInspectionDto(row, counts.get(row.id)));
    },
  );

  app.post(
    '/api/inspections/:id/findings',
    {
      bodyLimit: uploads.maxBytes,
      schema: {
        tags: ['inspections'],
        summary: '导入问题清单并下发工单（dryRun=true 时只检查）',
        description:
          '通报附件表格：application/json（{"findings":[…]}）、text/csv（UTF-8 或 GB18030）、XLSX，或 multipart/form-data 的 file 字段。' +
          '任何一行有错则整个文件不导入（422，逐行列出错误）；重复导入同一文件不会新建工单。' +
          'dryRun=true：按导入的全部步骤检查文件，错误（422）和提示与导入相同，200 答复将新建和不变的工单数（tickets 为空），' +
          '不保存任何工单、问题、办理记录、邮件或书面反馈。',
        params: InspectionParams,
        querystring: ImportQuery,
        response: { 200: ImportResult, 201: ImportResult, ...problemResponses(400, 401, 403, 404, 415), ...importProblemResponses },
      },
    },
    async (request, reply) => {
      const source = await readTableUpload(request);
      const dryRun = request.query.dryRun === true;
      const result = await services.findingsImport.importFindings({ inspectionId: request.params.id, viewer: request.viewer, source, dryRun });
      return reply.code(dryRun ? 200 : 201).send(result);
    },
  );

  app.get(
    '/api/inspections/:id/report',
    {
      schema: {
        tags: ['inspections'],
        summary: '检查报告：各单位、各分组整改进度（JSON、CSV 或 XLSX）',
        description:
          'byGroup 按分组和对象类别各一行（含无问题的分组），带检查数、存在突出问题数和合格率；totals.scope 为网站、政务新媒体的合计（附件1、附件2）；byUnit 按排名（README 说明排名规则）。' +
          'format=csv 与 format=xlsx 带标题行（检查、文号、统计时间）；xlsx 含 整改进度、分组统计、问题清单 三张表。只统计调用者管辖范围内的工单。',
        params: InspectionParams,
        querystring: ReportQuery,
        response: {
          200: {
            description: '报告',
            content: {
              'application/json': { schema: ReportSchema },
              'text/csv': { schema: Type.String() },
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) },
            },
          },
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const report = await services.inspectionReport.build({ inspectionId: request.params.id, viewer: request.viewer });
      const name = encodeURIComponent(`${report.inspection.shortCode}-整改进度`);
      if (request.query.format === 'csv') {
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename*=UTF-8''${name}.csv`).send(reportCsv(report));
      }
      if (request.query.format === 'xlsx') {
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename*=UTF-8''${name}.xlsx`)
          .send(await reportXlsx(report));
      }
      const { rows: _rows, inspection, asOf, ...rest } = report;
      return { inspection: toInspectionDto(inspection), asOf: asOf.toISOString(), ...rest };
    },
  );

  app.get(
    '/api/inspections/:id/bulletin.docx',
    {
      schema: {
        tags: ['inspections'],
        summary: '整改情况通报（草稿，DOCX）',
        description:
          '按公文格式（A4，标题方正小标宋简体二号，正文仿宋_GB2312三号）生成的草稿：总体情况、按期完成整改的单位、逾期达到通报级别的单位及逾期工作日、屡查屡犯问题和附件统计表。' +
          '只含调用者管辖范围内的工单；由检查单位修改后印发，系统不会自行发布。',
        params: InspectionParams,
        response: {
          200: {
            description: 'DOCX',
            content: { 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
          },
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const content = await services.bulletin.content({ inspectionId: request.params.id, viewer: request.viewer });
      return reply
        .type('application/vnd.openxmlformats-officedocument.wordprocessingml.document')
        .header('content-disposition', `attachment; filename="bulletin.docx"; filename*=UTF-8''${encodeURIComponent(content.title)}.docx`)
        .send(await bulletinDocx(content));
    },
  );

  app.get(
    '/api/inspections/:id/bulletin-candidates',
    {
      schema: {
        tags: ['inspections'],
        summary: '拟通报：已到“通报”级别的工单，供检查单位决定下次通报批评的对象',
        description: '系统不会自行通报批评。只列出调用者管辖范围内的工单。',
        params: InspectionParams,
        response: { 200: BulletinCandidateList, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const candidates = await services.bulletinCandidates.list({ inspectionId: request.params.id, viewer: request.viewer });
      const now = services.now();
      return {
        items: candidates.map((c) => ({
          ticket: toTicketDto(c.ticket, now),
          unit: { code: c.ticket.unitCode, name: c.ticket.unitName },
          overdueWorkingDays: c.overdueWorkingDays,
          overdueProvisional: c.overdueProvisional,
          since: c.since ? c.since.toISOString() : null,
        })),
      };
    },
  );

  app.patch(
    '/api/inspections/:id',
    {
      schema: {
        tags: ['inspections'],
        summary: '修改检查的联系人、联系电话和检查范围',
        description: 'scope 为各分组、各类对象的检查数（通报附件1、附件2），整体替换；同一分组同一类对象只能有一行。',
        params: InspectionParams,
        body: UpdateInspectionBody,
        response: { 200: InspectionSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { contact, scope } = request.body;
      const inspection = await services.inspectionsService.update({
        id: request.params.id,
        changes: { ...(contact !== undefined ? { contact } : {}), ...(scope ? { scope } : {}) },
        actor: request.viewer,
      });
      return toInspectionDto(inspection);
    },
  );

  app.post(
    '/api/inspections/:id/scope',
    {
      schema: {
        tags: ['inspections'],
        summary: '导入检查范围（通报附件1 或 附件2）',
        description:
          '表头同通报附件：附件1 为 序号、单位、检查网站数、发现存在突出问题的网站数，附件2 为 序号、单位、政务新媒体数、发现存在突出问题的政务新媒体数（合计行不读）。' +
          'text/csv（UTF-8 或 GB18030）、XLSX、multipart/form-data 的 file 字段，或 JSON {"scope":[{"单位":"市直部门","检查网站数":31}]}。' +
          '替换表中所列类别（政府网站或政务新媒体）的检查范围，另一类不变；任何一行有错则不导入（422，逐行列出错误）。',
        params: InspectionParams,
        response: { 200: InspectionSchema, ...problemResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request) => {
      const source = await readTableUpload(request);
      return toInspectionDto(await services.inspectionsService.importScope({ id: request.params.id, source, actor: request.viewer }));
    },
  );

  app.get(
    '/api/inspections/:id',
    { schema: { tags: ['inspections'], summary: '检查详情及各状态工单数', params: InspectionParams, response: { 200: InspectionSchema, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => {
      const inspection = await services.inspections.find({ id: request.params.id, viewer: request.viewer });
      if (!inspection) throw notFound('inspections.not_found', `检查 ${request.params.id} 不存在。`);
      const counts = await services.inspections.countByState({ id: inspection.id, viewer: request.viewer, now: services.now() });
      const levels = await services.inspections.countByLevel({ id: inspection.id, viewer: request.viewer });
      return toInspectionDto(inspection, counts, levels);
    },
  );
};
