import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileCheck, FileStore, StagedFile } from './file-store.js';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The default file store: a folder (DATA_DIR/files), bytes kept as `ab/cd/<sha256>`, readable by
 * the server's user only. Files arrive in `tmp/` and are renamed into place, so a reader never
 * sees half a file; on one file system the rename is atomic.
 */
export function createFolderFileStore({ root }: { root: string }): FileStore {
  const tmpDir = path.join(root, 'tmp');
  const blobPath = (sha256: string) => {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return path.join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  };
  const ensureDir = (dir: string) => fsp.mkdir(dir, { recursive: true, mode: 0o700 });

  return {
    async receive(source: Readable): Promise<StagedFile> {
      await ensureDir(tmpDir);
      const tmp = path.join(tmpDir, `${randomUUID()}.part`);
      const hash = createHash('sha256');
      let size = 0;
      const counting = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      try {
        await pipeline(source, counting, fs.createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
      } catch (error) {
        await fsp.rm(tmp, { force: true });
        throw error;
      }
      const sha256 = hash.digest('hex');
      return {
        sha256,
        size,
        path: tmp,
        async commit() {
          const target = blobPath(sha256);
          await ensureDir(path.dirname(target));
          // The same content is stored once: renaming over an existing copy replaces it with identical bytes.
          await fsp.rename(tmp, target);
        },
        async discard() {
          await fsp.rm(tmp, { force: true });
        },
      };
    },

    async open(sha256) {
      const file = blobPath(sha256);
      try {
        const handle = await fsp.open(file, 'r');
        return handle.createReadStream();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    async check(sha256): Promise<FileCheck> {
      const stream = await this.open(sha256);
      if (!stream) return 'missing';
      const hash = createHash('sha256');
      await pipeline(stream, hash);
      return hash.digest('hex') === sha256 ? 'ok' : 'changed';
    },

    async remove(sha256) {
      await fsp.rm(blobPath(sha256), { force: true });
    },
  };
}

/** The store `rectify serve` and the commands use: DATA_DIR/files (instances sharing it put DATA_DIR/files on shared storage). */
export function filesIn(config: { dataDir: string }): FileStore {
  return createFolderFileStore({ root: path.join(config.dataDir, 'files') });
}
