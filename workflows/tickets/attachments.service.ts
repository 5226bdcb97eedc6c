import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Db } from '../../db/client.js';
import { toAttachmentRecord, type AttachmentRecord, type AttachmentsRepository } from '../../db/repositories/attachments.repository.js';
import type { Viewer } from '../../db/repositories/scope.js';
import type { Attachment, AttachmentContentType } from '../../db/schema/index.js';
import { AppError, unprocessable } from '../../core/errors.js';
import type { FileStore, StagedFile } from '../../storage/file-store.js';
import { allowedTypeNames, recogniseAttachmentType } from './attachment-type.js';

/** Unreferenced uploads are removed after this long. */
export const UNREFERENCED_TTL_MS = 24 * 60 * 60 * 1000;
/** Files one ticket event or written feedback may reference. */
export const MAX_ATTACHMENTS_PER_EVENT = 20;

export interface IncomingFile {
  filename: string;
  stream: Readable;
}

interface Deps {
  db: Db;
  attachments: AttachmentsRepository;
  files: FileStore;
  now: () => Date;
}

// A name as the uploader's system gave it, without folders or control characters, at most 255 characters.
function cleanName(filename: string): string {
  // eslint-disable-next-line no-control-regex
  const base = filename.split(/[/\\]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim() ?? '';
  return [...(base || '未命名文件')].slice(0, 255).join('');
}

/** Evidence files: receive (streamed, hashed, typed by content), read within scope, reference from events, collect garbage. */
export function createAttachmentsService({ db, attachments, files, now }: Deps) {
  return {
    /**
     * Receives the files of one upload, all or nothing: each is streamed into the store and hashed
     * as it arrives, recognised by its content, and kept only when every file of the upload is
     * acceptable. `next` yields the files one by one (a multipart form is read in order).
     */
    async upload({ next, viewer }: { next: () => AsyncIterable<IncomingFile>; viewer: Viewer }): Promise<Attachment[]> {
      const staged: { file: StagedFile; name: string; contentType: AttachmentContentType }[] = [];
      try {
        for await (const incoming of next()) {
          const file = await files.receive(incoming.stream);
          const name = cleanName(incoming.filename);
          const contentType = await recogniseAttachmentType(file.path);
          if (!contentType) {
            await file.discard();
            throw new AppError({
              status: 415,
              code: 'attachments.unsupported_type',
              title: '不支持的文件类型',
              detail: `文件“${name}”的内容不是允许的类型。允许的类型：${allowedTypeNames}。`,
              errors: [{ field: 'file', value: name, message: `允许的类型：${allowedTypeNames}` }],
            });
          }
          staged.push({ file, name, contentType });
        }
        if (staged.length === 0) {
          throw new AppError({ status: 400, code: 'attachments.no_file', title: '请求无效', detail: '请在表单中附上至少一个文件。', errors: [{ field: 'file', message: '缺少文件' }] });
        }
        const at = now();
        return await db.transaction(async (tx) => {
          for (const { file } of staged) {
            await attachments.lockHash({ sha256: file.sha256 }, tx);
            await file.commit();
          }
          return attachments.insertMany(
            staged.map(({ file, name, contentType }) => ({ id: randomUUID(), sha256: file.sha256, name, size: file.size, contentType, uploadedBy: viewer.userId, createdAt: at })),
            tx,
          );
        });
      } catch (error) {
        // Files already kept stay (other uploads may share their content); the collector removes them if unused.
        await Promise.all(staged.map(({ file }) => file.discard()));
        throw error;
      }
    },

    /** A file and its bytes, when the viewer may read it. */
    async open({ id, viewer }: { id: string; viewer: Viewer }): Promise<{ attachment: Attachment; stream: Readable } | undefined> {
      const attachment = await attachments.findVisible({ id, viewer });
      if (!attachment) return undefined;
      const stream = await files.open(attachment.sha256);
      return stream ? { attachment, stream } : undefined;
    },

    /**
     * Inside an event's transaction: checks the files it names (each visible to the sender, of an
     * allowed type, at most MAX_ATTACHMENTS_PER_EVENT), records the references, and returns what the
     * audit event records of each, in the order given.
     */
    async reference(
      { ids, viewer, owner, allowedTypes, at }: { ids: string[]; viewer: Viewer; owner: { ticketId: number } | { feedbackId: number }; allowedTypes?: readonly string[]; at: Date },
      tx: Db,
    ): Promise<AttachmentRecord[]> {
      const unique = [...new Set(ids)];
      if (unique.length > MAX_ATTACHMENTS_PER_EVENT) {
        throw unprocessable('attachments.too_many', `一次最多引用 ${MAX_ATTACHMENTS_PER_EVENT} 个附件。`, {
          errors: [{ field: 'attachmentIds', message: `最多 ${MAX_ATTACHMENTS_PER_EVENT} 个` }],
        });
      }
      const found = new Map((await attachments.lockVisible({ ids: unique, viewer }, tx)).map((a) => [a.id, a]));
      const missing = unique.filter((id) => !found.has(id));
      if (missing.length > 0) {
        throw unprocessable('attachments.not_found', `附件不存在或已过期：${missing.join('、')}。请重新上传。`, {
          errors: missing.map((id) => ({ field: 'attachmentIds', value: id, message: '附件不存在或已过期' })),
        });
      }
      const records = unique.map((id) => found.get(id)).filter((a): a is Attachment => a !== undefined);
      const wrongType = allowedTypes ? records.filter((a) => !allowedTypes.includes(a.contentType)) : [];
      if (wrongType.length > 0) {
        throw unprocessable('attachments.wrong_type', `书面反馈须为盖章后的扫描件（PDF、OFD 或图片）：${wrongType.map((a) => a.name).join('、')} 不符合要求。`, {
          errors: wrongType.map((a) => ({ field: 'attachmentIds', value: a.id, message: `${a.name} 不是 PDF、OFD 或图片` })),
        });
      }
      await attachments.addRefs({ attachmentIds: unique, ...owner, at }, tx);
      return records.map(toAttachmentRecord);
    },

    /** Removes uploads nothing referenced within UNREFERENCED_TTL_MS, and their bytes when no other upload has the same content. */
    async collectGarbage(): Promise<{ removed: number }> {
      const cutoff = new Date(now().getTime() - UNREFERENCED_TTL_MS);
      const hashes = await attachments.removeUnreferenced({ before: cutoff });
      let removed = 0;
      for (const sha256 of hashes) {
        // Under the hash's lock, so that an upload of the same bytes either finds them gone or keeps its row first.
        await db.transaction(async (tx) => {
          await attachments.lockHash({ sha256 }, tx);
          if (await attachments.hashInUse({ sha256 }, tx)) return;
          await files.remove(sha256);
          removed++;
        });
      }
      return { removed };
    },

    /** Every file the trails recorded: present in the store with the recorded hash? Returns the first that is not. */
    async verifyRecorded(): Promise<{ checkedFiles: number; firstProblem?: { trail: 'ticket' | 'feedback'; ownerId: number; seq: number; file: AttachmentRecord; problem: 'missing' | 'changed' } }> {
      const recorded = await attachments.recordedInTrails();
      const seen = new Map<string, 'ok' | 'missing' | 'changed'>();
      for (const entry of recorded) {
        const sha256 = entry.file.sha256;
        let result = seen.get(sha256);
        if (!result) {
          result = /^[0-9a-f]{64}$/.test(sha256) ? await files.check(sha256) : 'missing';
          seen.set(sha256, result);
        }
        if (result !== 'ok') return { checkedFiles: seen.size, firstProblem: { ...entry, problem: result } };
      }
      return { checkedFiles: seen.size };
    },
  };
}

export type AttachmentsService = ReturnType<typeof createAttachmentsService>;

/** Runs the garbage collection on a timer inside the server; never overlapping, errors logged. */
export function startAttachmentsGcTimer(
  service: Pick<AttachmentsService, 'collectGarbage'>,
  { intervalMs, logger }: { intervalMs: number; logger: { error(obj: unknown, msg: string): void } },
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = service
      .collectGarbage()
      .then(() => undefined)
      .catch((error: unknown) => logger.error({ err: error }, 'removing unreferenced attachments failed'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
