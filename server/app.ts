import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import ajvFormats from 'ajv-formats';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { AccessLogController } from './logging.js';
import { authPlugin } from './plugins/auth.plugin.js';
import { errorHandlerPlugin, frameworkErrorHandler } from './plugins/error-handler.plugin.js';
import { inputGuardPlugin } from './plugins/input-guard.plugin.js';
import { openapiPlugin } from './plugins/openapi.plugin.js';
import { securityHeadersPlugin } from './plugins/security-headers.plugin.js';
import type { TableUploadOptions } from './plugins/uploads.plugin.js';
import { webPlugin } from './plugins/web.plugin.js';
import { authRoutes } from './routes/auth/auth.routes.js';
import { healthRoutes } from './routes/health/health.routes.js';
import { unitsRoutes } from './routes/units/units.routes.js';
import { usersRoutes } from './routes/users/users.routes.js';
import { inspectionsRoutes } from './routes/inspections/inspections.routes.js';
import { ticketsRoutes } from './routes/tickets/tickets.routes.js';
import { notificationsRoutes } from './routes/notifications/notifications.routes.js';
import { adminRoutes } from './routes/admin/admin.routes.js';
import { calendarRoutes } from './routes/calendar/calendar.routes.js';
import { reportsRoutes } from './routes/reports/reports.routes.js';
import { attachmentsRoutes } from './routes/attachments/attachments.routes.js';
import { feedbackRoutes } from './routes/feedback/feedback.routes.js';
import { importsRoutes } from './routes/imports/imports.routes.js';
import type { Services } from './services.js';
import { IMPORT_MAX_BYTES, importLimits } from '../workflows/imports/import-limits.js';

export interface AppDeps {
  /**
   * `trustProxy` and `nodeEnv` default to none and development; `attachmentMaxMb` to 20,
   * `importMaxRows` to 200,000; `dataDir` (where uploads wait) to a folder of the system's temp dir.
   */
  config: Pick<Config, 'jwtExpiresIn' | 'loginMaxPerMinute'> & Partial<Pick<Config, 'trustProxy' | 'nodeEnv' | 'attachmentMaxMb' | 'importMaxRows' | 'dataDir'>>;
  jwtSecret: string;
  services: Services;
  logger?: FastifyServerOptions['logger'];
  /** The built web workbench (web/dist) to serve at `/`; left out, only the API is served. */
  webRoot?: string;
}

export const appVersion = '0.1.0';

/** The body limit of every route that does not say otherwise. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

// ajv-formats is typed for its own copy of Ajv; fastify's Ajv is the same library.
const formatsPlugin = ajvFormats as unknown as NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number];

/**
 * fastify ignores a bare hop count (it cannot tell the proxy from a client that connects directly),
 * so a count is given as the equivalent function: trust the nearest `hops` addresses. README says to
 * keep such a server reachable only through its proxy, or to list the proxies' addresses instead.
 */
function trustProxyOption(trust: Config['trustProxy']): NonNullable<FastifyServerOptions['trustProxy']> {
  if (trust === undefined) return false;
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust;
  return trust;
}

/** Builds a ready Fastify instance; never listens (server/main.ts does). */
export async function buildApp({ config, jwtSecret, services, logger = false, webRoot }: AppDeps) {
  const app = Fastify({
    logger,
    logController: new AccessLogController(),
    genReqId: () => randomUUID(),
    // Behind a reverse proxy, request.ip (login throttling, logs) is the client's, not the proxy's.
    trustProxy: trustProxyOption(config.trustProxy),
    // Every route takes at most 1 MB; the routes that take files register their own parsers and limits.
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: frameworkErrorHandler,
    ajv: {
      // Refuse unknown fields instead of dropping them; report every problem at once; a union on a
      // `discriminator` property (the ticket events) is checked against the one variant it names.
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true, discriminator: true },
      plugins: [formatsPlugin],
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorHandlerPlugin);
  await app.register(securityHeadersPlugin, { https: services.publicUrl.startsWith('https:') });
  await app.register(inputGuardPlugin);
  // In production the API's description is for signed-in users only.
  await app.register(openapiPlugin, { version: appVersion, requireUser: config.nodeEnv === 'production' });
  await app.register(authPlugin, {
    secret: jwtSecret,
    expiresIn: config.jwtExpiresIn,
    secureCookie: services.publicUrl.startsWith('https:'),
    sessions: services.sessions,
  });

  await app.register(healthRoutes, { services });
  await app.register(authRoutes, { services, expiresIn: config.jwtExpiresIn, loginMaxPerMinute: config.loginMaxPerMinute });
  const uploads: TableUploadOptions = {
    dataDir: config.dataDir ?? path.join(os.tmpdir(), 'rectify'),
    maxBytes: IMPORT_MAX_BYTES,
    limits: importLimits(config.importMaxRows === undefined ? {} : { maxRows: config.importMaxRows }),
  };
  await app.register(unitsRoutes, { services, uploads });
  await app.register(usersRoutes, { services });
  await app.register(inspectionsRoutes, { services, uploads });
  await app.register(ticketsRoutes, { services });
  await app.register(notificationsRoutes, { services });
  await app.register(reportsRoutes, { services });
  await app.register(calendarRoutes, { services });
  await app.register(adminRoutes, { services });
  await app.register(attachmentsRoutes, { services, maxBytes: (config.attachmentMaxMb ?? 20) * 1024 * 1024 });
  await app.register(feedbackRoutes, { services });
  await app.register(importsRoutes);
  if (webRoot) await app.register(webPlugin, { root: webRoot });

  await app.ready();
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
