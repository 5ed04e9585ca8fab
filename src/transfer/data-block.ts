import { readSync, readvSync } from 'node:fs';
import { DATA_CHUNK_SIZE, DATA_FRAME_OVERHEAD, writeDataFrameHeader } from '../wire/file.js';
import { IcqError, ErrorCode } from '../errors.js';
import type { FileDigest } from './file-hash.js';

/** One framed 06 packet carrying a full chunk: WORD length, type byte, 2048 data bytes. */
export const FRAMED_CHUNK_SIZE = DATA_FRAME_OVERHEAD + DATA_CHUNK_SIZE;
/**
 * Data chunks read and sent per block (one readv, one socket write): 512 KiB of data. On
 * loopback 256 chunks cost measurably less CPU than 64 (fewer reads, writes and promises).
 */
export const DEFAULT_CHUNKS_PER_BLOCK = 256;

/**
 * A buffer laid out as consecutive framed 06 packets. The file is read straight into the
 * data areas (one readv per block), so a block goes to the socket as it is: no copy and no
 * allocation per packet. The headers of full chunks are written once; only the short last
 * chunk of a file needs its own, which is undone on the next fill.
 */
export class DataBlock {
  readonly buffer: Buffer;
  /** views[i] is the data area of chunk i. */
  private readonly views: Buffer[];
  private shortChunk = -1;

  constructor(readonly chunks: number = DEFAULT_CHUNKS_PER_BLOCK) {
    this.buffer = Buffer.allocUnsafe(chunks * FRAMED_CHUNK_SIZE);
    this.views = [];
    for (let i = 0; i < chunks; i++) {
      const at = i * FRAMED_CHUNK_SIZE;
      writeDataFrameHeader(this.buffer, at, DATA_CHUNK_SIZE);
      this.views.push(this.buffer.subarray(at + DATA_FRAME_OVERHEAD, at + FRAMED_CHUNK_SIZE));
    }
  }

  /** Most file bytes one fill can take. */
  get capacity(): number {
    return this.chunks * DATA_CHUNK_SIZE;
  }

  /**
   * Read `length` bytes (1..capacity) of the file at `position` into place, feed them to
   * hash, and return the framed packets to write (a view into this block). The read is
   * synchronous: from the page cache it takes microseconds, and a thread-pool round trip
   * per block (or per small file) cost more CPU than the read.
   */
  fill(fd: number, position: number, length: number, hash: FileDigest | null): Buffer {
    if (this.shortChunk >= 0) {
      writeDataFrameHeader(this.buffer, this.shortChunk * FRAMED_CHUNK_SIZE, DATA_CHUNK_SIZE);
      this.shortChunk = -1;
    }
    const count = Math.ceil(length / DATA_CHUNK_SIZE);
    const last = length - (count - 1) * DATA_CHUNK_SIZE;
    let views = this.views;
    if (count !== this.chunks || last !== DATA_CHUNK_SIZE) {
      // Only the final block of a file (or a paced one) is shorter: one small array per file.
      views = this.views.slice(0, count);
      views[count - 1] = this.views[count - 1]!.subarray(0, last);
      if (last !== DATA_CHUNK_SIZE) {
        writeDataFrameHeader(this.buffer, (count - 1) * FRAMED_CHUNK_SIZE, last);
        this.shortChunk = count - 1;
      }
    }
    readViews(fd, views, length, position);
    if (hash?.enabled) for (const v of views) hash.update(v);
    return this.buffer.subarray(0, (count - 1) * FRAMED_CHUNK_SIZE + DATA_FRAME_OVERHEAD + last);
  }
}

/** Fill views (all DATA_CHUNK_SIZE long but the last) with `length` bytes from position. */
function readViews(fd: number, views: Buffer[], length: number, position: number): void {
  let got = readvSync(fd, views, position);
  // preadv on a regular file returns everything short of end of file; finish a short read
  // view by view all the same.
  while (got < length) {
    const view = views[Math.floor(got / DATA_CHUNK_SIZE)]!;
    const at = got % DATA_CHUNK_SIZE;
    const bytesRead = readSync(fd, view, at, view.length - at, position + got);
    if (bytesRead === 0) {
      throw new IcqError(ErrorCode.LOCAL_FILE, `file ended at ${position + got} bytes while sending (was it truncated?)`);
    }
    got += bytesRead;
  }
}
