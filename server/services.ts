import { createAuditChain } from '../db/audit-chain.js';
import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client.js';
import { createAttachmentsRepository } from '../db/repositories/attachments.repository.js';
import { createFeedbacksRepository } from '../db/repositories/feedbacks.repository.js';
import { createFeedbackNotifier } from '../notifications/feedback-notifier.js';
import type { FileStore } from '../storage/file-store.js';
import { createAttachmentsService } from '../workflows/tickets/attachments.service.js';
import { createAuditService } from '../workflows/admin/audit.service.js';
import { createFeedbackWorkflow } from '../workflows/feedback/feedback.workflow.js';
import { createAuditLogRepository } from '../db/repositories/audit-log.repository.js';
import { createCalendarRepository } from '../db/repositories/calendar.repository.js';
import { createInspectionsRepository } from '../db/repositories/inspections.repository.js';
import { createNotificationsRepository } from '../db/repositories/notifications.repository.js';
import { createReportsRepository } from '../db/repositories/reports.repository.js';
import { createSessionsRepository } from '../db/repositories/sessions.repository.js';
import { createTicketEventsRepository } from '../db/repositories/ticket-events.repository.js';
import { createDeadlineActionsRepository } from '../db/repositories/deadline-actions.repository.js';
import { createTicketsRepository } from '../db/repositories/tickets.repository.js';
import { createUnitsRepository } from '../db/repositories/units.repository.js';
import { createUsersRepository } from '../db/repositories/users.repository.js';
import { mailDomain } from '../notifications/outbox.js';
import { createTicketNotifier } from '../notifications/ticket-notifier.js';
import { createDirectoryService } from '../workflows/directory/directory.service.js';
import { createInspectionsService } from '../workflows/inspections/inspections.service.js';
import { createFindingsImportService } from '../workflows/imports/findings-import.service.js';
import { createInspectionReport } from '../workflows/reports/inspection-report.js';
import { createBulletin } from '../workflows/reports/bulletin.js';
import { createBulletinCandidates } from '../workflows/reports/bulletin-candidates.js';
import { createTicketIssuance } from '../workflows/tickets/ticket-issuance.js';
import { createTicketIssuanceRepository } from '../db/repositories/ticket-issuance.repository.js';
import { createUnitsImportService } from '../workflows/imports/units-import.service.js';
import { createTicketWorkflow } from '../workflows/tickets/ticket.workflow.js';
import { createCalendarService } from '../workflows/deadlines/calendar.service.js';
import { createSweep } from '../workflows/deadlines/sweep.js';
import { createOutboxService } from '../workflows/admin/outbox.service.js';

export interface ServiceDeps {
  database: Database;
  publicUrl: string;
  mailFrom: string;
  /** The clock every workflow reads; tests and `rectify sweep --now` replace it. */
  now: () => Date;
  /** Where evidence files live (a folder under DATA_DIR by default: storage/folder.driver.ts). */
  files: FileStore;
  /** The audit chain's key (server/audit-key.ts): every instance on one database uses the same. */
  auditKey: Buffer;
}

/** The composition root: repositories and workflows wired once, handed to routes and commands. */
export function createServices({ database, publicUrl, mailFrom, now, files, auditKey }: ServiceDeps) {
  const db = database.db;
  const chain = createAuditChain(auditKey);
  const units = createUnitsRepository({ db });
  const users = createUsersRepository({ db });
  const sessions = createSessionsRepository({ db });
  const auditLog = createAuditLogRepository({ db });
  const calendar = createCalendarRepository({ db });
  const inspections = createInspectionsRepository({ db });
  const tickets = createTicketsRepository({ db });
  const ticketEvents = createTicketEventsRepository({ db, chain });
  const notifications = createNotificationsRepository({ db });
  const notifier = createTicketNotifier({ publicUrl, mailDomain: mailDomain(mailFrom), now, notifications });
  const directory = createDirectoryService({ db, units, users, sessions, auditLog });
  const inspectionsService = createInspectionsService({ db, inspections, units, auditLog });
  const issuance = createTicketIssuance({ notifier, events: ticketEvents, issuance: createTicketIssuanceRepository() });
  const unitsImport = createUnitsImportService({ db, units, auditLog });
  const feedbacks = createFeedbacksRepository({ db, chain });
  const findingsImport = createFindingsImportService({ db, inspections, units, issuance, auditLog, feedbacks, now });
  const attachments = createAttachmentsService({ db, attachments: createAttachmentsRepository({ db }), files, now });
  const ticketWorkflow = createTicketWorkflow({ db, tickets, events: ticketEvents, notifications, units, notifier, attachments, now });
  const feedbackWorkflow = createFeedbackWorkflow({
    db,
    feedbacks,
    inspections,
    tickets,
    attachments,
    notifier: createFeedbackNotifier({ publicUrl, mailDomain: mailDomain(mailFrom), now, notifications }),
    now,
  });
  const audit = createAuditService({ ticketEvents, feedbacks, attachments });
  const calendarService = createCalendarService({ db, calendar, auditLog, now });
  const reports = createReportsRepository({ db });
  const inspectionReport = createInspectionReport({ inspections, reports, units, feedbacks, loadCalendar: calendarService.current, now });
  const bulletinCandidates = createBulletinCandidates({ inspections, tickets, loadCalendar: calendarService.current, now });
  const bulletin = createBulletin({ inspectionReport, bulletinCandidates, reports, units });
  const outbox = createOutboxService({ db, notifications, notifier, now });
  const deadlineActions = createDeadlineActionsRepository({ db });
  // Two batches at once on PostgreSQL (workflows/deadlines/sweep.ts); one on PGlite, which runs a
  // statement at a time, and inside a transaction (`rectify sweep --dry-run`), which is one connection.
  const sweepConcurrency = database.kind === 'postgres' && !is(db, PgTransaction) ? 2 : 1;
  const sweep = createSweep({ db, deadlineActions, tickets, ticketWorkflow, notifier, loadCalendar: calendarService.current, concurrency: sweepConcurrency });
  return {
    database,
    db,
    now,
    publicUrl,
    units,
    users,
    sessions,
    auditLog,
    calendar,
    inspections,
    tickets,
    ticketEvents,
    deadlineActions,
    notifications,
    notifier,
    outbox,
    directory,
    inspectionsService,
    issuance,
    findingsImport,
    unitsImport,
    reports,
    inspectionReport,
    bulletinCandidates,
    bulletin,
    ticketWorkflow,
    files,
    attachments,
    feedbacks,
    feedbackWorkflow,
    audit,
    calendarService,
    sweep,
  };
}

export type Services = ReturnType<typeof createServices>;
