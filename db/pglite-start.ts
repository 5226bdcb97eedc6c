import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// PGlite's own defaults (PGlite.defaultStartParams in 0.5) plus the memory settings below. Copied, not
// imported, so that the child process that runs initdb needs nothing but PGlite itself.
const PGLITE_DEFAULTS = [
  '--single', '-F', '-O', '-j',
  '-c', 'search_path=public', '-c', 'exit_on_error=false', '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0', '-c', 'max_parallel_workers=0', '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync', '-c', 'max_parallel_maintenance_workers=0',
];

/**
 * PostgreSQL inside PGlite keeps its "shared" memory in the WebAssembly heap, which is zeroed at
 * start (so every byte of it is resident) and never shrinks. The initdb defaults are a server's:
 * 128 MB of shared_buffers. 16 MB holds an office's working set (the demo's whole database is under
 * 10 MB); a page not in it is a read of the data file from the OS page cache. maintenance_work_mem
 * (an index build, a vacuum) is heap that would stay claimed once touched.
 */
export const PGLITE_START_PARAMS: readonly string[] = [
  ...PGLITE_DEFAULTS,
  '-c', 'shared_buffers=16MB',
  '-c', 'maintenance_work_mem=16MB',
];

/**
 * Creates the database cluster in `pgDir` when there is none yet. PGlite's initdb runs a second
 * WebAssembly instance and copies the whole cluster through JavaScript buffers; in this process that
 * would leave some 130 MB resident for good (freed memory that the allocator keeps). A child process
 * gives all of it back when it exits.
 */
export async function initPgliteDataDir(pgDir: string): Promise<void> {
  if (fs.existsSync(path.join(pgDir, 'PG_VERSION'))) return;
  // The CommonJS entry: `node -e` needs no loader for it, whether this file runs compiled or through tsx.
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = [
    `const { PGlite } = require(${JSON.stringify(pglite)});`,
    `PGlite.create(${JSON.stringify(pgDir)}, { startParams: ${JSON.stringify(PGLITE_START_PARAMS)} })`,
    '  .then((db) => db.close())',
    '  .catch((error) => { console.error(error instanceof Error ? error.message : error); process.exit(1); });',
  ].join('\n');
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`PGlite could not create its database in ${pgDir}: ${stderr.trim().slice(0, 2000) || `exit code ${code}`}`);
}
