import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import Type from 'typebox';
import type { AttachmentContentType } from '../../../db/schema/index.js';
import { opensInline } from '../../../workflows/tickets/attachment-type.js';
import { MAX_ATTACHMENTS_PER_EVENT, type IncomingFile } from '../../../workflows/tickets/attachments.service.js';
import { AppError, badRequest, notFound } from '../../../core/errors.js';
import { problemResponses } from '../../schemas/common.schemas.js';
import type { Services } from '../../services.js';
import { AttachmentParams, UploadResult, contentDisposition, toAttachmentDto } from './attachments.schemas.js';

export const attachmentsRoutes: FastifyPluginAsyncTypebox<{ services: Pick<Services, 'attachments'>; maxBytes: number }> = async (app, { services, maxBytes }) => {
  app.addHook('onRequest', app.authenticate);
  // The form parser for this route's plugin only; each file streams to the store's temporary folder.
  await app.register(multipart, { limits: { fileSize: maxBytes, files: MAX_ATTACHMENTS_PER_EVENT, fields: 10 } });
  const maxMb = Math.round((maxBytes / 1024 / 1024) * 10) / 10;

  app.post(
    '/api/attachments',
    {
      schema: {
        tags: ['attachments'],
        summary: '上传佐证材料（multipart/form-data，一个或多个文件）',
        description: `PNG、JPEG、WebP、PDF、OFD、DOCX、XLSX，按内容识别类型；每个文件不超过 ${maxMb} MB，一次最多 ${MAX_ATTACHMENTS_PER_EVENT} 个。未被工单或书面反馈引用的文件 24 小时后删除。`,
        consumes: ['multipart/form-data'],
        response: { 201: UploadResult, ...problemResponses(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new AppError({ status: 415, code: 'attachments.not_multipart', title: '不支持的内容类型', detail: '请以 multipart/form-data 表单上传文件。' });
      }
      const tooLarge = () =>
        new AppError({
          status: 413,
          code: 'attachments.too_large',
          title: '文件过大',
          detail: `单个文件不能超过 ${maxMb} MB。`,
          errors: [{ field: 'file', message: `不能超过 ${maxMb} MB` }],
        });
      // The size is enforced as the bytes arrive, and the stream is cut off there, not after buffering.
      const parts = request.files({ limits: { fileSize: maxBytes, files: MAX_ATTACHMENTS_PER_EVENT, fields: 10 }, throwFileSizeLimit: true });
      async function* next(): AsyncIterable<IncomingFile> {
        try {
          for await (const part of parts) {
            part.file.once('limit', () => part.file.destroy(tooLarge()));
            yield { filename: part.filename, stream: part.file };
          }
        } catch (error) {
          const status = (error as { statusCode?: unknown }).statusCode;
          if (error instanceof AppError) throw error;
          if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
          if ((error as { code?: unknown }).code === 'FST_FILES_LIMIT') {
            throw new AppError({ status: 413, code: 'attachments.too_many', title: '文件过多', detail: `一次最多上传 ${MAX_ATTACHMENTS_PER_EVENT} 个文件。`, errors: [{ field: 'file', message: `最多 ${MAX_ATTACHMENTS_PER_EVENT} 个` }] });
          }
          if (typeof status === 'number' && status < 500) throw error;
          throw badRequest('attachments.invalid_form', `表单（multipart/form-data）格式不正确：${error instanceof Error ? error.message : String(error)}`, {
            errors: [{ field: 'file', message: '无法读取表单' }],
          });
        }
      }
      const items = await services.attachments.upload({ next, viewer: request.viewer });
      return reply.code(201).send({ items: items.map(toAttachmentDto) });
    },
  );

  app.get(
    '/api/attachments/:id',
    {
      schema: {
        tags: ['attachments'],
        summary: '下载佐证材料',
        description: '上传者在文件被引用前可下载；被工单或书面反馈引用后，能查看该工单或书面反馈的用户可下载。图片和 PDF 在浏览器中打开，其他类型下载。',
        params: AttachmentParams,
        response: {
          200: { description: '文件内容', content: { 'application/octet-stream': { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) } } },
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const opened = await services.attachments.open({ id: request.params.id, viewer: request.viewer });
      if (!opened) throw notFound('attachments.not_found', `附件 ${request.params.id} 不存在。`);
      const { attachment, stream } = opened;
      return reply
        .type(attachment.contentType)
        .header('content-length', attachment.size)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', contentDisposition(opensInline(attachment.contentType as AttachmentContentType) ? 'inline' : 'attachment', attachment.name))
        .header('cache-control', 'private, no-store')
        .send(stream);
    },
  );
};
