import type { Database } from '../db/client.js';
import { createAuditLogRepository } from '../db/repositories/audit-log.repository.js';
import { createUnitsRepository } from '../db/repositories/units.repository.js';
import { createUsersRepository } from '../db/repositories/users.repository.js';
import { createDirectoryService } from '../workflows/directory.service.js';

export interface ServiceDeps {
  database: Database;
  publicUrl: string;
  /** The clock every workflow reads; tests and `rectify sweep --now` replace it. */
  now: () => Date;
}

/** The composition root: repositories and workflows wired once, handed to routes and commands. */
export function createServices({ database, publicUrl, now }: ServiceDeps) {
  const db = database.db;
  const units = createUnitsRepository({ db });
  const users = createUsersRepository({ db });
  const auditLog = createAuditLogRepository({ db });
  const directory = createDirectoryService({ db, units, users, auditLog });
  return { database, db, now, publicUrl, units, users, auditLog, directory };
}

export type Services = ReturnType<typeof createServices>;
