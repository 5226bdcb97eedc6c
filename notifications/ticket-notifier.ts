import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { TicketView } from '../db/repositories/tickets.repository.js';
import { notifications, units, type TicketNotificationKind as NotificationKind, type Unit } from '../db/schema/index.js';
import { newMessageId } from './outbox.js';
import { renderTicketMail, type TicketMailDetails } from './templates/ticket-mail.js';

export interface TicketNotifierOptions {
  publicUrl: string;
  /** Host part of Message-IDs. */
  mailDomain: string;
}

export interface QueueTicketMail {
  kind: NotificationKind;
  ticket: TicketView;
  eventId: number | null;
  details?: TicketMailDetails;
}

type UnitInfo = Pick<Unit, 'id' | 'parentId' | 'kind' | 'emails'>;

// Bound parameters per statement stay far below PostgreSQL's 65,535.
const CHUNK = 1000;

async function loadUnits(tx: Db, ids: Iterable<number>, into: Map<number, UnitInfo>): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !into.has(id));
  for (let i = 0; i < missing.length; i += CHUNK) {
    const rows = await tx
      .select({ id: units.id, parentId: units.parentId, kind: units.kind, emails: units.emails })
      .from(units)
      .where(inArray(units.id, missing.slice(i, i + CHUNK)));
    for (const row of rows) into.set(row.id, row);
  }
}

/** Who hears what: the units a notification of each kind is addressed to. */
function addresseesOf({ kind, ticket, details }: QueueTicketMail, unitsById: Map<number, UnitInfo>): number[] {
  const issuingOffice = ticket.inspection.issuingUnitId;
  const parentId = unitsById.get(ticket.unitId)?.parentId ?? null;
  switch (kind) {
    case 'submitted': {
      // The inspecting office verifies; a county office also follows its own units' submissions.
      const parent = parentId === null ? undefined : unitsById.get(parentId);
      return parent?.kind === 'county' ? [issuingOffice, parent.id] : [issuingOffice];
    }
    case 'verify_reminder':
      return [issuingOffice];
    case 'escalation': {
      const level = details?.level ?? ticket.escalationLevel;
      const ids = parentId === null ? [ticket.unitId] : [ticket.unitId, parentId];
      return level >= ticket.inspection.policy.maxLevel ? [...ids, issuingOffice] : ids;
    }
    default:
      return [ticket.unitId];
  }
}

/** The subject and bodies of one ticket email, as queueMany stores them. */
export function renderQueuedMail({ kind, ticket, details }: Omit<QueueTicketMail, 'eventId'>, publicUrl: string) {
  return renderTicketMail(kind, {
    ticket: { id: ticket.id, number: ticket.number, state: ticket.state, dueAt: ticket.dueAt, escalationLevel: ticket.escalationLevel, provisional: ticket.dueProvisional },
    inspection: ticket.inspection,
    target: ticket.target,
    problems: ticket.problems,
    unit: { name: ticket.unitName },
    publicUrl,
    ...(details ? { details } : {}),
  });
}

/** Renders ticket emails and queues them in the caller's transaction (the outbox). */
export function createTicketNotifier({ publicUrl, mailDomain }: TicketNotifierOptions) {
  async function queueMany(tx: Db, mails: QueueTicketMail[]): Promise<void> {
    if (mails.length === 0) return;
    const unitsById = new Map<number, UnitInfo>();
    await loadUnits(tx, mails.flatMap((m) => [m.ticket.unitId, m.ticket.inspection.issuingUnitId]), unitsById);
    await loadUnits(tx, [...unitsById.values()].flatMap((u) => (u.parentId === null ? [] : [u.parentId])), unitsById);

    const rows = mails.map((mail) => {
      const unitIds = [...new Set(addresseesOf(mail, unitsById))];
      const recipients = [...new Set(unitIds.flatMap((id) => unitsById.get(id)?.emails ?? []).map((e) => e.trim().toLowerCase()))];
      const rendered = renderQueuedMail(mail, publicUrl);
      return {
        ticketId: mail.ticket.id,
        eventId: mail.eventId,
        kind: mail.kind,
        unitIds,
        recipients,
        subject: rendered.subject,
        bodyText: rendered.text,
        bodyHtml: rendered.html,
        messageId: newMessageId(mailDomain),
      };
    });
    // INSERT … SELECT FROM unnest: one array parameter per column rather than nine per mail, so a
    // large import does not spend its time building and sending statements of thousands of parameters.
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      const column = (value: (row: (typeof part)[number]) => string | number | null) => sql`${sql.param(part.map(value))}`;
      await tx.execute(sql`
        insert into ${notifications} (ticket_id, event_id, kind, unit_ids, recipients, subject, body_text, body_html, message_id)
        select r.ticket_id, r.event_id, r.kind, r.unit_ids::int[],
               array(select e.value from json_array_elements_text(r.recipients::json) with ordinality as e(value, n) order by e.n),
               r.subject, r.body_text, r.body_html, r.message_id
        from unnest(${column((r) => r.ticketId)}::int[], ${column((r) => r.eventId)}::bigint[], ${column((r) => r.kind)}::text[],
                    ${column((r) => `{${r.unitIds.join(',')}}`)}::text[], ${column((r) => JSON.stringify(r.recipients))}::text[],
                    ${column((r) => r.subject)}::text[], ${column((r) => r.bodyText)}::text[], ${column((r) => r.bodyHtml)}::text[], ${column((r) => r.messageId)}::text[])
          as r(ticket_id, event_id, kind, unit_ids, recipients, subject, body_text, body_html, message_id)`);
    }
  }

  return {
    queueMany,
    async queue(tx: Db, mail: QueueTicketMail): Promise<void> {
      await queueMany(tx, [mail]);
    },

    /**
     * Before a failed email is sent again: when it failed for want of any address, address it to its
     * units as they are now, so that adding the missing address and resending (as its error says) works.
     */
    async readdressIfUnaddressed(tx: Db, { id }: { id: number }): Promise<void> {
      const [row] = await tx
        .select({ unitIds: notifications.unitIds, recipients: notifications.recipients })
        .from(notifications)
        .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
        .for('update');
      if (!row || row.recipients.length > 0 || row.unitIds.length === 0) return;
      const unitsById = new Map<number, UnitInfo>();
      await loadUnits(tx, row.unitIds, unitsById);
      const recipients = [...new Set(row.unitIds.flatMap((unitId) => unitsById.get(unitId)?.emails ?? []).map((e) => e.trim().toLowerCase()))];
      if (recipients.length > 0) await tx.update(notifications).set({ recipients }).where(eq(notifications.id, id));
    },
  };
}

export type TicketNotifier = ReturnType<typeof createTicketNotifier>;
