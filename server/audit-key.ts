import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AUDIT_KEY_BYTES } from '../db/audit-chain.js';

/** The file under DATA_DIR that holds the generated audit key (hex), readable by its owner only. */
export const AUDIT_KEY_FILE = 'audit.key';

/**
 * The key of the audit trails' HMAC chain: AUDIT_KEY when it is set, else the key in
 * DATA_DIR/audit.key, generated there on first use. Instances sharing one PostgreSQL database
 * must share the key (the same DATA_DIR or the same AUDIT_KEY). Never logged.
 */
export function loadAuditKey({ auditKey, dataDir }: { auditKey?: string | undefined; dataDir: string }): Buffer {
  if (auditKey !== undefined) return Buffer.from(auditKey, 'utf8');
  const file = path.join(dataDir, AUDIT_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // `wx`: of two processes starting together, one writes the key and the other reads it.
    fs.writeFileSync(file, `${randomBytes(AUDIT_KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/.test(text)) throw new Error(`${file} does not hold an audit key (at least 64 hex digits); restore it from the backup, or set AUDIT_KEY`);
  return Buffer.from(text, 'hex');
}
