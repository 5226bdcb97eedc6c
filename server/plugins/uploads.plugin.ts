import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TableSource } from '../../workflows/import/decode-table.js';
import { AppError, badRequest } from '../../core/errors.js';

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Table files arrive as raw bodies (CSV, XLSX) or as one file in a multipart form. */
export const tableContentTypes = [
  'text/csv',
  'application/csv',
  'text/plain',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-excel',
  'application/octet-stream',
];

export const uploadsPlugin = fp(
  async (app: FastifyInstance) => {
    app.addContentTypeParser(tableContentTypes, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_request, body, done) => done(null, body));
    await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10 } });
  },
  { name: 'uploads' },
);

/** What a table upload route received: file bytes, or a JSON body fastify has already parsed. */
export async function readTableUpload(request: FastifyRequest): Promise<TableSource> {
  if (request.isMultipart()) {
    try {
      const file = await request.file();
      if (!file) throw badRequest('import.no_file', '请在表单中附上一个文件（字段名 file）。', { errors: [{ field: 'file', message: '缺少文件' }] });
      const bytes = await file.toBuffer();
      return { bytes, contentType: file.mimetype, filename: file.filename };
    } catch (error) {
      // The form parser reports a malformed form (no boundary, cut off) as a plain Error, without
      // a status: the client sent it, so 400, not 500. Its limits (413) keep their own status.
      if (error instanceof AppError || (typeof (error as { statusCode?: unknown }).statusCode === 'number' && (error as { statusCode: number }).statusCode < 500)) throw error;
      throw badRequest('import.invalid_form', `表单（multipart/form-data）格式不正确：${error instanceof Error ? error.message : String(error)}`, {
        errors: [{ field: 'file', message: '无法读取表单' }],
      });
    }
  }
  const contentType = request.headers['content-type'] ?? '';
  if (Buffer.isBuffer(request.body)) return { bytes: request.body, contentType };
  if (request.body === undefined || request.body === null) {
    throw badRequest('import.no_file', '请求中没有数据：请发送 CSV、XLSX 或 JSON。', { errors: [{ field: '(body)', message: '缺少内容' }] });
  }
  return { json: request.body };
}
