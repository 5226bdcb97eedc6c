import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { TicketView } from '../db/repositories/tickets.repository.js';
import { notifications, units, type NotificationKind, type Unit } from '../db/schema/index.js';
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
      const { ticket } = mail;
      const rendered = renderTicketMail(mail.kind, {
        ticket: { id: ticket.id, number: ticket.number, state: ticket.state, dueAt: ticket.dueAt, escalationLevel: ticket.escalationLevel, provisional: ticket.dueProvisional },
        inspection: ticket.inspection,
        target: ticket.target,
        problems: ticket.problems,
        unit: { name: ticket.unitName },
        publicUrl,
        ...(mail.details ? { details: mail.details } : {}),
      });
      return {
        ticketId: ticket.id,
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
    for (let i = 0; i < rows.length; i += CHUNK) await tx.insert(notifications).values(rows.slice(i, i + CHUNK));
  }

  return {
    queueMany,
    async queue(tx: Db, mail: QueueTicketMail): Promise<void> {
      await queueMany(tx, [mail]);
    },
  };
}

export type TicketNotifier = ReturnType<typeof createTicketNotifier>;
