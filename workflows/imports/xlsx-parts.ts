import { Readable } from 'node:stream';
import JSZip from 'jszip';
import { AppError } from '../../core/errors.js';
import { ImportFileError } from './import.errors.js';
import { cellTooLong, tooLargeUncompressed, tooManyRows, type ImportLimits } from './import-limits.js';

/**
 * The most bytes one cell's text can take in the XML: a UTF-16 unit written as a character
 * reference (`&#12345;`) takes 8. A stretch of text longer than this is a cell over the limit.
 */
const MAX_XML_BYTES_PER_CHARACTER = 8;

const WORKSHEET = /^xl\/worksheets\/[^/]+\.xml$/i;

/**
 * Checks an XLSX before exceljs inflates it, which would build every string of it in memory at
 * once (a 390 KB file can hold one 400 MB cell). Each part is inflated by JSZip as a stream, in
 * small chunks that are counted and dropped: the bytes actually inflated are counted, not the
 * sizes the zip declares, which a crafted file can understate. It stops at the first limit:
 * the uncompressed total, a stretch of text too long for any cell, or a sheet with more rows than
 * a table may have (`<row>` elements holding cells; `slack` allows for title rows above the header).
 */
export async function checkXlsxParts(bytes: Buffer, limits: ImportLimits, slack: number): Promise<void> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes, { checkCRC32: false });
  } catch (cause) {
    throw new ImportFileError('import.unreadable', '无法读取 Excel 文件，文件可能已损坏；请另存为 .xlsx 或 CSV 后再试', { cause });
  }
  const maxRun = limits.maxCellLength * MAX_XML_BYTES_PER_CHARACTER;
  let total = 0;
  for (const entry of Object.values(zip.files)) {
    if (entry.dir) continue;
    const scanner = /\.(xml|rels)$/i.test(entry.name) ? createXmlScanner(maxRun) : null;
    // JSZip's stream is an old-style one (readable-stream 2), wrapped for async iteration; leaving
    // the loop early destroys it, so a refused part is not inflated any further.
    const stream = new Readable().wrap(entry.nodeStream('nodebuffer'));
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > limits.maxUncompressedBytes) throw tooLargeUncompressed(limits.maxUncompressedBytes);
        if (scanner && !scanner.feed(chunk)) throw cellTooLong(limits.maxCellLength);
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new ImportFileError('import.unreadable', '无法读取 Excel 文件，文件可能已损坏；请另存为 .xlsx 或 CSV 后再试', { cause: error });
    }
    if (scanner && WORKSHEET.test(entry.name) && scanner.rows() > limits.maxRows + slack) throw tooManyRows(limits.maxRows);
  }
}

/**
 * Reads XML bytes as they come: the longest stretch without `<` or `>` (text or an attribute), and
 * the `<row …>` elements that are not empty (`<row …/>`). Not an XML parser: exceljs parses.
 */
function createXmlScanner(maxRun: number) {
  // 0: outside a tag name; 1: just after `<`; 2, 3, 4: read `r`, `ro`, `row`; 5: inside a `<row` tag.
  let state = 0;
  let run = 0;
  let previous = 0;
  let rows = 0;
  return {
    /** False as soon as a stretch of text is longer than `maxRun` bytes. */
    feed(chunk: Buffer): boolean {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i] ?? 0;
        if (byte === 0x3c) {
          run = 0;
          state = 1;
        } else if (byte === 0x3e) {
          run = 0;
          if ((state === 4 || state === 5) && previous !== 0x2f) rows++;
          state = 0;
        } else {
          if (++run > maxRun) return false;
          if (state === 1) state = byte === 0x72 ? 2 : 0;
          else if (state === 2) state = byte === 0x6f ? 3 : 0;
          else if (state === 3) state = byte === 0x77 ? 4 : 0;
          else if (state === 4) state = byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x2f ? 5 : 0;
        }
        previous = byte;
      }
      return true;
    },
    rows: () => rows,
  };
}
