import fsp from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import type { AttachmentContentType } from '../../db/schema/index.js';

/** What people call the allowed types, in the 415 answer. */
export const allowedTypeNames = 'PNG、JPEG、WebP 图片，PDF，OFD，DOCX，XLSX';

const fromFileType: Record<string, AttachmentContentType> = {
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/webp': 'image/webp',
  'application/pdf': 'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
// End-of-central-directory record (22 bytes) plus the longest zip comment.
const EOCD_SEARCH = 22 + 0xffff;

/** The names in a zip file's central directory (at most `limit`), read from the end of the file. */
async function zipEntryNames(file: string, limit = 10_000): Promise<string[]> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, EOCD_SEARCH);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    let eocd = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return [];
    const directorySize = tail.readUInt32LE(eocd + 12);
    const directoryOffset = tail.readUInt32LE(eocd + 16);
    if (directoryOffset + directorySize > size || directorySize > 16 * 1024 * 1024) return [];
    const directory = Buffer.alloc(directorySize);
    await handle.read(directory, 0, directorySize, directoryOffset);
    const names: string[] = [];
    let at = 0;
    while (at + 46 <= directory.length && names.length < limit && directory.readUInt32LE(at) === CENTRAL_SIGNATURE) {
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      names.push(directory.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
      at += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  } finally {
    await handle.close();
  }
}

/**
 * The type of a file by its content, not its name: one of the evidence types, or undefined.
 * OFD (GB/T 33190, China's fixed-layout format for official documents) is a zip with OFD.xml at
 * its root, which file-type reports as a plain zip.
 */
export async function recogniseAttachmentType(file: string): Promise<AttachmentContentType | undefined> {
  const detected = await fileTypeFromFile(file);
  if (!detected) return undefined;
  const known = fromFileType[detected.mime];
  if (known) return known;
  if (detected.mime === 'application/zip') {
    const names = await zipEntryNames(file);
    if (names.includes('OFD.xml')) return 'application/ofd';
  }
  return undefined;
}

/** Images and PDFs open in the browser; everything else downloads. */
export function opensInline(contentType: AttachmentContentType): boolean {
  return contentType.startsWith('image/') || contentType === 'application/pdf';
}

/** What a unit's stamped written feedback may be: a scan as PDF, OFD or an image. */
export const feedbackScanTypes: readonly AttachmentContentType[] = ['application/pdf', 'application/ofd', 'image/png', 'image/jpeg', 'image/webp'];
