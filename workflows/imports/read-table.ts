import { createRequire } from 'node:module';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type AppErrorOptions } from '../../core/errors.js';
import { tableFromJson, type DecodedTable, type RawRow, type TableFormat, type TableSource, type TableSpec } from './decode-table.js';
import { importLimits, type ImportLimits } from './import-limits.js';

/** What the worker is given: the file (on disk, or its bytes) and what the table should be. */
export type DecodeJob = ({ file: string } | { bytes: Uint8Array }) & { contentType?: string; filename?: string; spec: TableSpec; limits: ImportLimits };

/** From the main thread: a table to decode, or "send the next rows". */
export type DecodeRequest = { type: 'job'; job: DecodeJob } | { type: 'next' };

export type DecodeMessage =
  | { type: 'table'; headers: string[]; format: TableFormat }
  | { type: 'rows'; rows: RawRow[] }
  | { type: 'done' }
  | { type: 'refused'; problem: Pick<AppErrorOptions, 'status' | 'code' | 'title' | 'detail' | 'errors' | 'extra'> }
  | { type: 'failed'; message: string };

// The worker is TypeScript when this file is (tests, `bin/rectify`): it then starts by registering
// tsx, as bin/rectify does (Node 20 does not apply a worker's `--import` hooks to its main module).
const here = fileURLToPath(import.meta.url);
const workerUrl = pathToFileURL(path.join(path.dirname(here), `decode.worker${path.extname(here)}`));
const workerEntry: { entry: string | URL; eval: boolean } = here.endsWith('.ts')
  ? {
      entry: `import(${JSON.stringify(tsxEsmApi())}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`,
      eval: true,
    }
  : { entry: workerUrl, eval: false };
/** tsx's ESM register API (`tsx/esm/api`), as an import resolves it: its package exports the same name for require and import. */
function tsxEsmApi(): string {
  const required = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(required.replace(/\.cjs$/, '.mjs')).href;
}

/** A worker whose file needs more than this is stopped (and the import refused) rather than the server. */
const WORKER_HEAP_MB = 2048;

/**
 * Reads an uploaded table without holding the event loop: decoding a 200,000-row file takes
 * seconds of CPU (csv-parse, exceljs, the text decoders), so it runs in a worker thread, which
 * also keeps what a hostile file makes it allocate out of the main thread's heap. The rows come
 * back 5,000 at a time, each chunk asked for after a turn of the event loop, so receiving them
 * never blocks for long either. A JSON body, already parsed by fastify, is read here.
 *
 * One worker serves every import, one file at a time (starting a worker costs a second or more on
 * a busy machine; imports are few): it starts with the first import, does not keep the process
 * alive, and is started again after it died (a file that needed more than WORKER_HEAP_MB).
 */
export async function readTable(source: TableSource, spec: TableSpec): Promise<DecodedTable> {
  const limits = source.limits ?? importLimits();
  if ('json' in source) return tableFromJson(source.json, spec, limits);
  const where = 'file' in source ? { file: source.file } : { bytes: source.bytes };
  const job: DecodeJob = { ...where, spec, limits, ...(source.contentType ? { contentType: source.contentType } : {}), ...(source.filename ? { filename: source.filename } : {}) };
  const turn = queue.then(() => decodeInWorker(job));
  queue = turn.catch(() => undefined);
  return turn;
}

let queue: Promise<unknown> = Promise.resolve();
let shared: Worker | undefined;

function decodeWorker(): Worker {
  if (shared) return shared;
  const worker = new Worker(workerEntry.entry, { eval: workerEntry.eval, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
  worker.unref();
  worker.once('exit', () => {
    if (shared === worker) shared = undefined;
  });
  shared = worker;
  return worker;
}

function decodeInWorker(job: DecodeJob): Promise<DecodedTable> {
  const worker = decodeWorker();
  return new Promise<DecodedTable>((resolve, reject) => {
    let table: DecodedTable | undefined;
    const settle = (outcome: () => void) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      outcome();
    };
    const askForMore = () => void nextTurn().then(() => worker.postMessage({ type: 'next' } satisfies DecodeRequest));
    const onMessage = (message: DecodeMessage) => {
      switch (message.type) {
        case 'table':
          table = { headers: message.headers, format: message.format, rows: [] };
          askForMore();
          break;
        case 'rows':
          for (const row of message.rows) table?.rows.push(row);
          askForMore();
          break;
        case 'done':
          settle(() => (table ? resolve(table) : reject(new Error('decode worker sent no table'))));
          break;
        case 'refused':
          settle(() => reject(new AppError(message.problem)));
          break;
        case 'failed':
          settle(() => reject(new Error(`decoding the table failed: ${message.message}`)));
          break;
      }
    };
    const onError = (error: Error & { code?: string }) =>
      settle(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new AppError({ status: 413, code: 'import.too_complex', title: '导入文件过于复杂', detail: `读取该文件所需内存超过 ${WORKER_HEAP_MB} MB，请分成几个文件导入。`, extra: { limit: WORKER_HEAP_MB * 1024 * 1024 } })
            : error,
        ),
      );
    const onExit = (code: number) => settle(() => reject(new Error(`decode worker exited with code ${code}`)));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ type: 'job', job } satisfies DecodeRequest);
  });
}

/** Rows handed to `read` per turn of the event loop. */
const ROWS_PER_TURN = 2_000;

/**
 * Gives a decoded table's rows to `read` a part at a time, letting the event loop turn between
 * parts: parsing the rows (unit names, the problem catalogue, dates) costs about as much as decoding.
 */
export async function readTableInParts(table: Pick<DecodedTable, 'rows'>, read: (rows: readonly RawRow[]) => void): Promise<void> {
  for (let start = 0; start < table.rows.length; start += ROWS_PER_TURN) {
    if (start > 0) await nextTurn();
    read(table.rows.slice(start, start + ROWS_PER_TURN));
  }
}
