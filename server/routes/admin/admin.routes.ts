import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '../../schemas/common.schemas.js';
import type { Services } from '../../services.js';
import { SweepBody, SweepResponse } from './admin.schemas.js';

export const adminRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', app.requireRole('admin'));

  app.post(
    '/api/admin/sweep',
    {
      // A POST without a body is the usual call; it validates as the empty object.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['admin'],
        summary: '立即执行一次到期提醒和逾期督办（管理员）',
        description:
          '与服务器定时执行的是同一次扫描，按服务器当前时间计算；每个提醒和每级督办只发生一次，重复调用不会重复发送。' +
          '要按指定时刻重放，请使用命令行 `rectify sweep --now <ISO-8601>`。',
        body: SweepBody,
        response: { 200: SweepResponse, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const at = services.now();
      const result = await services.sweep.run({ now: at, logger: request.log });
      return { at: at.toISOString(), ...result };
    },
  );
};
