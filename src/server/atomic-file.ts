import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replace a file so that a crash at any moment leaves either the old content or the new,
 * never a mix: write a temporary file in the same directory, fsync it, rename it over the
 * target (atomic on POSIX within one file system), then fsync the directory so the rename
 * itself survives a power cut.
 */

export interface AtomicWriteHooks {
  /** Tests only: runs after the temporary file is synced, before the rename. */
  beforeRename?: (tempPath: string) => void | Promise<void>;
  /**
   * Runs after every write: with no argument when it worked, with the error when it did
   * not. icqd counts on it to exit non-zero at shutdown when its last save failed.
   */
  afterWrite?: (error?: unknown) => void;
}

const TEMP_SUFFIX = '.tmp';

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

function tempPathFor(path: string): string {
  return join(dirname(path), `${tempPrefix(path)}${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, hooks: AtomicWriteHooks = {}): Promise<void> {
  try {
    await replaceFile(path, data, hooks);
  } catch (err) {
    hooks.afterWrite?.(err);
    throw err;
  }
  hooks.afterWrite?.();
}

/**
 * Fails the way writeFileAtomic would when `path`'s directory takes no new files (read-only,
 * no permission, missing): creates and removes one temporary file there. Checked at start,
 * so that a server does not run for hours and then lose what it could never save.
 */
export async function checkWritable(path: string): Promise<void> {
  const temp = tempPathFor(path);
  const fh = await open(temp, 'wx', 0o600);
  await fh.close();
  await unlink(temp);
}

async function replaceFile(path: string, data: string | Uint8Array, hooks: AtomicWriteHooks): Promise<void> {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  let renamed = false;
  try {
    const fh = await open(temp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await hooks.beforeRename?.(temp);
    await rename(temp, path);
    renamed = true;
    await syncDirectory(dir);
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Not every platform lets a directory be opened and synced (Windows); the rename is
  // still atomic there, only less durable.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

/** Temporary files a crashed writer left next to `path`; removed at start. */
export async function removeStaleTempFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX));
  await Promise.all(stale.map((n) => unlink(join(dir, n)).catch(() => {})));
  return stale;
}
