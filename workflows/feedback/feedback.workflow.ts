import type { Db } from '../../db/client.js';
import type { FeedbacksRepository, FeedbackView } from '../../db/repositories/feedbacks.repository.js';
import type { InspectionsRepository } from '../../db/repositories/inspections.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { TicketsRepository } from '../../db/repositories/tickets.repository.js';
import type { Feedback } from '../../db/schema/index.js';
import type { FeedbackNotifier } from '../../notifications/feedback-notifier.js';
import { AppError, conflict, forbidden, notFound, unprocessable, type FieldError } from '../../core/errors.js';
import { feedbackScanTypes } from '../tickets/attachment-type.js';
import type { AttachmentsService } from '../tickets/attachments.service.js';
import { dueAtForDeadline } from '../deadlines/deadlines.js';
import {
  allowedFeedbackEvents,
  decideFeedback,
  type FeedbackActor,
  type FeedbackDecision,
  type FeedbackEventType,
  type FeedbackMachineEvent,
  type FeedbackSnapshot,
} from './feedback.machine.js';

/** An event on a written feedback as a person sends it over the API. */
export interface FeedbackEventInput {
  type: FeedbackEventType;
  expectedVersion?: number;
  attachmentIds?: string[];
  note?: string;
  comment?: string;
  reason?: string;
}

const fieldsOf: Record<FeedbackEventType, { required: (keyof FeedbackEventInput)[]; optional: (keyof FeedbackEventInput)[] }> = {
  SUBMIT_FEEDBACK: { required: ['attachmentIds'], optional: ['note'] },
  ACCEPT_FEEDBACK: { required: [], optional: ['comment'] },
  RETURN_FEEDBACK: { required: ['reason'], optional: [] },
};

const notificationOf = { SUBMIT_FEEDBACK: 'feedback_submitted', ACCEPT_FEEDBACK: 'feedback_accepted', RETURN_FEEDBACK: 'feedback_returned' } as const;

function validatePayload(input: FeedbackEventInput): FieldError[] {
  const spec = fieldsOf[input.type];
  const allowed = new Set<string>(['type', 'expectedVersion', ...spec.required, ...spec.optional]);
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined && !allowed.has(key)) errors.push({ field: key, message: `${input.type} 不接受字段 ${key}` });
  }
  for (const key of spec.required) {
    const value = input[key];
    const empty = value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
    if (empty) errors.push({ field: key, message: key === 'attachmentIds' ? '请附上加盖公章的书面报告扫描件（PDF、OFD 或图片）' : `${input.type} 必须填写 ${key}` });
  }
  return errors;
}

const snapshotOf = (feedback: Feedback): FeedbackSnapshot => ({ state: feedback.state, context: { unitId: feedback.unitId, returns: feedback.returns } });
const actorOf = (viewer: Viewer): FeedbackActor => ({ role: viewer.role, unitId: viewer.unitId });

function refusalOf(decision: Extract<FeedbackDecision, { ok: false }>, type: FeedbackEventType, before: Feedback): AppError {
  const extra = { state: before.state, version: before.version, allowedEvents: decision.allowedEvents };
  if (decision.reason === 'forbidden') {
    return forbidden('feedback.forbidden', `您无权对此书面反馈执行 ${type}（报送由本单位办理；接收和退回须由非本单位的监管人员办理）。`, { extra });
  }
  if (decision.reason === 'invalid_payload') return unprocessable('feedback.invalid_payload', `${type} 的内容不完整。`, { extra });
  return conflict('feedback.transition_not_allowed', `书面反馈当前状态（${before.state}）不接受 ${type}。`, { extra });
}

interface Deps {
  db: Db;
  feedbacks: FeedbacksRepository;
  inspections: Pick<InspectionsRepository, 'find'>;
  tickets: Pick<TicketsRepository, 'list'>;
  attachments: Pick<AttachmentsService, 'reference'>;
  notifier: FeedbackNotifier;
  now: () => Date;
}

/** The units' written feedback: load → decide (the pure machine) → persist feedback, chained audit event, file references and email in one transaction. */
export function createFeedbackWorkflow({ db, feedbacks, inspections, tickets, attachments, notifier, now }: Deps) {
  /** The inspection as the viewer may see it, with a feedback row for every unit that has tickets in it. */
  async function openInspection({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }) {
    const inspection = await inspections.find({ id: inspectionId, viewer });
    if (!inspection) throw notFound('inspections.not_found', `检查 ${inspectionId} 不存在。`);
    // Creation on read covers data imported before written feedback existed and units a ticket was reassigned to.
    await feedbacks.ensureForInspection({ inspectionId, dueAt: inspection.feedbackDeadline ? dueAtForDeadline(inspection.feedbackDeadline) : null });
    return inspection;
  }

  async function findOne({ inspectionId, unitCode, viewer }: { inspectionId: number; unitCode: string; viewer: Viewer }): Promise<FeedbackView> {
    await openInspection({ inspectionId, viewer });
    const feedback = await feedbacks.findView({ inspectionId, unitCode, viewer });
    if (!feedback) throw notFound('feedback.not_found', `单位 ${unitCode} 在检查 ${inspectionId} 中没有需要报送的书面反馈。`);
    return feedback;
  }

  return {
    async list({ inspectionId, viewer }: { inspectionId: number; viewer: Viewer }) {
      await openInspection({ inspectionId, viewer });
      const rows = await feedbacks.list({ inspectionId, viewer });
      return rows.map((feedback) => ({ feedback, allowedEvents: allowedFeedbackEvents(snapshotOf(feedback), actorOf(viewer)) }));
    },

    /** The viewer's written feedback across inspections (an officer: its own unit's), newest first. */
    async listForViewer({ viewer, limit, before }: { viewer: Viewer; limit: number; before?: number }) {
      const rows = await feedbacks.listForViewer({ viewer, limit, ...(before !== undefined ? { before } : {}) });
      return rows.map((feedback) => ({ feedback, allowedEvents: allowedFeedbackEvents(snapshotOf(feedback), actorOf(viewer)) }));
    },

    async detail({ inspectionId, unitCode, viewer }: { inspectionId: number; unitCode: string; viewer: Viewer }) {
      const feedback = await findOne({ inspectionId, unitCode, viewer });
      const [events, mails, unitTickets] = await Promise.all([
        feedbacks.listEvents({ feedbackId: feedback.id }),
        feedbacks.listNotifications({ feedbackId: feedback.id }),
        tickets.list({ viewer, filters: { inspectionId, unitCode }, limit: 10_000, now: now() }),
      ]);
      return { feedback, events, notifications: mails, tickets: unitTickets, allowedEvents: allowedFeedbackEvents(snapshotOf(feedback), actorOf(viewer)) };
    },

    /** What the draft report is written from: the feedback, its unit's tickets and each ticket's latest submission. */
    async draftSource({ inspectionId, unitCode, viewer }: { inspectionId: number; unitCode: string; viewer: Viewer }) {
      const feedback = await findOne({ inspectionId, unitCode, viewer });
      const unitTickets = (await tickets.list({ viewer, filters: { inspectionId, unitCode }, limit: 10_000, now: now() }))
        .filter((t) => t.state !== 'withdrawn')
        .sort((a, b) => (a.number < b.number ? -1 : 1));
      const submissions = await feedbacks.latestSubmissions({ ticketIds: unitTickets.map((t) => t.id) });
      return { feedback, tickets: unitTickets.map((ticket) => ({ ticket, submission: submissions.get(ticket.id) })), now: now() };
    },

    async apply({ inspectionId, unitCode, viewer, input }: { inspectionId: number; unitCode: string; viewer: Viewer; input: FeedbackEventInput }): Promise<FeedbackView> {
      const errors = validatePayload(input);
      if (errors.length > 0) {
        throw new AppError({ status: 400, code: 'feedback.invalid_payload', title: '请求内容不符合要求', detail: errors.map((e) => e.message).join('；'), errors });
      }
      await openInspection({ inspectionId, viewer });
      return db.transaction(async (tx) => {
        const before = await feedbacks.lockView({ inspectionId, unitCode, viewer }, tx);
        if (!before) throw notFound('feedback.not_found', `单位 ${unitCode} 在检查 ${inspectionId} 中没有需要报送的书面反馈。`);
        const current = snapshotOf(before);
        const actor = actorOf(viewer);
        if (input.expectedVersion !== undefined && input.expectedVersion !== before.version) {
          throw conflict('feedback.version_conflict', `书面反馈已被他人更新（当前版本 ${before.version}，请求版本 ${input.expectedVersion}），请刷新后重试。`, {
            extra: { state: before.state, version: before.version, allowedEvents: allowedFeedbackEvents(current, actor) },
          });
        }
        const event: FeedbackMachineEvent =
          input.type === 'SUBMIT_FEEDBACK'
            ? { type: input.type, actor, attachmentIds: input.attachmentIds ?? [], ...(input.note ? { note: input.note } : {}) }
            : input.type === 'RETURN_FEEDBACK'
              ? { type: input.type, actor, reason: input.reason ?? '' }
              : { type: input.type, actor, ...(input.comment ? { comment: input.comment } : {}) };
        const decision = decideFeedback(current, event);
        if (!decision.ok) throw refusalOf(decision, input.type, before);

        const at = now();
        const payload: Record<string, unknown> = {};
        let files: string[] | undefined;
        if (input.type === 'SUBMIT_FEEDBACK') {
          const records = await attachments.reference({ ids: input.attachmentIds ?? [], viewer, owner: { feedbackId: before.id }, allowedTypes: feedbackScanTypes, at }, tx);
          payload.attachments = records;
          files = records.map((r) => r.name);
          if (input.note) payload.note = input.note;
        }
        if (input.comment) payload.comment = input.comment;
        if (input.reason) payload.reason = input.reason;

        const values: Partial<Feedback> = { state: decision.state, returns: decision.context.returns, version: before.version + 1, updatedAt: at };
        if (decision.state === 'submitted') Object.assign(values, { submittedAt: at, firstSubmittedAt: before.firstSubmittedAt ?? at });
        if (decision.state === 'accepted') values.acceptedAt = at;
        const updated = await feedbacks.update({ id: before.id, values }, tx);
        await feedbacks.appendEvent({ feedbackId: before.id, type: input.type, fromState: before.state, toState: decision.state, actorUserId: viewer.userId, actor: viewer.username, at, payload }, tx);
        const after: FeedbackView = { ...before, ...updated };
        await notifier.queue({
          kind: notificationOf[input.type],
          feedback: after,
          ...(files ? { files } : {}),
          ...(input.note ? { note: input.note } : {}),
          ...(input.comment ? { comment: input.comment } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
        }, tx);
        return after;
      });
    },
  };
}

export type FeedbackWorkflow = ReturnType<typeof createFeedbackWorkflow>;
