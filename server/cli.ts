import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase } from '../db/client.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { migrate } from '../db/migrate.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { AppError } from '../core/errors.js';
import { secureDataDir } from '../db/data-dir-lock.js';
import { ensureAdmin, resolvePublicUrl } from './bootstrap.js';
import { runAuditVerify } from './commands/audit.command.js';
import { runSweepCommand } from './commands/sweep.command.js';
import { runUserCommand } from './commands/user.command.js';
import { startServer } from './main.js';
import { createServices } from './services.js';
import { filesIn } from '../storage/folder.driver.js';
import { describeDemo, loadDemo } from './commands/demo.command.js';
import { problemCatalogue } from '../db/problem-catalogue.js';
import type { ImportProgress } from '../workflows/imports/findings-import.service.js';
import { importLimits } from '../workflows/imports/import-limits.js';
import { loadAuditKey } from './audit-key.js';

const usage = `Usage: rectify <command> [options]

Commands:
  serve [--demo]                     start the HTTP server (what \`npm start\` runs); --demo loads the 2021 notice first
  migrate                            apply database migrations and exit
  demo                               load the 2021 Yiyang notice as sample data (units, users, 21 tickets)
  import <inspection> <file>         import findings (CSV/XLSX/JSON) into an inspection, given by id or short code
  catalogue                          print the problem catalogue (codes, labels, severity, what they apply to, aliases)
  audit verify                       walk every ticket's hash-chained audit trail and report the first break
  sweep [--now ISO-8601] [--dry-run|--force]
                                     send the reminders and escalations due now (or as at a past --now), each exactly once
  user add --username U --role R --unit UNIT [--password P] [--display-name N]
                                     create a user (role: admin | supervisor | officer; UNIT: code, name or alias);
                                     without --password one is generated, printed once, and must be changed
  user passwd U [--password P]       set a user's password (generated and printed once without --password)
  user disable U | user enable U     deactivate (its sessions end at once) or reactivate a user
  user list [--unit UNIT]            list the users (of one unit)

Settings come from the environment (PORT, HOST, DATA_DIR, DATABASE_URL, ...): see README.md.
`;

async function withServices<T>(config: Config, command: string, fn: (services: ReturnType<typeof createServices>) => Promise<T>) {
  const database = await createDatabase({ databaseUrl: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, command });
  try {
    await migrate(database);
    const publicUrl = await resolvePublicUrl(database.db, config, 'command');
    const services = createServices({ database, publicUrl, mailFrom: config.mailFrom, now: () => new Date(), files: filesIn(config), auditKey: loadAuditKey(config) });
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
  // Whatever this process creates (the embedded database's files above all, which it writes
  // through its own file layer) is for the owner only.
  process.umask(0o077);
  secureDataDir(config.dataDir);
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
    case 'import':
      return runImport(config, rest);
    case 'catalogue': {
      parseArgs({ args: rest, options: {}, strict: true });
      for (const line of describeCatalogue()) console.log(line);
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

// Files above this many rows get a line per step, so a long import does not look stuck.
const PROGRESS_ROWS = 1000;

async function runImport(config: Config, args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  const [inspectionRef, file] = positionals;
  if (!inspectionRef || !file || positionals.length > 2) {
    console.error('import needs an inspection (id or short code) and a file: rectify import 2021-2 附件3.xlsx');
    return 2;
  }
  const bytes = await readFile(file);
  const progress: ImportProgress = ({ stage, rows }) => {
    if (rows < PROGRESS_ROWS) return;
    const what = { read: `read ${rows} rows`, checked: `checked ${rows} rows, no errors`, writing: `writing ${rows} findings and their tickets…` }[stage];
    console.error(`${file}: ${what}`);
  };
  const outcome = await withServices(config, 'rectify import', async (services) => {
    const inspection = /^\d+$/.test(inspectionRef)
      ? await services.inspections.find({ id: Number(inspectionRef) })
      : await services.inspections.findByShortCode({ shortCode: inspectionRef });
    if (!inspection) return { missing: await services.inspections.listAll(), result: null };
    const result = await services.findingsImport.importFindings({ inspectionId: inspection.id, viewer: null, source: { bytes, filename: path.basename(file), limits: importLimits({ maxRows: config.importMaxRows }) }, onProgress: progress });
    return { missing: [], result };
  });
  const { result } = outcome;
  if (!result) {
    const known = outcome.missing.map((i) => `  ${i.shortCode.padEnd(12)} (id ${i.id})  ${i.title}`);
    console.error([`No inspection "${inspectionRef}". ${known.length > 0 ? 'Inspections:' : 'There are no inspections yet.'}`, ...known].join('\n'));
    return 2;
  }
  for (const warning of result.warnings) console.error(`  warning: ${describeRowProblem(warning)}`);
  console.log(`Imported ${file}: ${result.created} tickets created, ${result.unchanged} unchanged, ${result.warnings.length} warnings.`);
  return 0;
}

function describeCatalogue(): string[] {
  const kinds = { website: '网站', new_media: '政务新媒体', any: '网站、政务新媒体' } as const;
  return problemCatalogue.map(
    (p) => `${p.code.padEnd(30)} ${p.label}  [${p.severity === 'veto' ? '单项否决' : '扣分'}; ${kinds[p.appliesTo]}]${p.aliases.length > 0 ? `  又称：${p.aliases.join('、')}` : ''}`,
  );
}

/** 第 4 行「开设主体」: message (value) */
function describeRowProblem(e: { row?: number; column?: string; field?: string; value?: unknown; message: string }): string {
  const where = [e.row !== undefined ? `第 ${e.row} 行` : '', e.column ? `「${e.column}」` : (e.field ?? '')].join('');
  return `${where ? `${where}：` : ''}${e.message}`;
}

export function explainFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) return error.message;
  if (error instanceof AppError) {
    const details = error.errors?.map((e) => `  - ${describeRowProblem(e)}`).join('\n');
    return [`${error.title}${error.detail ? `：${error.detail}` : ''}`, details].filter(Boolean).join('\n');
  }
  // A missing file or a mistyped option is the user's to fix: say which, without a stack trace.
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    const file = 'path' in (error as object) ? String((error as { path: unknown }).path) : '';
    return `${{ ENOENT: 'No such file', EACCES: 'Permission denied', EISDIR: 'Is a directory, not a file' }[code]}: ${file}`;
  }
  if (code.startsWith('ERR_PARSE_ARGS_')) return `${(error as Error).message}\nSee rectify --help.`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
