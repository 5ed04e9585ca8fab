/**
 * The scrambling of ICQ UDP v5 client packets (docs/udp-v5.md). Pure functions over
 * buffers: no sockets, no randomness (the caller picks the two checkcode choices).
 *
 * A client computes a CHECKCODE from a few bytes of the plain packet, derives a key from it
 * and the packet length, XORs every DWORD from offset 0x0A on with `key + TABLE[offset]`,
 * then writes the checkcode, bit-scrambled, at 0x14 (those four bytes are not XORed).
 * Server packets are sent plain, with an unscrambled checkcode that no client checks.
 */

/** The 256-byte table of the v5 key schedule (as in Licq 1.0.4 and IServerd; the last two are 0). */
export const V5_TABLE: Buffer = Buffer.from(
  [
    '5960376B6562464853614C5960575B3D',
    '5E346D36503F6F6753614C5940476339',
    '505F5F3F6F47436948333164355A4A42',
    '5640675341076C49583B4D4668436948',
    '333144656246485341076C6948335154',
    '5D4E6C49384B554A6246483351346D36',
    '505F5F5F3F6F4763594067333164355A',
    '6A526E3C51346D36505F5F3F4F374B35',
    '5A4A6266583B4D66585B5D4E6C49583B',
    '4D66583B4D464853614C594067333164',
    '556A323E4445526E3C3164556A524E6C',
    '694853614C39306F47635960575B3D3E',
    '64353A3A5A6A524E6C694853616C4958',
    '3B4D46686339505F5F3F6F6753412541',
    '3C51543D5E545D4E4C39505F5F5F3F6F',
    '474369483351545D6E3C3164355A0000',
  ].join(''),
  'hex',
);

/** Where the checkcode sits in a client packet (after VERSION, ZERO, UIN, SESSION, COMMAND, SEQ1, SEQ2). */
export const V5_CHECKCODE_OFFSET = 0x14;
/** The first encrypted byte: VERSION, ZERO and UIN travel plain. */
export const V5_ENCRYPTED_FROM = 0x0a;
/** The key multiplier ("hell" in ASCII). */
const KEY_FACTOR = 0x68656c6c;

/** A checkcode's two free choices: the offset of one plain byte it covers, and a table index. */
export interface CheckcodeChoice {
  /** Offset of the packet byte mixed in (Licq: 24 ≤ r1 < length; IServerd: r1 < 16). */
  r1: number;
  /** Index into V5_TABLE (0–255). */
  r2: number;
}

/**
 * The checkcode of a plain packet: bytes 8, 4, 2, 6 as one DWORD, XORed with
 * (r1, plain[r1], r2, TABLE[r2]) and 0x00FF00FF. Clients and servers compute it the same way.
 */
export function computeCheckcode(plain: Buffer, choice: CheckcodeChoice): number {
  const { r1, r2 } = choice;
  if (!Number.isInteger(r1) || r1 < 0 || r1 >= plain.length || r1 > 0xff) throw new RangeError(`checkcode r1 ${r1} is outside the packet`);
  if (!Number.isInteger(r2) || r2 < 0 || r2 > 0xff) throw new RangeError(`checkcode r2 ${r2} is not a table index`);
  const fixed = ((plain[8]! << 24) | (plain[4]! << 16) | (plain[2]! << 8) | plain[6]!) >>> 0;
  const chosen = (((r1 << 24) | (plain[r1]! << 16) | (r2 << 8) | V5_TABLE[r2]!) ^ 0x00ff00ff) >>> 0;
  return (fixed ^ chosen) >>> 0;
}

/**
 * Whether checkcode could have been computed from this (decrypted) packet for some choice:
 * it names an offset inside the packet whose byte it carries, and a table index whose entry
 * it carries. A packet damaged or forged without the scheme fails this 65535 times in 65536.
 */
export function checkcodeMatches(plain: Buffer, checkcode: number): boolean {
  if (plain.length < V5_CHECKCODE_OFFSET + 4) return false;
  const fixed = ((plain[8]! << 24) | (plain[4]! << 16) | (plain[2]! << 8) | plain[6]!) >>> 0;
  const x = (checkcode ^ fixed ^ 0x00ff00ff) >>> 0;
  const r1 = x >>> 24;
  const r2 = (x >>> 8) & 0xff;
  return r1 < plain.length && plain[r1] === ((x >>> 16) & 0xff) && V5_TABLE[r2] === (x & 0xff);
}

/** The bit permutation a client applies to the checkcode before writing it. */
export function scrambleCheckcode(cc: number): number {
  return (
    (((cc & 0x0000001f) << 12) +
      ((cc & 0x03e003e0) << 1) +
      ((cc & 0xf8000400) >>> 10) +
      ((cc & 0x0000f800) << 16) +
      ((cc & 0x041f0000) >>> 15)) >>>
    0
  );
}

/** The inverse of scrambleCheckcode: what a server applies to the DWORD at 0x14. */
export function unscrambleCheckcode(s: number): number {
  return (
    (((s & 0x0001f000) >>> 12) +
      ((s & 0x07c007c0) >>> 1) +
      ((s & 0x003e0001) << 10) +
      ((s & 0xf8000000) >>> 16) +
      ((s & 0x0000083e) << 15)) >>>
    0
  );
}

/** XORs bytes [0x0A, length) of buf in place with the key stream, leaving the checkcode slot alone. */
function applyKeyStream(buf: Buffer, checkcode: number): void {
  const key = (Math.imul(buf.length, KEY_FACTOR) + checkcode) >>> 0;
  for (let i = V5_ENCRYPTED_FROM; i < buf.length; i += 4) {
    const k = (key + V5_TABLE[i & 0xff]!) >>> 0;
    for (let b = 0; b < 4 && i + b < buf.length; b++) {
      const at = i + b;
      if (at >= V5_CHECKCODE_OFFSET && at < V5_CHECKCODE_OFFSET + 4) continue;
      buf[at]! ^= (k >>> (8 * b)) & 0xff;
    }
  }
}

/**
 * Encrypts a plain client packet (its checkcode slot is ignored) as a client does: returns a
 * new buffer. The caller pads 24-byte packets to 28 first, as clients do (see udp-v5.ts).
 */
export function encryptClientPacket(plain: Buffer, choice: CheckcodeChoice): Buffer {
  if (plain.length < V5_CHECKCODE_OFFSET + 4) throw new RangeError(`a v5 client packet has at least 24 bytes, got ${plain.length}`);
  const out = Buffer.from(plain);
  out.writeUInt32LE(0, V5_CHECKCODE_OFFSET);
  const cc = computeCheckcode(out, choice);
  applyKeyStream(out, cc);
  out.writeUInt32LE(scrambleCheckcode(cc), V5_CHECKCODE_OFFSET);
  return out;
}

export interface DecryptedPacket {
  /** The packet as the client built it, with 0 in the checkcode slot. */
  plain: Buffer;
  /** The checkcode, unscrambled. */
  checkcode: number;
}

/** Decrypts a client packet of at least 24 bytes (the caller checks the length); returns a copy. */
export function decryptClientPacket(wire: Buffer): DecryptedPacket {
  if (wire.length < V5_CHECKCODE_OFFSET + 4) throw new RangeError(`a v5 client packet has at least 24 bytes, got ${wire.length}`);
  const plain = Buffer.from(wire);
  const checkcode = unscrambleCheckcode(plain.readUInt32LE(V5_CHECKCODE_OFFSET));
  applyKeyStream(plain, checkcode);
  plain.writeUInt32LE(0, V5_CHECKCODE_OFFSET);
  return { plain, checkcode };
}
