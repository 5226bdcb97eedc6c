import Type from 'typebox';
import type { Attachment } from '../../../db/schema/index.js';

export const AttachmentSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'the file name as uploaded' }),
  size: Type.Integer({ description: 'bytes' }),
  contentType: Type.String({ description: 'recognised from the content, not the name' }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});

export const UploadResult = Type.Object({ items: Type.Array(AttachmentSchema) });

export const AttachmentParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const toAttachmentDto = (a: Pick<Attachment, 'id' | 'name' | 'size' | 'contentType' | 'sha256'>) => ({
  id: a.id,
  name: a.name,
  size: a.size,
  contentType: a.contentType,
  sha256: a.sha256,
});

/**
 * RFC 6266 Content-Disposition: an ASCII stand-in for old clients in `filename`, the real
 * (Chinese) name in `filename*` as UTF-8, percent-encoded (RFC 8187).
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
