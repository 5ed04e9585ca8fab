import { describe, expect, it } from 'vitest';
import { WireErrorCode } from '../../src/wire/errors.js';
import {
  DATA_CHUNK_SIZE,
  DATA_FRAME_OVERHEAD,
  FULL_SPEED,
  FilePacketType,
  SUBDIR_READER_MARK,
  decodeFilePacket,
  encodeFilePacket,
  readsSubdirs,
  writeDataFrameHeader,
} from '../../src/wire/file.js';
import type { FilePacket } from '../../src/wire/file.js';
import { FrameDecoder, MAX_FRAME_BODY } from '../../src/wire/framing.js';
import { hex, join, toHex } from '../helpers/hex.js';
import { wireError } from '../helpers/errors.js';


/** §6: Licq 0.70 sending `current.diff` (30789 bytes) as UIN 8562000. */
const CAPTURES: { name: string; bytes: Buffer; packet: FilePacket }[] = [
  {
    name: 'batch init',
    bytes: hex('00 00 00 00 00 01 00 00 00 45 78 00 00 64 00 00 00 08 00 38 35 36 32 30 30 30 00'),
    packet: { kind: 'batch-init', count: 1, total: 0x7845, speed: 100, nick: '8562000' },
  },
  {
    name: 'init ack',
    bytes: hex('01 64 00 00 00 08 00 38 35 36 32 30 30 30 00'),
    packet: { kind: 'init-ack', speed: 100, nick: '8562000' },
  },
  {
    name: 'file info',
    bytes: hex('02 00 0D 00 63 75 72 72 65 6E 74 2E 64 69 66 66 00 01 00 00 45 78 00 00 00 00 00 00 64 00 00 00'),
    packet: { kind: 'file-info', name: 'current.diff', text: '', size: 0x7845, mtime: 0, speed: 100 },
  },
  {
    name: 'start',
    bytes: hex('03 00 00 00 00 00 00 00 00 64 00 00 00'),
    packet: { kind: 'start', offset: 0, speed: 100 },
  },
];

describe('the captures of docs/protocol.md §6', () => {
  for (const c of CAPTURES) {
    it(`decodes the ${c.name}`, () => {
      expect(decodeFilePacket(c.bytes)).toEqual(c.packet);
    });

    it(`re-encodes the ${c.name} byte for byte`, () => {
      expect(toHex(encodeFilePacket(c.packet))).toBe(toHex(c.bytes));
    });

    it(`refuses every truncation of the ${c.name} with SHORT_PACKET`, () => {
      // file info may legally end after SIZE (old clients), so only cuts before that must fail.
      const mustHave = c.packet.kind === 'file-info' ? 24 : c.bytes.length;
      for (let n = 0; n < mustHave; n++) {
        // A cut exactly at a string's final NUL at the end of the packet is the lenient form.
        if (c.bytes[n] === 0x00 && n === c.bytes.length - 1) continue;
        expect(wireError(() => decodeFilePacket(c.bytes.subarray(0, n))).code, `${n} bytes`).toBe(WireErrorCode.SHORT_PACKET);
      }
    });
  }

  it('the file info of the capture matches the batch total', () => {
    const batch = decodeFilePacket(CAPTURES[0]!.bytes);
    const info = decodeFilePacket(CAPTURES[2]!.bytes);
    expect(batch.kind === 'batch-init' && info.kind === 'file-info' && batch.total === info.size).toBe(true);
  });
});

describe('the subdir reader mark after the NUL of the 01 NICK', () => {
  it('encodes nick NUL mark NUL byte for byte: one LNTS whose length counts all of it', () => {
    const ack = encodeFilePacket({ kind: 'init-ack', speed: 100, nick: '2002', afterNul: SUBDIR_READER_MARK });
    // 01 | SPEED 100 | LNTS length 20: "2002" 00 "icqxfer:subdir" 00
    expect(toHex(ack)).toBe(toHex(hex('01 64 00 00 00 14 00 32 30 30 32 00 69 63 71 78 66 65 72 3A 73 75 62 64 69 72 00')));
    const decoded = decodeFilePacket(ack);
    expect(decoded).toEqual({ kind: 'init-ack', speed: 100, nick: '2002', afterNul: SUBDIR_READER_MARK });
    expect(decoded.kind === 'init-ack' && readsSubdirs(decoded)).toBe(true);
  });

  it("the 01s of Licq 1.0.4 and icqlib 1.0.0 carry no mark (captures/*-receives.txt)", () => {
    const licq = decodeFilePacket(hex('01 64 00 00 00 09 00 6C 69 63 71 31 30 30 31 00'));
    const icqlib = decodeFilePacket(hex('01 64 00 00 00 07 00 69 63 71 6C 69 62 00'));
    expect(licq).toEqual({ kind: 'init-ack', speed: 100, nick: 'licq1001' });
    expect(icqlib).toEqual({ kind: 'init-ack', speed: 100, nick: 'icqlib' });
    expect(licq.kind === 'init-ack' && readsSubdirs(licq)).toBe(false);
    expect(icqlib.kind === 'init-ack' && readsSubdirs(icqlib)).toBe(false);
  });

  it('other text after the NUL, or the mark as a mere prefix, is no mark', () => {
    for (const afterNul of ['icqxfer', 'icqxfer:subdirs', 'xicqxfer:subdir', ' icqxfer:subdir']) {
      const p = decodeFilePacket(encodeFilePacket({ kind: 'init-ack', speed: 100, nick: 'n', afterNul }));
      expect(p, afterNul).toEqual({ kind: 'init-ack', speed: 100, nick: 'n', afterNul });
      expect(p.kind === 'init-ack' && readsSubdirs(p), afterNul).toBe(false);
    }
    // Garbage after an early NUL with no final NUL is kept as it is.
    expect(decodeFilePacket(hex('01 64 00 00 00 05 00 61 00 62 63'))).toEqual({ kind: 'init-ack', speed: 100, nick: 'a', afterNul: 'bc' });
  });
});

describe('leniency on decode', () => {
  it('accepts a NUL missing at the end of the nick', () => {
    expect(decodeFilePacket(hex('01 64 00 00 00 08 00 38 35 36 32 30 30 30'))).toEqual({ kind: 'init-ack', speed: 100, nick: '8562000' });
  });

  it('03 in 13 bytes has no fileNo; in 17 bytes the fileNo is read', () => {
    expect(decodeFilePacket(hex('03 10 00 00 00 00 00 00 00 64 00 00 00'))).toEqual({ kind: 'start', offset: 16, speed: 100 });
    expect(decodeFilePacket(hex('03 10 00 00 00 00 00 00 00 64 00 00 00 02 00 00 00'))).toEqual({
      kind: 'start',
      offset: 16,
      speed: 100,
      fileNo: 2,
    });
  });

  it('03 is always sent as 13 bytes, even one read with a fileNo', () => {
    const from17 = decodeFilePacket(hex('03 10 00 00 00 00 00 00 00 64 00 00 00 02 00 00 00'));
    expect(toHex(encodeFilePacket(from17))).toBe('03 10 00 00 00 00 00 00 00 64 00 00 00');
    expect(encodeFilePacket({ kind: 'start', offset: 0xffffffff, speed: 0, fileNo: 0xffffffff }).length).toBe(13);
  });

  it('05 with a 4-byte body, and with a 1-byte body', () => {
    expect(decodeFilePacket(hex('05 64 00 00 00'))).toEqual({ kind: 'speed', speed: 100 });
    expect(decodeFilePacket(hex('05 32'))).toEqual({ kind: 'speed', speed: 50 });
    expect(decodeFilePacket(hex('05 00'))).toEqual({ kind: 'speed', speed: 0 });
    expect(toHex(encodeFilePacket({ kind: 'speed', speed: FULL_SPEED }))).toBe('05 64 00 00 00');
    expect(wireError(() => decodeFilePacket(hex('05'))).code).toBe(WireErrorCode.SHORT_PACKET);
  });

  it('an empty 06 is empty data', () => {
    const p = decodeFilePacket(hex('06'));
    expect(p.kind).toBe('data');
    expect(p.kind === 'data' && p.data.length).toBe(0);
    expect(toHex(encodeFilePacket({ kind: 'data', data: Buffer.alloc(0) }))).toBe('06');
  });

  it('06 data is a view into the frame', () => {
    const frame = hex('06 01 02 03');
    const p = decodeFilePacket(frame);
    frame[1] = 0xaa;
    expect(p.kind === 'data' && toHex(p.data)).toBe('AA 02 03');
  });

  it('04 stop file', () => {
    expect(decodeFilePacket(hex('04 02 00 00 00'))).toEqual({ kind: 'stop-file', fileNo: 2 });
    expect(toHex(encodeFilePacket({ kind: 'stop-file', fileNo: 2 }))).toBe('04 02 00 00 00');
  });

  it('file info from old clients that end after SIZE or after the zero DWORD', () => {
    const name = '0D 00 63 75 72 72 65 6E 74 2E 64 69 66 66 00 01 00 00 45 78 00 00';
    expect(decodeFilePacket(hex(`02 00 ${name}`))).toEqual({ kind: 'file-info', name: 'current.diff', text: '', size: 0x7845, mtime: 0, speed: 100 });
    expect(decodeFilePacket(hex(`02 00 ${name} 00 00 00 00`))).toMatchObject({ mtime: 0, speed: 100 });
  });

  it('file info from later clients: a sub-directory in TEXT and an mtime', () => {
    const bytes = join('02 00 06 00 61 2E 6A 70 67 00 07 00 70 68 6F 74 6F 73 00 00 10 00 00 80 4B 9C 37 32 00 00 00');
    expect(decodeFilePacket(bytes)).toEqual({ kind: 'file-info', name: 'a.jpg', text: 'photos', size: 0x1000, mtime: 0x379c4b80, speed: 50 });
  });

  it('ignores trailing bytes after the known fields', () => {
    expect(decodeFilePacket(join(CAPTURES[0]!.bytes, 'EE EE'))).toEqual(CAPTURES[0]!.packet);
    expect(decodeFilePacket(hex('04 02 00 00 00 EE'))).toEqual({ kind: 'stop-file', fileNo: 2 });
  });

  it('an unknown type is UNKNOWN_PACKET, an empty body SHORT_PACKET', () => {
    for (const type of [0x07, 0x08, 0x10, 0xff]) {
      expect(wireError(() => decodeFilePacket(Buffer.from([type, 0, 0, 0, 0]))).code, String(type)).toBe(WireErrorCode.UNKNOWN_PACKET);
    }
    expect(wireError(() => decodeFilePacket(Buffer.alloc(0))).code).toBe(WireErrorCode.SHORT_PACKET);
  });

  it('maxStringLength bounds NICK, NAME and TEXT (NUL included)', () => {
    const nick = encodeFilePacket({ kind: 'init-ack', speed: 100, nick: 'abcd' });
    expect(decodeFilePacket(nick, { maxStringLength: 5 })).toMatchObject({ nick: 'abcd' });
    expect(wireError(() => decodeFilePacket(nick, { maxStringLength: 4 })).code).toBe(WireErrorCode.BAD_LENGTH);
    const info = encodeFilePacket({ kind: 'file-info', name: 'a', text: 'abcdef', size: 1, mtime: 0, speed: 100 });
    expect(wireError(() => decodeFilePacket(info, { maxStringLength: 4 })).code).toBe(WireErrorCode.BAD_LENGTH);
  });
});

const TYPE_BYTE: Record<FilePacket['kind'], number> = {
  'batch-init': FilePacketType.BATCH_INIT,
  'init-ack': FilePacketType.INIT_ACK,
  'file-info': FilePacketType.FILE_INFO,
  start: FilePacketType.START,
  'stop-file': FilePacketType.STOP_FILE,
  speed: FilePacketType.SPEED,
  data: FilePacketType.DATA,
};

describe('round-trips', () => {
  const MAX = 0xffffffff;
  // The longest string one LNTS holds; file-info with it no longer fits a frame, which is the
  // transfer layer's business, not the codec's.
  const LONGEST = 'n'.repeat(0xfffe);
  const packets: FilePacket[] = [
    { kind: 'batch-init', count: 0, total: 0, speed: 0, nick: '' },
    { kind: 'batch-init', count: MAX, total: MAX, speed: MAX, nick: LONGEST },
    { kind: 'init-ack', speed: 0, nick: '' },
    { kind: 'init-ack', speed: MAX, nick: '\u00e9\u00ff' },
    { kind: 'file-info', name: '', text: '', size: 0, mtime: 0, speed: 0 },
    { kind: 'file-info', name: LONGEST, text: LONGEST, size: MAX, mtime: MAX, speed: MAX },
    { kind: 'start', offset: 0, speed: 0 },
    { kind: 'start', offset: MAX, speed: MAX },
    { kind: 'stop-file', fileNo: 0 },
    { kind: 'stop-file', fileNo: MAX },
    { kind: 'speed', speed: 0 },
    { kind: 'speed', speed: MAX },
    { kind: 'data', data: Buffer.alloc(0) },
    { kind: 'data', data: Buffer.alloc(MAX_FRAME_BODY - 1, 0xa5) },
  ];

  for (const p of packets) {
    const label = JSON.stringify(p, (k, v: unknown) => (typeof v === 'string' && v.length > 8 ? `${v.length} chars` : k === 'data' ? '…' : v));
    it(label, () => {
      const bytes = encodeFilePacket(p);
      expect(bytes[0]).toBe(TYPE_BYTE[p.kind]);
      const back = decodeFilePacket(bytes);
      // Buffer.equals: a deep toEqual walks 64 KiB of data element by element.
      if (p.kind === 'data') expect(back.kind === 'data' && back.data.equals(p.data)).toBe(true);
      else expect(back).toEqual(p);
      expect(encodeFilePacket(back).equals(bytes)).toBe(true);
    });
  }

  it('a file name outside latin1 is sent as UTF-8 and comes back as its bytes in latin1', () => {
    const bytes = encodeFilePacket({ kind: 'file-info', name: '\u65e5.txt', text: '', size: 1, mtime: 0, speed: 100 });
    expect(toHex(bytes.subarray(2, 12))).toBe('08 00 E6 97 A5 2E 74 78 74 00');
    const back = decodeFilePacket(bytes);
    expect(back.kind === 'file-info' && Buffer.from(back.name, 'latin1').toString('utf8')).toBe('\u65e5.txt');
  });
});

describe('writeDataFrameHeader', () => {
  it('writes WORD length (1 + n) and the 06 type byte', () => {
    const buf = Buffer.alloc(5);
    writeDataFrameHeader(buf, 1, DATA_CHUNK_SIZE);
    expect(toHex(buf)).toBe('00 01 08 06 00');
    expect(DATA_FRAME_OVERHEAD).toBe(3);
  });

  it('produces frames that FrameDecoder and decodeFilePacket read back', () => {
    const sizes = [DATA_CHUNK_SIZE, DATA_CHUNK_SIZE, 5, 0, 255, 256, MAX_FRAME_BODY - 1];
    const chunks = sizes.map((n, i) => Buffer.alloc(n, i + 1));
    const wire = Buffer.alloc(sizes.reduce((sum, n) => sum + DATA_FRAME_OVERHEAD + n, 0));
    let at = 0;
    for (const c of chunks) {
      writeDataFrameHeader(wire, at, c.length);
      c.copy(wire, at + DATA_FRAME_OVERHEAD);
      at += DATA_FRAME_OVERHEAD + c.length;
    }
    const got: Buffer[] = [];
    const decoder = new FrameDecoder();
    // Whole, and split into awkward pieces.
    for (const pieces of [[wire], [wire.subarray(0, 1), wire.subarray(1, 2050), wire.subarray(2050, 4099), wire.subarray(4099)]]) {
      got.length = 0;
      for (const piece of pieces) {
        decoder.push(piece, (body) => {
          const p = decodeFilePacket(body);
          if (p.kind !== 'data') throw new Error(`unexpected ${p.kind}`);
          got.push(p.data);
        });
      }
      expect(decoder.bufferedBytes).toBe(0);
      expect(got.length).toBe(chunks.length);
      got.forEach((g, i) => expect(g.equals(chunks[i]!), `chunk ${i}`).toBe(true));
    }
  });

  it('matches encodeFilePacket for the same data', () => {
    const data = hex('01 02 03');
    const buf = Buffer.alloc(DATA_FRAME_OVERHEAD + 3);
    writeDataFrameHeader(buf, 0, 3);
    data.copy(buf, DATA_FRAME_OVERHEAD);
    expect(toHex(buf)).toBe(toHex(join('04 00', encodeFilePacket({ kind: 'data', data }))));
  });

  it('refuses a chunk that does not fit one frame instead of wrapping the length', () => {
    const buf = Buffer.alloc(3);
    expect(() => writeDataFrameHeader(buf, 0, MAX_FRAME_BODY)).toThrow(RangeError);
    expect(() => writeDataFrameHeader(buf, 0, -1)).toThrow(RangeError);
    writeDataFrameHeader(buf, 0, MAX_FRAME_BODY - 1);
    expect(toHex(buf)).toBe('FF FF 06');
  });
});
