import type { SendMailOptions } from 'nodemailer';

/** One email as the outbox hands it to a mailer. */
export interface OutgoingMail {
  /** The Message-ID header, angle brackets included; the same on every attempt so a duplicate is recognisable. */
  messageId: string;
  from: string;
  to: string[];
  /** Copies (Cc), e.g. the unit's leaders on the ladder's higher levels. */
  cc?: string[];
  subject: string;
  text: string;
  html: string;
  /** A readable file name without extension, for drivers that write files: date, kind and ticket or unit. */
  fileStem?: string;
}

/**
 * `20210618-escalation-YY-WJW-1b2c3d4e`: the Beijing date the email was written, its kind, the ticket
 * number or the unit a batch goes to, and a piece of its Message-ID so two emails never share a name.
 */
export function mailFileStem({ createdAt, kind, reference, messageId }: { createdAt: Date; kind: string; reference: string | null; messageId: string }): string {
  const day = new Date(createdAt.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');
  const unique = /rectify\.n\.([0-9a-f]{8})/.exec(messageId)?.[1] ?? messageId.replace(/[^A-Za-z0-9]/g, '').slice(-8);
  const ref = (reference ?? '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  return [day, kind, ref, unique].filter((part) => part.length > 0).join('-');
}

/** A delivery that did not happen; `permanent` tells the outbox not to try the same message again. */
export class MailDeliveryError extends Error {
  readonly permanent: boolean;
  /** The SMTP reply code when the mail server gave one. */
  readonly responseCode: number | undefined;
  /** Recipients the mail server refused. */
  readonly rejected: string[];

  constructor(message: string, options: { permanent: boolean; responseCode?: number; rejected?: string[]; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'MailDeliveryError';
    this.permanent = options.permanent;
    this.responseCode = options.responseCode;
    this.rejected = options.rejected ?? [];
  }
}

/** The nodemailer message both drivers build, so an .eml file is exactly what SMTP would have carried. */
export function toNodemailerMessage(mail: OutgoingMail, defaultFrom: string): SendMailOptions {
  return {
    messageId: mail.messageId,
    from: mail.from || defaultFrom,
    to: mail.to,
    ...(mail.cc && mail.cc.length > 0 ? { cc: mail.cc } : {}),
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    // RFC 3834: out-of-office and similar robots must not answer a notification.
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
    // Our bodies are plain strings; never let a value be read as a file path or URL to fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
