import Type from 'typebox';
import { trailProblems } from '../../../db/audit-chain.js';
import { fileProblems } from '../../../workflows/admin/audit.service.js';
import { StrictObject, StringEnum } from '../../schemas/common.schemas.js';

/**
 * No fields: the sweep runs at the server's clock. Replaying another moment belongs to
 * `rectify sweep --now`, whose whole clock (audit events included) is that moment; on a live
 * server it would email real units about a fictional date.
 */
export const SweepBody = StrictObject({}, { description: 'empty, or no body at all' });

export const SweepResponse = Type.Object({
  at: Type.String({ format: 'date-time', description: 'the moment the sweep ran for' }),
  reminders: Type.Integer({ description: 'unit reminders queued' }),
  escalations: Type.Integer({ description: 'ESCALATE events written, one per level' }),
  verifyReminders: Type.Integer({ description: 'verification reminders queued to the issuing office' }),
  examined: Type.Integer({ description: 'tickets whose next action time had come' }),
  provisional: Type.Integer({ description: 'of those, computed past the published holiday calendar' }),
  failed: Type.Integer({ description: 'tickets left for the next sweep because acting on them failed (see the log)' }),
});


export const AuditVerifyResponse = Type.Object({
  intact: Type.Boolean({ description: 'true when nothing below is wrong' }),
  checkedTickets: Type.Integer(),
  checkedTicketEvents: Type.Integer(),
  checkedFeedbacks: Type.Integer({ description: 'written feedbacks with at least one event' }),
  checkedFeedbackEvents: Type.Integer(),
  checkedFiles: Type.Integer({ description: 'evidence files the trails record, checked against their SHA-256' }),
  problems: Type.Array(
    Type.Object({
      trail: Type.Union([Type.Literal('ticket'), Type.Literal('feedback')]),
      id: Type.Integer({ description: 'the ticket’s or the written feedback’s id' }),
      number: Type.Union([Type.String(), Type.Null()], { description: 'the ticket’s number; null for a written feedback' }),
      seq: Type.Union([Type.Integer(), Type.Null()], { description: 'the event concerned; null for the feedback’s initial state' }),
      problem: StringEnum([...trailProblems, ...fileProblems], {
          description:
            'hash_mismatch: a row changed after it was written; prev_hash_mismatch: the row before it was changed or replaced; seq_gap: rows deleted before it; ' +
            'unkeyed: a row rewritten without the audit key; events_missing: the last events (or all) deleted; tail_mismatch: the last event is not the one its owner records; ' +
          'state_mismatch: the state changed without an event; file_missing / file_changed: an evidence file gone or altered',
      }),
      file: Type.Optional(Type.Object({ id: Type.String(), name: Type.String() })),
    }),
    { description: 'the first 1,000 problems' },
  ),
  totalProblems: Type.Integer(),
});
