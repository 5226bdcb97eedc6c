import type { Writable } from 'node:stream';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Longest string kept in a log entry; one field can no longer make a line of megabytes. */
export const MAX_LOGGED_STRING = 2_000;
const REDACTED = '[redacted]';
// Values under these keys are the client's data or credentials, never logged.
const hiddenKeys = new Set(['params', 'parameters', 'body', 'payload', 'password', 'passwordhash', 'password_hash', 'token', 'authorization', 'cookie', 'secret']);

type Cleaner = (value: unknown) => unknown;

/**
 * What goes into the log: SQL parameters (drizzle puts them in `params` and in the message after
 * "params:"), bodies and credentials removed, the configured secrets blanked wherever they appear,
 * and every string cut at MAX_LOGGED_STRING.
 */
export function createLogCleaner(secrets: readonly (string | undefined)[]): Cleaner {
  const known = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const cleanString = (text: string): string => {
    // Most strings (URLs, ids, messages) hold nothing to clean: checked first, without copying them.
    if (text.length <= MAX_LOGGED_STRING && !text.includes('params:') && !known.some((secret) => text.includes(secret))) return text;
    let out = text.replace(/(\bparams:)[^\n]*/g, `$1 ${REDACTED}`);
    for (const secret of known) out = out.split(secret).join(REDACTED);
    return out.length > MAX_LOGGED_STRING ? `${out.slice(0, MAX_LOGGED_STRING)}…(${out.length - MAX_LOGGED_STRING} more characters)` : out;
  };
  const clean = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return cleanString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth > 6) return '[too deep]';
    if (value instanceof Error) return clean(errorFields(value), depth);
    if (Array.isArray(value)) return value.slice(0, 50).map((item) => clean(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = hiddenKeys.has(key.toLowerCase()) ? REDACTED : clean(child, depth + 1);
    return out;
  };
  return (value) => clean(value, 0);
}

/** An error as plain fields: its name, message, stack, code and own properties, with its cause. */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const [key, value] of Object.entries(error)) fields[key] = value;
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}

/** What fastify's request log entries hold of a request (its own `req` serializer's fields). */
interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}

/** Fastify's logger settings: pino with every entry passed through the cleaner. */
export function loggerOptions({ level, secrets, stream }: { level: string; secrets: readonly (string | undefined)[]; stream?: Writable }) {
  const clean = createLogCleaner(secrets);
  return {
    level,
    ...(stream ? { stream } : {}),
    serializers: {
      // pino's shape for a serialized error; the cleaner keeps type, message and stack as strings.
      err: (error: unknown) => clean(error) as { [key: string]: unknown; type: string; message: string; stack: string },
      // The few fields fastify logs of a request and a reply, cleaned once they are plain values.
      req: (request: LoggedRequest) =>
        clean({ method: request.method, url: request.url, host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort }) as Record<string, unknown>,
      res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
    },
    formatters: {
      // pino formats an entry before it serializes it: fastify's `req` and `res` (its request and reply
      // objects, hundreds of fields deep) are left to the two serializers above instead of walked here.
      log: ({ req, res, ...rest }: Record<string, unknown>) => {
        const out = clean(rest) as Record<string, unknown>;
        if (req !== undefined) out.req = req;
        if (res !== undefined) out.res = res;
        return out;
      },
    },
    hooks: {
      logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? clean(arg) : arg)));
      },
    },
  };
}

/**
 * One access line per request, written when its response is finished, instead of fastify's two
 * ("incoming request" and "request completed"): a log write is a system call, and the first line
 * repeated what the second can say. It holds the request's fields (the `req` serializer, cleaned),
 * the status and the time taken; fastify's other lines (errors, 404s) are unchanged.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // Logged with the outcome, in requestCompleted.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** The secrets a configuration holds, and the passwords inside its connection URLs. */
export function configuredSecrets(values: readonly (string | undefined)[]): string[] {
  const found: string[] = [];
  for (const value of values) {
    if (!value) continue;
    found.push(value);
    try {
      const password = decodeURIComponent(new URL(value).password);
      if (password) found.push(password);
    } catch {
      // Not a URL: the value itself is the secret.
    }
  }
  return found;
}
