import type { Db } from '../client.js';
import { auditLog, type AuditLogEntry } from '../schema/index.js';

export function createAuditLogRepository({ db }: { db: Db }) {
  return {
    async record(entry: AuditLogEntry, tx: Db = db): Promise<void> {
      await tx.insert(auditLog).values(entry);
    },
  };
}

export type AuditLogRepository = ReturnType<typeof createAuditLogRepository>;
