/**
 * Fixture builders for byte-exact tests, kept apart from the tests (like pg-protocol's
 * test helpers). Captures are quoted as spaced hex, exactly as docs/protocol.md prints them.
 */

/** `hex('FF 03 00')` → the bytes. Whitespace is ignored; anything else must be hex pairs. */
export function hex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`not a hex byte string: ${text}`);
  return Buffer.from(digits, 'hex');
}

/** The bytes as upper-case spaced hex, so a failing comparison reads like the capture. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
}

export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

export function u16be(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** A well-formed LNTS: WORD length counting the NUL, the latin1 text, NUL. */
export function lnts(text: string): Buffer {
  const raw = Buffer.from(text, 'latin1');
  return Buffer.concat([u16(raw.length + 1), raw, Buffer.from([0])]);
}

/** One TCP frame: WORD LE length, then the body. */
export function frame(body: Buffer): Buffer {
  return Buffer.concat([u16(body.length), body]);
}

/** Byte strings and spaced-hex strings, concatenated. */
export function join(...parts: (Buffer | string)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? hex(p) : p)));
}
