import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface SecurityHeadersOptions {
  /** HSTS only makes sense when people reach Rectify over https (PUBLIC_URL). */
  https: boolean;
}

/**
 * Headers on every response: a CSP for the same-origin Vue + Element Plus workbench (and the Swagger
 * UI, whose scripts are files too), nosniff, no framing, a same-origin referrer, and no caching of
 * API answers (they carry personal and case data).
 */
export const securityHeadersPlugin = fp<SecurityHeadersOptions>(
  async (app: FastifyInstance, options) => {
    // Not `global`: @fastify/helmet would then build helmet's middleware again for every request
    // (parsing the CSP each time). The headers never vary, so the hook below takes them from the
    // first request and sets the same values on every later one.
    await app.register(helmet, {
      global: false,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          // Element Plus positions popovers, dialogs and tables with inline style attributes.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          workerSrc: ["'self'", 'blob:'],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: false } : false,
    });
    let fixed: [string, string | number | string[]][] | undefined;
    app.addHook('onRequest', async (_request, reply) => {
      if (fixed === undefined) {
        const before = new Set(reply.raw.getHeaderNames());
        reply.helmet();
        const set = reply.raw.getHeaders();
        fixed = Object.keys(set)
          .filter((name) => !before.has(name))
          .map((name) => [name, set[name] as string | number | string[]]);
        return;
      }
      for (const [name, value] of fixed) reply.raw.setHeader(name, value);
    });
    app.addHook('onSend', async (request, reply) => {
      if (request.url === '/api' || request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    });
  },
  { name: 'security-headers' },
);
