import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { generatePassword } from '../../../core/password.js';
import { notFound } from '../../../core/errors.js';
import { decodeCursor, pageOf, readTextCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { UserSchema } from '../auth/auth.schemas.js';
import { CreateUserBody, CreatedUser, ResetPasswordResponse, UpdateUserBody, UserList, UserListQuery, UserParams, toUserDto } from './users.schemas.js';

export const usersRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'directory' | 'users'> }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', app.requireRole('admin'));

  app.get(
    '/api/users',
    { schema: { tags: ['users'], summary: '用户列表（管理员）', querystring: UserListQuery, response: { 200: UserList, ...problemResponses(400, 401, 403) } } },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = request.query.cursor ? decodeCursor(request.query.cursor, 'users', readTextCursor) : undefined;
      const rows = await services.users.list({ viewer: request.viewer, limit: limit + 1, after });
      return pageOf(rows, limit, 'users', (row) => row.username, toUserDto);
    },
  );

  app.post(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        summary: '新建用户（管理员）；不给 password 则生成初始密码，仅在响应中出现一次，用户首次登录须修改',
        body: CreateUserBody,
        response: { 201: CreatedUser, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { password, ...fields } = request.body;
      const generated = password === undefined ? generatePassword() : undefined;
      const user = await services.directory.createUser({
        fields: { ...fields, password: password ?? generated ?? '', mustChangePassword: generated !== undefined },
        actor: request.viewer,
      });
      return reply.code(201).send({ ...toUserDto(user), ...(generated ? { generatedPassword: generated } : {}) });
    },
  );

  app.get(
    '/api/users/:id',
    { schema: { tags: ['users'], summary: '一个用户（管理员）', params: UserParams, response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => {
      const user = await services.users.findPublic({ id: request.params.id });
      if (!user) throw notFound('users.not_found', `用户 ${request.params.id} 不存在。`);
      return toUserDto(user);
    },
  );

  app.patch(
    '/api/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: '修改用户（管理员）：姓名、邮箱、角色、所属单位、停用/启用（停用后其会话立即失效）',
        params: UserParams,
        body: UpdateUserBody,
        response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const user = await services.directory.updateUser({ id: request.params.id, patch: request.body, actor: request.viewer });
      return toUserDto(user);
    },
  );

  app.post(
    '/api/users/:id/reset-password',
    {
      schema: {
        tags: ['users'],
        summary: '重置密码（管理员）：生成新密码，仅此一次显示；该用户的会话全部结束，下次登录须修改密码',
        params: UserParams,
        response: { 200: ResetPasswordResponse, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { user, generatedPassword } = await services.directory.resetPassword({ id: request.params.id, actor: request.viewer });
      return { user: toUserDto(user), generatedPassword: generatedPassword ?? '' };
    },
  );
};
