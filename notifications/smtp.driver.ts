import nodemailer, { type NodemailerError } from 'nodemailer';
import { MailDeliveryError, toNodemailerMessage, type OutgoingMail } from './mail-message.js';
import type { Mailer } from './mailer.js';

export interface SmtpDriverOptions {
  url: string;
  from: string;
  /** Upper bound for one send, queueing in the pool included. */
  sendTimeoutMs: number;
  maxConnections?: number;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
}

function describe(error: NodemailerError): string {
  const code = error.responseCode ?? error.originalCode ?? error.code ?? 'error';
  return `${code}: ${error.message}`;
}

/**
 * Only a refusal of this message or its recipients is permanent (RFC 5321 5yz, except 503).
 * Refused connections, timeouts, 4yz, a rejected login or sender are about the server or our
 * configuration: retrying later, once fixed, delivers the message.
 */
function isPermanent(error: NodemailerError): boolean {
  if (error.code === 'EMAXRECIPIENTS') return true;
  if (error.code !== 'EENVELOPE' && error.code !== 'EMESSAGE') return false;
  // An envelope error without a reply is an address nodemailer itself found malformed.
  if (error.responseCode === undefined) return error.code === 'EENVELOPE';
  return error.permanent === true && error.command !== 'MAIL FROM';
}

function toDeliveryError(error: unknown): MailDeliveryError {
  const e: NodemailerError = error instanceof Error ? error : new Error(String(error));
  const rejected = e.rejected ?? [];
  return new MailDeliveryError(describe(e), {
    permanent: isPermanent(e),
    responseCode: e.responseCode,
    rejected,
    cause: error,
  });
}

/** A pooled SMTP transport: connections are reused across the outbox's sends. */
export function createSmtpDriver(options: SmtpDriverOptions): Mailer {
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 3,
    maxMessages: 100,
    // The outbox retries with back-off; the pool only re-tries once on a connection that dropped mid-send.
    maxRequeues: 1,
    // Defaults are minutes long; a hung server must not hold the worker that long.
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
    dnsTimeout: 10_000,
  });

  return {
    async send(mail: OutgoingMail) {
      let rejected: string[];
      let accepted: string[];
      let details: string;
      try {
        const info = await transport.sendMail({
          ...toNodemailerMessage(mail, options.from),
          signal: AbortSignal.timeout(options.sendTimeoutMs),
        });
        rejected = info.rejected;
        accepted = info.accepted;
        details = (info.rejectedErrors ?? []).map((e) => `${e.recipient ?? ''} ${e.response ?? e.message}`.trim()).join('; ');
      } catch (error) {
        throw toDeliveryError(error);
      }
      // The others already have the message, so sending it again would reach them twice.
      if (rejected.length > 0) {
        throw new MailDeliveryError(`recipients rejected: ${details || rejected.join(', ')}; delivered to: ${accepted.join(', ')}`, {
          permanent: true,
          rejected,
        });
      }
    },
    async close() {
      // In-flight deliveries finish first (nodemailer pool semantics); idle connections close now.
      transport.close();
    },
  };
}
