import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Services } from '../../services.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { serviceUnavailable } from '../../../core/errors.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'database'> }> = async (app, { services }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }), ...problemResponses(503) },
      },
    },
    async (request) => {
      try {
        await services.database.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: database unreachable');
        throw serviceUnavailable('health.database_unreachable', '数据库暂时无法连接。');
      }
      return { status: 'ready' as const, database: services.database.kind };
    },
  );
};
