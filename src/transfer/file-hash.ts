import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { read } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { IcqError, ErrorCode } from '../errors.js';

const HASH_READ_SIZE = 1024 * 1024;
const readAsync = promisify(read);

/**
 * The sha256 a file-done event carries. SHA-256 costs about as much CPU as the rest of a
 * loopback transfer together, so it is computed only when someone reads it: a disabled
 * digest takes bytes for nothing and reports ''.
 */
export interface FileDigest {
  readonly enabled: boolean;
  update(data: Uint8Array): void;
  /** Hex sha256 of everything fed, or '' when disabled. Once only. */
  hex(): string;
}

/** Loaded for the first digest: runs without --json never hash. */
let crypto: typeof import('node:crypto') | undefined;

class Sha256Digest implements FileDigest {
  readonly enabled = true;
  private readonly hash: Hash = (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).createHash('sha256');

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

const NO_DIGEST: FileDigest = {
  enabled: false,
  update: () => undefined,
  hex: () => '',
};

/** A sha256 digest, or one that computes nothing when enabled is false. */
export function createFileDigest(enabled: boolean): FileDigest {
  return enabled ? new Sha256Digest() : NO_DIGEST;
}

/**
 * Feed the first `length` bytes of an open file into hash. Used to hash the part of a file
 * that is already there before a resume adds to it, so file-done always carries the sha256
 * of the whole file. Fails with LOCAL_FILE when the file is shorter than `length`. Reads
 * nothing for a disabled digest.
 */
export async function hashFilePrefix(fd: number, length: number, hash: FileDigest, what = 'file'): Promise<void> {
  if (length <= 0 || !hash.enabled) return;
  const scratch = Buffer.allocUnsafe(Math.min(HASH_READ_SIZE, length));
  let position = 0;
  while (position < length) {
    const want = Math.min(scratch.length, length - position);
    // Asynchronous: a resumed prefix can be gigabytes, too long to hold up the event loop.
    const { bytesRead } = await readAsync(fd, scratch, 0, want, position);
    if (bytesRead === 0) {
      throw new IcqError(ErrorCode.LOCAL_FILE, `${what} is shorter than the ${length} bytes expected (ends at ${position})`);
    }
    hash.update(scratch.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/** hashFilePrefix on a path, opened read-only for the purpose. */
export async function hashPathPrefix(path: string, length: number, hash: FileDigest): Promise<void> {
  if (length <= 0 || !hash.enabled) return;
  const handle = await open(path, 'r');
  try {
    await hashFilePrefix(handle.fd, length, hash, path);
  } finally {
    await handle.close();
  }
}

/** sha256 (hex) of a whole file, or '' when there is no such file or enabled is false. */
export async function sha256OfFile(path: string, enabled = true): Promise<string> {
  if (!enabled) return '';
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const hash = createFileDigest(true);
    await hashFilePrefix(handle.fd, size, hash, path);
    return hash.hex();
  } finally {
    await handle.close();
  }
}
