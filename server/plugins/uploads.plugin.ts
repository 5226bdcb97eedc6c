import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TableSource } from '../../workflows/imports/decode-table.js';
import { tooLargeFile, type ImportLimits } from '../../workflows/imports/import-limits.js';
import { AppError, badRequest } from '../../core/errors.js';

/** Table files arrive as raw bodies (CSV, XLSX) or as one file in a multipart form. */
export const tableContentTypes = [
  'text/csv',
  'application/csv',
  'text/plain',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-excel',
  'application/octet-stream',
];

export interface TableUploadOptions {
  /** Uploads wait in `DATA_DIR/uploads` (owner only) while they are read, and are removed after the answer. */
  dataDir: string;
  /** The largest file, raw or in a form; the import route gives the same as its `bodyLimit` for JSON. */
  maxBytes: number;
  limits: ImportLimits;
}

interface UploadState extends TableUploadOptions {
  files: string[];
}

/** What the raw-body parser leaves as `request.body`: the file the body was written to. */
interface UploadedBody {
  uploadedFile: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    tableUploads: UploadState | null;
  }
}

const isUploadedBody = (body: unknown): body is UploadedBody => typeof body === 'object' && body !== null && typeof (body as { uploadedFile?: unknown }).uploadedFile === 'string';

/** Streams `source` into a new owner-only file under `dir`, refusing it (and removing the file) past `maxBytes`. */
async function receiveToFile(source: Readable, dir: string, maxBytes: number): Promise<string> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${randomUUID()}.upload`);
  let size = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(size > maxBytes ? tooLargeFile(maxBytes) : null, chunk);
    },
  });
  try {
    await pipeline(source, counting, fs.createWriteStream(file, { mode: 0o600, flags: 'wx' }));
    return file;
  } catch (error) {
    await fsp.rm(file, { force: true });
    throw error;
  }
}

/**
 * The parsers of the routes that take table files, registered in those routes' plugins only (the
 * rest of the API takes JSON up to the app's 1 MB): raw CSV/XLSX bodies and multipart forms are
 * streamed to a temporary file under DATA_DIR, counted against the route's limit as they arrive,
 * never held whole in memory, and removed once the answer is sent.
 */
export const tableUploadsPlugin = fp(
  async (app: FastifyInstance, options: TableUploadOptions) => {
    const dir = path.join(options.dataDir, 'uploads');
    app.decorateRequest('tableUploads', null);
    app.addHook('onRequest', async (request) => {
      request.tableUploads = { ...options, files: [] };
    });
    const removeFiles = async (request: FastifyRequest) => {
      const files = request.tableUploads?.files.splice(0) ?? [];
      await Promise.all(files.map((file) => fsp.rm(file, { force: true })));
    };
    app.addHook('onResponse', removeFiles);
    app.addHook('onRequestAbort', removeFiles);

    // A route's own bodyLimit (the import routes raise it to maxBytes); the app's 1 MB elsewhere in the plugin.
    const limitOf = (request: FastifyRequest) => Math.min(request.routeOptions.bodyLimit ?? options.maxBytes, options.maxBytes);
    app.addContentTypeParser(tableContentTypes, async (request: FastifyRequest, payload: Readable): Promise<UploadedBody> => {
      const limit = limitOf(request);
      if (Number(request.headers['content-length'] ?? 0) > limit) throw tooLargeFile(limit);
      const file = await receiveToFile(payload, dir, limit);
      request.tableUploads?.files.push(file);
      return { uploadedFile: file };
    });
    await app.register(multipart, { limits: { fileSize: options.maxBytes, files: 1, fields: 10 } });
  },
  { name: 'table-uploads' },
);

/** What a table upload route received: a file on disk (raw body or form), or a JSON body fastify has already parsed. */
export async function readTableUpload(request: FastifyRequest): Promise<TableSource> {
  const state = request.tableUploads;
  if (!state) throw new Error('readTableUpload needs tableUploadsPlugin in the route plugin');
  const { limits } = state;
  if (request.isMultipart()) {
    try {
      const part = await request.file({ limits: { fileSize: state.maxBytes, files: 1, fields: 10 } });
      if (!part) throw badRequest('import.no_file', '请在表单中附上一个文件（字段名 file）。', { errors: [{ field: 'file', message: '缺少文件' }] });
      const file = await receiveToFile(part.file, path.join(state.dataDir, 'uploads'), state.maxBytes);
      state.files.push(file);
      return { file, contentType: part.mimetype, filename: part.filename, limits };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLargeFile(state.maxBytes);
      // The form parser reports a malformed form (no boundary, cut off) as a plain Error, without
      // a status: the client sent it, so 400, not 500. Its other limits (413) keep their own status.
      if (typeof (error as { statusCode?: unknown }).statusCode === 'number' && (error as { statusCode: number }).statusCode < 500) throw error;
      throw badRequest('import.invalid_form', `表单（multipart/form-data）格式不正确：${error instanceof Error ? error.message : String(error)}`, {
        errors: [{ field: 'file', message: '无法读取表单' }],
      });
    }
  }
  const contentType = request.headers['content-type'] ?? '';
  if (isUploadedBody(request.body)) return { file: request.body.uploadedFile, contentType, limits };
  if (request.body === undefined || request.body === null) {
    throw badRequest('import.no_file', '请求中没有数据：请发送 CSV、XLSX 或 JSON。', { errors: [{ field: '(body)', message: '缺少内容' }] });
  }
  return { json: request.body, limits };
}
