import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '../../../core/errors.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import { decodeCursor, pageOf, readDueCursor } from '../../schemas/cursor.js';
import type { Services } from '../../services.js';
import type { DeadlineWarning } from '../../../workflows/tickets/ticket.workflow.js';
import type { TicketState } from '../../../db/schema/index.js';
import { problemOf, toAppError } from '../../plugins/error-handler.plugin.js';
import { toNotificationDto } from '../notifications/notifications.schemas.js';
import {
  BulkEventsBody,
  BulkEventsResponse,
  TicketDetail,
  TicketEventBody,
  TicketEventResponse,
  TicketList,
  TicketListQuery,
  TicketParams,
  toEventDto,
  toTicketDto,
  toTicketDtoWithDays,
} from './tickets.schemas.js';

export const ticketsRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'calendarService' | 'now' | 'ticketWorkflow' | 'tickets'> }> = async (app, { services }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/api/tickets',
    {
      schema: {
        tags: ['tickets'],
        summary: '工单列表（本单位及下级；按期限排序，游标分页）',
        querystring: TicketListQuery,
        response: { 200: TicketList, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, state, unit, inspection, overdue, escalated, level, extensionRequested, q } = request.query;
      const now = services.now();
      const rows = await services.tickets.listItems({
        viewer: request.viewer,
        filters: {
          ...(state ? { state: state.split(',') as TicketState[] } : {}),
          ...(unit ? { unitCode: unit } : {}),
          ...(inspection !== undefined ? { inspectionId: inspection } : {}),
          ...(overdue !== undefined ? { overdue } : {}),
          ...(escalated !== undefined ? { escalated } : {}),
          ...(level !== undefined ? { level } : {}),
          ...(extensionRequested !== undefined ? { extensionRequested } : {}),
          ...(q ? { q } : {}),
        },
        limit: limit + 1,
        ...(cursor ? { after: decodeCursor(cursor, 'tickets', readDueCursor) } : {}),
        now,
      });
      const calendar = await services.calendarService.current();
      return pageOf(rows, limit, 'tickets', (t) => [t.dueAt.toISOString(), t.id], (t) => toTicketDtoWithDays(t, now, calendar));
    },
  );

  app.get(
    '/api/tickets/:id',
    {
      schema: {
        tags: ['tickets'],
        summary: '工单详情：审计记录、邮件、当前可执行的操作',
        params: TicketParams,
        response: { 200: TicketDetail, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const detail = await services.ticketWorkflow.detail({ ticketId: request.params.id, viewer: request.viewer });
      if (!detail) throw notFound('tickets.not_found', `工单 ${request.params.id} 不存在。`);
      const { ticket } = detail;
      return {
        ticket: toTicketDtoWithDays(ticket, services.now(), await services.calendarService.current()),
        finding: { ...ticket.finding, problems: ticket.problems, target: ticket.target, inspection: ticket.inspection },
        events: detail.events.map(toEventDto),
        notifications: detail.notifications.map(toNotificationDto),
        allowedEvents: detail.allowedEvents,
      };
    },
  );

  app.post(
    '/api/tickets/:id/events',
    {
      schema: {
        tags: ['tickets'],
        summary: '对工单执行一个操作（签收、提交整改、核验、退回、撤销、延期、转办）',
        params: TicketParams,
        body: TicketEventBody,
        response: { 200: TicketEventResponse, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const warnings: DeadlineWarning[] = [];
      const ticket = await services.ticketWorkflow.apply({
        ticketId: request.params.id,
        sender: { kind: 'user', viewer: request.viewer },
        input: request.body,
        warnings,
      });
      return { ticket: toTicketDto(ticket, services.now()), ...(warnings.length > 0 ? { warnings } : {}) };
    },
  );

  app.post(
    '/api/tickets/events',
    {
      preHandler: app.requireRole('admin', 'supervisor'),
      schema: {
        tags: ['tickets'],
        summary: '批量操作（监管人员）：每项单独成败',
        body: BulkEventsBody,
        response: { 200: BulkEventsResponse, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const results = [];
      // Each item in its own transaction: one refusal does not undo the others.
      for (const { id, ...input } of request.body.items) {
        try {
          const warnings: DeadlineWarning[] = [];
          const ticket = await services.ticketWorkflow.apply({ ticketId: id, sender: { kind: 'user', viewer: request.viewer }, input, warnings });
          results.push({ id, ok: true, ticket: toTicketDto(ticket, services.now()), ...(warnings.length > 0 ? { warnings } : {}) });
        } catch (error) {
          // Whatever went wrong with this item is its own result: the items before it are committed.
          results.push({ id, ok: false, problem: problemOf(request, toAppError(error, request)) });
        }
      }
      return { results };
    },
  );
};
