import type { FileHandle } from 'node:fs/promises';
import type { FileDigest } from './file-hash.js';

/**
 * Size of one coalesced file write on the receiving side. 256 KiB: page-cache writes of
 * this size cost the least system time here (1 MiB writes were up to 3× dearer), and the
 * buffer is still in cache when it is hashed and written.
 */
export const DEFAULT_WRITE_BUFFER_SIZE = 256 * 1024;
/** Buffers queued or being written before the sink asks its caller to stop reading. */
export const DEFAULT_MAX_PENDING_WRITES = 4;

/** Write buffers of one size, reused across the files of a session. */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(readonly size: number = DEFAULT_WRITE_BUFFER_SIZE) {}

  /** A buffer for at most `want` bytes: a pooled one, or one of its own when want is smaller. */
  take(want: number = this.size): Buffer {
    if (want < this.size) return Buffer.allocUnsafe(want);
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }

  give(buf: Buffer): void {
    // A pool never holds more than the sink's queue can use at once.
    if (buf.length === this.size && this.free.length <= DEFAULT_MAX_PENDING_WRITES) this.free.push(buf);
  }
}

export interface FileSinkEvents {
  /** The queue fell below its limit after write() returned false: reading may go on. */
  drain(): void;
  /** A write failed; everything after it is dropped. close() rejects with the same error. */
  error(err: unknown): void;
}

export interface FileSinkOptions {
  /** Queued or in-flight buffers before write() returns false (default 4). */
  maxPendingWrites?: number;
  /** Runs before the first write, in order with them (hashing the existing prefix on resume). */
  before?: () => Promise<void>;
  /**
   * Bytes this sink will be given in all, when known: a small file gets a buffer of its
   * own size instead of a pool buffer (many small files may be finishing at once).
   */
  expectedBytes?: number;
}

/**
 * The receiving end of the data path for one file: payloads of many small frames are
 * copied into one large buffer, each full buffer is hashed and written with one positional
 * write, in order, one at a time. write() says when the caller should stop reading
 * (backpressure); close() writes what is left, waits for every write and closes the file,
 * so after a failure the .part holds exactly the bytes received. The file may still be
 * opening: data is taken at once and written once the handle is there (a small file can
 * arrive whole while its .part is being created).
 */
export class FileSink {
  private current: Buffer | null = null;
  private fill = 0;
  private pending = 0;
  private chain: Promise<void>;
  private failure: unknown = null;
  private closing: Promise<void> | null = null;
  private readonly maxPending: number;
  /** Bytes still to come, as far as the caller said (Infinity when it did not). */
  private remaining: number;
  /** Null until the file is open (or when opening it failed). */
  private handle: FileHandle | null = null;

  constructor(
    handle: FileHandle | Promise<FileHandle>,
    private position: number,
    private readonly hash: FileDigest,
    private readonly pool: BufferPool,
    private readonly events: FileSinkEvents,
    options: FileSinkOptions = {},
  ) {
    this.maxPending = options.maxPendingWrites ?? DEFAULT_MAX_PENDING_WRITES;
    this.remaining = options.expectedBytes ?? Infinity;
    const before = options.before;
    this.chain = Promise.resolve(handle)
      .then(async (opened) => {
        this.handle = opened;
        if (before !== undefined) await before();
      })
      .catch((err: unknown) => this.setFailure(err));
  }

  /** Copy src[start, end) into the sink. Returns false when the caller should pause reading. */
  write(src: Buffer, start = 0, end = src.length): boolean {
    let from = start;
    while (from < end) {
      if (this.current === null) {
        this.current = this.pool.take(Math.max(this.remaining, end - from));
        this.fill = 0;
      }
      const n = Math.min(end - from, this.current.length - this.fill);
      src.copy(this.current, this.fill, from, from + n);
      this.fill += n;
      from += n;
      this.remaining -= n;
      if (this.fill === this.current.length) this.flush();
    }
    return this.pending < this.maxPending;
  }

  /** Queue the partly filled buffer for writing. */
  flush(): void {
    const buf = this.current;
    if (buf === null) return;
    const len = this.fill;
    this.current = null;
    this.fill = 0;
    if (len === 0) {
      this.pool.give(buf);
      return;
    }
    this.pending++;
    this.chain = this.chain.then(() => this.writeOut(buf, len));
  }

  private async writeOut(buf: Buffer, len: number): Promise<void> {
    try {
      if (this.failure === null) {
        this.hash.update(buf.subarray(0, len));
        let done = 0;
        while (done < len) {
          const { bytesWritten } = await this.handle!.write(buf, done, len - done, this.position + done);
          done += bytesWritten;
        }
        this.position += len;
      }
    } catch (err) {
      this.setFailure(err);
    } finally {
      this.pending--;
      this.pool.give(buf);
      if (this.pending === this.maxPending - 1 && this.failure === null) this.events.drain();
    }
  }

  private setFailure(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.events.error(err);
  }

  /** Write everything received, close the file. Rejects with the first write error. */
  close(): Promise<void> {
    if (this.closing === null) {
      this.flush();
      this.closing = this.chain.then(async () => {
        await this.handle?.close();
        if (this.failure !== null) throw this.failure;
      });
    }
    return this.closing;
  }
}
