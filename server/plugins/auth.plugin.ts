import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Viewer } from '../../db/repositories/scope.js';
import type { SessionsRepository } from '../../db/repositories/sessions.repository.js';
import type { Role } from '../../db/schema/index.js';
import { forbidden, unauthorized } from '../../core/errors.js';

/** The browser session's cookie: HttpOnly, so no script on the page can read the token. */
export const SESSION_COOKIE = 'rectify_session';
/**
 * Sent by the web client on every request. A cross-site page cannot add a custom header without a
 * CORS preflight, which this server never grants, so its presence proves the request is same-origin.
 */
export const CSRF_HEADER = 'x-rectify-request';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; role: Role; jti: string };
    user: { sub: string; role: Role; jti: string; exp: number };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate`: who is asking, read fresh from the database. */
    viewer: Viewer;
    /** Set by `authenticate`: the session the request belongs to and how it was presented. */
    session: { id: string; via: 'bearer' | 'cookie'; mustChangePassword: boolean };
  }
  interface FastifyInstance {
    authenticate: preHandlerAsyncHookHandler;
    requireRole: (...roles: Role[]) => preHandlerAsyncHookHandler;
    /** Sets the session cookie on a reply (login). */
    setSessionCookie: (reply: FastifyReply, token: string) => void;
    /** Clears the session cookie (logout, or a cookie that no longer names a session). */
    clearSessionCookie: (reply: FastifyReply) => void;
    /** The verified claims of the request's token, or undefined when it carries none that is valid. */
    readSession: (request: FastifyRequest) => Promise<{ claims: { sub: string; jti: string }; via: 'bearer' | 'cookie' } | undefined>;
  }
  interface FastifyContextConfig {
    /** Routes a user with a generated or reset password may still use (me, change password, logout). */
    allowedDuringPasswordChange?: boolean;
  }
}

export interface AuthPluginOptions {
  secret: string;
  expiresIn: string;
  /** Adds `Secure` to the cookie: set when the public address is https. */
  secureCookie: boolean;
  sessions: Pick<SessionsRepository, 'findViewer'>;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `8h` → seconds. The config schema has already checked the form. */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)([smhd])$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** A change sent with the cookie alone but without the same-origin header: possibly a cross-site forgery. */
export function isCrossSiteCookieRequest(request: FastifyRequest, via: 'bearer' | 'cookie'): boolean {
  return via === 'cookie' && UNSAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== '1';
}

export const crossSiteRefused = () => forbidden('auth.csrf', '请求缺少 X-Rectify-Request 请求头，已拒绝（防止跨站请求）。');

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/**
 * Verifies the token (HS256 only; `exp` and `jti` required) from `Authorization: Bearer` or the
 * session cookie, then loads the viewer through its session row, so a revoked session or a
 * deactivated user stops at once.
 */
export const authPlugin = fp<AuthPluginOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(fastifyJwt, {
      secret: options.secret,
      sign: { algorithm: 'HS256', expiresIn: options.expiresIn },
      // A token verified once is remembered (fast-jwt's LRU of 1,000, keyed by a hash of the token,
      // never past its `exp`): a session is still read on every request, so a revoked one stops at once.
      verify: { algorithms: ['HS256'], requiredClaims: ['exp', 'jti', 'sub'], cache: true },
    });
    app.decorateRequest('viewer', null as unknown as Viewer);
    app.decorateRequest('session', null as unknown as FastifyRequest['session']);

    const maxAge = durationSeconds(options.expiresIn);
    const attributes = `Path=/; HttpOnly; SameSite=Strict${options.secureCookie ? '; Secure' : ''}`;
    app.decorate('setSessionCookie', (reply: FastifyReply, token: string) => {
      reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Max-Age=${maxAge}; ${attributes}`);
    });
    app.decorate('clearSessionCookie', (reply: FastifyReply) => {
      reply.header('set-cookie', `${SESSION_COOKIE}=; Max-Age=0; ${attributes}`);
    });

    /** The presented token: a bearer header wins over the cookie (an integration may hold both). */
    function presented(request: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | undefined {
      const header = request.headers.authorization;
      if (header !== undefined) {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
        return match?.[1] ? { token: match[1], via: 'bearer' } : { token: '', via: 'bearer' };
      }
      const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
      return cookie ? { token: cookie, via: 'cookie' } : undefined;
    }

    function verify(token: string): FastifyRequest['user'] {
      try {
        const claims = app.jwt.verify<FastifyRequest['user']>(token);
        if (typeof claims.jti !== 'string' || !/^[1-9][0-9]{0,8}$/.test(String(claims.sub))) throw new Error('bad claims');
        return claims;
      } catch (error) {
        const expired = (error as { code?: string }).code === 'FAST_JWT_EXPIRED';
        throw unauthorized(expired ? 'auth.token_expired' : 'auth.unauthenticated', expired ? '登录已过期，请重新登录。' : '请先登录（缺少或无效的令牌）。');
      }
    }

    app.decorate('readSession', async (request: FastifyRequest) => {
      const found = presented(request);
      if (!found || !found.token) return undefined;
      try {
        const claims = verify(found.token);
        return { claims: { sub: claims.sub, jti: claims.jti }, via: found.via };
      } catch {
        return undefined;
      }
    });

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const found = presented(request);
      if (!found || !found.token) throw unauthorized('auth.unauthenticated', '请先登录（缺少或无效的令牌）。');
      const claims = verify(found.token);
      if (isCrossSiteCookieRequest(request, found.via)) throw crossSiteRefused();
      const session = await options.sessions.findViewer({ id: claims.jti, userId: Number(claims.sub) });
      if (!session) throw unauthorized('auth.unauthenticated', '登录已失效或账号已停用，请重新登录。');
      request.viewer = session.viewer;
      request.session = { id: claims.jti, via: found.via, mustChangePassword: session.mustChangePassword };
      if (session.mustChangePassword && request.routeOptions.config.allowedDuringPasswordChange !== true) {
        throw forbidden('auth.password_change_required', '请先修改密码，然后再继续操作。');
      }
    });

    app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
      if (!roles.includes(request.viewer.role)) {
        throw forbidden('auth.forbidden', `此操作需要以下角色之一：${roles.join('、')}。`);
      }
    });
  },
  { name: 'auth' },
);

