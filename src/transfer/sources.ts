import { lstat, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import mime from 'mime-types';
import { IcqError, ErrorCode } from '../errors.js';
import type { OutgoingFile } from './send-session.js';
import { describeSystemError } from '../system-error.js';

/** TOTAL_SIZE and SIZE are DWORDs: nothing on the wire can be larger (docs/protocol.md §3.5). */
export const MAX_WIRE_SIZE = 0xffffffff;

export function mimeTypeFor(name: string): string {
  return mime.lookup(name) || 'application/octet-stream';
}

function localFileError(p: string, why: string, cause?: unknown): IcqError {
  return new IcqError(ErrorCode.LOCAL_FILE, `${p}: ${why}`, cause === undefined ? undefined : { cause });
}

/**
 * The files to send, in order: each plain path as itself, each directory recursively with
 * its own name kept as the top sub-directory (`photos/` arrives as `DIR/photos/...`, like
 * `scp -r`). Symlinked directories inside a tree are not followed (no cycles).
 */
export async function collectFiles(paths: string[], maxFiles = Number.MAX_SAFE_INTEGER): Promise<OutgoingFile[]> {
  const out: OutgoingFile[] = [];
  const push = (file: OutgoingFile): void => {
    if (out.length >= maxFiles) throw new IcqError(ErrorCode.USAGE, `more than ${maxFiles} files to send (--max-files)`);
    if (file.size > MAX_WIRE_SIZE) {
      throw localFileError(file.path, `${file.size} bytes is over the protocol's 4 GiB − 1 limit for one file`);
    }
    out.push(file);
  };
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      throw localFileError(p, describeSystemError(err), err);
    }
    if (st.isDirectory()) {
      const top = path.basename(path.resolve(p));
      await walk(path.resolve(p), top, push);
    } else if (st.isFile()) {
      push(describe(path.resolve(p), '', st.size, st.mtimeMs));
    } else {
      throw localFileError(p, 'not a regular file or directory');
    }
  }
  return out;
}

function describe(abs: string, subdir: string, size: number, mtimeMs: number): OutgoingFile {
  const name = path.basename(abs);
  return { path: abs, name, subdir, size, mtime: Math.floor(mtimeMs / 1000), type: mimeTypeFor(name) };
}

async function walk(dir: string, rel: string, push: (f: OutgoingFile) => void): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw localFileError(dir, describeSystemError(err), err);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) {
      await walk(abs, `${rel}/${e.name}`, push);
    } else if (e.isFile()) {
      const st = await lstat(abs);
      push(describe(abs, rel, st.size, st.mtimeMs));
    } else if (e.isSymbolicLink()) {
      const st = await stat(abs).catch(() => undefined);
      if (st?.isFile()) push(describe(abs, rel, st.size, st.mtimeMs));
    }
  }
}

/**
 * Opens every file for reading and closes it again, so that a file that cannot be read is
 * found before anything is sent (not when its turn comes, after the others went and the
 * receiver made its `.part`). LOCAL_FILE naming the first one that fails.
 */
export async function checkReadable(files: readonly OutgoingFile[]): Promise<void> {
  for (const file of files) {
    try {
      const fh = await open(file.path, 'r');
      await fh.close();
    } catch (err) {
      throw localFileError(file.path, `cannot be read: ${describeSystemError(err)}`, err);
    }
  }
}

/**
 * Split files into batches whose total fits the DWORD TOTAL_SIZE; each batch is one file
 * request (docs/protocol.md §3.5: batches over 4 GiB − 1 go as several requests).
 */
export function splitBatches(files: OutgoingFile[], maxTotal = MAX_WIRE_SIZE): OutgoingFile[][] {
  const batches: OutgoingFile[][] = [];
  let current: OutgoingFile[] = [];
  let total = 0;
  for (const f of files) {
    if (current.length > 0 && total + f.size > maxTotal) {
      batches.push(current);
      current = [];
      total = 0;
    }
    current.push(f);
    total += f.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function totalSize(files: OutgoingFile[]): number {
  return files.reduce((n, f) => n + f.size, 0);
}
