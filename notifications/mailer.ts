import path from 'node:path';
import { createEmlFileDriver } from './eml-file.driver.js';
import type { OutgoingMail } from './mail-message.js';
import { createSmtpDriver } from './smtp.driver.js';

export { MailDeliveryError, type OutgoingMail } from './mail-message.js';

/** Delivers one message or throws a MailDeliveryError. */
export interface Mailer {
  send(message: OutgoingMail): Promise<void>;
  /** Releases connections; call after the outbox worker has stopped. */
  close(): Promise<void>;
}

export interface MailerOptions {
  /** smtp:// or smtps:// URL; without it every message becomes an .eml file. */
  smtpUrl?: string | undefined;
  dataDir: string;
  /** Used when a message names no sender. */
  from: string;
}

/** The longest one send may take; the outbox keeps its claim on a row well beyond this. */
export const MAIL_SEND_TIMEOUT_MS = 60_000;

/** SMTP when a URL is configured, else `.eml` files in `${dataDir}/outbox/`. */
export function createMailer(options: MailerOptions): Mailer {
  if (options.smtpUrl) {
    return createSmtpDriver({ url: options.smtpUrl, from: options.from, sendTimeoutMs: MAIL_SEND_TIMEOUT_MS });
  }
  return createEmlFileDriver({ dir: path.join(options.dataDir, 'outbox'), from: options.from });
}
