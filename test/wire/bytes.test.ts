import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, bytesToIp, decodeText, encodeText, ipToBytes } from '../../src/wire/bytes.js';
import { IcqProtocolError, WireErrorCode } from '../../src/wire/errors.js';
import { hex, join, lnts, toHex } from '../helpers/hex.js';

/** The error a call throws, or a failure if it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function expectWireError(fn: () => unknown, code: string): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(IcqProtocolError);
  expect(err).not.toBeInstanceOf(RangeError);
  expect((err as IcqProtocolError).code).toBe(code);
}

describe('ByteReader bounds', () => {
  // Each reader: the exact bytes it needs succeed and consume them; one byte fewer throws
  // SHORT_PACKET (never Node's RangeError from Buffer.read*).
  const cases: { name: string; size: number; read: (r: ByteReader) => unknown; value: unknown }[] = [
    { name: 'u8', size: 1, read: (r) => r.u8(), value: 0xab },
    { name: 'u16', size: 2, read: (r) => r.u16(), value: 0xbbab },
    { name: 'u16be', size: 2, read: (r) => r.u16be(), value: 0xabbb },
    { name: 'u32', size: 4, read: (r) => r.u32(), value: 0xdbcbbbab },
    { name: 'ip', size: 4, read: (r) => r.ip(), value: '171.187.203.219' },
    { name: 'bytes(3)', size: 3, read: (r) => toHex(r.bytes(3)), value: 'AB BB CB' },
    { name: 'skip(3)', size: 3, read: (r) => r.skip(3), value: undefined },
  ];
  const source = hex('AB BB CB DB EB');

  for (const c of cases) {
    it(`${c.name} reads exactly ${c.size} bytes`, () => {
      const r = new ByteReader(source.subarray(0, c.size));
      expect(c.read(r)).toEqual(c.value);
      expect(r.offset).toBe(c.size);
      expect(r.remaining).toBe(0);
      r.expectEnd();
    });

    it(`${c.name} one byte short throws SHORT_PACKET`, () => {
      const r = new ByteReader(source.subarray(0, c.size - 1));
      expectWireError(() => c.read(r), WireErrorCode.SHORT_PACKET);
    });

    it(`${c.name} at a non-zero offset one byte short throws SHORT_PACKET`, () => {
      const r = new ByteReader(source.subarray(0, c.size + 1), 2);
      expectWireError(() => c.read(r), WireErrorCode.SHORT_PACKET);
    });
  }

  it('reads u8/u16/u32 little-endian and u16be big-endian in sequence', () => {
    const r = new ByteReader(hex('01 02 03 04 05 06 07 08 09'));
    expect(r.u8()).toBe(0x01);
    expect(r.u16()).toBe(0x0302);
    expect(r.u16be()).toBe(0x0405);
    expect(r.u32()).toBe(0x09080706);
    expect(r.remaining).toBe(0);
  });

  it('reads the largest values without sign trouble', () => {
    const r = new ByteReader(hex('FF FF FF FF FF FF FF FF FF'));
    expect(r.u8()).toBe(0xff);
    expect(r.u16()).toBe(0xffff);
    expect(r.u16be()).toBe(0xffff);
    expect(r.u32()).toBe(0xffffffff);
  });

  it('names the packet and the field in the error message', () => {
    const r = new ByteReader(hex('01'), 0, 'test packet');
    const err = thrown(() => r.u32('SIZE')) as IcqProtocolError;
    expect(err.message).toContain('test packet');
    expect(err.message).toContain('SIZE');
  });

  it('a failed read does not move the offset', () => {
    const r = new ByteReader(hex('01 02 03'));
    r.u8();
    expectWireError(() => r.u32(), WireErrorCode.SHORT_PACKET);
    expect(r.offset).toBe(1);
    expect(r.u16()).toBe(0x0302);
  });

  it('a reader started past the end throws SHORT_PACKET on every read', () => {
    const r = new ByteReader(hex('01'), 5);
    expectWireError(() => r.u8(), WireErrorCode.SHORT_PACKET);
    expectWireError(() => r.lnts(), WireErrorCode.SHORT_PACKET);
  });

  it('bytes(0) and skip(0) succeed at the end', () => {
    const r = new ByteReader(hex('01'), 1);
    expect(r.bytes(0).length).toBe(0);
    r.skip(0);
    expect(r.remaining).toBe(0);
  });

  it('bytes() and rest() are views into the packet, not copies', () => {
    const buf = hex('01 02 03 04');
    const r = new ByteReader(buf);
    const two = r.bytes(2);
    const rest = r.rest();
    buf[0] = 0xaa;
    buf[3] = 0xbb;
    expect(toHex(two)).toBe('AA 02');
    expect(toHex(rest)).toBe('03 BB');
    expect(r.remaining).toBe(0);
    expect(r.rest().length).toBe(0);
  });

  it('expectEnd throws BAD_LENGTH when bytes are left', () => {
    const r = new ByteReader(hex('01 02'));
    r.u8();
    expectWireError(() => r.expectEnd(), WireErrorCode.BAD_LENGTH);
  });
});

describe('IP addresses are raw network-order bytes', () => {
  it('127.0.0.1 is 7F 00 00 01 both ways', () => {
    expect(toHex(ipToBytes('127.0.0.1'))).toBe('7F 00 00 01');
    expect(new ByteReader(hex('7F 00 00 01')).ip()).toBe('127.0.0.1');
    expect(toHex(new ByteWriter().ip('127.0.0.1').toBuffer())).toBe('7F 00 00 01');
    expect(bytesToIp(hex('00 7F 00 00 01'), 1)).toBe('127.0.0.1');
  });

  it('round-trips the extremes and a capture address', () => {
    for (const ip of ['0.0.0.0', '255.255.255.255', '207.96.173.149', '10.0.0.254']) {
      expect(new ByteReader(new ByteWriter().ip(ip).toBuffer()).ip()).toBe(ip);
    }
    expect(toHex(ipToBytes('207.96.173.149'))).toBe('CF 60 AD 95');
  });

  it('rejects what is not a dotted quad', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.x', '', '1..2.3', '-1.0.0.0', '1.2.3.1000']) {
      expect(() => ipToBytes(bad), bad).toThrow(TypeError);
    }
  });
});

describe('LNTS', () => {
  it('writes the empty string as 01 00 00', () => {
    expect(toHex(new ByteWriter().lnts('').toBuffer())).toBe('01 00 00');
    expect(toHex(new ByteWriter().lnts(Buffer.alloc(0)).toBuffer())).toBe('01 00 00');
  });

  it('reads 01 00 00 as the empty string', () => {
    const r = new ByteReader(hex('01 00 00'));
    expect(r.lnts()).toBe('');
    expect(r.remaining).toBe(0);
  });

  it('writes the length counting the NUL, then the text, then NUL', () => {
    expect(toHex(new ByteWriter().lnts('abc').toBuffer())).toBe('04 00 61 62 63 00');
  });

  it('reads a well-formed string and stops at its end', () => {
    const r = new ByteReader(hex('04 00 61 62 63 00 EE'));
    expect(r.lnts()).toBe('abc');
    expect(r.u8()).toBe(0xee);
  });

  it('accepts a length that does not count the NUL (no NUL sent)', () => {
    const r = new ByteReader(hex('03 00 61 62 63 EE'));
    expect(r.lnts()).toBe('abc');
    expect(r.u8()).toBe(0xee);
  });

  it('accepts a zero length as the empty string', () => {
    const r = new ByteReader(hex('00 00 EE'));
    expect(r.lnts()).toBe('');
    expect(r.u8()).toBe(0xee);
  });

  it('accepts a NUL missing at the very end of the packet', () => {
    const r = new ByteReader(hex('04 00 61 62 63'));
    expect(r.lnts()).toBe('abc');
    expect(r.remaining).toBe(0);
    const empty = new ByteReader(hex('01 00'));
    expect(empty.lnts()).toBe('');
  });

  it('a string two or more bytes short is still SHORT_PACKET', () => {
    expectWireError(() => new ByteReader(hex('05 00 61 62 63')).lnts(), WireErrorCode.SHORT_PACKET);
    expectWireError(() => new ByteReader(hex('FF FF')).lnts(), WireErrorCode.SHORT_PACKET);
  });

  it('a missing or half length WORD is SHORT_PACKET', () => {
    expectWireError(() => new ByteReader(hex('')).lnts(), WireErrorCode.SHORT_PACKET);
    expectWireError(() => new ByteReader(hex('01')).lnts(), WireErrorCode.SHORT_PACKET);
  });

  it('cuts the text at an early NUL and still consumes the whole announced length', () => {
    const r = new ByteReader(hex('07 00 61 62 00 78 79 7A 00 EE'));
    expect(r.lnts()).toBe('ab');
    expect(r.u8()).toBe(0xee);
    expect(toHex(new ByteReader(hex('03 00 00 61 00')).lntsBytes())).toBe('');
  });

  it('lntsBytes gives the raw bytes, lnts decodes them as latin1', () => {
    expect(toHex(new ByteReader(hex('03 00 E9 FF 00')).lntsBytes())).toBe('E9 FF');
    expect(new ByteReader(hex('03 00 E9 FF 00')).lnts()).toBe('\u00e9\u00ff');
  });

  it('maxLength bounds the length WORD (NUL included) before reading the text', () => {
    expect(new ByteReader(lnts('abc')).lnts('s', 4)).toBe('abc');
    expectWireError(() => new ByteReader(lnts('abcd')).lnts('s', 4), WireErrorCode.BAD_LENGTH);
    // The announced length alone is enough to refuse: the text need not be there.
    expectWireError(() => new ByteReader(hex('00 10')).lnts('s', 100), WireErrorCode.BAD_LENGTH);
    expectWireError(() => new ByteReader(hex('05 00')).lntsBytes('s', 4), WireErrorCode.BAD_LENGTH);
  });

  it('the longest LNTS (length FF FF) round-trips', () => {
    const text = 'x'.repeat(0xfffe);
    const buf = new ByteWriter().lnts(text).toBuffer();
    expect(toHex(buf.subarray(0, 2))).toBe('FF FF');
    expect(buf.length).toBe(2 + 0xffff);
    expect(new ByteReader(buf).lnts()).toBe(text);
  });

  it('refuses to write a string that does not fit an LNTS', () => {
    expect(() => new ByteWriter().lnts('x'.repeat(0xffff))).toThrow(RangeError);
  });
});

describe('ByteWriter', () => {
  it('writes every type little-endian except u16be', () => {
    const buf = new ByteWriter()
      .u8(0x01)
      .u16(0x0302)
      .u16be(0x0405)
      .u32(0x09080706)
      .bytes(hex('0A 0B'))
      .toBuffer();
    expect(toHex(buf)).toBe('01 02 03 04 05 06 07 08 09 0A 0B');
  });

  it('writes the largest values', () => {
    expect(toHex(new ByteWriter().u16(0xffff).u16be(0xffff).u32(0xffffffff).toBuffer())).toBe('FF FF FF FF FF FF FF FF');
  });

  it('grows past its initial size without losing bytes', () => {
    const w = new ByteWriter(1);
    const expected: number[] = [];
    for (let i = 0; i < 1000; i++) {
      w.u8(i & 0xff);
      expected.push(i & 0xff);
    }
    w.u32(0xdeadbeef).bytes(Buffer.alloc(5000, 0x5a)).lnts('end');
    const out = w.toBuffer();
    expect(w.length).toBe(1000 + 4 + 5000 + 6);
    expect(out.length).toBe(w.length);
    expect([...out.subarray(0, 1000)]).toEqual(expected);
    expect(toHex(out.subarray(1000, 1004))).toBe('EF BE AD DE');
    expect(out.subarray(1004, 6004).every((b) => b === 0x5a)).toBe(true);
    expect(toHex(out.subarray(6004))).toBe('04 00 65 6E 64 00');
  });

  it('grows by more than double when one write needs it', () => {
    const out = new ByteWriter(2).bytes(Buffer.alloc(100, 7)).toBuffer();
    expect(out.length).toBe(100);
    expect(out.every((b) => b === 7)).toBe(true);
  });

  it('toBuffer returns a copy that later writes do not change', () => {
    const w = new ByteWriter(8).u8(1);
    const first = w.toBuffer();
    w.u8(2);
    expect(toHex(first)).toBe('01');
    expect(toHex(w.toBuffer())).toBe('01 02');
  });

  it('an empty writer gives an empty buffer', () => {
    expect(new ByteWriter().toBuffer().length).toBe(0);
  });

  it('builds the same bytes as the test fixture builders', () => {
    expect(toHex(new ByteWriter().lnts('hi').u32(7).toBuffer())).toBe(toHex(join(lnts('hi'), '07 00 00 00')));
  });
});

describe('encodeText / decodeText', () => {
  it('encodes text that fits latin1 as latin1, one byte a character', () => {
    expect(toHex(encodeText('abc'))).toBe('61 62 63');
    expect(toHex(encodeText('caf\u00e9'))).toBe('63 61 66 E9');
    expect(toHex(encodeText('\u00ff\u0000'))).toBe('FF 00');
    expect(encodeText('').length).toBe(0);
  });

  it('falls back to UTF-8 for text latin1 cannot hold', () => {
    expect(toHex(encodeText('\u0100'))).toBe('C4 80');
    expect(toHex(encodeText('\u65e5\u672c'))).toBe('E6 97 A5 E6 9C AC');
    // One character outside latin1 makes the whole string UTF-8, é included.
    expect(toHex(encodeText('\u00e9\u20ac'))).toBe('C3 A9 E2 82 AC');
  });

  it('decodes every byte as its latin1 character, losslessly', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = decodeText(all);
    expect(text.length).toBe(256);
    expect(text.charCodeAt(0xe9)).toBe(0xe9);
    expect(encodeText(text).equals(all)).toBe(true);
  });

  it('the writer uses encodeText for LNTS strings', () => {
    expect(toHex(new ByteWriter().lnts('\u00e9').toBuffer())).toBe('02 00 E9 00');
    expect(toHex(new ByteWriter().lnts('\u20ac').toBuffer())).toBe('04 00 E2 82 AC 00');
  });
});
