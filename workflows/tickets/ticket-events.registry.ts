import Type, { type Static, type TObject } from 'typebox';
import { ticketEventTypes as storedEventTypes, type TicketEventType as StoredEventType, type TicketNotificationKind } from '../../db/schema/index.js';

/**
 * The ticket events: for each, what a sender gives (the API body), what the machine decides on,
 * who may send it, what the ticket must allow, the email it queues and what its audit row adds.
 * Everything else derives from here: the machine's event type and permission checks,
 * `allowedEvents`, the body of POST /api/tickets/:id/events (a union on `type`), the payload checks
 * of the workflow. The names are the stored event types (db/schema/ticket-events.table.ts, whose
 * CHECK is built from them) less ISSUE, which issuance writes and nobody sends.
 */
export type TicketEventType = Exclude<StoredEventType, 'ISSUE'>;

export const ticketEventTypes = storedEventTypes.filter((type): type is TicketEventType => type !== 'ISSUE');

/** Who may send the event: the name of a guard of the machine (workflows/ticket.machine.ts). */
export type SenderGuard = 'isResponsibleOfficer' | 'isIndependentSupervisor' | 'isIndependentOfBothUnits' | 'isSystem';

/** What the ticket must be like for the event, whoever sends it; each failure has its own 409. */
export type TicketCondition = 'noPendingExtension' | 'belowMaxExtensions' | 'hasPendingExtension' | 'belowMaxLevel';

/**
 * What the audit row records besides the fields as sent (less `type` and `expectedVersion`):
 * `due`, the new and the previous due time (always, or only when the event moved it);
 * `requestedUntil`, the day the unit had asked for; `unitChange`, the codes of the old and new
 * unit; `level`, the escalation level reached. Uploaded evidence is recorded as the files' names,
 * sizes and SHA-256 in place of their ids.
 */
export interface AuditSpec {
  due?: 'always' | 'when_moved';
  requestedUntil?: true;
  unitChange?: true;
  level?: true;
}

export interface TicketEventSpec {
  /** The API's body, less `type` and `expectedVersion`. Required text must not be blank. */
  body: TObject;
  /** The machine's event, less `type` and `actor`: the body as the workflow resolves it (a unit code to its id, a day to an instant). */
  machine: TObject;
  sender: SenderGuard;
  conditions: readonly TicketCondition[];
  /** The email the event queues to the ticket's addressees; null: none (a submission reaches the office in its daily digest). */
  notification: TicketNotificationKind | null;
  /** The email to the unit the ticket leaves, when the event moves it to another unit. */
  previousUnitNotification?: TicketNotificationKind;
  audit: AuditSpec;
}

const Day = (description: string) => Type.String({ format: 'date', description: `YYYY-MM-DD, Asia/Shanghai: ${description}` });
const required = (description: string) => ({ description: `${description}（必填，不能只有空白）` });
const Comment = Type.Optional(Type.String({ maxLength: 2000, description: '附言' }));
const Reason = Type.String({ maxLength: 2000, ...required('理由') });
const Instant = Type.String({ description: 'ISO-8601 instant' });
const MachineText = Type.String();

export const ticketEventRegistry = {
  ACKNOWLEDGE: {
    body: Type.Object({ comment: Comment }),
    machine: Type.Object({ comment: Type.Optional(MachineText) }),
    sender: 'isResponsibleOfficer',
    conditions: [],
    notification: null,
    audit: {},
  },
  SUBMIT_RECTIFICATION: {
    body: Type.Object({
      feedback: Type.String({ maxLength: 20000, ...required('书面反馈') }),
      evidence: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 50 })),
      attachmentIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 20, description: 'uploaded evidence files (POST /api/attachments)' })),
      rectifiedOn: Type.Optional(Day('the day the work was done')),
      comment: Comment,
    }),
    machine: Type.Object({
      feedback: MachineText,
      evidence: Type.Optional(Type.Array(MachineText)),
      rectifiedOn: Type.Optional(MachineText),
      comment: Type.Optional(MachineText),
    }),
    sender: 'isResponsibleOfficer',
    conditions: [],
    // The supervising office hears of submissions in its daily 待核验 digest (the sweep), not one by one.
    notification: null,
    audit: {},
  },
  VERIFY: {
    body: Type.Object({ comment: Comment }),
    machine: Type.Object({ comment: Type.Optional(MachineText) }),
    sender: 'isIndependentSupervisor',
    conditions: [],
    notification: 'verified',
    audit: {},
  },
  REJECT: {
    body: Type.Object({ reason: Reason }),
    // `dueAt`: the fair period the workflow computed (policy.reworkWorkingDays after the rejection day).
    machine: Type.Object({ reason: MachineText, dueAt: Instant }),
    sender: 'isIndependentSupervisor',
    conditions: [],
    notification: 'rejected',
    audit: { due: 'when_moved' },
  },
  WITHDRAW: {
    body: Type.Object({ reason: Reason }),
    machine: Type.Object({ reason: MachineText }),
    sender: 'isIndependentSupervisor',
    conditions: [],
    notification: 'withdrawn',
    audit: {},
  },
  EXTEND_DEADLINE: {
    body: Type.Object({
      dueAt: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(T.*)?$', description: 'a date (end of that day in Asia/Shanghai) or an ISO-8601 instant; in the future' }),
      reason: Reason,
    }),
    machine: Type.Object({ dueAt: Instant, reason: MachineText }),
    sender: 'isIndependentSupervisor',
    conditions: [],
    notification: 'extended',
    audit: { due: 'always' },
  },
  REASSIGN: {
    body: Type.Object({ unitCode: Type.String({ maxLength: 64, ...required('the new unit, by code, in the sender’s scope') }), reason: Reason }),
    // The unit found by its code, and the fair period the workflow computed for it.
    machine: Type.Object({ unitId: Type.Integer(), reason: MachineText, dueAt: Instant }),
    // ...nor hands it to their own unit, where a colleague could then decide on it.
    sender: 'isIndependentOfBothUnits',
    conditions: [],
    notification: 'reassigned',
    previousUnitNotification: 'reassigned_away',
    audit: { due: 'when_moved', unitChange: true },
  },
  ESCALATE: {
    body: Type.Object({}),
    machine: Type.Object({}),
    sender: 'isSystem',
    conditions: ['belowMaxLevel'],
    notification: 'escalation',
    audit: { level: true },
  },
  REQUEST_EXTENSION: {
    body: Type.Object({ until: Day('the day asked for, after the current due day（必填）'), reason: Reason }),
    machine: Type.Object({ until: MachineText, reason: MachineText, requestedAt: Instant }),
    sender: 'isResponsibleOfficer',
    conditions: ['noPendingExtension', 'belowMaxExtensions'],
    notification: 'extension_requested',
    audit: {},
  },
  APPROVE_EXTENSION: {
    body: Type.Object({ until: Type.Optional(Day('the day granted, at most the day asked for (the default)')), comment: Comment }),
    // `dueAt`: the end of the granted day (the request's `until`, or an earlier one the office chose).
    machine: Type.Object({ dueAt: Instant, comment: Type.Optional(MachineText) }),
    // The same separation of duties as VERIFY: no office decides on its own unit's request.
    sender: 'isIndependentSupervisor',
    conditions: ['hasPendingExtension'],
    notification: 'extension_approved',
    audit: { due: 'when_moved', requestedUntil: true },
  },
  REFUSE_EXTENSION: {
    body: Type.Object({ reason: Reason }),
    machine: Type.Object({ reason: MachineText }),
    sender: 'isIndependentSupervisor',
    conditions: ['hasPendingExtension'],
    notification: 'extension_refused',
    audit: {},
  },
} as const satisfies { [K in TicketEventType]: TicketEventSpec };

type Registry = typeof ticketEventRegistry;

/** An event of `K` as the machine receives it. */
export type MachineEventOf<K extends TicketEventType, Sent> = { type: K } & Sent & Static<Registry[K]['machine']>;

/** The body of an event of `K` as a sender gives it (less `expectedVersion`). */
export type SentEventOf<K extends TicketEventType> = { type: K } & Static<Registry[K]['body']>;
export type SentTicketEvent = { [K in TicketEventType]: SentEventOf<K> }[TicketEventType];

type BodyField = { [K in TicketEventType]: keyof Static<Registry[K]['body']> }[TicketEventType];
type BodyValue<F extends string> = { [K in TicketEventType]: F extends keyof Static<Registry[K]['body']> ? Static<Registry[K]['body']>[F] : never }[TicketEventType];

/** Any event's fields, each optional: how the workflow reads a body it has checked against its event's schema. */
export type TicketEventFields = { [F in BodyField & string]?: BodyValue<F> };
