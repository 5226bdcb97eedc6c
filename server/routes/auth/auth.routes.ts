import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createLoginThrottle } from '../../auth/login-throttle.js';
import { verifyPassword } from '../../../core/password.js';
import { tooManyRequests, unauthorized } from '../../../core/errors.js';
import { crossSiteRefused, isCrossSiteCookieRequest } from '../../plugins/auth.plugin.js';
import type { Services } from '../../services.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { UnitSchema, toUnitDto } from '../units/units.schemas.js';
import { ChangePasswordBody, LoginBody, LoginResponse, UserSchema } from './auth.schemas.js';
import { toUserDto } from '../users/users.schemas.js';

export interface AuthRoutesOptions {
  services: Pick<Services, 'directory' | 'now' | 'sessions' | 'units' | 'users'>;
  expiresIn: string;
  loginMaxPerMinute: number;
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { services, expiresIn, loginMaxPerMinute }) => {
  const throttle = createLoginThrottle({ freeFailures: loginMaxPerMinute, now: services.now });
  app.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: '登录，取得访问令牌',
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse, ...problemResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const wait = throttle.waitSeconds({ username, address: request.ip });
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw tooManyRequests('request.rate_limited', `登录失败次数过多，请 ${wait} 秒后再试。`);
      }
      const credentials = await services.users.findCredentials({ username });
      const ok = await verifyPassword(password, credentials?.passwordHash);
      if (!credentials || !ok || !credentials.active) {
        throttle.failed({ username, address: request.ip });
        throw unauthorized('auth.invalid_credentials', '用户名或密码错误。');
      }
      throttle.succeeded({ username, address: request.ip });
      const user = await services.users.findPublic({ id: credentials.id });
      if (!user) throw unauthorized('auth.invalid_credentials', '用户名或密码错误。');
      const jti = randomUUID();
      const token = app.jwt.sign({ sub: String(user.id), role: user.role, jti });
      // The token's own expiry (real time, as the JWT verifier reads it), kept with the session row.
      const { exp } = app.jwt.decode<{ exp: number }>(token) ?? { exp: 0 };
      const signedAt = new Date();
      await services.sessions.deleteExpired({ userId: user.id, before: signedAt });
      await services.sessions.create({ id: jti, userId: user.id, expiresAt: new Date(exp * 1000) });
      app.setSessionCookie(reply, token);
      return { token, expiresIn, user: toUserDto(user) };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      config: { allowedDuringPasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: '退出登录：结束本次会话（令牌和 Cookie 随即失效）',
        response: { 204: Type.Null(), ...problemResponses(403) },
      },
    },
    async (request, reply) => {
      // Lenient: an expired or unknown session still gets its cookie cleared, so signing out always works.
      const found = await app.readSession(request);
      if (found) {
        if (isCrossSiteCookieRequest(request, found.via)) throw crossSiteRefused();
        await services.sessions.revoke({ id: found.claims.jti, at: new Date() });
      }
      app.clearSessionCookie(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/me',
    {
      onRequest: [app.authenticate],
      config: { allowedDuringPasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: '当前用户及其单位',
        response: { 200: Type.Object({ user: UserSchema, unit: UnitSchema }), ...problemResponses(401) },
      },
    },
    async (request) => {
      const user = await services.users.findPublic({ id: request.viewer.userId });
      const unit = await services.units.findByCode({ code: request.viewer.unitCode });
      if (!user || !unit) throw unauthorized('auth.unauthenticated', '账号不存在或已停用，请重新登录。');
      return { user: toUserDto(user), unit: toUnitDto(unit) };
    },
  );

  app.put(
    '/api/me/password',
    {
      onRequest: [app.authenticate],
      config: { allowedDuringPasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: '修改本人密码；本人的其他会话随即结束，当前会话保留',
        body: ChangePasswordBody,
        response: { 204: Type.Null(), ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      await services.directory.changeOwnPassword({
        userId: request.viewer.userId,
        sessionId: request.session.id,
        currentPassword: request.body.currentPassword,
        newPassword: request.body.newPassword,
      });
      return reply.code(204).send(null);
    },
  );
};
