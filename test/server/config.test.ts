import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

/** The problems a ConfigError lists, or a failure when the settings were accepted. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('starts from the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      jwtSecret: undefined,
      adminPassword: undefined,
      smtpUrl: undefined,
      publicUrl: 'http://127.0.0.1:3000',
      sweepIntervalS: 60,
    });
  });

  it('converts numbers, resolves DATA_DIR and derives PUBLIC_URL from HOST and PORT', () => {
    const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', DATA_DIR: 'var/rectify', SWEEP_INTERVAL_S: '0', LOGIN_MAX_PER_MINUTE: '5' });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe(path.resolve('var/rectify'));
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.sweepIntervalS).toBe(0);
    expect(config.loginMaxPerMinute).toBe(5);
    expect(config.publicUrl).toBe('http://0.0.0.0:8080');
  });

  it('keeps an explicit PUBLIC_URL, without trailing slashes, and reads the mail and database settings', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://rectify.example.gov.cn/',
      DATABASE_URL: 'postgresql://rectify@db.internal:5432/rectify',
      SMTP_URL: 'smtps://mail.example.gov.cn:465',
    });
    expect(config.publicUrl).toBe('https://rectify.example.gov.cn');
    expect(config.databaseUrl).toBe('postgresql://rectify@db.internal:5432/rectify');
    expect(config.smtpUrl).toBe('smtps://mail.example.gov.cn:465');
  });

  it('treats an empty value as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '', DATABASE_URL: '', SMTP_URL: '' });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
  });

  it.each(['abc', '70000', '-1', '3.5'])('refuses PORT=%s, naming PORT and what it should be', (value) => {
    const problems = problemsOf({ PORT: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PORT=/);
    expect(problems[0]).toContain(value);
    expect(problems[0]).toContain('a whole number from 0 to 65535');
  });

  it('refuses a SWEEP_INTERVAL_S that is not a whole number instead of truncating it', () => {
    const problems = problemsOf({ SWEEP_INTERVAL_S: '1.5' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SWEEP_INTERVAL_S=/);
    expect(problems[0]).toContain('0 turns the timer off');
  });

  it('refuses a DATABASE_URL that is not a PostgreSQL connection string and says how to use the embedded one', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://root@localhost/rectify' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL=/);
    // A connection string may hold a password: the message names the key, never the value.
    expect(problems[0]).not.toContain('mysql://root@localhost/rectify');
    expect(problems[0]).toContain('(value hidden)');
    expect(problems[0]).toContain('postgres://');
    expect(problems[0]).toContain('leave it unset for the embedded database');
  });

  it('refuses an SMTP_URL that is not smtp:// or smtps://', () => {
    const problems = problemsOf({ SMTP_URL: 'https://mail.example.gov.cn' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SMTP_URL=/);
    expect(problems[0]).toContain('smtp://');
    expect(problems[0]).toContain('smtps://');
    expect(problems[0]).toContain('.eml');
  });

  it('lists every bad key at once, in one message a person can act on', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'localhost:5432', SMTP_URL: 'mail.example.gov.cn', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    const keys = error.problems.map((p) => p.split('=')[0]);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'SMTP_URL', 'LOG_LEVEL']));
    // One line per key, even for a key whose schema is a list of allowed values.
    expect(error.problems).toHaveLength(4);
    expect(error.problems.find((p) => p.startsWith('LOG_LEVEL='))).toContain('fatal, error, warn, info, debug, trace or silent');
    expect(error.message).toContain('Rectify cannot start');
    for (const key of ['PORT', 'DATABASE_URL', 'SMTP_URL', 'LOG_LEVEL']) expect(error.message).toContain(`  - ${key}=`);
  });

  it('refuses an unknown NODE_ENV with one line listing the allowed values', () => {
    const problems = problemsOf({ NODE_ENV: 'prod' });
    expect(problems).toEqual(['NODE_ENV="prod": is not one of the allowed values (expected development, production or test)']);
  });

  describe('NODE_ENV=production', () => {
    it('refuses to start without JWT_SECRET', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('JWT_SECRET');
      expect(problems[0]).toContain('not set');
      expect(problems[0]).toContain('32 bytes');
    });

    it('refuses a JWT_SECRET of 31 bytes', () => {
      const problems = problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('JWT_SECRET');
      expect(problems[0]).toContain('shorter than 32 bytes');
    });

    it('counts bytes, not characters: 10 Chinese characters and one letter (31 bytes) are too short', () => {
      const secret = `${'密'.repeat(10)}x`;
      expect(secret.length).toBe(11);
      expect(Buffer.byteLength(secret)).toBe(31);
      expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: secret })[0]).toContain('shorter than 32 bytes');
    });

    it('lists a missing JWT_SECRET together with the other bad keys', () => {
      const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc' });
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^PORT=/);
      expect(problems[1]).toContain('JWT_SECRET is not set');
    });

    it('accepts a JWT_SECRET of exactly 32 bytes', () => {
      const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) });
      expect(config.nodeEnv).toBe('production');
      expect(config.jwtSecret).toBe('x'.repeat(32));
    });
  });

  it('refuses a short JWT_SECRET outside production too', () => {
    expect(problemsOf({ JWT_SECRET: 'short' })[0]).toContain('JWT_SECRET is shorter than 32 bytes');
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses and ranges, and refuses anything else', () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,::1' }).trustProxy).toEqual(['10.0.0.5', '10.1.0.0/16', '::1']);
    for (const value of ['true', 'proxy.example.gov.cn', '10.0.0.0/33', '10.0.0.1,,10.0.0.2', '-1']) {
      expect(problemsOf({ TRUST_PROXY: value })[0]).toMatch(/^TRUST_PROXY=.*hop count or a list of addresses/);
    }
  });

  it('reads AUDIT_KEY and MIGRATION_DATABASE_URL, refusing a short key without echoing it and a migration URL alone', () => {
    expect(loadConfig({})).toMatchObject({ auditKey: undefined, migrationDatabaseUrl: undefined });
    const config = loadConfig({ AUDIT_KEY: 'k'.repeat(32), DATABASE_URL: 'postgres://rectify_app@db/rectify', MIGRATION_DATABASE_URL: 'postgres://rectify_owner@db/rectify' });
    expect(config).toMatchObject({ auditKey: 'k'.repeat(32), databaseUrl: 'postgres://rectify_app@db/rectify', migrationDatabaseUrl: 'postgres://rectify_owner@db/rectify' });
    const [short] = problemsOf({ AUDIT_KEY: 'secret-audit-key' });
    expect(short).toContain('AUDIT_KEY is shorter than 32 bytes');
    expect(short).not.toContain('secret-audit-key');
    expect(problemsOf({ MIGRATION_DATABASE_URL: 'postgres://rectify_owner@db/rectify' })[0]).toContain('MIGRATION_DATABASE_URL is set without DATABASE_URL');
    expect(problemsOf({ DATABASE_URL: 'postgres://a@db/r', MIGRATION_DATABASE_URL: 'mysql://owner:pw@db/r' })[0]).toBe(
      'MIGRATION_DATABASE_URL=(value hidden): must match pattern "^postgres(ql)?://" (expected a PostgreSQL connection string of the role that owns the tables, e.g. postgres://rectify_owner@127.0.0.1:5432/rectify; set with DATABASE_URL only)',
    );
  });
});
