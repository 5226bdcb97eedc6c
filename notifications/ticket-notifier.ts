import { and, eq, inArray, sql } from 'drizzle-orm';
import { unnestColumn } from '../db/unnest.js';
import type { Db } from '../db/client.js';
import { queryRows } from '../db/client.js';
import type { TicketView } from '../db/repositories/tickets.repository.js';
import { inspections, notifications, notificationTickets, units, type TicketNotificationKind as NotificationKind, type Unit } from '../db/schema/index.js';
import { newMessageId } from './outbox.js';
import { renderTicketMail, type MailTicket, type RenderedMail, type TicketMailDetails } from './templates/ticket-mail.js';
import { ladderAddressees, type LadderAddressee, type LadderAddressees } from './ladder.js';

export interface TicketNotifierOptions {
  publicUrl: string;
  /** Host part of Message-IDs. */
  mailDomain: string;
  /** The date of each email's sign-off. */
  now: () => Date;
}

export interface QueueTicketMail {
  kind: NotificationKind;
  ticket: TicketView;
  eventId: number | null;
  details?: TicketMailDetails;
  /** reassigned_away: the unit the ticket left (the ticket's own unit is the new one). */
  unitId?: number;
}

type UnitInfo = Pick<Unit, 'id' | 'code' | 'name' | 'parentId' | 'kind' | 'emails' | 'leaderEmails' | 'contactName' | 'contactPhone'>;

/** The mailboxes one letter goes to: To, and copies in Cc (a unit's own, or its leaders'). */
export type Addressing = LadderAddressees;

const mailboxOf = (unitId: number): LadderAddressee => ({ unitId, who: 'unit' });

// Bound parameters per statement stay far below PostgreSQL's 65,535.
const CHUNK = 1000;

async function loadUnits(tx: Db, ids: Iterable<number>, into: Map<number, UnitInfo>): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !into.has(id));
  for (let i = 0; i < missing.length; i += CHUNK) {
    const rows = await tx
      .select({
        id: units.id,
        code: units.code,
        name: units.name,
        parentId: units.parentId,
        kind: units.kind,
        emails: units.emails,
        leaderEmails: units.leaderEmails,
        contactName: units.contactName,
        contactPhone: units.contactPhone,
      })
      .from(units)
      .where(inArray(units.id, missing.slice(i, i + CHUNK)));
    for (const row of rows) into.set(row.id, row);
  }
}

type UnitsById = ReadonlyMap<number, Pick<UnitInfo, 'parentId' | 'kind'>>;

/** How the emails of one kind go out: to whom, and whether one email lists many tickets. */
interface Routing {
  /**
   * One email per unit (and step) listing all its tickets: an import's issue notices, a sweep's
   * step, the supervising office's lists. Otherwise a decision on one ticket, one email each.
   */
  batched: boolean;
  addressees: (mail: QueueTicketMail, unitsById: UnitsById) => Addressing[];
}

const toTicketUnit = ({ ticket }: QueueTicketMail): Addressing[] => [{ to: [mailboxOf(ticket.unitId)], cc: [] }];

// The unit a reassigned ticket left: named by the mail, never guessed.
const toUnitLeft = ({ kind, ticket, unitId }: QueueTicketMail): Addressing[] => {
  if (unitId === undefined) throw new Error(`a ${kind} email about ticket ${ticket.number} without the unit it left`);
  return [{ to: [mailboxOf(unitId)], cc: [] }];
};

// The issuing office and, for a county's own units, also the county office, each in its own letter.
const toOffices = ({ ticket }: QueueTicketMail, unitsById: UnitsById): Addressing[] => {
  const issuingOffice = ticket.inspection.issuingUnitId;
  const parentId = unitsById.get(ticket.unitId)?.parentId ?? null;
  const parent = parentId === null ? undefined : unitsById.get(parentId);
  const offices = parentId !== null && parent?.kind === 'county' && parentId !== issuingOffice ? [issuingOffice, parentId] : [issuingOffice];
  return offices.map((id) => ({ to: [mailboxOf(id)], cc: [] }));
};

// Escalations follow the ladder (notifications/ladder.ts).
const upTheLadder = ({ ticket, details }: QueueTicketMail, unitsById: UnitsById): Addressing[] => [
  ladderAddressees(details?.level ?? ticket.escalationLevel, {
    unitId: ticket.unitId,
    parentId: unitsById.get(ticket.unitId)?.parentId ?? null,
    issuingUnitId: ticket.inspection.issuingUnitId,
  }),
];

/**
 * Who hears what, for every kind: a new kind (a new event's email, see the registry
 * workflows/tickets/ticket-events.registry.ts) does not compile until it says who it goes to.
 */
const routing: Record<NotificationKind, Routing> = {
  issued: { batched: true, addressees: toTicketUnit },
  reminder: { batched: true, addressees: toTicketUnit },
  escalation: { batched: true, addressees: upTheLadder },
  submitted: { batched: true, addressees: toOffices },
  verify_reminder: { batched: true, addressees: toOffices },
  rejected: { batched: false, addressees: toTicketUnit },
  verified: { batched: false, addressees: toTicketUnit },
  withdrawn: { batched: false, addressees: toTicketUnit },
  reassigned: { batched: false, addressees: toTicketUnit },
  reassigned_away: { batched: false, addressees: toUnitLeft },
  extended: { batched: false, addressees: toTicketUnit },
  extension_requested: { batched: false, addressees: toOffices },
  extension_approved: { batched: false, addressees: toTicketUnit },
  extension_refused: { batched: false, addressees: toTicketUnit },
};

/** The letters an email of this kind about this ticket goes out as: To, and copies in Cc. */
export function addressingOf(mail: QueueTicketMail, unitsById: UnitsById): Addressing[] {
  return routing[mail.kind].addressees(mail, unitsById);
}

const keyOfAddressee = (a: LadderAddressee) => `${a.unitId}${a.who === 'leaders' ? 'L' : ''}`;

function uniqueAddressees(list: LadderAddressee[], except: LadderAddressee[] = []): LadderAddressee[] {
  const seen = new Set(except.map(keyOfAddressee));
  // In the ladder's order (the unit's leaders before the units above it), each once.
  return list.filter((a) => !seen.has(keyOfAddressee(a)) && (seen.add(keyOfAddressee(a)), true));
}

/** One email to write: the letter, and the tickets it concerns in the order they are listed. */
interface Letter {
  kind: NotificationKind;
  addressing: Addressing;
  mails: QueueTicketMail[];
}

// The step a batch belongs to: an escalation level or a reminder's days; tickets at different steps are different emails.
function stepOf({ kind, details, ticket }: QueueTicketMail): string {
  if (kind === 'escalation') return String(details?.level ?? ticket.escalationLevel);
  if (kind === 'reminder') return String(details?.daysBefore ?? '');
  return '';
}

/** Groups the mails into letters: one per kind, inspection, step and recipient set for batched kinds; one per mail otherwise. */
function lettersOf(mails: QueueTicketMail[], unitsById: ReadonlyMap<number, UnitInfo>): Letter[] {
  const letters = new Map<string, Letter>();
  mails.forEach((mail, index) => {
    for (const addressing of addressingOf(mail, unitsById)) {
      const to = uniqueAddressees(addressing.to);
      const cc = uniqueAddressees(addressing.cc, to);
      const names = (list: LadderAddressee[]) => list.map(keyOfAddressee).sort().join(',');
      const key = routing[mail.kind].batched
        ? `${mail.kind}|${mail.ticket.inspectionId}|${stepOf(mail)}|${names(to)}|${names(cc)}`
        : `single|${index}|${names(to)}`;
      const letter = letters.get(key);
      if (letter) letter.mails.push(mail);
      else letters.set(key, { kind: mail.kind, addressing: { to, cc }, mails: [mail] });
    }
  });
  return [...letters.values()];
}

function mailTicketOf({ ticket, details }: QueueTicketMail): MailTicket {
  return {
    id: ticket.id,
    number: ticket.number,
    state: ticket.state,
    dueAt: ticket.dueAt,
    provisional: ticket.dueProvisional,
    target: ticket.target,
    problems: ticket.problems,
    unitName: ticket.unitName,
    ...(details?.overdueWorkingDays !== undefined ? { overdueWorkingDays: details.overdueWorkingDays } : {}),
    rectifiedAt: ticket.rectifiedAt,
    ...(details?.feedback !== undefined || details?.files || details?.evidence
      ? { submission: { ...(details.feedback !== undefined ? { feedback: details.feedback } : {}), files: details.files ?? [], links: details.evidence ?? [] } }
      : {}),
  };
}

function emailsOf(addressees: LadderAddressee[], unitsById: ReadonlyMap<number, UnitInfo>): string[] {
  const emails = addressees.flatMap(({ unitId, who }) => {
    const unit = unitsById.get(unitId);
    return (who === 'leaders' ? unit?.leaderEmails : unit?.emails) ?? [];
  });
  return [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0))];
}

/** How a copy names its addressee: the unit, or 「益阳市卫生健康委员会负责同志」 for its leaders. */
function copyName({ unitId, who }: LadderAddressee, unitsById: ReadonlyMap<number, UnitInfo>): string {
  const name = unitsById.get(unitId)?.name ?? '';
  return name && who === 'leaders' ? `${name}负责同志` : name;
}

export interface QueueOptions {
  /** The moment the emails are written (their sign-off's date), when not the notifier's clock: a sweep run for a given moment. */
  at?: Date;
  /**
   * Asked for each email before it is written, in the same transaction: false leaves it out. The
   * daily digest claims its (office, inspection, day) here, so that only one instance sends it.
   */
  accept?: (tx: Db, letter: { kind: NotificationKind; inspectionId: number; to: LadderAddressee[] }) => Promise<boolean>;
}

interface InspectionInfo {
  contactName: string | null;
  contactPhone: string | null;
}

/** Renders emails about tickets and queues them in the caller's transaction (the outbox). */
export function createTicketNotifier({ publicUrl, mailDomain, now }: TicketNotifierOptions) {
  function render(letter: Letter, unitsById: ReadonlyMap<number, UnitInfo>, inspectionsById: ReadonlyMap<number, InspectionInfo>, at: Date): RenderedMail {
    const [head] = letter.mails;
    if (!head) throw new Error('a letter without tickets');
    const { inspection } = head.ticket;
    const office = unitsById.get(inspection.issuingUnitId);
    const info = inspectionsById.get(inspection.id);
    // The inspection's contact; failing that, the issuing office's own.
    const contactName = info?.contactName ?? office?.contactName ?? null;
    const contactPhone = info?.contactPhone ?? office?.contactPhone ?? null;
    const addressee = unitsById.get(letter.addressing.to[0]?.unitId ?? head.ticket.unitId);
    return renderTicketMail(letter.kind, {
      inspection: { id: inspection.id, title: inspection.title, documentNumber: inspection.documentNumber, shortCode: inspection.shortCode },
      office: { name: office?.name ?? '', contact: contactName && contactPhone ? { name: contactName, phone: contactPhone } : null },
      addressee: { name: addressee?.name ?? head.ticket.unitName, code: addressee?.code ?? head.ticket.unitCode },
      // Leaders without an address on file are not named as copied.
      copyTo: letter.addressing.cc.filter((a) => emailsOf([a], unitsById).length > 0 || a.who === 'unit').map((a) => copyName(a, unitsById)).filter((name) => name.length > 0),
      tickets: letter.mails.map(mailTicketOf),
      ...(head.details ? { details: head.details } : {}),
      publicUrl,
      now: at,
    });
  }

  /**
   * Queues the emails about these tickets: batched kinds become one email per unit (and step),
   * listing every ticket; decisions stay one email per ticket. Each email records the tickets it
   * concerns in `notification_tickets`.
   */
  /** The emails these mails make, rendered, each with its addressees and tickets. */
  async function prepare(tx: Db, mails: QueueTicketMail[], options: QueueOptions = {}) {
    const unitsById = new Map<number, UnitInfo>();
    await loadUnits(tx, mails.flatMap((m) => [m.ticket.unitId, m.ticket.inspection.issuingUnitId, ...(m.unitId === undefined ? [] : [m.unitId])]), unitsById);
    await loadUnits(tx, [...unitsById.values()].flatMap((u) => (u.parentId === null ? [] : [u.parentId])), unitsById);
    const inspectionIds = [...new Set(mails.map((m) => m.ticket.inspection.id))];
    const inspectionsById = new Map(
      (await tx.select({ id: inspections.id, contactName: inspections.contactName, contactPhone: inspections.contactPhone }).from(inspections).where(inArray(inspections.id, inspectionIds))).map(
        ({ id, ...info }) => [id, info],
      ),
    );

    const at = options.at ?? now();
    let letters = lettersOf(mails, unitsById);
    if (options.accept) {
      const accepted: Letter[] = [];
      for (const letter of letters) {
        const [head] = letter.mails;
        if (head && (await options.accept(tx, { kind: letter.kind, inspectionId: head.ticket.inspectionId, to: letter.addressing.to }))) accepted.push(letter);
      }
      letters = accepted;
    }
    const rows = letters.map((letter) => {
      const rendered = render(letter, unitsById, inspectionsById, at);
      const recipients = emailsOf(letter.addressing.to, unitsById);
      const cc = emailsOf(letter.addressing.cc, unitsById).filter((e) => !recipients.includes(e));
      const single = letter.mails.length === 1 ? letter.mails[0] : undefined;
      return {
        ticketId: single?.ticket.id ?? null,
        eventId: single?.eventId ?? null,
        kind: letter.kind,
        unitIds: [...new Set(letter.addressing.to.map((a) => a.unitId))],
        recipients,
        ccUnitIds: [...new Set(letter.addressing.cc.map((a) => a.unitId))],
        cc,
        reference: single && !routing[letter.kind].batched ? single.ticket.number : (unitsById.get(letter.addressing.to[0]?.unitId ?? 0)?.code ?? null),
        subject: rendered.subject,
        bodyText: rendered.text,
        bodyHtml: rendered.html,
        messageId: newMessageId(mailDomain),
        ticketIds: [...new Set(letter.mails.map((m) => m.ticket.id))],
      };
    });
    return rows;
  }

  async function queueMany(tx: Db, mails: QueueTicketMail[], options: QueueOptions = {}): Promise<number> {
    if (mails.length === 0) return 0;
    const rows = await prepare(tx, mails, options);
    // Written, and due to go out, at the moment of what caused them: also in a replay of the past.
    const stamp = (options.at ?? now()).toISOString();
    // INSERT … SELECT FROM unnest: one array parameter per column rather than a dozen per email.
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      const column = (value: (row: (typeof part)[number]) => string | number | null) => unnestColumn(part, value);
      const inserted = await queryRows<{ id: number | string; message_id: string }>(
        tx,
        sql`
        insert into ${notifications} (ticket_id, event_id, kind, unit_ids, recipients, cc_unit_ids, cc, reference, subject, body_text, body_html, message_id, created_at, next_attempt_at)
        select r.ticket_id, r.event_id, r.kind, r.unit_ids::int[],
               array(select e.value from json_array_elements_text(r.recipients::json) with ordinality as e(value, n) order by e.n),
               r.cc_unit_ids::int[],
               array(select e.value from json_array_elements_text(r.cc::json) with ordinality as e(value, n) order by e.n),
               r.reference, r.subject, r.body_text, r.body_html, r.message_id, ${stamp}::timestamptz, ${stamp}::timestamptz
        from unnest(${column((r) => r.ticketId)}::int[], ${column((r) => r.eventId)}::bigint[], ${column((r) => r.kind)}::text[],
                    ${column((r) => `{${r.unitIds.join(',')}}`)}::text[], ${column((r) => JSON.stringify(r.recipients))}::text[],
                    ${column((r) => `{${r.ccUnitIds.join(',')}}`)}::text[], ${column((r) => JSON.stringify(r.cc))}::text[], ${column((r) => r.reference)}::text[],
                    ${column((r) => r.subject)}::text[], ${column((r) => r.bodyText)}::text[], ${column((r) => r.bodyHtml)}::text[], ${column((r) => r.messageId)}::text[])
          as r(ticket_id, event_id, kind, unit_ids, recipients, cc_unit_ids, cc, reference, subject, body_text, body_html, message_id)
        returning id, message_id`,
      );
      const idOf = new Map(inserted.map((r) => [r.message_id, Number(r.id)]));
      const links = part.flatMap((row) => row.ticketIds.map((ticketId) => ({ notificationId: idOf.get(row.messageId) ?? 0, ticketId })));
      for (let j = 0; j < links.length; j += CHUNK * 5) {
        const slice = links.slice(j, j + CHUNK * 5);
        await tx.execute(sql`
          insert into ${notificationTickets} (notification_id, ticket_id)
          select * from unnest(${sql.param(slice.map((l) => l.notificationId))}::bigint[], ${sql.param(slice.map((l) => l.ticketId))}::int[])`);
      }
    }
    return rows.length;
  }

  return {
    queueMany,
    /** What queueMany would write for these mails, without writing it. */
    async preview(tx: Db, mails: QueueTicketMail[]) {
      return mails.length === 0 ? [] : prepare(tx, mails);
    },
    async queue(tx: Db, mail: QueueTicketMail): Promise<void> {
      await queueMany(tx, [mail]);
    },

    /**
     * Before a failed email is sent again: when it failed for want of any address, address it to its
     * units as they are now, so that adding the missing address and resending (as its error says) works.
     */
    async readdressIfUnaddressed(tx: Db, { id }: { id: number }): Promise<void> {
      const [row] = await tx
        .select({ unitIds: notifications.unitIds, recipients: notifications.recipients, ccUnitIds: notifications.ccUnitIds })
        .from(notifications)
        .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
        .for('update');
      if (!row || row.recipients.length > 0 || row.unitIds.length === 0) return;
      const unitsById = new Map<number, UnitInfo>();
      await loadUnits(tx, [...row.unitIds, ...row.ccUnitIds], unitsById);
      const recipients = emailsOf(row.unitIds.map(mailboxOf), unitsById);
      const cc = emailsOf(row.ccUnitIds.map(mailboxOf), unitsById).filter((e) => !recipients.includes(e));
      if (recipients.length > 0) await tx.update(notifications).set({ recipients, cc }).where(eq(notifications.id, id));
    },
  };
}

export type TicketNotifier = ReturnType<typeof createTicketNotifier>;
