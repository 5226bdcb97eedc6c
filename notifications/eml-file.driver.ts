import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { MailDeliveryError, toNodemailerMessage, type OutgoingMail } from './mail-message.js';
import type { Mailer } from './mailer.js';

/**
 * The mail's file stem (`20210618-issued-2021-2-003-1b2c3d4e.eml`), or for a mail without one its
 * Message-ID (`rectify.n.1b2c…@example.gov.cn.eml`): one file per message, a retry overwrites it.
 */
export function emlFileName(messageId: string, stem?: string): string {
  const base = (stem ?? messageId)
    .replace(/[<>]/g, '')
    .replace(/[^A-Za-z0-9._@-]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 200);
  return `${base || 'message'}.eml`;
}

// Written under a temporary name, flushed, then renamed: a reader never sees half a message.
async function writeAtomically(file: string, content: Buffer): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/** Writes every message as an RFC 5322 `.eml` file that any mail program opens. */
export function createEmlFileDriver(options: { dir: string; from: string }): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  return {
    async send(mail: OutgoingMail) {
      try {
        const info = await transport.sendMail(toNodemailerMessage(mail, options.from));
        if (!Buffer.isBuffer(info.message)) throw new Error('nodemailer returned a stream although buffer was requested');
        await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
        await writeAtomically(path.join(options.dir, emlFileName(mail.messageId, mail.fileStem)), info.message);
      } catch (error) {
        // A full disk or a folder without write permission heals once someone fixes it.
        const reason = error instanceof Error ? error.message : String(error);
        throw new MailDeliveryError(`could not write the .eml file to ${options.dir}: ${reason}`, { permanent: false, cause: error });
      }
    },
    async close() {},
  };
}
