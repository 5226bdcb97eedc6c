import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  /** RCPT TO addresses, as the server accepted them. */
  envelopeTo: string[];
  messageId: string | undefined;
  subject: string | undefined;
  text: string | undefined;
  html: string | false | undefined;
  /** Addresses of the To header. */
  to: string[];
  parsed: ParsedMail;
}

export interface SmtpTestServer {
  port: number;
  /** smtp://127.0.0.1:PORT for createMailer. */
  url: string;
  received: ReceivedMail[];
  /** Answers RCPT TO for these addresses with the given code (550 unless told). */
  rejectRecipients(addresses: string[], code?: number): void;
  /** Holds every DATA reply back this long, to catch a send in flight. */
  delayData(ms: number): void;
  /** Closes the listener and every connection: the mail server is down, the port refuses. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** Forgets received messages, rejections and delays between tests. */
  reset(): void;
  /** Resolves once `count` messages have arrived. */
  waitForMessages(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function addressesOf(header: AddressObject | AddressObject[] | undefined): string[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return objects.flatMap((o) => o.value.map((v) => v.address ?? ''));
}

function smtpError(message: string, responseCode: number): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}

/** An in-process SMTP server on 127.0.0.1 that records what it receives, parsed with mailparser. */
export async function startSmtpTestServer(): Promise<SmtpTestServer> {
  const received: ReceivedMail[] = [];
  const rejected = new Map<string, number>();
  let dataDelayMs = 0;

  const options: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // stop() must take the server down at once, not after the 30 s default grace period.
    closeTimeout: 50,
    onRcptTo(address, _session, callback) {
      const code = rejected.get(address.address.toLowerCase());
      if (code !== undefined) return callback(smtpError(`Mailbox unavailable: ${address.address}`, code));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        void (async () => {
          // Recorded before the 250 reply, so a resolved send is always visible here.
          const parsed = await simpleParser(Buffer.concat(chunks));
          received.push({
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            messageId: parsed.messageId,
            subject: parsed.subject,
            text: parsed.text,
            html: parsed.html,
            to: addressesOf(parsed.to),
            parsed,
          });
          if (dataDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, dataDelayMs));
          callback();
        })().catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      });
    },
  };

  let server = new SMTPServer(options);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.on('error', reject);
      const listener = server.listen(port, '127.0.0.1', () => {
        const address = listener.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));

  const port = await listen(0);
  let running = true;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    rejectRecipients(addresses, code = 550) {
      for (const address of addresses) rejected.set(address.toLowerCase(), code);
    },
    delayData(ms) {
      dataDelayMs = ms;
    },
    reset() {
      received.length = 0;
      rejected.clear();
      dataDelayMs = 0;
    },
    async stop() {
      if (!running) return;
      running = false;
      await close();
    },
    async restart() {
      if (running) return;
      server = new SMTPServer(options);
      await listen(port);
      running = true;
    },
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} messages, received ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      if (running) await close();
      running = false;
    },
  };
}
