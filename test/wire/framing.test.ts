import { describe, expect, it } from 'vitest';
import { FrameDecoder, MAX_FRAME_BODY, encodeFrame } from '../../src/wire/framing.js';
import type { FrameDecoderOptions } from '../../src/wire/framing.js';
import { IcqProtocolError, WireErrorCode } from '../../src/wire/errors.js';
import { frame, hex, toHex } from '../helpers/hex.js';
import { wireError } from '../helpers/errors.js';

function collect(decoder: FrameDecoder, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) decoder.push(c, (f) => out.push(f.toString('hex')));
  return out;
}

describe('FrameDecoder', () => {
  it('decodes a frame fed one byte at a time', () => {
    const wire = Buffer.from('0300aabbcc', 'hex');
    const chunks = [...wire].map((b) => Buffer.from([b]));
    expect(collect(new FrameDecoder(), chunks)).toEqual(['aabbcc']);
  });

  it('decodes many frames in one chunk and keeps a split tail', () => {
    const d = new FrameDecoder();
    expect(collect(d, [Buffer.from('0100ff0200010201', 'hex')])).toEqual(['ff', '0102']);
    expect(d.bufferedBytes).toBe(1);
    expect(collect(d, [Buffer.from('0004', 'hex')])).toEqual(['04']);
  });

  it('rejects zero-length and oversize frames with stable codes', () => {
    expect(() => collect(new FrameDecoder(), [Buffer.from('0000', 'hex')])).toThrow(
      expect.objectContaining({ code: 'ICQ_ERR_BAD_LENGTH' }),
    );
    const err = (() => {
      try {
        collect(new FrameDecoder({ maxFrameSize: 4 }), [Buffer.from('0500', 'hex')]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(IcqProtocolError);
    expect((err as IcqProtocolError).code).toBe('ICQ_ERR_FRAME_TOO_LARGE');
  });

  it('encodes the length little-endian', () => {
    expect(encodeFrame(Buffer.alloc(0x102, 1)).subarray(0, 3).toString('hex')).toBe('020101');
  });
});

/** Several frames of awkward sizes: 1 byte, a 0x100 boundary, a two-byte length 0x01FF. */
const BODIES = [hex('AA'), hex('01 02'), Buffer.alloc(0x100, 0x33), hex('FF 03 00 00 00'), Buffer.alloc(0x1ff, 0x44), hex('06')];
const STREAM = Buffer.concat(BODIES.map(frame));
const EXPECTED = BODIES.map((b) => b.toString('hex'));

function decodeAll(chunks: Buffer[], options?: FrameDecoderOptions): Buffer[] {
  const d = new FrameDecoder(options);
  const out: Buffer[] = [];
  for (const c of chunks) d.push(c, (f) => out.push(f));
  expect(d.bufferedBytes).toBe(0);
  return out;
}


describe('FrameDecoder with split streams', () => {
  it('yields the same frames for a stream split at every offset', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const frames = decodeAll([STREAM.subarray(0, i), STREAM.subarray(i)]);
      expect(frames.map((f) => f.toString('hex')), `split at ${i}`).toEqual(EXPECTED);
    }
  });

  it('yields the same frames for every pair of split points', () => {
    const small = Buffer.concat([hex('AA'), hex('01 02'), hex('FF 03 00 00 00'), hex('06 07 08')].map(frame));
    const expected = ['aa', '0102', 'ff03000000', '060708'];
    for (let i = 0; i <= small.length; i++) {
      for (let j = i; j <= small.length; j++) {
        const frames = decodeAll([small.subarray(0, i), small.subarray(i, j), small.subarray(j)]);
        expect(frames.map((f) => f.toString('hex')), `split at ${i}, ${j}`).toEqual(expected);
      }
    }
  });

  it('yields the same frames fed one byte at a time', () => {
    const chunks = [...STREAM].map((_, i) => STREAM.subarray(i, i + 1));
    expect(decodeAll(chunks).map((f) => f.toString('hex'))).toEqual(EXPECTED);
  });

  it('decodes many frames in one chunk, in order', () => {
    const bodies = Array.from({ length: 500 }, (_, i) => Buffer.from([i & 0xff, i >> 8]));
    const frames = decodeAll([Buffer.concat(bodies.map(frame))]);
    expect(frames.length).toBe(500);
    frames.forEach((f, i) => expect(f.equals(bodies[i]!)).toBe(true));
  });

  it('ignores empty chunks in every state', () => {
    const e = Buffer.alloc(0);
    const chunks = [e, STREAM.subarray(0, 1), e, STREAM.subarray(1, 2), e, STREAM.subarray(2, 10), e, STREAM.subarray(10), e];
    expect(decodeAll(chunks).map((f) => f.toString('hex'))).toEqual(EXPECTED);
  });

  it('reports what it holds back', () => {
    const d = new FrameDecoder();
    const none = () => {
      throw new Error('no frame expected');
    };
    d.push(hex('05'), none);
    expect(d.bufferedBytes).toBe(1);
    d.push(hex('00 01 02'), none);
    expect(d.bufferedBytes).toBe(4);
    const got: string[] = [];
    d.push(hex('03 04 05 01'), (f) => got.push(f.toString('hex')));
    expect(got).toEqual(['0102030405']);
    expect(d.bufferedBytes).toBe(1);
  });
});

describe('FrameDecoder limits', () => {
  it('accepts a frame of exactly 65535 bytes', () => {
    const body = Buffer.alloc(MAX_FRAME_BODY);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const wire = encodeFrame(body);
    expect(toHex(wire.subarray(0, 2))).toBe('FF FF');
    const whole = decodeAll([wire]);
    expect(whole.length).toBe(1);
    expect(whole[0]!.equals(body)).toBe(true);
    const split = decodeAll([wire.subarray(0, 1), wire.subarray(1, 30000), wire.subarray(30000)]);
    expect(split[0]!.equals(body)).toBe(true);
  });

  it('assembles a 65535-byte frame fed one byte at a time', () => {
    const body = Buffer.alloc(MAX_FRAME_BODY, 0x5a);
    body[0] = 0x01;
    body[MAX_FRAME_BODY - 1] = 0x02;
    const wire = encodeFrame(body);
    const d = new FrameDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) d.push(wire.subarray(i, i + 1), (f) => out.push(f));
    expect(out.length).toBe(1);
    expect(out[0]!.equals(body)).toBe(true);
  });

  it('maxFrameSize: a frame at the limit passes, one byte more is FRAME_TOO_LARGE', () => {
    expect(decodeAll([frame(Buffer.alloc(10, 1))], { maxFrameSize: 10 }).length).toBe(1);
    const err = wireError(() => decodeAll([frame(Buffer.alloc(11, 1))], { maxFrameSize: 10 }));
    expect(err.code).toBe(WireErrorCode.FRAME_TOO_LARGE);
  });

  it('maxFrameSize is checked as soon as the length is known, before the body arrives', () => {
    const d = new FrameDecoder({ maxFrameSize: 100 });
    expect(wireError(() => d.push(hex('FF FF'), () => {})).code).toBe(WireErrorCode.FRAME_TOO_LARGE);
    // Same when the length itself is split over two chunks.
    const split = new FrameDecoder({ maxFrameSize: 100 });
    split.push(hex('65'), () => {});
    expect(wireError(() => split.push(hex('00'), () => {})).code).toBe(WireErrorCode.FRAME_TOO_LARGE);
  });

  it('frames before a bad one in the same chunk are still delivered', () => {
    const got: string[] = [];
    const err = wireError(() => new FrameDecoder({ maxFrameSize: 4 }).push(hex('01 00 AA 05 00'), (f) => got.push(f.toString('hex'))));
    expect(err.code).toBe(WireErrorCode.FRAME_TOO_LARGE);
    expect(got).toEqual(['aa']);
  });

  it('a zero-length frame is BAD_LENGTH, whole or with its length split', () => {
    expect(wireError(() => decodeAll([hex('01 00 AA 00 00')])).code).toBe(WireErrorCode.BAD_LENGTH);
    const d = new FrameDecoder();
    d.push(hex('00'), () => {});
    expect(wireError(() => d.push(hex('00'), () => {})).code).toBe(WireErrorCode.BAD_LENGTH);
  });

  it('rejects a maxFrameSize outside 1..65535', () => {
    expect(new FrameDecoder().maxFrameSize).toBe(65535);
    expect(new FrameDecoder({ maxFrameSize: 1 }).maxFrameSize).toBe(1);
    for (const bad of [0, -1, 65536, Number.NaN]) {
      expect(() => new FrameDecoder({ maxFrameSize: bad }), String(bad)).toThrow(RangeError);
    }
  });

  it('encodeFrame refuses an empty or oversize body', () => {
    expect(() => encodeFrame(Buffer.alloc(0))).toThrow(RangeError);
    expect(() => encodeFrame(Buffer.alloc(MAX_FRAME_BODY + 1))).toThrow(RangeError);
    expect(toHex(encodeFrame(hex('AB')))).toBe('01 00 AB');
  });
});

describe('FrameDecoder frame lifetime', () => {
  it('a whole frame is a view into the pushed chunk (no copy)', () => {
    const chunk = Buffer.concat([frame(hex('01 02 03')), frame(hex('04'))]);
    const frames = decodeAll([chunk]);
    expect(frames[0]!.buffer).toBe(chunk.buffer);
    expect(frames[0]!.byteOffset).toBe(chunk.byteOffset + 2);
    expect(frames[1]!.byteOffset).toBe(chunk.byteOffset + 7);
  });

  it('pushRanges reports whole frames as ranges of the chunk itself, split ones as their own buffer', () => {
    const d = new FrameDecoder();
    const chunk = hex('02 00 AA BB 03 00 CC');
    const seen: [Buffer, number, number][] = [];
    d.pushRanges(chunk, (buf, start, end) => seen.push([buf, start, end]));
    expect(seen).toEqual([[chunk, 2, 4]]);
    expect(seen[0]![0]).toBe(chunk);
    const next = hex('DD EE 01 00 FF');
    d.pushRanges(next, (buf, start, end) => seen.push([buf, start, end]));
    expect(seen.slice(1).map(([b, s, e]) => [toHex(b.subarray(s, e)), b === next])).toEqual([
      ['CC DD EE', false],
      ['FF', true],
    ]);
    expect(seen[1]!.slice(1)).toEqual([0, 3]);
  });

  it('a split frame is its own buffer and survives the caller reusing its read buffer', () => {
    // A socket-like source that reads into one buffer again and again.
    const readBuffer = Buffer.alloc(4);
    const d = new FrameDecoder();
    const frames: Buffer[] = [];
    const wire = Buffer.concat([frame(hex('11 22 33 44 55')), frame(hex('66 77 88 99 AA'))]);
    for (let i = 0; i < wire.length; i += 4) {
      const n = wire.copy(readBuffer, 0, i, i + 4);
      d.push(readBuffer.subarray(0, n), (f) => frames.push(f));
    }
    readBuffer.fill(0);
    expect(frames.map((f) => toHex(f))).toEqual(['11 22 33 44 55', '66 77 88 99 AA']);
    for (const f of frames) expect(f.buffer).not.toBe(readBuffer.buffer);
  });

  it('frames stay valid after later pushes of new chunks', () => {
    const d = new FrameDecoder();
    const frames: Buffer[] = [];
    const keep = (f: Buffer) => frames.push(f);
    d.push(hex('02 00 AA BB 03 00 CC'), keep);
    d.push(hex('DD EE 01'), keep);
    d.push(hex('00 FF'), keep);
    for (let i = 0; i < 100; i++) d.push(frame(Buffer.alloc(300, i)), () => {});
    expect(frames.map((f) => toHex(f))).toEqual(['AA BB', 'CC DD EE', 'FF']);
  });
});
