import { isIP } from 'node:net';
import path from 'node:path';
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { passwordProblem } from '../core/password-policy.js';

/** Every setting Rectify reads from the environment; nothing else reads `process.env`. */
const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  MIGRATION_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  // Checked below, not here: a schema message would echo the value.
  AUDIT_KEY: Type.Optional(Type.String()),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  JWT_EXPIRES_IN: Type.String({ pattern: '^[0-9]+[smhd]$', default: '8h' }),
  // Checked against the password policy below, not here: a schema message would echo the value.
  RECTIFY_ADMIN_PASSWORD: Type.Optional(Type.String()),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.Optional(Type.String({ minLength: 3 })),
  MAIL_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  SWEEP_INTERVAL_S: Type.Integer({ minimum: 0, maximum: 86400, default: 60 }),
  LOGIN_MAX_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10000, default: 10 }),
  ATTACHMENT_MAX_MB: Type.Integer({ minimum: 1, maximum: 1024, default: 20 }),
  IMPORT_MAX_ROWS: Type.Integer({ minimum: 1, maximum: 2_000_000, default: 200_000 }),
  TRUST_PROXY: Type.Optional(Type.String()),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});
type Env = Static<typeof EnvSchema>;

const hints: Record<string, string> = {
  PORT: 'a whole number from 0 to 65535, e.g. PORT=3000',
  DATABASE_URL: 'a PostgreSQL connection string, e.g. postgres://user@127.0.0.1:5432/rectify; leave it unset for the embedded database',
  MIGRATION_DATABASE_URL: 'a PostgreSQL connection string of the role that owns the tables, e.g. postgres://rectify_owner@127.0.0.1:5432/rectify; set with DATABASE_URL only',
  AUDIT_KEY: 'at least 32 bytes, e.g. the output of `openssl rand -base64 48`; leave it unset to keep a generated key in DATA_DIR/audit.key',
  JWT_SECRET: 'at least 32 bytes, e.g. the output of `openssl rand -base64 48`',
  JWT_EXPIRES_IN: 'a duration such as 8h, 30m or 1d',
  RECTIFY_ADMIN_PASSWORD: 'at least 10 characters, not a common password',
  SMTP_URL: 'smtp://user:pass@host:587 or smtps://host:465; leave it unset to write .eml files',
  PUBLIC_URL: 'the address people open Rectify at, e.g. https://rectify.example.gov.cn',
  MAIL_FROM: 'a sender such as 益阳市政务公开政务服务管理办公室 <zwgk@yiyang.gov.cn>',
  SWEEP_INTERVAL_S: 'seconds between sweeps, 0 turns the timer off',
  MAIL_MAX_ATTEMPTS: 'a whole number from 1 to 50',
  LOGIN_MAX_PER_MINUTE: 'a whole number from 1 to 10000',
  ATTACHMENT_MAX_MB: 'the largest evidence file in megabytes, a whole number from 1 to 1024',
  IMPORT_MAX_ROWS: 'the most data rows one import file may hold, a whole number from 1 to 2000000',
  TRUST_PROXY: 'the number of reverse proxies in front of Rectify (e.g. 1), or their addresses/CIDR ranges separated by commas (e.g. 10.0.0.5,10.1.0.0/16)',
  NODE_ENV: 'development, production or test',
  LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent',
};

/** Keys whose values are passwords or hold one (a connection URL). */
const secretKeys = new Set(['RECTIFY_ADMIN_PASSWORD', 'JWT_SECRET', 'DATABASE_URL', 'MIGRATION_DATABASE_URL', 'AUDIT_KEY', 'SMTP_URL']);

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** The table owner's connection, for migrations only; the server itself connects with `databaseUrl`. */
  migrationDatabaseUrl: string | undefined;
  /** AUDIT_KEY: the audit chain's key; unset, a key generated into DATA_DIR/audit.key (server/audit-key.ts). */
  auditKey: string | undefined;
  jwtSecret: string | undefined;
  jwtExpiresIn: string;
  adminPassword: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  mailMaxAttempts: number;
  publicUrl: string;
  /** PUBLIC_URL was given; otherwise commands other than `serve` use the one the server last stored. */
  publicUrlConfigured: boolean;
  sweepIntervalS: number;
  loginMaxPerMinute: number;
  /** The largest evidence file accepted, in MiB. */
  attachmentMaxMb: number;
  /** The most data rows one import file (findings or units) may hold. */
  importMaxRows: number;
  /** Reverse proxies whose X-Forwarded-For is believed (fastify's trustProxy): a hop count or addresses. */
  trustProxy: number | string[] | undefined;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Rectify cannot start, the configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The display name of the default sender: what the emails are about, not the software sending them. */
export const DEFAULT_MAIL_NAME = '政府网站与政务新媒体检查整改';

/**
 * MAIL_FROM when unset: `政府网站与政务新媒体检查整改 <noreply@HOST>`, HOST being PUBLIC_URL's host
 * name, so replies and Message-IDs name the site people open; an address in brackets for an IP.
 */
export function defaultMailFrom(publicUrl: string): string {
  let host = 'localhost';
  try {
    host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '') || host;
  } catch {
    // PUBLIC_URL's own check reports a malformed address; the sender falls back meanwhile.
  }
  const domain = /^[0-9.]+$|:/.test(host) ? `[${host}]` : host;
  return `${DEFAULT_MAIL_NAME} <noreply@${domain}>`;
}

/** `1` → 1 hop; `10.0.0.5, 10.1.0.0/16` → those addresses; null when it is neither. */
function parseTrustProxy(value: string | undefined): number | string[] | undefined | null {
  if (value === undefined) return undefined;
  if (/^\s*\d{1,2}\s*$/.test(value)) return Number(value);
  const items = value.split(',').map((item) => item.trim());
  const valid = items.every((item) => {
    const [address = '', prefix, extra] = item.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  });
  return valid && items.length > 0 ? items : null;
}

/** Reads and validates the settings once, at start-up; throws a ConfigError naming every bad key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const given = { ...raw };
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw)) as Record<string, unknown>;
  // Convert reads "3.5" as 3 and "0x10" as 16: a number setting must be written as a plain whole number.
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const value = given[key];
    if ((schema as { type?: unknown }).type === 'integer' && typeof value === 'string' && !/^\s*\d+\s*$/.test(value)) converted[key] = value;
  }
  // One line per key: a union (NODE_ENV, LOG_LEVEL) reports once per member otherwise.
  const problemByKey = new Map<string, string>();
  for (const e of Value.Errors(EnvSchema, converted)) {
    const key = e.instancePath.replace(/^\//, '').split('/')[0] ?? '';
    if (problemByKey.has(key)) continue;
    const hint = hints[key];
    const message = e.keyword === 'const' || e.keyword === 'anyOf' ? 'is not one of the allowed values' : e.message;
    // A secret is never echoed: the message goes to the console and to logs.
    const shown = secretKeys.has(key) ? '(value hidden)' : JSON.stringify(given[key]);
    problemByKey.set(key, `${key}=${shown}: ${message}${hint ? ` (expected ${hint})` : ''}`);
  }
  const problems = [...problemByKey.values()];
  const parsed = converted as unknown as Env;
  // Checked alongside the other keys (so every problem is listed at once), once NODE_ENV and JWT_SECRET are themselves valid.
  const secretCheckable = !problemByKey.has('NODE_ENV') && !problemByKey.has('JWT_SECRET');
  if (secretCheckable && parsed.NODE_ENV === 'production' && Buffer.byteLength(parsed.JWT_SECRET ?? '') < 32) {
    problems.push(`JWT_SECRET is ${parsed.JWT_SECRET ? 'shorter than 32 bytes' : 'not set'}; in production it is required (expected ${hints.JWT_SECRET})`);
  } else if (secretCheckable && parsed.JWT_SECRET !== undefined && Buffer.byteLength(parsed.JWT_SECRET) < 32) {
    problems.push(`JWT_SECRET is shorter than 32 bytes (expected ${hints.JWT_SECRET})`);
  }
  if (parsed.AUDIT_KEY !== undefined && Buffer.byteLength(parsed.AUDIT_KEY) < 32) problems.push(`AUDIT_KEY is shorter than 32 bytes (expected ${hints.AUDIT_KEY})`);
  if (parsed.MIGRATION_DATABASE_URL !== undefined && parsed.DATABASE_URL === undefined && !problemByKey.has('MIGRATION_DATABASE_URL')) {
    problems.push(`MIGRATION_DATABASE_URL is set without DATABASE_URL (expected ${hints.MIGRATION_DATABASE_URL})`);
  }
  const trustProxy = parseTrustProxy(parsed.TRUST_PROXY);
  if (trustProxy === null) problems.push(`TRUST_PROXY=${JSON.stringify(given.TRUST_PROXY)}: is not a hop count or a list of addresses (expected ${hints.TRUST_PROXY})`);
  const adminPasswordProblem = parsed.RECTIFY_ADMIN_PASSWORD === undefined ? undefined : passwordProblem(parsed.RECTIFY_ADMIN_PASSWORD);
  if (adminPasswordProblem) problems.push(`RECTIFY_ADMIN_PASSWORD is not accepted: ${adminPasswordProblem} (expected ${hints.RECTIFY_ADMIN_PASSWORD})`);
  if (problems.length > 0) throw new ConfigError(problems);

  const publicUrl = (parsed.PUBLIC_URL ?? `http://${parsed.HOST}:${parsed.PORT}`).replace(/\/+$/, '');
  return {
    nodeEnv: parsed.NODE_ENV,
    port: parsed.PORT,
    host: parsed.HOST,
    dataDir: path.resolve(parsed.DATA_DIR),
    databaseUrl: parsed.DATABASE_URL,
    migrationDatabaseUrl: parsed.MIGRATION_DATABASE_URL,
    auditKey: parsed.AUDIT_KEY,
    jwtSecret: parsed.JWT_SECRET,
    jwtExpiresIn: parsed.JWT_EXPIRES_IN,
    adminPassword: parsed.RECTIFY_ADMIN_PASSWORD,
    smtpUrl: parsed.SMTP_URL,
    mailFrom: parsed.MAIL_FROM ?? defaultMailFrom(publicUrl),
    mailMaxAttempts: parsed.MAIL_MAX_ATTEMPTS,
    publicUrl,
    publicUrlConfigured: parsed.PUBLIC_URL !== undefined,
    sweepIntervalS: parsed.SWEEP_INTERVAL_S,
    loginMaxPerMinute: parsed.LOGIN_MAX_PER_MINUTE,
    attachmentMaxMb: parsed.ATTACHMENT_MAX_MB,
    importMaxRows: parsed.IMPORT_MAX_ROWS,
    trustProxy: trustProxy ?? undefined,
    logLevel: parsed.LOG_LEVEL,
  };
}
