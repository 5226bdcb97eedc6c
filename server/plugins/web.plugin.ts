import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

// Paths that belong to the server: an unknown one stays a problem+json 404, never the workbench.
const serverPaths = /^\/(?:api|docs|openapi\.json|healthz|readyz)(?:\/|$)/;
// A missing file (a stale asset name, /favicon.ico) is a 404 too, not the page.
const looksLikeFile = /\/[^/]+\.[A-Za-z0-9]+$/;

/**
 * The built web workbench (web/dist) at `/`: hashed assets cached for a year, index.html never
 * cached and returned for every client route (history fallback), so `/tickets/12` from an email opens.
 */
export const webPlugin = fp(
  async (app: FastifyInstance, options: { root: string }) => {
    await app.register(fastifyStatic, {
      root: options.root,
      // Routes for the files present at start-up; the catch-all below does the rest.
      wildcard: false,
      index: false,
      cacheControl: false,
      schemaHide: true,
      setHeaders(reply, file) {
        const hashed = file.includes(`${path.sep}assets${path.sep}`);
        reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });

    // The security headers (CSP, framing, referrer) come from the security-headers plugin, for every response.
    const sendPage = (reply: FastifyReply) => reply.sendFile('index.html');

    app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply));
    app.get('/*', { schema: { hide: true } }, (request, reply) => {
      const pathname = request.url.split('?')[0] ?? '/';
      if (serverPaths.test(pathname) || looksLikeFile.test(pathname)) return reply.callNotFound();
      return sendPage(reply);
    });
  },
  { name: 'web' },
);
