import Type from 'typebox';
import { StrictObject } from '../../schemas/common.schemas.js';

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
