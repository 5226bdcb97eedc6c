import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../core/errors.js';
import { decodeTable } from './decode-table.js';
import type { DecodeJob, DecodeMessage, DecodeRequest } from './read-table.js';

/**
 * Decodes uploaded tables off the main thread (see read-table.ts), one at a time, and hands each
 * table's rows back a chunk at a time, each chunk after the main thread asked for it.
 */
const ROWS_PER_MESSAGE = 5_000;

const port = parentPort;
if (!port) throw new Error('decode.worker.ts runs as a worker thread');
const send = (message: DecodeMessage) => port.postMessage(message);

let asked: (() => void) | undefined;
const nextAsked = () => new Promise<void>((resolve) => (asked = resolve));

async function run(job: DecodeJob): Promise<void> {
  try {
    const bytes = 'file' in job ? await readFile(job.file) : Buffer.from(job.bytes);
    const table = await decodeTable({ bytes, spec: job.spec, limits: job.limits, ...(job.contentType ? { contentType: job.contentType } : {}), ...(job.filename ? { filename: job.filename } : {}) });
    send({ type: 'table', headers: table.headers, format: table.format });
    for (let start = 0; start < table.rows.length; start += ROWS_PER_MESSAGE) {
      await nextAsked();
      send({ type: 'rows', rows: table.rows.slice(start, start + ROWS_PER_MESSAGE) });
    }
    await nextAsked();
    send({ type: 'done' });
  } catch (error) {
    if (error instanceof AppError) {
      const { status, code, title, detail, errors, extra } = error;
      send({ type: 'refused', problem: { status, code, title, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}), ...(extra ? { extra } : {}) } });
    } else {
      send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }
}

port.on('message', (message: DecodeRequest) => {
  if (message.type === 'next') asked?.();
  else void run(message.job);
});
