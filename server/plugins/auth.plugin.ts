import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Viewer } from '../../db/repositories/scope.js';
import type { UsersRepository } from '../../db/repositories/users.repository.js';
import type { Role } from '../../db/schema/index.js';
import { forbidden, unauthorized } from '../errors.js';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; role: Role };
    user: { sub: string; role: Role };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate`: who is asking, read fresh from the database. */
    viewer: Viewer;
  }
  interface FastifyInstance {
    authenticate: preHandlerAsyncHookHandler;
    requireRole: (...roles: Role[]) => preHandlerAsyncHookHandler;
  }
}

export interface AuthPluginOptions {
  secret: string;
  expiresIn: string;
  users: Pick<UsersRepository, 'findViewer'>;
}

/** Verifies the bearer token (HS256 only, with expiry) and loads the viewer it names. */
export const authPlugin = fp<AuthPluginOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(fastifyJwt, {
      secret: options.secret,
      sign: { algorithm: 'HS256', expiresIn: options.expiresIn },
      verify: { algorithms: ['HS256'] },
    });
    app.decorateRequest('viewer', null as unknown as Viewer);

    app.decorate('authenticate', async (request: FastifyRequest) => {
      try {
        await request.jwtVerify();
      } catch (error) {
        const expired = (error as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED';
        throw unauthorized(expired ? 'auth.token_expired' : 'auth.unauthenticated', expired ? '登录已过期，请重新登录。' : '请先登录（缺少或无效的令牌）。');
      }
      // Only our own tokens get here, but a signed token is still no proof of a well-formed subject.
      const id = typeof request.user.sub === 'string' && /^[1-9][0-9]{0,9}$/.test(request.user.sub) ? Number(request.user.sub) : NaN;
      if (!(id <= 2_147_483_647)) throw unauthorized('auth.unauthenticated', '请先登录（令牌无效）。');
      const viewer = await options.users.findViewer({ id });
      if (!viewer) throw unauthorized('auth.unauthenticated', '账号不存在或已停用，请重新登录。');
      request.viewer = viewer;
    });

    app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
      if (!roles.includes(request.viewer.role)) {
        throw forbidden('auth.forbidden', `此操作需要以下角色之一：${roles.join('、')}。`);
      }
    });
  },
  { name: 'auth' },
);
