import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { IcqError, ErrorCode } from '../errors.js';

const HASH_READ_SIZE = 1024 * 1024;

/**
 * Feed the first `length` bytes of an open file into hash. Used to hash the part of a file
 * that is already there before a resume adds to it, so file-done always carries the sha256
 * of the whole file. Fails with LOCAL_FILE when the file is shorter than `length`.
 */
export async function hashFilePrefix(handle: FileHandle, length: number, hash: Hash, what = 'file'): Promise<void> {
  if (length <= 0) return;
  const scratch = Buffer.allocUnsafe(Math.min(HASH_READ_SIZE, length));
  let position = 0;
  while (position < length) {
    const want = Math.min(scratch.length, length - position);
    const { bytesRead } = await handle.read(scratch, 0, want, position);
    if (bytesRead === 0) {
      throw new IcqError(ErrorCode.LOCAL_FILE, `${what} is shorter than the ${length} bytes expected (ends at ${position})`);
    }
    hash.update(scratch.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/** hashFilePrefix on a path, opened read-only for the purpose. */
export async function hashPathPrefix(path: string, length: number, hash: Hash): Promise<void> {
  if (length <= 0) return;
  const handle = await open(path, 'r');
  try {
    await hashFilePrefix(handle, length, hash, path);
  } finally {
    await handle.close();
  }
}

/** sha256 (hex) of a whole file, or '' when there is no such file. */
export async function sha256OfFile(path: string): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const hash = createHash('sha256');
    await hashFilePrefix(handle, size, hash, path);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
