import { SMTPServer } from 'smtp-server';

export interface MailSink {
  /** smtp://127.0.0.1:PORT, the server's SMTP_URL. */
  url: string;
  /** Messages whose DATA has ended so far. */
  received(): number;
  /** Envelope recipients over all messages (one a message when each email goes to one mailbox). */
  recipients(): number;
  /** `process.hrtime.bigint()` when the last message ended; undefined before the first. */
  lastAt(): bigint | undefined;
  /** Resolves once `count` messages have arrived; rejects after `timeoutMs`, saying how many did. */
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 that accepts everything and only counts: the message is drained,
 * never parsed, so the load generator stays cheap beside the server it measures.
 */
export async function startMailSink(): Promise<MailSink> {
  let received = 0;
  let recipients = 0;
  let lastAt: bigint | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // close() must not wait out the 30 s default grace period for the server's pooled connections.
    closeTimeout: 50,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received += 1;
        recipients += session.envelope.rcptTo.length;
        lastAt = process.hrtime.bigint();
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.on('error', reject);
    const listener = server.listen(0, '127.0.0.1', () => {
      const address = listener.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => received,
    recipients: () => recipients,
    lastAt: () => lastAt,
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (received < count) {
        if (Date.now() > deadline) throw new Error(`the mail did not drain: ${received} of ${count} messages arrived within ${timeoutMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
