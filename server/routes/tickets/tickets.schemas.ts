import Type, { type Static, type TObject, type TProperties } from 'typebox';
import type { TicketListItem } from '../../../db/repositories/tickets.repository.js';
import { NotificationSchema } from '../notifications/notifications.schemas.js';
import { TrailEventSchema } from '../../schemas/trail-event.schemas.js';
import { attachmentsOf } from '../feedback/feedback.schemas.js';
import { ticketStates, type TicketEvent } from '../../../db/schema/index.js';
import { ticketEventRegistry, ticketEventTypes, type SentEventOf, type TicketEventType } from '../../../workflows/tickets/ticket-events.registry.js';
import { ladderNames, ladderOf } from '../../../notifications/ladder.js';
import { overdueStates } from '../../../db/repositories/tickets.repository.js';
import { addCalendarDays, shanghaiDay, type WorkingCalendar } from '../../../workflows/deadlines/calendar.js';
import { workingDaysOverdue } from '../../../workflows/deadlines/deadlines.js';
import { Nullable, PageQuery, ProblemSchema, StrictObject, StringEnum } from '../../schemas/common.schemas.js';

const StateName = StringEnum(ticketStates);

export const TicketSchema = Type.Object({
  id: Type.Integer(),
  number: Type.String({ description: '工单编号：检查简称-序号' }),
  state: StateName,
  unitCode: Type.String(),
  unitName: Type.String(),
  inspectionId: Type.Integer(),
  dueAt: Type.String({ format: 'date-time' }),
  dueProvisional: Type.Boolean({ description: 'the due time lies past the published holiday calendar and may move' }),
  overdue: Type.Boolean(),
  escalationLevel: Type.Integer(),
  ladder: Nullable(StringEnum(ladderNames, { description: 'the escalation level by name: 催办 (1), 督办 (2), 通报 (3)' })),
  extensionRequest: Nullable(
    Type.Object({ until: Type.String({ format: 'date' }), reason: Type.String(), requestedAt: Type.String({ format: 'date-time' }) }, { description: '待审核的延期申请' }),
  ),
  rejections: Type.Integer(),
  version: Type.Integer(),
  target: Type.Object({ kind: Type.String(), platform: Nullable(Type.String()), name: Type.String() }),
  problems: Type.Array(
    Type.Object({ code: Type.String(), label: Type.String(), text: Type.String({ description: "the inspector's own words; for code other the problem itself" }) }),
  ),
  outstanding: Type.Boolean({ description: '突出问题（单否）' }),
  repeatOf: Type.Array(Type.Object({ inspection: Type.String({ description: 'short code' }), number: Type.String() }), {
    description: 'earlier tickets of the same target with one of the same problems (屡查屡犯), oldest first',
  }),
  overdueWorkingDays: Type.Optional(Type.Integer({ description: 'overdue tickets: whole working days after the due day that have ended (list and detail only)' })),
  workingDaysLeft: Type.Optional(
    Nullable(Type.Integer({ description: 'open tickets in time: working days from today to the due day, both counted; null otherwise (list and detail only)' })),
  ),
});

export const TicketEventSchema = TrailEventSchema;

export const TicketDetail = Type.Object({
  ticket: TicketSchema,
  finding: Type.Object({
    outstanding: Type.Boolean(),
    lastUpdatedOn: Nullable(Type.String()),
    note: Nullable(Type.String()),
    problemsText: Type.String(),
    problems: Type.Array(Type.Object({ code: Type.String(), label: Type.String(), text: Type.String() })),
    target: Type.Object({ kind: Type.String(), platform: Nullable(Type.String()), name: Type.String(), url: Nullable(Type.String()), county: Nullable(Type.String()) }),
    inspection: Type.Object({ id: Type.Integer(), title: Type.String(), documentNumber: Nullable(Type.String()), shortCode: Type.String() }),
  }),
  events: Type.Array(TicketEventSchema),
  notifications: Type.Array(NotificationSchema),
  allowedEvents: Type.Array(Type.String()),
});

export const TicketParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

export const TicketListQuery = StrictObject({
  ...PageQuery,
  state: Type.Optional(Type.String({ pattern: '^(issued|acknowledged|rectified|verified|withdrawn)(,(issued|acknowledged|rectified|verified|withdrawn))*$', description: 'one state, or several separated by commas' })),
  unit: Type.Optional(Type.String({ maxLength: 64, description: 'unit code' })),
  inspection: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
  overdue: Type.Optional(Type.Boolean()),
  escalated: Type.Optional(Type.Boolean()),
  level: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'escalation level: 0 none, 1 催办, 2 督办, 3 通报' })),
  extensionRequested: Type.Optional(Type.Boolean({ description: 'true: only tickets whose extension request (申请延期) awaits a decision' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'matches ticket number, target name or unit name' })),
});

export const TicketList = Type.Object({ items: Type.Array(TicketSchema), nextCursor: Nullable(Type.String()) });

const ExpectedVersion = Type.Optional(Type.Integer({ minimum: 1, description: 'the version the sender saw: 409 if the ticket changed since' }));

/**
 * One body per event of the registry (workflows/tickets/ticket-events.registry.ts), told apart by `type`;
 * each refuses fields its event does not take. `extra`: fields every item has (the bulk's `id`).
 */
function eventUnion<const E extends TProperties>(extra: E) {
  const variants = ticketEventTypes.map((type) =>
    StrictObject({ ...extra, type: Type.Literal(type), expectedVersion: ExpectedVersion, ...ticketEventRegistry[type].body.properties }, { description: type }),
  );
  type Variant = { [K in TicketEventType]: Static<TObject<E>> & SentEventOf<K> & { expectedVersion?: number } }[TicketEventType];
  // oneOf with a discriminator: ajv checks only the variant `type` names, so its errors name that event's fields.
  return Type.Unsafe<Variant>({ type: 'object', oneOf: variants, discriminator: { propertyName: 'type' } });
}

export const TicketEventBody = eventUnion({});
export const DeadlineWarningSchema = Type.Object({
  code: Type.Literal('deadline.rest_day'),
  field: Type.String(),
  day: Type.String({ format: 'date' }),
  nextWorkingDay: Type.String({ format: 'date' }),
  message: Type.String(),
});
export const TicketEventResponse = Type.Object({
  ticket: TicketSchema,
  warnings: Type.Optional(Type.Array(DeadlineWarningSchema, { description: 'e.g. a new deadline on a rest day: accepted as given, the next working day named' })),
});

export const BulkEventsBody = StrictObject({
  items: Type.Array(eventUnion({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }), { minItems: 1, maxItems: 500 }),
});
export const BulkEventsResponse = Type.Object({
  results: Type.Array(
    Type.Object({
      id: Type.Integer(),
      ok: Type.Boolean(),
      ticket: Type.Optional(TicketSchema),
      warnings: Type.Optional(Type.Array(DeadlineWarningSchema)),
      problem: Type.Optional(ProblemSchema),
    }),
  ),
});

export function toTicketDto(ticket: TicketListItem, now: Date) {
  return {
    id: ticket.id,
    number: ticket.number,
    state: ticket.state,
    unitCode: ticket.unitCode,
    unitName: ticket.unitName,
    inspectionId: ticket.inspectionId,
    dueAt: ticket.dueAt.toISOString(),
    dueProvisional: ticket.dueProvisional,
    overdue: overdueStates.includes(ticket.state) && ticket.dueAt.getTime() < now.getTime(),
    escalationLevel: ticket.escalationLevel,
    ladder: ladderOf(ticket.escalationLevel),
    extensionRequest: ticket.extensionRequest ?? null,
    rejections: ticket.rejections,
    version: ticket.version,
    target: { kind: ticket.target.kind, platform: ticket.target.platform, name: ticket.target.name },
    problems: ticket.problems.map((p) => ({ code: p.code, label: p.label, text: p.text })),
    outstanding: ticket.finding.outstanding,
    repeatOf: ticket.repeatOf,
  };
}

/** The ticket with the working-day counts the workbench shows as 逾期N个工作日 / 还剩N个工作日. */
export function toTicketDtoWithDays(ticket: TicketListItem, now: Date, calendar: WorkingCalendar) {
  const dto = toTicketDto(ticket, now);
  const open = overdueStates.includes(ticket.state);
  return {
    ...dto,
    overdueWorkingDays: dto.overdue ? workingDaysOverdue(calendar, ticket.dueAt, now).value : 0,
    workingDaysLeft: open && !dto.overdue ? calendar.workingDaysBetween(addCalendarDays(shanghaiDay(now), -1), shanghaiDay(ticket.dueAt)) : null,
  };
}

export function toEventDto(event: TicketEvent) {
  return {
    seq: event.seq,
    type: event.type,
    from: event.fromState,
    to: event.toState,
    actor: event.actor,
    at: event.at.toISOString(),
    payload: event.payload,
    attachments: attachmentsOf(event.payload),
    hash: event.hash,
  };
}
