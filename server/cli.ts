import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase } from '../db/client.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { migrate } from '../db/migrate.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { AppError } from './errors.js';
import { ensureAdmin, resolvePublicUrl } from './bootstrap.js';
import { runAuditVerify } from './commands/audit.command.js';
import { runSweepCommand } from './commands/sweep.command.js';
import { runUserCommand } from './commands/user.command.js';
import { startServer } from './main.js';
import { createServices } from './services.js';
import { describeDemo, loadDemo } from '../workflows/demo/load-demo.js';

const usage = `Usage: rectify <command> [options]

Commands:
  serve [--demo]                     start the HTTP server (what \`npm start\` runs); --demo loads the 2021 notice first
  migrate                            apply database migrations and exit
  demo                               load the 2021 Yiyang notice as sample data (units, users, 21 tickets)
  import <inspection> <file>         import findings (CSV/XLSX/JSON) into an inspection, given by id or short code
  audit verify                       walk every ticket's hash-chained audit trail and report the first break
  sweep [--now ISO-8601]             send the reminders and escalations due now (or as at --now), each exactly once
  user add --username U --role R --unit UNIT [--password P] [--display-name N]
                                     create a user (role: admin | supervisor | officer; UNIT: code, name or alias);
                                     without --password one is generated, printed once, and must be changed
  user passwd U [--password P]       set a user's password (generated and printed once without --password)
  user disable U | user enable U     deactivate (its sessions end at once) or reactivate a user
  user list [--unit UNIT]            list the users (of one unit)

Settings come from the environment (PORT, HOST, DATA_DIR, DATABASE_URL, ...): see README.md.
`;

async function withServices<T>(config: Config, command: string, fn: (services: ReturnType<typeof createServices>) => Promise<T>) {
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command });
  try {
    await migrate(database);
    const publicUrl = await resolvePublicUrl(database.db, config, 'command');
    const services = createServices({ database, publicUrl, mailFrom: config.mailFrom, now: () => new Date() });
    // Whichever command first opens a new database creates the administrator.
    await ensureAdmin(services, { password: config.adminPassword, print: (line) => console.log(line) });
    return await fn(services);
  } finally {
    await database.close();
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage);
    return command ? 0 : 1;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { demo: { type: 'boolean' } }, strict: true });
      await startServer(config, { demo: values.demo === true });
      return -1;
    }
    case 'demo': {
      const summary = await withServices(config, 'rectify demo', (services) => loadDemo(services));
      for (const line of describeDemo(summary)) console.log(line);
      return 0;
    }
    case 'import': {
      const [inspectionRef, file] = rest;
      if (!inspectionRef || !file) {
        console.error('import needs an inspection (id or short code) and a file: rectify import 2021-2 附件3.xlsx');
        return 2;
      }
      const bytes = await readFile(file);
      const result = await withServices(config, 'rectify import', async (services) => {
        const inspection = /^\d+$/.test(inspectionRef)
          ? await services.inspections.find({ id: Number(inspectionRef) })
          : await services.inspections.findByShortCode({ shortCode: inspectionRef });
        if (!inspection) throw new Error(`No inspection "${inspectionRef}".`);
        return services.findingsImport.importFindings({ inspectionId: inspection.id, viewer: null, source: { bytes, filename: path.basename(file) } });
      });
      console.log(`Imported ${file}: ${result.created} tickets created, ${result.unchanged} unchanged.`);
      for (const ticket of result.tickets) console.log(`  ${ticket.number}`);
      return 0;
    }
    case 'sweep':
      return runSweepCommand(config, rest);
    case 'audit':
      if (rest[0] === 'verify' && rest.length === 1) return runAuditVerify(config);
      break;
    case 'migrate': {
      await withServices(config, 'rectify migrate', async () => {});
      console.log('Migrations applied.');
      return 0;
    }
    case 'user':
      return withServices(config, `rectify user ${rest[0] ?? ''}`.trim(), (services) =>
        runUserCommand(services, rest, { out: (line) => console.log(line), err: (line) => console.error(line) }),
      );
    default:
      break;
  }
  console.error(`Unknown command: ${argv.join(' ')}\n\n${usage}`);
  return 2;
}

export function explainFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) return error.message;
  if (error instanceof AppError) {
    const details = error.errors?.map((e) => `  - ${[e.field ?? e.column, e.message].filter(Boolean).join(': ')}`).join('\n');
    return [`${error.title}${error.detail ? `：${error.detail}` : ''}`, details].filter(Boolean).join('\n');
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
