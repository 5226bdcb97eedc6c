import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_KEY_FILE, loadAuditKey } from '../../server/audit-key.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-audit-key-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the audit key', () => {
  it('is generated once into DATA_DIR/audit.key, readable by its owner only, and read back the same', () => {
    const first = loadAuditKey({ dataDir });
    expect(first.length).toBe(32);
    expect(fs.statSync(path.join(dataDir, AUDIT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadAuditKey({ dataDir }).equals(first)).toBe(true);
  });

  it('is AUDIT_KEY when it is set, whatever the file holds', () => {
    expect(loadAuditKey({ dataDir, auditKey: 'k'.repeat(32) }).toString()).toBe('k'.repeat(32));
  });

  it('refuses a file that does not hold a key, naming the file', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-audit-key-'));
    try {
      fs.writeFileSync(path.join(other, AUDIT_KEY_FILE), 'not a key\n');
      expect(() => loadAuditKey({ dataDir: other })).toThrow(AUDIT_KEY_FILE);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
