import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.js';
import { createNotificationsRepository } from '../db/repositories/notifications.repository.js';
import type { notifications, Notification } from '../db/schema/notifications.table.js';
import { renderStoredMail } from './mail-payload.js';
import type { RenderedMail } from './templates/ticket-mail.js';
import { mailFileStem } from './mail-message.js';
import { MAIL_SEND_TIMEOUT_MS, MailDeliveryError, type Mailer } from './mailer.js';

/** The host part of MAIL_FROM (`Rectify <rectify@example.gov.cn>` → `example.gov.cn`), for Message-IDs. */
export function mailDomain(mailFrom: string | undefined): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom ?? '');
  return match?.[1]?.toLowerCase() ?? 'rectify.local';
}

export function newMessageId(domain: string): string {
  return `<rectify.n.${randomUUID()}@${domain}>`;
}

const FIRST_RETRY_MAX_MS = 30_000;
const MAX_RETRY_DELAY_MS = 60 * 60_000;

/**
 * Exponential back-off with equal jitter: retry n waits between half and all of
 * min(1 h, 30 s × 2^(n−1)), so the first retry comes within 30 s and instances that failed
 * together do not retry together.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_MAX_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The subset of pino (and so of fastify's logger) the worker writes to. */
export interface OutboxLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface DeliveryReport {
  sent: number;
  retried: number;
  failed: number;
}

export interface OutboxWorkerOptions {
  db: Db;
  mailer: Mailer;
  /** The From header (MAIL_FROM). */
  from: string;
  /** MAIL_MAX_ATTEMPTS: attempts before a row is `failed`. */
  maxAttempts?: number;
  logger: OutboxLogger;
  now?: () => Date;
  /** Rows claimed per pass. */
  batchSize?: number;
  /** Sends in flight at once within a pass. */
  concurrency?: number;
  /** How long a claim lasts; a row still `sending` after it belongs to a crashed instance. */
  lockMs?: number;
  random?: () => number;
}

export interface OutboxWorker {
  /** One pass: claims the due rows, sends them, records each outcome. */
  deliverDue(): Promise<DeliveryReport>;
  /** Runs passes on a timer until stop(); passes never overlap. */
  start(intervalMs: number): void;
  /** Emails were queued: run a pass now instead of at the next tick (or once more after the pass in flight). */
  wake(): void;
  /** Ends the timer and waits for the pass in flight; claimed rows not yet sent go back to the queue. */
  stop(): Promise<void>;
}

const LAST_ERROR_MAX = 2000;

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, LAST_ERROR_MAX);
}

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, mailer, logger } = options;
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 8;
  const batchSize = options.batchSize ?? 20;
  const concurrency = options.concurrency ?? 3;
  const lockMs = options.lockMs ?? 2 * 60_000;
  const random = options.random ?? Math.random;
  // A claim shorter than one send would hand every row back before trying it.
  if (lockMs <= MAIL_SEND_TIMEOUT_MS) throw new RangeError(`lockMs must exceed ${MAIL_SEND_TIMEOUT_MS} ms, the longest send`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be a whole number of at least 1');

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  // Set by start(): the timer's interval between passes that found little to send.
  let interval: number | undefined;
  // Set by wake() while a pass runs: the rows it was told of may have come after its claim.
  let running = false;
  let wokenDuringPass = false;
  let tail: Promise<unknown> = Promise.resolve();

  const outboxRows = createNotificationsRepository({ db });

  const claim = (): Promise<Notification[]> => outboxRows.claimDue({ at: now(), limit: batchSize, lockMs });

  async function finish(row: Notification, values: Partial<typeof notifications.$inferInsert>): Promise<boolean> {
    const settled = await outboxRows.settleClaimed({ row, values });
    if (!settled) {
      logger.warn({ notificationId: row.id, messageId: row.messageId }, 'notification was reclaimed by another worker; outcome not recorded');
    }
    return settled;
  }

  async function fail(row: Notification, lastError: string, report: DeliveryReport): Promise<void> {
    if (await finish(row, { status: 'failed', lockedUntil: null, lastError: lastError.slice(0, LAST_ERROR_MAX) })) {
      report.failed += 1;
      logger.warn({ notificationId: row.id, messageId: row.messageId, attempts: row.attempts, lastError }, 'notification failed');
    }
  }

  async function deliver(row: Notification, report: DeliveryReport): Promise<void> {
    const lockLeft = (row.lockedUntil?.getTime() ?? 0) - now().getTime();
    if (stopping || lockLeft < MAIL_SEND_TIMEOUT_MS) {
      // Not started: hand it back untouched, as if never claimed.
      await finish(row, { status: 'pending', lockedUntil: null, attempts: row.attempts - 1 });
      return;
    }
    if (row.recipients.length === 0) {
      const units = row.unitIds.length > 0 ? `（单位 ${row.unitIds.join('、')}）` : '';
      await fail(row, `no_recipients: 收件单位未登记电子邮箱地址${units}，请补充地址后重新发送`, report);
      return;
    }
    if (row.attempts > maxAttempts) {
      await fail(row, `attempts_exhausted: 已尝试${row.attempts - 1}次，最后一次发送未能完成${row.lastError ? `；上次错误：${row.lastError}` : ''}`, report);
      return;
    }
    let mail: RenderedMail;
    try {
      mail = renderStoredMail(row);
    } catch (error) {
      // The same data renders the same way on every attempt: trying again cannot help.
      await fail(row, `permanent: ${errorText(error)}`, report);
      return;
    }
    try {
      await mailer.send({
        messageId: row.messageId,
        from: options.from,
        to: row.recipients,
        cc: row.cc,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        fileStem: mailFileStem(row),
      });
    } catch (error) {
      const permanent = error instanceof MailDeliveryError && error.permanent;
      const lastError = `${permanent ? 'permanent' : 'transient'}: ${errorText(error)}`;
      if (permanent || row.attempts >= maxAttempts) {
        await fail(row, lastError, report);
        return;
      }
      const nextAttemptAt = new Date(now().getTime() + retryDelayMs(row.attempts, random));
      if (await finish(row, { status: 'pending', lockedUntil: null, nextAttemptAt, lastError })) {
        report.retried += 1;
        logger.warn({ notificationId: row.id, messageId: row.messageId, attempts: row.attempts, nextAttemptAt, lastError }, 'notification will be retried');
      }
      return;
    }
    if (await finish(row, { status: 'sent', lockedUntil: null, sentAt: now() })) {
      report.sent += 1;
      logger.info({ notificationId: row.id, messageId: row.messageId, attempts: row.attempts }, 'notification sent');
    }
  }

  async function runPass(): Promise<{ report: DeliveryReport; claimed: number }> {
    const report: DeliveryReport = { sent: 0, retried: 0, failed: 0 };
    if (stopping) return { report, claimed: 0 };
    const rows = await claim();
    let next = 0;
    const lane = async () => {
      for (let row = rows[next++]; row; row = rows[next++]) {
        try {
          await deliver(row, report);
        } catch (error) {
          // A database error after the send: the row stays `sending` and is retried after its lock expires.
          logger.error({ err: error, notificationId: row.id, messageId: row.messageId }, 'could not record a notification outcome');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, lane));
    return { report, claimed: rows.length };
  }

  /** The next timed pass, at once (replacing a later one) or after `delayMs`. */
  function runSoon(delayMs = 0): void {
    clearTimeout(timer);
    timer = setTimeout(() => void timedPass(), delayMs);
    timer.unref();
  }

  async function timedPass(): Promise<void> {
    let claimed = 0;
    running = true;
    wokenDuringPass = false;
    try {
      claimed = (await serialized(runPass)).claimed;
    } catch (error) {
      logger.error({ err: error }, 'outbox pass failed');
    }
    running = false;
    if (stopping || interval === undefined) return;
    // A full batch means more rows are waiting: go again at once rather than after the interval.
    runSoon(claimed >= batchSize || wokenDuringPass ? 0 : interval);
  }

  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  }

  return {
    async deliverDue() {
      return (await serialized(runPass)).report;
    },

    start(intervalMs) {
      if (timer) return;
      stopping = false;
      interval = intervalMs;
      runSoon();
    },

    wake() {
      if (interval === undefined || stopping) return;
      if (running) wokenDuringPass = true;
      else runSoon();
    },

    async stop() {
      stopping = true;
      clearTimeout(timer);
      timer = undefined;
      interval = undefined;
      await tail;
    },
  };
}
