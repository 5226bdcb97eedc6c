import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { TicketView } from '../db/repositories/tickets.repository.js';
import { notifications, units, type TicketNotificationKind as NotificationKind, type Unit } from '../db/schema/index.js';
import { newMessageId } from './outbox.js';
import { renderTicketMail, type TicketMailDetails } from './templates/ticket-mail.js';
import { ladderAddressees, type LadderAddressee } from '../workflows/ladder.js';

export interface TicketNotifierOptions {
  publicUrl: string;
  /** Host part of Message-IDs. */
  mailDomain: string;
  /** The workflows' clock: an email is created (and due to go out) at the moment of what caused it, also in a replay. */
  now?: () => Date;
}

export interface QueueTicketMail {
  kind: NotificationKind;
  ticket: TicketView;
  eventId: number | null;
  details?: TicketMailDetails;
  /** Addressed to this unit instead of the ticket's (the unit a reassigned ticket left). */
  unitId?: number;
}

type UnitInfo = Pick<Unit, 'id' | 'parentId' | 'kind' | 'emails' | 'leaderEmails'>;

// Bound parameters per statement stay far below PostgreSQL's 65,535.
const CHUNK = 1000;

async function loadUnits(tx: Db, ids: Iterable<number>, into: Map<number, UnitInfo>): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !into.has(id));
  for (let i = 0; i < missing.length; i += CHUNK) {
    const rows = await tx
      .select({ id: units.id, parentId: units.parentId, kind: units.kind, emails: units.emails, leaderEmails: units.leaderEmails })
      .from(units)
      .where(inArray(units.id, missing.slice(i, i + CHUNK)));
    for (const row of rows) into.set(row.id, row);
  }
}

const mailboxOf = (unitId: number): LadderAddressee => ({ unitId, who: 'unit' });

/** Who hears what: To and Cc of a notification of each kind, as units' mailboxes or leaders. */
function addresseesOf({ kind, ticket, details, unitId }: QueueTicketMail, unitsById: Map<number, UnitInfo>): { to: LadderAddressee[]; cc: LadderAddressee[] } {
  const issuingOffice = ticket.inspection.issuingUnitId;
  const parentId = unitsById.get(ticket.unitId)?.parentId ?? null;
  switch (kind) {
    case 'submitted':
    case 'extension_requested': {
      // The inspecting office decides; a county office also follows its own units' submissions and requests.
      const parent = parentId === null ? undefined : unitsById.get(parentId);
      return { to: (parent?.kind === 'county' ? [issuingOffice, parent.id] : [issuingOffice]).map(mailboxOf), cc: [] };
    }
    case 'verify_reminder':
      return { to: [mailboxOf(issuingOffice)], cc: [] };
    case 'escalation':
      return ladderAddressees(details?.level ?? ticket.escalationLevel, { unitId: ticket.unitId, parentId, issuingUnitId: issuingOffice });
    default:
      return { to: [mailboxOf(unitId ?? ticket.unitId)], cc: [] };
  }
}

function addressesOf(addressees: LadderAddressee[], unitsById: Map<number, UnitInfo>): string[] {
  const emails = addressees.flatMap(({ unitId, who }) => {
    const unit = unitsById.get(unitId);
    return (who === 'leaders' ? unit?.leaderEmails : unit?.emails) ?? [];
  });
  return [...new Set(emails.map((e) => e.trim().toLowerCase()))];
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
export function createTicketNotifier({ publicUrl, mailDomain, now = () => new Date() }: TicketNotifierOptions) {
  async function queueMany(tx: Db, mails: QueueTicketMail[]): Promise<void> {
    if (mails.length === 0) return;
    const unitsById = new Map<number, UnitInfo>();
    await loadUnits(tx, mails.flatMap((m) => [m.ticket.unitId, m.ticket.inspection.issuingUnitId, ...(m.unitId === undefined ? [] : [m.unitId])]), unitsById);
    await loadUnits(tx, [...unitsById.values()].flatMap((u) => (u.parentId === null ? [] : [u.parentId])), unitsById);

    const at = now().toISOString();
    const rows = mails.map((mail) => {
      const { to, cc } = addresseesOf(mail, unitsById);
      const unitIds = [...new Set([...to, ...cc].map((a) => a.unitId))];
      const recipients = addressesOf(to, unitsById);
      const copies = addressesOf(cc, unitsById).filter((e) => !recipients.includes(e));
      const rendered = renderQueuedMail(mail, publicUrl);
      return {
        ticketId: mail.ticket.id,
        eventId: mail.eventId,
        kind: mail.kind,
        unitIds,
        recipients,
        cc: copies,
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
        insert into ${notifications} (ticket_id, event_id, kind, unit_ids, recipients, cc, subject, body_text, body_html, message_id, created_at, next_attempt_at)
        select r.ticket_id, r.event_id, r.kind, r.unit_ids::int[],
               array(select e.value from json_array_elements_text(r.recipients::json) with ordinality as e(value, n) order by e.n),
               array(select e.value from json_array_elements_text(r.cc::json) with ordinality as e(value, n) order by e.n),
               r.subject, r.body_text, r.body_html, r.message_id, ${at}::timestamptz, ${at}::timestamptz
        from unnest(${column((r) => r.ticketId)}::int[], ${column((r) => r.eventId)}::bigint[], ${column((r) => r.kind)}::text[],
                    ${column((r) => `{${r.unitIds.join(',')}}`)}::text[], ${column((r) => JSON.stringify(r.recipients))}::text[],
                    ${column((r) => JSON.stringify(r.cc))}::text[],
                    ${column((r) => r.subject)}::text[], ${column((r) => r.bodyText)}::text[], ${column((r) => r.bodyHtml)}::text[], ${column((r) => r.messageId)}::text[])
          as r(ticket_id, event_id, kind, unit_ids, recipients, cc, subject, body_text, body_html, message_id)`);
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
