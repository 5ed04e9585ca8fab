import { closeSync, constants, fstatSync, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, type Stats } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import mime from 'mime-types';
import { ErrorCode, IcqError } from '../errors.js';
import { numberedName, truncateFileName } from './names.js';
import type { OnExists } from './options.js';

/**
 * Where one incoming file goes (docs/architecture.md §6, docs/protocol.md §8): data is written to
 * `.NAME.part` beside the final name and renamed when complete. A received name never
 * starts with a dot (names.ts turns a leading dot into `_`), so a partial can only be one
 * this receiver wrote: a received file called `a.txt.part` is never taken for a partial. Names and sub-directory
 * components must already be sanitized (names.ts); this module makes sure the file system
 * cannot be used to escape either: no symlink on the way is ever followed, nothing outside
 * the directory is created or written, and nothing is clobbered that the policy does not say.
 *
 * The file-system calls per file are synchronous: each takes microseconds on a local disk,
 * and with ~10 of them per file the thread-pool round trips of the promise forms cost more
 * CPU than the calls themselves (a batch of small files is bound by exactly this).
 */
export interface ReceiveTarget {
  /** Relative path (sub-directory + final name), '/'-separated, for events. */
  name: string;
  /** Absolute final path. */
  path: string;
  /** Absolute path of the partial file (`.NAME.part` beside the final path). */
  partPath: string;
  /** Bytes of the partial already present (resume), or size when the file is to be skipped. */
  offset: number;
  skip: boolean;
  /** MIME type from the name via mime-types (`application/octet-stream` when unknown). */
  type: string;
  /**
   * Open the partial for reading and appending at `offset` (created if missing, truncated
   * to offset), refusing symlinks (O_NOFOLLOW); reads are for verifying a resume. Returns
   * the file descriptor, which the caller closes.
   */
  open(): number;
  /** Rename .part to the final path (applying the policy again if a file appeared there meanwhile); returns the final path. */
  finish(): string;
  /** Give up the claim on this name (the .part stays for a later resume). */
  release(): void;
}

export interface TargetOptions {
  /** The receive directory (created if missing, unless the file is skipped by type). */
  dir: string;
  /** Sanitized sub-directory components (sanitizeSubdir). */
  subdir: string[];
  /** Sanitized file name (sanitizeFileName). */
  name: string;
  size: number;
  /** The sender's mtime (Unix seconds, 0 = unknown): for the quick check of --on-exists resume. */
  mtime?: number;
  onExists: OnExists;
  /** MIME patterns (`image/*`); a file of another type is skipped. Absent or empty: all types. */
  acceptTypes?: string[];
  /** dir as resolveReceiveRoot(dir) returned it, when the caller resolved it once for many files. */
  root?: string;
}

/** Create the receive directory if missing and resolve it (symlinks in its own path are the user's). */
export async function resolveReceiveRoot(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return realpath(dir);
}

const PART_PREFIX = '.';
const PART_SUFFIX = '.part';
/** NAME_MAX on nearly every file system; .NAME.part must fit, so NAME gets 6 bytes less. */
const NAME_MAX = 255;
export const MAX_NAME_BYTES = NAME_MAX - PART_PREFIX.length - PART_SUFFIX.length;

/** The partial of a final path: `.NAME.part` in the same directory. */
export function partialPathOf(finalPath: string): string {
  return path.join(path.dirname(finalPath), PART_PREFIX + path.basename(finalPath) + PART_SUFFIX);
}
/** `NAME (n).ext` candidates tried before giving up with LIMIT. */
const MAX_NUMBERED_NAMES = 10_000;

/**
 * .part paths being written in this process. Keys are case-folded: on a case-insensitive
 * file system `A.txt.part` and `a.txt.part` are one file, and being too careful on a
 * case-sensitive one only costs a numbered name while both transfers run.
 */
const claims = new Set<string>();

function claimKey(p: string): string {
  return p.normalize('NFC').toLowerCase();
}

export function mimeTypeOf(name: string): string {
  return mime.lookup(name) || 'application/octet-stream';
}

/** `*`/`*\/*` match all, `image/*` a whole top-level type, anything else one exact type. */
export function matchesMimeType(type: string, patterns: string[]): boolean {
  const wanted = type.split(';')[0]!.trim().toLowerCase();
  return patterns.some((raw) => {
    const pattern = raw.trim().toLowerCase();
    if (pattern === '*' || pattern === '*/*') return true;
    if (pattern.endsWith('/*')) return wanted.startsWith(pattern.slice(0, -1));
    return pattern === wanted;
  });
}

export async function prepareTarget(opts: TargetOptions): Promise<ReceiveTarget> {
  const { dir, subdir, size, onExists } = opts;
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad file size: ${size}`);
  for (const component of [...subdir, opts.name]) assertComponent(component);
  const name = truncateFileName(opts.name, MAX_NAME_BYTES);
  const type = mimeTypeOf(name);

  if (opts.acceptTypes?.length && !matchesMimeType(type, opts.acceptTypes)) {
    const finalPath = path.resolve(dir, ...subdir, name);
    return new Target({ root: path.resolve(dir), subdir, baseName: name, number: 0, onExists, type, size, skip: true, offset: size, finalPath });
  }

  const root = opts.root ?? (await resolveReceiveRoot(dir));
  const dirPath = walkSubdir(root, subdir);

  for (let n = 0; n <= MAX_NUMBERED_NAMES; n++) {
    const slot = inspect(dirPath, n === 0 ? name : numberedName(name, n, MAX_NAME_BYTES));
    // No await from here to claims.add: the check and the claim cannot interleave with another prepareTarget.
    const choice = choose(onExists, slot, n === 0, size, opts.mtime ?? 0);
    if (choice === NEXT) continue;
    assertInside(root, slot.partPath);
    const common = { root, subdir, baseName: name, number: n, onExists, type, size, finalPath: slot.path };
    if (choice === SKIP) return new Target({ ...common, skip: true, offset: size });
    claims.add(claimKey(slot.partPath));
    return new Target({ ...common, skip: false, offset: choice.offset, freshPart: slot.part === null });
  }
  throw new IcqError(ErrorCode.LIMIT, `no free name for ${name} after ${MAX_NUMBERED_NAMES} tries`);
}

interface TargetState {
  root: string;
  subdir: string[];
  /** The name before numbering, and the number of the chosen candidate (0: the name itself). */
  baseName: string;
  number: number;
  onExists: OnExists;
  type: string;
  size: number;
  skip: boolean;
  offset: number;
  finalPath: string;
  /** No .part existed when the name was chosen: open() may create it exclusively. */
  freshPart?: boolean;
}

class Target implements ReceiveTarget {
  name: string;
  path: string;
  readonly partPath: string;
  readonly offset: number;
  readonly skip: boolean;
  readonly type: string;
  readonly #state: TargetState;
  #claim: string | null;

  constructor(state: TargetState) {
    this.#state = state;
    this.path = state.finalPath;
    this.partPath = partialPathOf(state.finalPath);
    this.name = relativeName(state.subdir, path.basename(state.finalPath));
    this.offset = state.offset;
    this.skip = state.skip;
    this.type = state.type;
    this.#claim = state.skip ? null : claimKey(this.partPath);
  }

  open(): number {
    if (this.skip) throw new IcqError(ErrorCode.INTERNAL, `${this.name} is skipped: nothing to open`);
    // Walk again: a directory on the way may have been swapped for a symlink since prepareTarget.
    walkSubdir(this.#state.root, this.#state.subdir);
    const flags =
      constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
    if (this.#state.freshPart) {
      // O_EXCL: success means a new, empty, plain file of our own, so the checks below have
      // nothing to find (one call less per file, which counts on batches of small files).
      try {
        return openSync(this.partPath, flags | constants.O_EXCL, 0o666);
      } catch (err) {
        if (!hasCode(err, 'EEXIST')) throw err;
        // Something appeared under the name since prepareTarget: open it with every check.
      }
    }
    let fd: number;
    try {
      // O_APPEND: every write lands at the end, which truncate() just put at offset, whatever position the caller uses.
      // O_NONBLOCK: a FIFO planted under the name fails at once instead of blocking until a reader comes.
      fd = openSync(this.partPath, flags, 0o666);
    } catch (err) {
      if (hasCode(err, 'ELOOP', 'EMLINK', 'ENXIO', 'EISDIR')) throw unsafe(`${this.partName} is not a plain file`, err);
      throw err;
    }
    try {
      const stats = fstatSync(fd);
      if (!isPlainFile(stats)) throw unsafe(`${this.partName} is not a plain file`);
      if (stats.size < this.offset) {
        throw new IcqError(ErrorCode.INTERNAL, `${this.partName} shrank to ${stats.size} bytes, below the resume offset ${this.offset}`);
      }
      if (stats.size > this.offset) ftruncateSync(fd, this.offset);
      return fd;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  finish(): string {
    if (this.skip) return this.path;
    try {
      const { root, subdir, baseName, onExists } = this.#state;
      const dirPath = walkSubdir(root, subdir);
      const part = lstatOrNull(this.partPath);
      if (part === null || !isPlainFile(part)) throw unsafe(`${this.partName} is not a plain file`);
      const existing = lstatOrNull(this.path);
      if (existing?.isSymbolicLink()) throw unsafe(`${this.name} is a symlink`);
      if (onExists === 'overwrite' && this.#state.number === 0 && (existing === null || existing.isFile())) {
        renameSync(this.partPath, this.path);
        return this.path;
      }
      for (let n = this.#state.number; n <= MAX_NUMBERED_NAMES; n++) {
        // The chosen name was just looked at: only later candidates need a look.
        const slot: Slot =
          n === this.#state.number
            ? { name: path.basename(this.path), path: this.path, partPath: this.partPath, final: existing, part }
            : inspect(dirPath, n === 0 ? baseName : numberedName(baseName, n, MAX_NAME_BYTES));
        const ours = slot.path === this.path;
        if (slot.final !== null || (!ours && (slot.part !== null || isClaimed(slot)))) continue;
        if (claims.has(claimKey(slot.path))) continue;
        assertInside(root, slot.path);
        if (!renameNoClobber(this.partPath, slot.path)) continue;
        this.path = slot.path;
        this.name = relativeName(subdir, slot.name);
        return this.path;
      }
      throw new IcqError(ErrorCode.LIMIT, `no free name for ${baseName} after ${MAX_NUMBERED_NAMES} tries`);
    } finally {
      this.release();
    }
  }

  /** The partial's name relative to the receive directory, for messages. */
  private get partName(): string {
    return relativeName(this.#state.subdir, path.basename(this.partPath));
  }

  release(): void {
    if (this.#claim !== null) claims.delete(this.#claim);
    this.#claim = null;
  }
}

/** One candidate name and what is there now. */
interface Slot {
  name: string;
  path: string;
  partPath: string;
  final: Stats | null;
  part: Stats | null;
}

const NEXT = 'next';
const SKIP = 'skip';
type Choice = typeof NEXT | typeof SKIP | { offset: number };

/** The --on-exists policy (docs/architecture.md §6) for one candidate; the first candidate is the name as sent. */
function choose(policy: OnExists, slot: Slot, first: boolean, size: number, mtime: number): Choice {
  if (isClaimed(slot)) return NEXT;
  const free = slot.final === null && slot.part === null;
  switch (policy) {
    case 'rename':
      return free ? { offset: 0 } : NEXT;
    case 'overwrite':
      if (!first) return free ? { offset: 0 } : NEXT;
      return (slot.final === null || slot.final.isFile()) && (slot.part === null || isPlainFile(slot.part))
        ? { offset: 0 }
        : NEXT;
    case 'skip':
      if (first && slot.final?.isFile()) return SKIP;
      return resumeChoice(slot, size);
    case 'resume':
      if (first && isSameFile(slot.final, size, mtime)) return SKIP;
      return resumeChoice(slot, size);
  }
}

/**
 * rsync's quick check: a complete file with the sender's size and mtime is already there, so
 * re-sending a directory after a failure sends only what is missing. An unknown mtime (0)
 * never matches.
 */
function isSameFile(final: Stats | null, size: number, mtime: number): boolean {
  return mtime > 0 && final !== null && final.isFile() && final.size === size && Math.floor(final.mtimeMs / 1000) === mtime;
}

/** A finished file keeps its name; a .part is continued, or restarted when larger than the file. */
function resumeChoice(slot: Slot, size: number): Choice {
  if (slot.final !== null) return NEXT;
  if (slot.part === null) return { offset: 0 };
  if (!isPlainFile(slot.part)) return NEXT;
  return { offset: slot.part.size <= size ? slot.part.size : 0 };
}

/** Someone in this process writes this name's .part, or writes a .part that is this very name. */
function isClaimed(slot: Slot): boolean {
  return claims.has(claimKey(slot.partPath)) || claims.has(claimKey(slot.path));
}

function inspect(dirPath: string, name: string): Slot {
  const finalPath = path.join(dirPath, name);
  const partPath = path.join(dirPath, PART_PREFIX + name + PART_SUFFIX);
  const final = lstatOrNull(finalPath);
  const part = lstatOrNull(partPath);
  return { name, path: finalPath, partPath, final, part };
}

/**
 * The sub-directory under root, created one component at a time. A component that exists as
 * a symlink (even to a directory inside root) or as anything but a directory is refused, so
 * no link planted in the receive directory is ever followed. Returns the directory's path.
 */
function walkSubdir(root: string, subdir: string[]): string {
  let current = root;
  for (const component of subdir) {
    const next = path.join(current, component);
    let stats = lstatOrNull(next);
    if (stats === null) {
      try {
        mkdirSync(next);
      } catch (err) {
        if (!hasCode(err, 'EEXIST')) throw err;
      }
      stats = lstatSync(next);
    }
    if (stats.isSymbolicLink() || !stats.isDirectory()) {
      throw unsafe(`${path.relative(root, next)} in the receive directory is a symlink or not a directory`);
    }
    current = next;
  }
  assertInside(root, current, true);
  return current;
}

/**
 * Move the finished .part to a name that must not exist. link() fails with EEXIST instead of
 * replacing what appeared meanwhile (even a dangling symlink); file systems without hard links
 * fall back to rename() right after the caller's existence check.
 */
function renameNoClobber(from: string, to: string): boolean {
  try {
    linkSync(from, to);
  } catch (err) {
    if (hasCode(err, 'EEXIST')) return false;
    if (!hasCode(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK')) throw err;
    if (lstatOrNull(to) !== null) return false;
    renameSync(from, to);
    return true;
  }
  unlinkSync(from);
  return true;
}

function assertComponent(component: string): void {
  // eslint-disable-next-line no-control-regex
  if (component === '' || component === '.' || component === '..' || /[/\\\u0000]/.test(component)) {
    throw unsafe(`not a single path component: ${JSON.stringify(component)}`);
  }
}

function assertInside(root: string, p: string, allowRoot = false): void {
  const rel = path.relative(root, p);
  const inside = rel === '' ? allowRoot : !path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`);
  if (!inside) throw unsafe(`${p} is outside the receive directory ${root}`);
}

function relativeName(subdir: string[], name: string): string {
  return [...subdir, name].filter((c) => c !== '').join('/');
}

/** A regular file with no other hard link, so writing it cannot change a file elsewhere. */
function isPlainFile(stats: Stats): boolean {
  return stats.isFile() && stats.nlink === 1;
}

/**
 * lstat that answers null for a missing path, without the Error object the throwing form
 * makes for every name that does not exist yet (most of them).
 */
function lstatOrNull(p: string): Stats | null {
  return lstatSync(p, { throwIfNoEntry: false }) ?? null;
}

function hasCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as { code?: unknown }).code as string);
}

function unsafe(message: string, cause?: unknown): IcqError {
  return new IcqError(ErrorCode.UNSAFE_PATH, message, cause === undefined ? undefined : { cause });
}
