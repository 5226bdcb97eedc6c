import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor, pageOf, readTextCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { UserSchema } from '../auth/auth.schemas.js';
import { CreateUserBody, UserList, UserListQuery, toUserDto } from './users.schemas.js';

export const usersRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
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
        summary: '新建用户（管理员）',
        body: CreateUserBody,
        response: { 201: UserSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const user = await services.directory.createUser({ fields: request.body, actor: request.viewer });
      return reply.code(201).send(toUserDto(user));
    },
  );
};
