import type { Readable } from 'node:stream';

/** A file received into the store but not yet kept: its hash, size and a local copy to inspect. */
export interface StagedFile {
  sha256: string;
  size: number;
  /** A local file holding the bytes until commit or discard (for recognising the type). */
  path: string;
  /** Keeps the bytes under their SHA-256; the same content is stored once. */
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export type FileCheck = 'ok' | 'missing' | 'changed';

/**
 * Where evidence files live, content-addressed by SHA-256. One interface, so that another driver
 * (object storage) can replace the folder; several instances must share the same store.
 */
export interface FileStore {
  /** Streams `source` into a temporary file, hashing as it goes; rejects with the stream's own error (e.g. a size limit). */
  receive(source: Readable): Promise<StagedFile>;
  /** The stored bytes, or undefined when the store does not have them. */
  open(sha256: string): Promise<Readable | undefined>;
  /** Reads the stored bytes again and compares their hash with the name they are kept under. */
  check(sha256: string): Promise<FileCheck>;
  /** Removes the bytes (the caller makes sure no upload of the same content is under way). */
  remove(sha256: string): Promise<void>;
}
