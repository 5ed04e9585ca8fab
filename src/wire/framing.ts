import { IcqProtocolError, WireErrorCode } from './errors.js';

/** The largest body a 2-byte length can announce. */
export const MAX_FRAME_BODY = 0xffff;

export interface FrameDecoderOptions {
  /** Largest frame body accepted, in bytes (default 65535, the protocol's own maximum). */
  maxFrameSize?: number;
}

/** A whole frame in place: its body is buf[start, end). */
export type FrameRangeHandler = (buf: Buffer, start: number, end: number) => void;

/** The body of a frame reported in place, as a Buffer of its own (a view, no copy). */
export function frameBody(buf: Buffer, start: number, end: number): Buffer {
  return start === 0 && end === buf.length ? buf : buf.subarray(start, end);
}

/**
 * Incremental decoder for the TCP framing: WORD LE length N, then N body bytes.
 * Fed arbitrary chunks; reports each whole frame once. A frame that lies wholly in one
 * chunk is reported in place, as a range of that chunk (no copy, and with pushRanges no
 * allocation: the data path sees 256 frames per 512 KiB); a frame split across chunks is
 * assembled into one buffer allocated at its full length, so feeding a frame one byte at
 * a time costs linear, not quadratic, work. Frames stay valid after the callback.
 */
export class FrameDecoder {
  readonly maxFrameSize: number;
  /** First byte of a length split across chunks, or -1. */
  private headerByte = -1;
  /** Body of a frame split across chunks, allocated once at its full length. */
  private body: Buffer | null = null;
  private filled = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? MAX_FRAME_BODY;
    if (!(this.maxFrameSize >= 1 && this.maxFrameSize <= MAX_FRAME_BODY)) {
      throw new RangeError(`maxFrameSize must be 1..${MAX_FRAME_BODY}`);
    }
  }

  /** Bytes held back waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return (this.headerByte >= 0 ? 1 : 0) + (this.body !== null ? 2 + this.filled : 0);
  }

  private checkLength(len: number): void {
    if (len === 0) throw new IcqProtocolError(WireErrorCode.BAD_LENGTH, 'zero-length frame');
    if (len > this.maxFrameSize) {
      throw new IcqProtocolError(
        WireErrorCode.FRAME_TOO_LARGE,
        `frame of ${len} bytes is over the limit of ${this.maxFrameSize}`,
      );
    }
  }

  /** Decode chunk, calling onFrame with each whole frame's body as a Buffer of its own. */
  push(chunk: Buffer, onFrame: (body: Buffer) => void): void {
    this.pushRanges(chunk, (buf, start, end) => onFrame(frameBody(buf, start, end)));
  }

  /** Decode chunk, calling onFrame with each whole frame as a range of a buffer. */
  pushRanges(chunk: Buffer, onFrame: FrameRangeHandler): void {
    let pos = 0;
    const end = chunk.length;
    if (this.headerByte >= 0 && end > 0) {
      const len = this.headerByte | (chunk[0]! << 8);
      this.headerByte = -1;
      pos = 1;
      this.checkLength(len);
      this.body = Buffer.allocUnsafe(len);
      this.filled = 0;
    }
    if (this.body !== null) {
      const n = Math.min(this.body.length - this.filled, end - pos);
      chunk.copy(this.body, this.filled, pos, pos + n);
      this.filled += n;
      pos += n;
      if (this.filled < this.body.length) return;
      const body = this.body;
      this.body = null;
      onFrame(body, 0, body.length);
    }
    while (end - pos >= 2) {
      const len = chunk[pos]! | (chunk[pos + 1]! << 8);
      this.checkLength(len);
      pos += 2;
      if (end - pos < len) {
        this.body = Buffer.allocUnsafe(len);
        this.filled = end - pos;
        chunk.copy(this.body, 0, pos, end);
        return;
      }
      pos += len;
      onFrame(chunk, pos - len, pos);
    }
    if (pos < end) this.headerByte = chunk[pos]!;
  }
}

/** One frame: the WORD LE length, then the body. */
export function encodeFrame(body: Buffer): Buffer {
  if (body.length === 0 || body.length > MAX_FRAME_BODY) {
    throw new RangeError(`frame body must be 1..${MAX_FRAME_BODY} bytes, got ${body.length}`);
  }
  const out = Buffer.allocUnsafe(body.length + 2);
  out.writeUInt16LE(body.length, 0);
  body.copy(out, 2);
  return out;
}
