import type { Db } from '../db/client.js';
import type { MailUnit, NewOutboxRow, NotificationsRepository } from '../db/repositories/notifications.repository.js';
import type { TicketView } from '../db/repositories/tickets.repository.js';
import type { TicketNotificationKind as NotificationKind } from '../db/schema/index.js';
import type { MailPayload } from './mail-payload.js';
import { newMessageId } from './outbox.js';
import { pipelineStatements } from '../db/pipeline.js';
import { ticketMailData, ticketMailSubject, type MailTicket, type TicketMailData, type TicketMailDetails } from './templates/ticket-mail.js';
import { ladderAddressees, type LadderAddressee, type LadderAddressees } from './ladder.js';

export interface TicketNotifierOptions {
  publicUrl: string;
  /** Host part of Message-IDs. */
  mailDomain: string;
  /** The date of each email's sign-off. */
  now: () => Date;
  /** Where the emails are written (and the units and inspections they name are read). */
  notifications: Pick<NotificationsRepository, 'unitsForMail' | 'inspectionContacts' | 'insertMany' | 'lockFailedAddressees' | 'setMailboxes'>;
}

/**
 * What an email reads of its ticket: a stored view has it all; an import builds only this much for
 * each of its new tickets, and the sweep reads only this much of the tickets it escalates.
 */
export type MailTicketView = Pick<
  TicketView,
  'id' | 'number' | 'inspectionId' | 'unitId' | 'unitCode' | 'unitName' | 'state' | 'dueAt' | 'dueProvisional' | 'escalationLevel' | 'rectifiedAt' | 'target' | 'problems'
> & { inspection: Pick<TicketView['inspection'], 'id' | 'title' | 'documentNumber' | 'shortCode' | 'issuingUnitId'> };

export interface QueueTicketMail {
  kind: NotificationKind;
  ticket: MailTicketView;
  eventId: number | null;
  details?: TicketMailDetails;
  /** reassigned_away: the unit the ticket left (the ticket's own unit is the new one). */
  unitId?: number;
}

type UnitInfo = MailUnit;

/** The mailboxes one letter goes to: To, and copies in Cc (a unit's own, or its leaders'). */
export type Addressing = LadderAddressees;

const mailboxOf = (unitId: number): LadderAddressee => ({ unitId, who: 'unit' });

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
  // Set field by field in the order the stored data has always had, without a spread per field.
  const mail: MailTicket = {
    id: ticket.id,
    number: ticket.number,
    state: ticket.state,
    dueAt: ticket.dueAt,
    provisional: ticket.dueProvisional,
    target: ticket.target,
    problems: ticket.problems,
    unitName: ticket.unitName,
  };
  if (details?.overdueWorkingDays !== undefined) mail.overdueWorkingDays = details.overdueWorkingDays;
  mail.rectifiedAt = ticket.rectifiedAt;
  if (details && (details.feedback !== undefined || details.files || details.evidence)) {
    mail.submission = { ...(details.feedback !== undefined ? { feedback: details.feedback } : {}), files: details.files ?? [], links: details.evidence ?? [] };
  }
  return mail;
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

/** The emails to write, and how. */
export interface QueueMany {
  mails: QueueTicketMail[];
  /** The moment the emails are written (their sign-off's date), when not the notifier's clock: a sweep run for a given moment. */
  at?: Date;
  /**
   * Asked for each email before it is written, in the same transaction: false leaves it out. The
   * daily digest claims its (office, inspection, day) here, so that only one instance sends it.
   */
  accept?: (letter: { kind: NotificationKind; inspectionId: number; to: LadderAddressee[] }, tx: Db) => Promise<boolean>;
}

interface InspectionInfo {
  contactName: string | null;
  contactPhone: string | null;
}

/** What a letter's data is drawn from, read once for all the letters of one call. */
interface LetterContext {
  unitsById: ReadonlyMap<number, UnitInfo>;
  inspectionsById: ReadonlyMap<number, InspectionInfo>;
  /** The emails' moment: their sign-off's date, and when they are written and due. */
  at: Date;
}

// Tickets listed per outbox statement: an import's letters are written a part at a time.
const TICKETS_PER_PART = 2000;

/** The letters in parts of about TICKETS_PER_PART tickets (a letter is never split), in order. */
function partsOf(letters: readonly Letter[]): Letter[][] {
  const parts: Letter[][] = [];
  let part: Letter[] = [];
  let tickets = 0;
  for (const letter of letters) {
    part.push(letter);
    tickets += letter.mails.length;
    if (tickets >= TICKETS_PER_PART) {
      parts.push(part);
      part = [];
      tickets = 0;
    }
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** An email about tickets as the outbox keeps it: its addressing and tickets, and its data (rendered when delivered). */
export type PreparedTicketMail = Omit<NewOutboxRow, 'payload'> & { data: TicketMailData };

/** Writes emails about tickets, as data, into the caller's transaction (the outbox); they are rendered when delivered. */
export function createTicketNotifier({ publicUrl, mailDomain, now, notifications }: TicketNotifierOptions) {
  async function loadUnits(ids: Iterable<number>, into: Map<number, UnitInfo>, tx: Db): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !into.has(id));
    if (missing.length === 0) return;
    for (const row of await notifications.unitsForMail({ ids: missing }, tx)) into.set(row.id, row);
  }

  /** What the letter says, as of now: the names, deadlines and contact it prints. */
  function dataOf(letter: Letter, unitsById: ReadonlyMap<number, UnitInfo>, inspectionsById: ReadonlyMap<number, InspectionInfo>, at: Date): TicketMailData {
    const [head] = letter.mails;
    if (!head) throw new Error('a letter without tickets');
    const { inspection } = head.ticket;
    const office = unitsById.get(inspection.issuingUnitId);
    const info = inspectionsById.get(inspection.id);
    // The inspection's contact; failing that, the issuing office's own.
    const contactName = info?.contactName ?? office?.contactName ?? null;
    const contactPhone = info?.contactPhone ?? office?.contactPhone ?? null;
    const addressee = unitsById.get(letter.addressing.to[0]?.unitId ?? head.ticket.unitId);
    return ticketMailData({
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

  /** The letters these mails make, with what their data is drawn from. */
  async function lettersFor(options: QueueMany, tx: Db): Promise<{ letters: Letter[]; context: LetterContext }> {
    const { mails } = options;
    const unitsById = new Map<number, UnitInfo>();
    await loadUnits(mails.flatMap((m) => [m.ticket.unitId, m.ticket.inspection.issuingUnitId, ...(m.unitId === undefined ? [] : [m.unitId])]), unitsById, tx);
    await loadUnits([...unitsById.values()].flatMap((u) => (u.parentId === null ? [] : [u.parentId])), unitsById, tx);
    const inspectionIds = [...new Set(mails.map((m) => m.ticket.inspection.id))];
    const inspectionsById = new Map((await notifications.inspectionContacts({ ids: inspectionIds }, tx)).map(({ id, ...info }) => [id, info]));

    const at = options.at ?? now();
    let letters = lettersOf(mails, unitsById);
    if (options.accept) {
      const accepted: Letter[] = [];
      for (const letter of letters) {
        const [head] = letter.mails;
        if (head && (await options.accept({ kind: letter.kind, inspectionId: head.ticket.inspectionId, to: letter.addressing.to }, tx))) accepted.push(letter);
      }
      letters = accepted;
    }
    return { letters, context: { unitsById, inspectionsById, at } };
  }

  /** The email one letter makes: it records the tickets it concerns. */
  function preparedOf(letter: Letter, { unitsById, inspectionsById, at }: LetterContext): PreparedTicketMail {
    const data = dataOf(letter, unitsById, inspectionsById, at);
    const recipients = emailsOf(letter.addressing.to, unitsById);
    const cc = emailsOf(letter.addressing.cc, unitsById).filter((e) => !recipients.includes(e));
    const single = letter.mails.length === 1 ? letter.mails[0] : undefined;
    return {
      ticketId: single?.ticket.id ?? null,
      eventId: single?.eventId ?? null,
      feedbackId: null,
      kind: letter.kind,
      unitIds: [...new Set(letter.addressing.to.map((a) => a.unitId))],
      recipients,
      ccUnitIds: [...new Set(letter.addressing.cc.map((a) => a.unitId))],
      cc,
      reference: single && !routing[letter.kind].batched ? single.ticket.number : (unitsById.get(letter.addressing.to[0]?.unitId ?? 0)?.code ?? null),
      subject: ticketMailSubject(letter.kind, data),
      data,
      messageId: newMessageId(mailDomain),
      ticketIds: [...new Set(letter.mails.map((m) => m.ticket.id))],
    };
  }

  async function queueMany(options: QueueMany, tx: Db): Promise<number> {
    if (options.mails.length === 0) return 0;
    const { letters, context } = await lettersFor(options, tx);
    const rowOf = (letter: Letter) => {
      const { data, ...row } = preparedOf(letter, context);
      const payload: MailPayload = { v: 1, ticket: data };
      return { ...row, payload: JSON.stringify(payload) };
    };
    // Written, and due to go out, at the moment of what caused them: also in a replay of the past.
    // A part's data is made while the database writes the part before (an import's 100,000
    // tickets are megabytes of JSON, which the database would otherwise wait for).
    await pipelineStatements(partsOf(letters), {
      build: (part) => part.map(rowOf),
      run: (rows) => notifications.insertMany({ rows, at: context.at }, tx),
      done: () => undefined,
    });
    return letters.length;
  }

  return {
    queueMany,
    /** What queueMany would write for these mails, without writing it. */
    async preview(mails: QueueTicketMail[], tx: Db): Promise<PreparedTicketMail[]> {
      if (mails.length === 0) return [];
      const { letters, context } = await lettersFor({ mails }, tx);
      return letters.map((letter) => preparedOf(letter, context));
    },
    async queue(mail: QueueTicketMail, tx: Db): Promise<void> {
      await queueMany({ mails: [mail] }, tx);
    },

    /**
     * Before a failed email is sent again: when it failed for want of any address, address it to its
     * units as they are now, so that adding the missing address and resending (as its error says) works.
     */
    async readdressIfUnaddressed({ id }: { id: number }, tx: Db): Promise<void> {
      const row = await notifications.lockFailedAddressees({ id }, tx);
      if (!row || row.recipients.length > 0 || row.unitIds.length === 0) return;
      const unitsById = new Map<number, UnitInfo>();
      await loadUnits([...row.unitIds, ...row.ccUnitIds], unitsById, tx);
      const recipients = emailsOf(row.unitIds.map(mailboxOf), unitsById);
      const cc = emailsOf(row.ccUnitIds.map(mailboxOf), unitsById).filter((e) => !recipients.includes(e));
      if (recipients.length > 0) await notifications.setMailboxes({ id, recipients, cc }, tx);
    },
  };
}

export type TicketNotifier = ReturnType<typeof createTicketNotifier>;
