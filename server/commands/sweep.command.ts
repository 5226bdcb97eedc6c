import { parseArgs } from 'node:util';
import { asc, gt, max } from 'drizzle-orm';
import { createDatabase, type Database } from '../../db/client.js';
import { notifications } from '../../db/schema/index.js';
import { migrate } from '../../db/migrate.js';
import { startOfShanghaiDay } from '../../workflows/deadlines/calendar.js';
import type { SweepLogger, SweepResult } from '../../workflows/deadlines/sweep.js';
import type { Config } from '../config.js';
import { resolvePublicUrl } from '../bootstrap.js';
import { createServices } from '../services.js';
import { filesIn } from '../../storage/folder.driver.js';
import { loadAuditKey } from '../audit-key.js';

export const sweepUsage = `Usage: rectify sweep [--now ISO-8601] [--dry-run | --force]

Sends the reminders and escalations due now, each exactly once, and exits.
  --now      the moment to sweep for, to catch up on a past one: 2021-07-07T00:00:00+08:00,
             or without an offset in Asia/Shanghai time (2021-07-07T09:30, 2021-07-07 = 00:00 that day).
             Audit events written by this run carry that moment too. A moment later than the
             clock is refused: what it sends would be wrong now and stay in the audit trail.
  --dry-run  print what would be sent and change nothing (also for a future --now)
  --force    sweep for a future --now all the same, writing and queueing what falls due by then
The emails are queued; the server's outbox worker sends them.`;

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const ISO_MOMENT = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO-8601 moment; a date or a time without an offset is read in Asia/Shanghai, as every date in Rectify. */
export function parseMoment(text: string): Date | undefined {
  const match = ISO_MOMENT.exec(text.trim());
  if (!match) return undefined;
  const [, day = '', time, zone] = match;
  try {
    // Rejects dates that do not exist (2021-02-30), which Date would roll over.
    startOfShanghaiDay(day);
  } catch {
    return undefined;
  }
  const moment = new Date(`${day}T${time ?? '00:00'}${zone ?? '+08:00'}`);
  return Number.isNaN(moment.getTime()) ? undefined : moment;
}

/** `rectify sweep [--now ISO-8601]`: one sweep, then exit. Returns the exit code. */
export async function runSweepCommand(config: Config, args: string[], io: CommandIo = consoleIo, clockNow: () => Date = () => new Date()): Promise<number> {
  let nowArg: string | undefined;
  let dryRun = false;
  let force = false;
  try {
    const { values } = parseArgs({
      args,
      options: { now: { type: 'string' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    });
    nowArg = values.now;
    dryRun = values['dry-run'] ?? false;
    force = values.force ?? false;
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${sweepUsage}`);
    return 2;
  }
  if (dryRun && force) {
    io.err(`--dry-run and --force exclude each other.\n\n${sweepUsage}`);
    return 2;
  }
  const replayed = nowArg === undefined ? undefined : parseMoment(nowArg);
  if (nowArg !== undefined && !replayed) {
    io.err(`--now ${JSON.stringify(nowArg)} is not an ISO-8601 moment.\n\n${sweepUsage}`);
    return 2;
  }
  const clock = clockNow();
  if (replayed && replayed.getTime() > clock.getTime() && !dryRun && !force) {
    io.err(
      `--now ${replayed.toISOString()} is later than the clock (${clock.toISOString()}): a sweep for a future moment would send ` +
        `reminders and escalations that are not due yet and write them into the audit trail. ` +
        `Use --dry-run to see what it would send, or --force to do it all the same.`,
    );
    return 2;
  }

  // On the embedded database this refuses to run beside the server, saying what to do instead.
  const database = await createDatabase({ databaseUrl: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, command: 'rectify sweep' });
  try {
    await migrate(database);
    const now = () => (replayed ? new Date(replayed) : clockNow());
    const publicUrl = await resolvePublicUrl(database.db, config, 'command');
    const logger: SweepLogger = {
      info: (details, message) => io.out(`${message} ${JSON.stringify(details)}`),
      warn: (details, message) => io.err(`warning: ${message} ${JSON.stringify(details)}`),
      error: (details, message) => io.err(`error: ${message} ${JSON.stringify(details, errorReplacer)}`),
    };
    const at = now();
    let result: SweepResult;
    if (dryRun) {
      result = await dryRunSweep(database, { config, publicUrl, now, at, logger, io });
    } else {
      const services = createServices({ database, publicUrl, mailFrom: config.mailFrom, now, files: filesIn(config), auditKey: loadAuditKey(config) });
      result = await services.sweep.run({ now: at, logger });
    }
    io.out(
      `${dryRun ? 'Dry run, nothing changed: would have swept' : 'Swept'} at ${at.toISOString()}: ${result.reminders} reminder(s), ${result.escalations} escalation(s), ` +
        `${result.verifyReminders} verification reminder(s); ${result.examined} ticket(s) examined` +
        `${result.provisional > 0 ? `, ${result.provisional} computed past the published holiday calendar` : ''}` +
        `${result.failed > 0 ? `, ${result.failed} failed (see the errors above) and left for the next sweep` : ''}.`,
    );
    return result.failed > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}

class DryRunRollback extends Error {}

/**
 * The sweep inside one transaction that is rolled back: every decision and email exactly as a
 * real run would make them, printed, and nothing kept.
 */
async function dryRunSweep(
  database: Database,
  { config, publicUrl, now, at, logger, io }: { config: Config; publicUrl: string; now: () => Date; at: Date; logger: SweepLogger; io: CommandIo },
): Promise<SweepResult> {
  let result: SweepResult | undefined;
  try {
    await database.db.transaction(async (tx) => {
      const [last] = await tx.select({ id: max(notifications.id) }).from(notifications);
      const services = createServices({ database: { ...database, db: tx }, publicUrl, mailFrom: config.mailFrom, now, files: filesIn(config), auditKey: loadAuditKey(config) });
      result = await services.sweep.run({ now: at, logger });
      const queued = await tx
        .select({ kind: notifications.kind, recipients: notifications.recipients, cc: notifications.cc, subject: notifications.subject })
        .from(notifications)
        .where(gt(notifications.id, last?.id ?? 0))
        .orderBy(asc(notifications.id));
      for (const mail of queued) {
        io.out(`would send ${mail.kind}: ${mail.subject}\n  to: ${mail.recipients.join(', ') || '(no address)'}${mail.cc.length > 0 ? `\n  cc: ${mail.cc.join(', ')}` : ''}`);
      }
      throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  if (!result) throw new Error('dry run ended without a result');
  return result;
}

/** Errors are not enumerable: show their message and stack. */
function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { message: value.message, stack: value.stack } : value;
}
