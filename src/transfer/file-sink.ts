import { closeSync, ftruncateSync, futimesSync, writeSync } from 'node:fs';
import { IcqError, ErrorCode } from '../errors.js';
import type { FileDigest } from './file-hash.js';
import { describeSystemError } from '../system-error.js';

/**
 * Size of one coalesced file write on the receiving side. 256 KiB: page-cache writes of
 * this size cost the least system time here (1 MiB writes were up to 3× dearer), and the
 * buffer is still in cache when it is hashed and written.
 */
export const DEFAULT_WRITE_BUFFER_SIZE = 256 * 1024;

/**
 * The receiving end of the data path for one file: payloads of many small frames are
 * copied into one large buffer, and each full buffer is hashed and written with one
 * positional write. Writes are synchronous on purpose: a page-cache write of 256 KiB or of a
 * small file takes microseconds, while the thread-pool round trip of an asynchronous write
 * cost more CPU than the write itself (512 MiB over loopback: receiver CPU 1.0-1.3 s → 0.75-
 * 0.96 s). Backpressure comes for free: while a write runs, nothing is read, and on a slow
 * disk TCP holds the sender back meanwhile. The price: this process's other connections
 * wait too while a write blocks.
 *
 * Errors are thrown as LOCAL_FILE; after one, the sink takes nothing more. close() writes
 * what is buffered and closes the file, so after a failure elsewhere the .part holds
 * exactly the bytes received.
 */
export class FileSink {
  private fill = 0;
  private closed = false;

  /**
   * @param fd open for writing; the sink closes it.
   * @param buffer scratch space, reused across the files of a session (one sink at a time).
   * @param path for error messages.
   */
  constructor(
    private readonly fd: number,
    private position: number,
    private hash: FileDigest,
    private readonly buffer: Buffer,
    private readonly path: string,
  ) {}

  /** Copy src[start, end) into the sink, writing each buffer that fills up. */
  write(src: Buffer, start = 0, end = src.length): void {
    if (this.closed) throw new IcqError(ErrorCode.INTERNAL, `write to ${this.path} after it was closed`);
    let from = start;
    while (from < end) {
      const n = src.copy(this.buffer, this.fill, from, end);
      this.fill += n;
      from += n;
      if (this.fill === this.buffer.length) this.flush();
    }
  }

  /** Hash and write what is buffered. */
  private flush(): void {
    const len = this.fill;
    if (len === 0) return;
    this.fill = 0;
    this.hash.update(this.buffer.subarray(0, len));
    try {
      let done = 0;
      while (done < len) done += writeSync(this.fd, this.buffer, done, len - done, this.position + done);
    } catch (err) {
      this.closeQuietly();
      throw new IcqError(ErrorCode.LOCAL_FILE, `cannot write ${this.path}: ${describeSystemError(err)}`, { cause: err });
    }
    this.position += len;
  }

  /** Bytes in the file once what is buffered is written. */
  get length(): number {
    return this.position + this.fill;
  }

  /**
   * Drop what is buffered and cut the file to `length` bytes (at most what was written):
   * bytes nothing vouches for go, and the next write follows them (the file is O_APPEND).
   * `hash` then holds the digest of those `length` bytes and takes what follows.
   */
  truncate(length: number, hash: FileDigest = this.hash): void {
    if (this.closed) throw new IcqError(ErrorCode.INTERNAL, `truncate ${this.path} after it was closed`);
    this.fill = 0;
    try {
      ftruncateSync(this.fd, length);
    } catch (err) {
      this.closeQuietly();
      throw new IcqError(ErrorCode.LOCAL_FILE, `cannot truncate ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    this.position = length;
    this.hash = hash;
  }

  /**
   * Write everything received and close the file, giving it the sender's mtime (Unix
   * seconds; 0 = unknown, left as it is). Throws LOCAL_FILE when that fails.
   */
  close(mtime = 0): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    try {
      if (mtime > 0) futimesSync(this.fd, Date.now() / 1000, mtime);
      closeSync(this.fd);
    } catch (err) {
      throw new IcqError(ErrorCode.LOCAL_FILE, `cannot close ${this.path}: ${describeSystemError(err)}`, { cause: err });
    }
  }

  /** Keep what can be kept (a failure is being reported already), then close. */
  abandon(): void {
    try {
      this.close();
    } catch {
      this.closeQuietly();
    }
  }

  private closeQuietly(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // Already failing: the first error is the one reported.
    }
  }
}
