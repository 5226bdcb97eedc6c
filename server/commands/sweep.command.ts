import { parseArgs } from 'node:util';
import { createDatabase } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { startOfShanghaiDay } from '../../workflows/calendar.js';
import type { SweepLogger } from '../../workflows/sweep.js';
import type { Config } from '../config.js';
import { resolvePublicUrl } from '../bootstrap.js';
import { createServices } from '../services.js';

export const sweepUsage = `Usage: rectify sweep [--now ISO-8601]

Sends the reminders and escalations due now, each exactly once, and exits.
  --now  the moment to sweep for, to replay or test one: 2021-07-07T00:00:00+08:00,
         or without an offset in Asia/Shanghai time (2021-07-07T09:30, 2021-07-07 = 00:00 that day).
         Audit events written by this run carry that moment too.
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
export async function runSweepCommand(config: Config, args: string[], io: CommandIo = consoleIo): Promise<number> {
  let nowArg: string | undefined;
  try {
    ({ values: { now: nowArg } } = parseArgs({ args, options: { now: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${sweepUsage}`);
    return 2;
  }
  const replayed = nowArg === undefined ? undefined : parseMoment(nowArg);
  if (nowArg !== undefined && !replayed) {
    io.err(`--now ${JSON.stringify(nowArg)} is not an ISO-8601 moment.\n\n${sweepUsage}`);
    return 2;
  }

  // On the embedded database this refuses to run beside the server, saying what to do instead.
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command: 'rectify sweep' });
  try {
    await migrate(database);
    const now = () => (replayed ? new Date(replayed) : new Date());
    const publicUrl = await resolvePublicUrl(database.db, config, 'command');
    const services = createServices({ database, publicUrl, mailFrom: config.mailFrom, now });
    const logger: SweepLogger = {
      info: (details, message) => io.out(`${message} ${JSON.stringify(details)}`),
      warn: (details, message) => io.err(`warning: ${message} ${JSON.stringify(details)}`),
      error: (details, message) => io.err(`error: ${message} ${JSON.stringify(details, errorReplacer)}`),
    };
    const at = now();
    const result = await services.sweep.run({ now: at, logger });
    io.out(
      `Swept at ${at.toISOString()}: ${result.reminders} reminder(s), ${result.escalations} escalation(s), ` +
        `${result.verifyReminders} verification reminder(s); ${result.examined} ticket(s) examined` +
        `${result.provisional > 0 ? `, ${result.provisional} computed past the published holiday calendar` : ''}` +
        `${result.failed > 0 ? `, ${result.failed} failed (see the errors above) and left for the next sweep` : ''}.`,
    );
    return result.failed > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}

/** Errors are not enumerable: show their message and stack. */
function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { message: value.message, stack: value.stack } : value;
}
