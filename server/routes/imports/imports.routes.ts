import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { importTemplateCsv, importTemplates, type ImportTemplateName } from '../../../workflows/imports/templates.js';
import { problemResponses, StringEnum } from '../../schemas/common.schemas.js';

const templateNames = Object.keys(importTemplates) as ImportTemplateName[];
const fileNames: Record<ImportTemplateName, string> = { findings: '问题清单导入模板', units: '单位导入模板' };

export const importsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/api/imports/templates/:name.csv',
    {
      schema: {
        tags: ['inspections'],
        summary: '导入模板（CSV，UTF-8 带 BOM）：findings 问题清单，units 单位',
        description: '表头与通报附件一致，附示例行；填写后用 POST /api/inspections/:id/findings 或 POST /api/units/import 导入。',
        params: Type.Object({ name: StringEnum(templateNames) }),
        response: {
          200: { description: '模板', content: { 'text/csv': { schema: Type.String() } } },
          ...problemResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}.csv"; filename*=UTF-8''${encodeURIComponent(fileNames[name])}.csv`)
        .send(importTemplateCsv(name));
    },
  );
};
