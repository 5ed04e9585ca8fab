import { IcqProtocolError, WireErrorCode } from './errors.js';

/**
 * Strings on the wire are 8-bit. We decode as latin1 (every byte maps to one char, so a
 * decode/encode round trip is lossless) and encode latin1 when the text fits, UTF-8 only
 * when it does not (docs/protocol.md §1.3).
 */
export function encodeText(text: string): Buffer {
  return /^[\u0000-\u00ff]*$/.test(text) ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
}

export function decodeText(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** Dotted-quad IPv4 to the 4 raw network-order bytes the protocol uses. */
export function ipToBytes(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new TypeError(`not an IPv4 address: ${ip}`);
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!/^\d{1,3}$/.test(parts[i]!) || n > 255) throw new TypeError(`not an IPv4 address: ${ip}`);
    out[i] = n;
  }
  return out;
}

export function bytesToIp(bytes: Buffer, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * Bounds-checked little-endian reader over one packet. Every read checks the remaining
 * length first, so a hostile length can only ever produce IcqProtocolError.
 */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
    private readonly what = 'packet',
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (this.buf.length - this.pos < n) {
      throw new IcqProtocolError(
        WireErrorCode.SHORT_PACKET,
        `${this.what}: ${field} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`,
      );
    }
  }

  u8(field = 'BYTE'): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field = 'WORD'): number {
    this.need(2, field);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u16be(field = 'WORD'): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field = 'DWORD'): number {
    this.need(4, field);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  ip(field = 'IP'): string {
    this.need(4, field);
    const v = bytesToIp(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number, field = 'bytes'): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number, field = 'padding'): void {
    this.need(n, field);
    this.pos += n;
  }

  /** Everything not read yet (a view, not a copy). */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }

  /**
   * LNTS: WORD length counting the trailing NUL, the bytes, NUL. Lenient as real clients
   * needed (docs/protocol.md §1.2): a length without the NUL, a NUL missing at the very end of
   * the packet, and text after an early NUL (cut there) are all accepted. maxLength bounds
   * the length WORD as sent (NUL included), checked before any byte of the text is read.
   */
  lnts(field = 'string', maxLength = 0xffff): string {
    return decodeText(this.lntsBytes(field, maxLength));
  }

  lntsBytes(field = 'string', maxLength = 0xffff): Buffer {
    return this.lntsSplit(field, maxLength).text;
  }

  /**
   * LNTS read like lntsBytes, also returning what follows the first NUL inside the string
   * (without the final NUL): readers of the time never see it, so a sender can put a mark
   * there for readers that look (the 01 NICK, docs/protocol.md §5). Views, not copies.
   */
  lntsSplit(field = 'string', maxLength = 0xffff): { text: Buffer; afterNul: Buffer } {
    const len = this.u16(`${field} length`);
    if (len > maxLength) {
      throw new IcqProtocolError(WireErrorCode.BAD_LENGTH, `${this.what}: ${field} is ${len} bytes, limit ${maxLength}`);
    }
    // A NUL missing at the very end of the packet: the length promised one byte more.
    const take = len === this.remaining + 1 ? this.remaining : len;
    const raw = this.bytes(take, field);
    const nul = raw.indexOf(0);
    if (nul === -1) return { text: raw, afterNul: raw.subarray(raw.length) };
    const tail = raw.subarray(nul + 1);
    // The string's own final NUL is not part of what follows the first one.
    const afterNul = tail.length > 0 && tail[tail.length - 1] === 0 ? tail.subarray(0, -1) : tail;
    return { text: raw.subarray(0, nul), afterNul };
  }

  /** Throws unless every byte was consumed; for packets whose length is fixed. */
  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new IcqProtocolError(WireErrorCode.BAD_LENGTH, `${this.what}: ${this.remaining} unexpected trailing bytes`);
    }
  }
}

/** Growable little-endian writer. Encoders use it; the data path does not (see transfer). */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 64) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u16be(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  ip(ip: string): this {
    return this.bytes(ipToBytes(ip));
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** LNTS: length including the NUL, the text, NUL. The empty string is `01 00 00`. */
  lnts(text: string | Buffer): this {
    const raw = typeof text === 'string' ? encodeText(text) : text;
    if (raw.length + 1 > 0xffff) throw new RangeError(`string of ${raw.length} bytes does not fit an LNTS`);
    return this.u16(raw.length + 1).bytes(raw).u8(0);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
