import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The OpenAPI document at /openapi.json, generated from the route schemas, and a UI at /docs. */
export const openapiPlugin = fp(
  async (app: FastifyInstance, options: { version: string; requireUser: boolean }) => {
    // Looked up per request: the auth plugin may be registered after this one.
    const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
      if (options.requireUser) await app.authenticate.call(app, request, reply);
    };
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Rectify API',
          description: '政府网站与政务新媒体检查整改工单（rectification tickets for government website and new-media inspections）',
          version: options.version,
        },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            // The browser's session; changes sent with it alone also need the header X-Rectify-Request: 1.
            sessionCookie: { type: 'apiKey', in: 'cookie', name: 'rectify_session' },
          },
        },
        security: [{ bearerAuth: [] }, { sessionCookie: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiHooks: { onRequest: signedIn } });
    app.get('/openapi.json', { schema: { hide: true }, onRequest: signedIn }, async () => app.swagger());
  },
  { name: 'openapi' },
);
