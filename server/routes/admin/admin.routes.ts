import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '../../schemas/common.schemas.js';
import type { Services } from '../../services.js';
import { AuditVerifyResponse, SweepBody, SweepResponse } from './admin.schemas.js';

export const adminRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'audit' | 'now' | 'sweep'> }> = async (app, { services }) => {
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

  app.post(
    '/api/admin/audit/verify',
    {
      schema: {
        tags: ['admin'],
        summary: '校验审计记录（管理员）',
        description:
          '与命令行 `rectify audit verify` 相同：逐一核对每张工单和每份书面反馈的操作记录（哈希链须以审计密钥签署、序号连续），' +
          '核对工单登记的最后一条记录和当前状态是否与记录一致，并核对记录引用的附件文件。记录完整时 intact 为 true。',
        response: { 200: AuditVerifyResponse, ...problemResponses(401, 403) },
      },
    },
    async () => services.audit.verify(),
  );
};
