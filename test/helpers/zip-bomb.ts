import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';

/** The part of zip-stream (archiver's zip writer, untyped) used here. */
interface ZipStream extends NodeJS.ReadableStream {
  entry(source: Buffer | Readable, data: { name: string }, callback: (error?: Error | null) => void): void;
  finish(): void;
}
const ZipStreamClass = createRequire(import.meta.url)('zip-stream') as new (options: { zlib: { level: number } }) => ZipStream;

const PLACEHOLDER = 'BOMB-PLACEHOLDER';

/**
 * A real XLSX (written by exceljs) whose one shared string, the cell under 存在的问题, is `bytes`
 * repeated letters: the parts are written again by zip-stream (node's zlib), the shared strings
 * streamed in 1 MB chunks, so neither the test nor the file ever holds the long text (400 MB
 * deflate to some 400 KB).
 */
export async function xlsxWithHugeCell(bytes: number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('附件3');
  sheet.addRow(['序号', '账号名称', '开设主体', '存在的问题']);
  sheet.addRow([1, '政务账号', '益阳市人民政府办公室', PLACEHOLDER]);
  // exceljs writes inline strings unless told to share them.
  const source = await JSZip.loadAsync(await workbook.xlsx.writeBuffer({ useSharedStrings: true }));
  const archive = new ZipStreamClass({ zlib: { level: 9 } });
  const parts: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => parts.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', () => resolve());
    archive.on('error', reject);
  });
  const add = (name: string, data: Buffer | Readable) => new Promise<void>((resolve, reject) => archive.entry(data, { name }, (error) => (error ? reject(error) : resolve())));
  for (const entry of Object.values(source.files)) {
    if (entry.dir) continue;
    const content = await entry.async('nodebuffer');
    const at = content.indexOf(PLACEHOLDER);
    if (at === -1) {
      await add(entry.name, content);
      continue;
    }
    const chunk = Buffer.alloc(1024 * 1024, 'A');
    const pieces = [content.subarray(0, at), ...Array.from({ length: Math.ceil(bytes / chunk.length) }, () => chunk), content.subarray(at + PLACEHOLDER.length)];
    let next = 0;
    await add(entry.name, new Readable({ read() { this.push(next < pieces.length ? pieces[next++] : null); } }));
  }
  archive.finish();
  await ended;
  return Buffer.concat(parts);
}
