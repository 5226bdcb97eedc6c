import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { OUTBOX_CHANNEL } from '../db/schema/index.js';
import { buildApp, type App } from './app.js';
import { ensureAdmin, resolveJwtSecret, resolvePublicUrl } from './bootstrap.js';
import type { Config } from './config.js';
import { createMailer } from '../notifications/mailer.js';
import { createOutboxWorker } from '../notifications/outbox.js';
import { startSweepTimer } from '../workflows/deadlines/sweep.js';
import { startAttachmentsGcTimer } from '../workflows/tickets/attachments.service.js';
import { createServices } from './services.js';
import { configuredSecrets, loggerOptions } from './logging.js';
import { filesIn } from '../storage/folder.driver.js';
import { describeDemo, loadDemo } from './commands/demo.command.js';
import { loadAuditKey } from './audit-key.js';

// The outbox is cheap to poll (an indexed query on due rows); mail goes out within seconds.
const OUTBOX_INTERVAL_MS = 2_000;
// Unreferenced uploads are removed once they are a day old; looking hourly is soon enough.
const ATTACHMENTS_GC_INTERVAL_MS = 60 * 60_000;

/** The folder holding package.json: above server/ in the sources, above dist/server/ in the build. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** The built workbench (`npm start` and `npm install` build it); undefined when it has not been built. */
export const webRoot = path.join(packageRoot(), 'web', 'dist');
const builtWebRoot = () => (fs.existsSync(path.join(webRoot, 'index.html')) ? webRoot : undefined);

export interface RunningServer {
  app: App;
  database: Database;
  address: string;
  close(): Promise<void>;
}

/** Opens the database, migrates, creates the first admin, listens; closes everything gracefully on SIGTERM/SIGINT. */
export async function startServer(config: Config, options: { handleSignals?: boolean; demo?: boolean } = {}): Promise<RunningServer> {
  const database = await createDatabase({
    databaseUrl: config.databaseUrl,
    migrationUrl: config.migrationDatabaseUrl,
    dataDir: config.dataDir,
    command: 'rectify serve',
    onPoolError: (error) => console.error(`database connection lost: ${error.message.slice(0, 500)}`),
  });
  try {
    await migrate(database);
    const publicUrl = await resolvePublicUrl(database.db, config, 'server');
    const services = createServices({ database, publicUrl, mailFrom: config.mailFrom, now: () => new Date(), files: filesIn(config), auditKey: loadAuditKey(config) });
    await ensureAdmin(services, { password: config.adminPassword, print: (line) => console.log(line) });
    if (options.demo) for (const line of describeDemo(await loadDemo(services))) console.log(line);
    const jwtSecret = resolveJwtSecret(config);
    const app = await buildApp({
      config,
      jwtSecret,
      services,
      logger: loggerOptions({ level: config.logLevel, secrets: configuredSecrets([config.adminPassword, jwtSecret, config.smtpUrl, config.databaseUrl, config.migrationDatabaseUrl, config.auditKey]) }),
      webRoot: builtWebRoot(),
    });
    if (!builtWebRoot()) app.log.warn('web/dist is missing: only the API is served; run `npm run web:build` for the workbench');
    const mailer = createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir, from: config.mailFrom });
    const outbox = createOutboxWorker({ db: database.db, mailer, from: config.mailFrom, maxAttempts: config.mailMaxAttempts, logger: app.log });
    outbox.start(OUTBOX_INTERVAL_MS);
    // Emails go out as soon as the transaction that queued them commits, in whichever server; the
    // interval's polling remains for retries and for a listening connection that dropped.
    const listening = await database.listen(OUTBOX_CHANNEL, () => outbox.wake(), {
      onError: (error) => app.log.warn({ err: error }, 'not listening for queued emails; the outbox polls until the connection is back'),
    });

    const address = await app.listen({ port: config.port, host: config.host });
    const sweepTimer = startSweepTimer(services.sweep, { intervalS: config.sweepIntervalS, now: services.now, logger: app.log });
    const gcTimer = startAttachmentsGcTimer(services.attachments, { intervalMs: ATTACHMENTS_GC_INTERVAL_MS, logger: app.log });
    app.log.info({ database: database.kind, dataDir: config.dataDir, publicUrl }, `Rectify listening on ${address}`);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        // Stop taking requests and let in-flight ones finish; let a send in progress finish
        // (unsent claimed rows go back to the queue); then release the database.
        await sweepTimer.stop();
        await gcTimer.stop();
        await app.close();
        await listening.close();
        await outbox.stop();
        await mailer.close();
        await database.close();
      })());

    if (options.handleSignals !== false) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          app.log.info(`${signal} received, shutting down`);
          close().then(
            () => process.exit(0),
            (error: unknown) => {
              console.error(error);
              process.exit(1);
            },
          );
        });
      }
    }
    return { app, database, address, close };
  } catch (error) {
    await database.close();
    throw error;
  }
}
