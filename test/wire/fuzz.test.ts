import { describe, expect, it } from 'vitest';
import { IcqProtocolError, WireErrorCode } from '../../src/wire/errors.js';
import { decodeFilePacket, encodeFilePacket } from '../../src/wire/file.js';
import type { FilePacket } from '../../src/wire/file.js';
import { FrameDecoder, encodeFrame } from '../../src/wire/framing.js';
import {
  PeerMessageType,
  ackFor,
  cancelFor,
  decodeInit,
  decodePeerMessage,
  encodeInit,
  encodePeerMessage,
  fileAccept,
  fileRefuse,
  fileRequest,
  textMessage,
} from '../../src/wire/peer.js';
import type { InitPacket, PeerEndpoint, PeerMessage } from '../../src/wire/peer.js';
import { hex } from '../helpers/hex.js';
import { Random } from '../helpers/prng.js';

/**
 * Every decoder, fed hostile bytes, either returns or throws IcqProtocolError with a stable
 * code: never a RangeError, TypeError or anything else, and never hangs. The generator is
 * seeded, so a failure reproduces exactly.
 */

const CODES = new Set<string>(Object.values(WireErrorCode));

/** Runs one decode; returns whether it succeeded. Anything but IcqProtocolError is recorded. */
function attempt<T>(bad: string[], label: string, input: Buffer, decode: (b: Buffer) => T, check?: (value: T) => void): boolean {
  let value: T;
  try {
    value = decode(input);
  } catch (err) {
    if (!(err instanceof IcqProtocolError) || !err.code.startsWith('ICQ_ERR_') || !CODES.has(err.code)) {
      bad.push(`${label} ${input.toString('hex')}: ${String(err)}`);
    }
    return false;
  }
  if (check) {
    try {
      check(value);
    } catch (err) {
      bad.push(`${label} ${input.toString('hex')}: decoded but ${String(err)}`);
    }
  }
  return true;
}

// Whatever decodes must re-encode to something that decodes to the same thing.
function stableInit(p: InitPacket): void {
  expect(decodeInit(encodeInit(p))).toEqual(p);
}
function stablePeer(m: PeerMessage): void {
  expect(decodePeerMessage(encodePeerMessage(m))).toEqual(m);
}
function stableFile(p: FilePacket): void {
  // 03 is sent as 13 bytes, so a fileNo read from 17 does not survive; nothing else may change.
  const expected = p.kind === 'start' ? { kind: p.kind, offset: p.offset, speed: p.speed } : p;
  expect(decodeFilePacket(encodeFilePacket(p))).toEqual(expected);
}

interface Target {
  name: string;
  valid: Buffer[];
  run: (bad: string[], label: string, input: Buffer) => boolean;
}

function target<T>(name: string, valid: Buffer[], decode: (b: Buffer) => T, check?: (value: T) => void): Target {
  return { name, valid, run: (bad, label, input) => attempt(bad, label, input, decode, check) };
}

const SENDER: PeerEndpoint = { uin: 1001, ip: '127.0.0.1', port: 0x1234 };
const RECEIVER: PeerEndpoint = { uin: 1002, ip: '10.0.0.2', port: 0x5678, status: 4 };
const request = fileRequest(SENDER, { description: 'two files', fileName: '2 Files', totalSize: 70000, seq: 0xfffffffe });
const message = textMessage(SENDER, 'hello', 0xfffffffd);
const chat: PeerMessage = { ...textMessage(SENDER, 'chat?', 7), type: PeerMessageType.CHAT, chat: { text: '', portBe: 0, pad: 0, port: 0 } };
const VALID_PEER = [request, fileAccept(RECEIVER, request, 8080, 'ok'), fileRefuse(RECEIVER, request, 'no thanks'), cancelFor(SENDER, request), message, ackFor(RECEIVER, message, 'away'), chat, ackFor(RECEIVER, chat)].map(encodePeerMessage);
const VALID_INIT = [
  hex('FF 03 00 00 00 3D 62 00 00 50 A5 82 00 CF 60 AD 95 CF 60 AD 95 04 3D 62 00 00'),
  encodeInit({ version: 2, msgPort: 0, uin: 1001, ip: '127.0.0.1', realIp: '127.0.0.1', tcpFlag: 4, otherPort: 0x1f90 }),
];
const VALID_FILE = [
  hex('00 00 00 00 00 01 00 00 00 45 78 00 00 64 00 00 00 08 00 38 35 36 32 30 30 30 00'),
  hex('01 64 00 00 00 08 00 38 35 36 32 30 30 30 00'),
  hex('02 00 0D 00 63 75 72 72 65 6E 74 2E 64 69 66 66 00 01 00 00 45 78 00 00 00 00 00 00 64 00 00 00'),
  hex('03 00 00 00 00 00 00 00 00 64 00 00 00'),
  hex('03 10 00 00 00 00 00 00 00 64 00 00 00 02 00 00 00'),
  hex('04 01 00 00 00'),
  hex('05 64 00 00 00'),
  hex('05 32'),
  hex('06'),
  hex('06 01 02 03 04'),
];

const TARGETS: Target[] = [
  target('decodeInit', VALID_INIT, decodeInit, stableInit),
  target('decodePeerMessage', VALID_PEER, (b) => decodePeerMessage(b), stablePeer),
  target('decodePeerMessage(maxTextLength 4)', VALID_PEER, (b) => decodePeerMessage(b, { maxTextLength: 4 })),
  target('decodeFilePacket', VALID_FILE, (b) => decodeFilePacket(b), stableFile),
  target('decodeFilePacket(maxStringLength 4)', VALID_FILE, (b) => decodeFilePacket(b, { maxStringLength: 4 })),
];

describe('the fuzz harness', () => {
  it('notices a decoder that throws anything but IcqProtocolError, or decodes unstably', () => {
    const bad: string[] = [];
    expect(attempt(bad, 'x', hex('01'), (b) => b.readUInt32LE(0))).toBe(false);
    expect(attempt(bad, 'x', hex('01'), () => {
      throw new IcqProtocolError('ICQ_ERR_NOT_A_CODE' as WireErrorCode, 'made-up code');
    })).toBe(false);
    expect(attempt(bad, 'x', hex('01'), () => 1, (v) => expect(v).toBe(2))).toBe(true);
    expect(bad.length).toBe(3);
    expect(attempt(bad, 'x', hex('01'), () => {
      throw new IcqProtocolError(WireErrorCode.SHORT_PACKET, 'fine');
    })).toBe(false);
    expect(bad.length).toBe(3);
  });
});

describe('fuzzing the decoders', () => {
  for (const [index, { name, valid: corpus, run }] of TARGETS.entries()) {
    describe(name, () => {

      it('random byte strings', () => {
        const rnd = new Random(0x1cc0 + index);
        const bad: string[] = [];
        for (let i = 0; i < 3000; i++) run(bad, 'random', rnd.bytes(rnd.length()));
        expect(bad.slice(0, 5)).toEqual([]);
      });

      it('a valid beginning followed by random bytes', () => {
        const rnd = new Random(0x2cc0 + index);
        const bad: string[] = [];
        let decoded = 0;
        for (let i = 0; i < 3000; i++) {
          const valid = corpus[rnd.int(corpus.length)]!;
          const input = Buffer.concat([valid.subarray(0, rnd.int(valid.length + 1)), rnd.bytes(rnd.length())]);
          if (run(bad, 'prefix', input)) decoded++;
        }
        expect(bad.slice(0, 5)).toEqual([]);
        expect(decoded).toBeGreaterThan(0);
      });

      it('every truncation of every valid packet', () => {
        const bad: string[] = [];
        for (const valid of corpus) {
          for (let n = 0; n <= valid.length; n++) run(bad, 'truncated', valid.subarray(0, n));
        }
        expect(bad.slice(0, 5)).toEqual([]);
      });

      it('bit-flipped valid packets', () => {
        const rnd = new Random(0x3cc0 + index);
        const bad: string[] = [];
        let decoded = 0;
        let refused = 0;
        for (const valid of corpus) {
          for (let i = 0; i < 400; i++) {
            if (run(bad, 'mutated', rnd.mutate(valid))) decoded++;
            else refused++;
          }
        }
        expect(bad.slice(0, 5)).toEqual([]);
        // Both outcomes happen: the mutations reach past the first check.
        expect(decoded).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
      });
    });
  }
});

describe('fuzzing FrameDecoder.push', () => {
  const STREAM = Buffer.concat([...VALID_INIT, ...VALID_PEER, ...VALID_FILE].map(encodeFrame));

  /** Feeds chunks; a protocol error ends that decoder (as it ends the connection) and a new one starts. */
  function feed(bad: string[], chunks: Buffer[], maxFrameSize: number): { frames: Buffer[]; errors: number } {
    let decoder = new FrameDecoder({ maxFrameSize });
    const frames: Buffer[] = [];
    let errors = 0;
    for (const chunk of chunks) {
      try {
        decoder.push(chunk, (f) => {
          if (f.length === 0 || f.length > maxFrameSize) bad.push(`frame of ${f.length} bytes with limit ${maxFrameSize}`);
          frames.push(f);
        });
      } catch (err) {
        if (!(err instanceof IcqProtocolError) || !err.code.startsWith('ICQ_ERR_') || !CODES.has(err.code)) {
          bad.push(`${chunk.toString('hex')}: ${String(err)}`);
        }
        errors++;
        decoder = new FrameDecoder({ maxFrameSize });
      }
    }
    return { frames, errors };
  }

  function randomSplit(rnd: Random, buf: Buffer): Buffer[] {
    const chunks: Buffer[] = [];
    for (let at = 0; at < buf.length; ) {
      const n = rnd.int(4) === 0 ? 1 : rnd.int(40);
      chunks.push(buf.subarray(at, at + n));
      at += n;
    }
    return chunks;
  }

  it('random chunks', () => {
    const rnd = new Random(0x4cc0);
    const bad: string[] = [];
    let frames = 0;
    for (let i = 0; i < 300; i++) {
      const chunks = Array.from({ length: 1 + rnd.int(10) }, () => rnd.bytes(rnd.length()));
      frames += feed(bad, chunks, [1, 2, 16, 300, 65535][rnd.int(5)]!).frames.length;
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(frames).toBeGreaterThan(0);
  });

  it('a valid stream split at random places gives back exactly its frames', () => {
    const rnd = new Random(0x5cc0);
    const bad: string[] = [];
    const expected = [...VALID_INIT, ...VALID_PEER, ...VALID_FILE].map((b) => b.toString('hex'));
    for (let i = 0; i < 300; i++) {
      const { frames, errors } = feed(bad, randomSplit(rnd, STREAM), 65535);
      expect(errors).toBe(0);
      expect(frames.map((f) => f.toString('hex'))).toEqual(expected);
    }
    expect(bad).toEqual([]);
  });

  it('bit-flipped and truncated streams, split at random places', () => {
    const rnd = new Random(0x6cc0);
    const bad: string[] = [];
    let errors = 0;
    for (let i = 0; i < 300; i++) {
      const damaged = rnd.mutate(STREAM).subarray(0, rnd.int(STREAM.length + 1));
      errors += feed(bad, randomSplit(rnd, damaged), [64, 65535][rnd.int(2)]!).errors;
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(errors).toBeGreaterThan(0);
  });
});
