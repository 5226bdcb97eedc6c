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
  if (!fs.existsSync(file)) {
    // Written whole under another name, then linked into place: of two processes starting together,
    // one key wins and neither reads a half-written file.
    const draft = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(draft, `${randomBytes(AUDIT_KEY_BYTES).toString('hex')}\n`, { mode: 0o600 });
    try {
      fs.linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.rmSync(draft, { force: true });
    }
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/.test(text)) throw new Error(`${file} does not hold an audit key (at least 64 hex digits); restore it from the backup, or set AUDIT_KEY`);
  return Buffer.from(text, 'hex');
}
