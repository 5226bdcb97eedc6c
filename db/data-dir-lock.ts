import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface LockOwner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      [
        `The embedded database in ${dataDir} is already open in process ${owner.pid} ("${owner.command}", since ${owner.since}).`,
        'Only one process at a time may open it. Either:',
        '  - stop that process first, then run this command again; or',
        '  - ask the running server to do it (e.g. POST /api/admin/sweep instead of `rectify sweep`); or',
        '  - set DATABASE_URL to a PostgreSQL server, which several processes can share.',
      ].join('\n'),
    );
    this.name = 'DataDirLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data folder for this process, or throws DataDirLockedError naming the holder.
 * A lock left by a process that died (same host, pid gone) is taken over.
 */
export function lockDataDir(dataDir: string, command: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'rectify.lock');
  const me: LockOwner = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          const current = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
          if (current.pid === me.pid) fs.unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner: LockOwner | undefined;
      try {
        owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
      } catch {
        owner = undefined;
      }
      if (owner && owner.host === me.host && owner.pid !== me.pid && isAlive(owner.pid)) {
        throw new DataDirLockedError(dataDir, owner);
      }
      if (owner && owner.host !== me.host) throw new DataDirLockedError(dataDir, owner);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not take the lock file ${file}`);
}

/**
 * DATA_DIR holds the embedded database, the generated secrets and the emails: owner only. Creates
 * it if need be and takes group and other permissions off everything already under it (a data
 * folder copied or created by an older version). Symbolic links are left alone.
 */
export function secureDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pending = [dataDir];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    fs.chmodSync(dir, 0o700);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(file);
      else if (entry.isFile()) fs.chmodSync(file, fs.statSync(file).mode & 0o700);
    }
  }
}
