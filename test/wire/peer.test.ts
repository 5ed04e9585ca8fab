import { describe, expect, it } from 'vitest';
import { WireErrorCode } from '../../src/wire/errors.js';
import {
  CMD_TYPE_ACK,
  CMD_TYPE_REQUEST,
  INIT_PACKET_LENGTH,
  PeerCommand,
  PeerMessageType,
  PeerStatus,
  TCP_FLAG_DIRECT,
  TCP_VERSION,
  TcpSequence,
  ackFor,
  batchFileName,
  cancelFor,
  decodeInit,
  decodePeerMessage,
  encodeInit,
  encodePeerMessage,
  fileAccept,
  filePortFromAck,
  fileRefuse,
  fileRequest,
  isInitPacket,
  isReadAwayType,
  textMessage,
} from '../../src/wire/peer.js';
import type { InitPacket, PeerEndpoint, PeerMessage } from '../../src/wire/peer.js';
import { hex, join, toHex } from '../helpers/hex.js';
import { wireError } from '../helpers/errors.js';


function roundTrip(m: PeerMessage): PeerMessage {
  return decodePeerMessage(encodePeerMessage(m));
}

// The file sender (UIN 1001 = E9 03 00 00) and the receiver (1002 = EA 03 00 00), both on
// 127.0.0.1 (7F 00 00 01), their sockets on ports 0x1234 and 0x5678.
const SENDER: PeerEndpoint = { uin: 1001, ip: '127.0.0.1', port: 0x1234 };
const RECEIVER: PeerEndpoint = { uin: 1002, ip: '127.0.0.1', port: 0x5678 };
const SENDER_HEAD = 'E9 03 00 00 | 02 00';
const RECEIVER_HEAD = 'EA 03 00 00 | 02 00';
const SENDER_SOCKET = '7F 00 00 01 | 7F 00 00 01 | 34 12 00 00 | 04';
const RECEIVER_SOCKET = '7F 00 00 01 | 7F 00 00 01 | 78 56 00 00 | 04';
const h = (s: string) => hex(s.replace(/\|/g, ' '));

describe('init packet (§3.2)', () => {
  const CAPTURE = hex('FF 03 00 00 00 3D 62 00 00 50 A5 82 00 CF 60 AD 95 CF 60 AD 95 04 3D 62 00 00');
  const DECODED: InitPacket = {
    version: 3,
    msgPort: 0x623d,
    uin: 0x0082a550,
    ip: '207.96.173.149',
    realIp: '207.96.173.149',
    tcpFlag: 0x04,
    otherPort: 0x623d,
  };

  it('decodes the Licq capture', () => {
    expect(CAPTURE.length).toBe(INIT_PACKET_LENGTH);
    expect(isInitPacket(CAPTURE)).toBe(true);
    expect(decodeInit(CAPTURE)).toEqual(DECODED);
    expect(DECODED.uin).toBe(8562000);
  });

  it('re-encodes the capture byte for byte', () => {
    expect(toHex(encodeInit(DECODED))).toBe(toHex(CAPTURE));
  });

  it('encodes ours: version 2, ports LE, IPs in network order', () => {
    const ours: InitPacket = { version: TCP_VERSION, msgPort: 0, uin: 1001, ip: '127.0.0.1', realIp: '127.0.0.1', tcpFlag: TCP_FLAG_DIRECT, otherPort: 0x1f90 };
    expect(toHex(encodeInit(ours))).toBe(toHex(h('FF | 02 00 00 00 | 00 00 00 00 | E9 03 00 00 | 7F 00 00 01 | 7F 00 00 01 | 04 | 90 1F 00 00')));
  });

  it('accepts any version in a 26-byte init and reads the rest the same (§3.2)', () => {
    for (const version of [0, 1, 2, 3, 4, 5, 6, 7, 0x0100_0003, 0xffffffff]) {
      const body = Buffer.from(CAPTURE);
      body.writeUInt32LE(version, 1);
      expect(decodeInit(body), String(version)).toEqual({ ...DECODED, version });
    }
  });

  it("decodes Licq 1.0.4's version-6 init: both ports the socket's own, IPs 0 (captures/licq-1.0.4-sends.txt)", () => {
    const licq = h('FF 06 00 00 00 2C B9 00 00 E9 03 00 00 00 00 00 00 00 00 00 00 04 2C B9 00 00');
    expect(decodeInit(licq)).toEqual({ version: 6, msgPort: 0xb92c, uin: 1001, ip: '0.0.0.0', realIp: '0.0.0.0', tcpFlag: 4, otherPort: 0xb92c });
  });

  it('accepts icqlib oddities in ports and a longer init', () => {
    // icqlib: message port as a big-endian WORD + 00 00, garbage in the last DWORD.
    const icqlib = h('FF 02 00 00 00 | 62 3D 00 00 | 50 A5 82 00 | CF 60 AD 95 | 00 00 00 00 | 04 | DE AD BE EF');
    expect(decodeInit(icqlib).uin).toBe(0x0082a550);
    expect(decodeInit(join(CAPTURE, '01 02 03')).uin).toBe(0x0082a550);
  });

  it('refuses a packet that does not start with FF, and every truncation', () => {
    expect(isInitPacket(hex('FE'))).toBe(false);
    expect(isInitPacket(Buffer.alloc(0))).toBe(false);
    expect(wireError(() => decodeInit(join('FE', CAPTURE.subarray(1)))).code).toBe(WireErrorCode.UNKNOWN_PACKET);
    for (let n = 0; n < CAPTURE.length; n++) {
      expect(wireError(() => decodeInit(CAPTURE.subarray(0, n))).code, `${n} bytes`).toBe(WireErrorCode.SHORT_PACKET);
    }
  });

  it('round-trips the extremes', () => {
    const max: InitPacket = { version: 4, msgPort: 0xffffffff, uin: 0xffffffff, ip: '255.255.255.255', realIp: '0.0.0.0', tcpFlag: 0xff, otherPort: 0xffffffff };
    expect(decodeInit(encodeInit(max))).toEqual(max);
    const zero: InitPacket = { version: 2, msgPort: 0, uin: 0, ip: '0.0.0.0', realIp: '0.0.0.0', tcpFlag: 0, otherPort: 0 };
    expect(decodeInit(encodeInit(zero))).toEqual(zero);
  });
});

describe('file request (§3.4)', () => {
  const REQUEST = fileRequest(SENDER, { description: 'hi', fileName: 'a.txt', totalSize: 0x01020304, seq: 0xfffffffe });
  const REQUEST_BYTES = h(`${SENDER_HEAD} | EE 07 | 00 00 | E9 03 00 00 | 03 00 | 03 00 68 69 00 | ${SENDER_SOCKET} | 00 00 | 10 00
    | 00 00 | 00 00 | 06 00 61 2E 74 78 74 00 | 04 03 02 01 | 00 00 00 00 | FE FF FF FF`);

  it('encodes a one-file request byte for byte', () => {
    expect(toHex(encodePeerMessage(REQUEST))).toBe(toHex(REQUEST_BYTES));
  });

  it('encodes a batch request as "N Files" with the total size', () => {
    const batch = fileRequest(SENDER, { description: '', fileName: batchFileName(3, 'a.txt'), totalSize: 0xffffffff, seq: 0xfffffffd });
    const expected = h(`${SENDER_HEAD} | EE 07 | 00 00 | E9 03 00 00 | 03 00 | 01 00 00 | ${SENDER_SOCKET} | 00 00 | 10 00
      | 00 00 | 00 00 | 08 00 33 20 46 69 6C 65 73 00 | FF FF FF FF | 00 00 00 00 | FD FF FF FF`);
    expect(toHex(encodePeerMessage(batch))).toBe(toHex(expected));
    expect(batchFileName(1, 'only.bin')).toBe('only.bin');
    expect(batchFileName(12, 'x')).toBe('12 Files');
  });

  it('decodes the request to the right fields', () => {
    const m = decodePeerMessage(REQUEST_BYTES);
    expect(m).toEqual({
      uin: 1001,
      version: 2,
      command: PeerCommand.MESSAGE,
      uin2: 1001,
      type: PeerMessageType.FILE,
      text: 'hi',
      ip: '127.0.0.1',
      realIp: '127.0.0.1',
      port: 0x1234,
      flag: 4,
      status: 0,
      cmdType: CMD_TYPE_REQUEST,
      file: { portBe: 0, pad: 0, fileName: 'a.txt', totalSize: 0x01020304, port: 0 },
      seq: 0xfffffffe,
    });
  });

  it('a request carries STATUS 0 even when the sender is away', () => {
    const away = fileRequest({ ...SENDER, status: PeerStatus.AWAY }, { description: '', fileName: 'f', totalSize: 1, seq: 1 });
    expect(away.status).toBe(PeerStatus.ONLINE);
    expect(textMessage({ ...SENDER, status: PeerStatus.NA }, 'x', 1).status).toBe(PeerStatus.ONLINE);
  });

  describe('accept ACK (§3.5)', () => {
    // File port 8080 = 0x1F90: big-endian 1F 90 first, little-endian 90 1F 00 00 last.
    const ACCEPT_BYTES = h(`${RECEIVER_HEAD} | DA 07 | 00 00 | EA 03 00 00 | 03 00 | 01 00 00 | ${RECEIVER_SOCKET} | 00 00 | 00 00
      | 1F 90 | 00 00 | 01 00 00 | 00 00 00 00 | 90 1F 00 00 | FE FF FF FF`);

    it('encodes byte for byte, with the request SEQ', () => {
      expect(toHex(encodePeerMessage(fileAccept(RECEIVER, REQUEST, 8080)))).toBe(toHex(ACCEPT_BYTES));
    });

    it('carries STATUS 0 even when the receiver is away', () => {
      const m = fileAccept({ ...RECEIVER, status: PeerStatus.AWAY }, REQUEST, 8080);
      expect(m.status).toBe(PeerStatus.ONLINE);
      expect(toHex(encodePeerMessage(m))).toBe(toHex(ACCEPT_BYTES));
    });

    it('carries an auto-reply text', () => {
      const m = decodePeerMessage(encodePeerMessage(fileAccept(RECEIVER, REQUEST, 8080, 'back soon')));
      expect(m.text).toBe('back soon');
      expect(m.status).toBe(0);
      expect(filePortFromAck(m.file!)).toBe(8080);
    });

    it('decodes, and filePortFromAck reads the LE port', () => {
      const m = decodePeerMessage(ACCEPT_BYTES);
      expect(m.command).toBe(PeerCommand.ACK);
      expect(m.cmdType).toBe(CMD_TYPE_ACK);
      expect(m.seq).toBe(0xfffffffe);
      expect(m.file).toEqual({ portBe: 8080, pad: 0, fileName: '', totalSize: 0, port: 8080 });
      expect(filePortFromAck(m.file!)).toBe(8080);
    });

    it('falls back to the byte-swapped first WORD when the LE port is 0', () => {
      const beOnly = h(`${RECEIVER_HEAD} | DA 07 | 00 00 | EA 03 00 00 | 03 00 | 01 00 00 | ${RECEIVER_SOCKET} | 00 00 | 00 00
        | 1F 90 | 00 00 | 01 00 00 | 00 00 00 00 | 00 00 00 00 | FE FF FF FF`);
      const m = decodePeerMessage(beOnly);
      expect(m.file!.port).toBe(0);
      expect(filePortFromAck(m.file!)).toBe(8080);
    });

    it('prefers the LE port when both are set and differ', () => {
      expect(filePortFromAck({ portBe: 0x1111, pad: 0, fileName: '', totalSize: 0, port: 0x2222 })).toBe(0x2222);
    });
  });

  it('encodes the refuse ACK byte for byte: STATUS 1, the reason, a zero tail', () => {
    const expected = h(`${RECEIVER_HEAD} | DA 07 | 00 00 | EA 03 00 00 | 03 00 | 03 00 6E 6F 00 | ${RECEIVER_SOCKET} | 01 00 | 00 00
      | 00 00 00 00 | 01 00 00 | 00 00 00 00 | 00 00 00 00 | FE FF FF FF`);
    const refuse = fileRefuse(RECEIVER, REQUEST, 'no');
    expect(toHex(encodePeerMessage(refuse))).toBe(toHex(expected));
    const m = decodePeerMessage(expected);
    expect(m.status).toBe(PeerStatus.REFUSE);
    expect(m.text).toBe('no');
    expect(filePortFromAck(m.file!)).toBe(0);
  });

  it('encodes the cancel byte for byte: the request TYPE and SEQ, empty fields, CMD_TYPE 0x0010', () => {
    const expected = h(`${SENDER_HEAD} | D0 07 | 00 00 | E9 03 00 00 | 03 00 | 01 00 00 | ${SENDER_SOCKET} | 00 00 | 10 00
      | 00 00 | 00 00 | 01 00 00 | 00 00 00 00 | 00 00 00 00 | FE FF FF FF`);
    expect(toHex(encodePeerMessage(cancelFor(SENDER, REQUEST)))).toBe(toHex(expected));
    const m = decodePeerMessage(expected);
    expect(m.command).toBe(PeerCommand.CANCEL);
    expect(m.type).toBe(PeerMessageType.FILE);
    expect(m.seq).toBe(REQUEST.seq);
  });

  it('a cancel of a plain message has no tail', () => {
    const msg = textMessage(SENDER, 'hello', 0x10);
    const expected = h(`${SENDER_HEAD} | D0 07 | 00 00 | E9 03 00 00 | 01 00 | 01 00 00 | ${SENDER_SOCKET} | 00 00 | 10 00 | 10 00 00 00`);
    expect(toHex(encodePeerMessage(cancelFor(SENDER, msg)))).toBe(toHex(expected));
  });
});

describe('plain message and its ACK (§3.3)', () => {
  const MESSAGE_BYTES = h(`${SENDER_HEAD} | EE 07 | 00 00 | E9 03 00 00 | 01 00 | 06 00 68 65 6C 6C 6F 00 | ${SENDER_SOCKET} | 00 00 | 10 00
    | FD FF FF FF`);
  const ACK_BYTES = h(`${RECEIVER_HEAD} | DA 07 | 00 00 | EA 03 00 00 | 01 00 | 01 00 00 | ${RECEIVER_SOCKET} | 00 00 | 00 00 | FD FF FF FF`);

  it('encodes the message byte for byte', () => {
    expect(toHex(encodePeerMessage(textMessage(SENDER, 'hello', 0xfffffffd)))).toBe(toHex(MESSAGE_BYTES));
  });

  it('encodes its ACK byte for byte, with the message SEQ', () => {
    const request = decodePeerMessage(MESSAGE_BYTES);
    expect(toHex(encodePeerMessage(ackFor(RECEIVER, request)))).toBe(toHex(ACK_BYTES));
  });

  it('an ACK carries our status by default, or the one given', () => {
    const request = decodePeerMessage(MESSAGE_BYTES);
    expect(ackFor({ ...RECEIVER, status: PeerStatus.AWAY }, request, 'gone').status).toBe(PeerStatus.AWAY);
    expect(ackFor({ ...RECEIVER, status: PeerStatus.AWAY }, request, '', PeerStatus.DND).status).toBe(PeerStatus.DND);
    const away = encodePeerMessage(ackFor({ ...RECEIVER, status: PeerStatus.NA }, request, 'zzz'));
    expect(toHex(away)).toBe(
      toHex(h(`${RECEIVER_HEAD} | DA 07 | 00 00 | EA 03 00 00 | 01 00 | 04 00 7A 7A 7A 00 | ${RECEIVER_SOCKET} | 0E 00 | 00 00 | FD FF FF FF`)),
    );
  });

  it('a read-away request is answered with an ACK of the same type', () => {
    expect(isReadAwayType(PeerMessageType.READ_AWAY)).toBe(true);
    expect(isReadAwayType(PeerMessageType.READ_FFC)).toBe(true);
    expect(isReadAwayType(PeerMessageType.MESSAGE)).toBe(false);
    expect(isReadAwayType(0x03ed)).toBe(false);
    const req: PeerMessage = { ...textMessage(SENDER, '', 5), type: PeerMessageType.READ_AWAY };
    const ack = roundTrip(ackFor(RECEIVER, req, 'out to lunch', PeerStatus.AWAY));
    expect(ack.type).toBe(PeerMessageType.READ_AWAY);
    expect(ack.text).toBe('out to lunch');
    expect(ack.seq).toBe(5);
  });
});

describe('decoding what real clients send', () => {
  const MESSAGE = encodePeerMessage(textMessage(SENDER, 'hello', 0xfffffff0));

  it('reads versions 2, 3 and 6 in the plain layout; 4 and 5 are UNSUPPORTED_VERSION; others BAD_VERSION', () => {
    for (const version of [2, 3, 6]) {
      const body = Buffer.from(MESSAGE);
      body.writeUInt16LE(version, 4);
      expect(decodePeerMessage(body)).toMatchObject({ version, text: 'hello', seq: 0xfffffff0 });
    }
    for (const version of [4, 5]) {
      const body = Buffer.from(MESSAGE);
      body.writeUInt16LE(version, 4);
      const err = wireError(() => decodePeerMessage(body));
      expect(err.code, String(version)).toBe(WireErrorCode.UNSUPPORTED_VERSION);
      expect(err.message).toContain(`version ${version} is encrypted`);
    }
    for (const version of [0, 1, 7, 0x0200, 0xffff]) {
      const body = Buffer.from(MESSAGE);
      body.writeUInt16LE(version, 4);
      expect(wireError(() => decodePeerMessage(body)).code, String(version)).toBe(WireErrorCode.BAD_VERSION);
    }
  });

  it("decodes Licq 1.0.4's version-6 file request with SEQ FF FF FF FF and the 'L' trailer (captures/licq-1.0.4-sends.txt)", () => {
    const licq = h(`E9 03 00 00 06 00 EE 07 00 00 E9 03 00 00 03 00 01 00 00 00 00 00 00 00 00 00 00 2C B9 00 00 04 00 00 10 00
      00 00 00 00 0B 00 74 77 6F 30 34 39 2E 62 69 6E 00 01 08 00 00 00 00 00 00 FF FF FF FF 4C EC 03`);
    expect(decodePeerMessage(licq)).toEqual({
      uin: 1001,
      version: 6,
      command: PeerCommand.MESSAGE,
      uin2: 1001,
      type: PeerMessageType.FILE,
      text: '',
      ip: '0.0.0.0',
      realIp: '0.0.0.0',
      port: 0xb92c,
      flag: 4,
      status: 0,
      cmdType: 0x0010,
      file: { portBe: 0, pad: 0, fileName: 'two049.bin', totalSize: 2049, port: 0 },
      seq: 0xffffffff,
    });
  });

  it("decodes Licq 1.0.4's refusal: a plain v2 ACK, STATUS 1, reason, all ports 0 (captures/licq-1.0.4-refuses.txt)", () => {
    const refusal = h(`E9 03 00 00 02 00 DA 07 00 00 E9 03 00 00 03 00 0A 00 6E 6F 2D 74 68 61 6E 6B 73 00 00 00 00 00 00 00 00 00
      43 DB 00 00 04 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 FE FF FF FF`);
    const m = decodePeerMessage(refusal);
    expect(m).toMatchObject({ version: 2, command: PeerCommand.ACK, status: PeerStatus.REFUSE, text: 'no-thanks', seq: 0xfffffffe });
    expect(filePortFromAck(m.file!)).toBe(0);
  });

  it("ignores trailing bytes after SEQ (Licq's 'L' + WORD)", () => {
    const licq = join(MESSAGE, '4C 03 00');
    const m = decodePeerMessage(licq);
    expect(m.seq).toBe(0xfffffff0);
    expect(m.text).toBe('hello');
    const fileReq = encodePeerMessage(fileRequest(SENDER, { description: '', fileName: 'x', totalSize: 9, seq: 7 }));
    expect(decodePeerMessage(join(fileReq, '4C 03 00')).seq).toBe(7);
  });

  it('accepts CMD_TYPE values other than 0x0010 and keeps them', () => {
    for (const cmdType of [0x0000, 0x0020, 0x0040, 0x0110, 0x1010, 0xffff]) {
      const m = roundTrip({ ...textMessage(SENDER, 'x', 1), cmdType });
      expect(m.cmdType).toBe(cmdType);
    }
  });

  it('accepts the Win3.1 client flag 02 and any TYPE', () => {
    expect(roundTrip({ ...textMessage(SENDER, 'x', 1), flag: 0x02 }).flag).toBe(0x02);
    expect(roundTrip({ ...textMessage(SENDER, 'x', 1), type: 0x0013 }).type).toBe(0x0013);
  });

  it('refuses an unknown COMMAND with UNKNOWN_PACKET', () => {
    const body = Buffer.from(MESSAGE);
    body.writeUInt16LE(0x07ef, 6);
    expect(wireError(() => decodePeerMessage(body)).code).toBe(WireErrorCode.UNKNOWN_PACKET);
  });

  it('refuses every truncation with SHORT_PACKET', () => {
    const file = encodePeerMessage(fileRequest(SENDER, { description: 'd', fileName: 'f.bin', totalSize: 3, seq: 3 }));
    for (const body of [MESSAGE, file]) {
      for (let n = 0; n < body.length; n++) {
        // The missing-NUL leniency never rescues a truncation: fixed fields follow every string.
        expect(wireError(() => decodePeerMessage(body.subarray(0, n))).code, `${n} bytes`).toBe(WireErrorCode.SHORT_PACKET);
      }
    }
  });

  it('maxTextLength bounds TEXT and FILENAME (NUL included)', () => {
    const m = encodePeerMessage(fileRequest(SENDER, { description: 'abcd', fileName: 'ab', totalSize: 1, seq: 1 }));
    expect(decodePeerMessage(m, { maxTextLength: 5 }).text).toBe('abcd');
    expect(wireError(() => decodePeerMessage(m, { maxTextLength: 4 })).code).toBe(WireErrorCode.BAD_LENGTH);
    const longName = encodePeerMessage(fileRequest(SENDER, { description: '', fileName: 'abcdefgh', totalSize: 1, seq: 1 }));
    expect(wireError(() => decodePeerMessage(longName, { maxTextLength: 5 })).code).toBe(WireErrorCode.BAD_LENGTH);
  });
});

describe('round-trips of every builder', () => {
  const ZERO: PeerEndpoint = { uin: 0, ip: '0.0.0.0', port: 0 };
  const MAX: PeerEndpoint = { uin: 0xffffffff, ip: '255.255.255.255', port: 0xffffffff, status: PeerStatus.NA };
  const request = (from: PeerEndpoint, s: string, n: number) => fileRequest(from, { description: s, fileName: s, totalSize: n, seq: n });

  const cases: [string, (from: PeerEndpoint, s: string, n: number) => PeerMessage][] = [
    ['fileRequest', request],
    ['fileAccept', (from, s, n) => fileAccept(from, request(from, s, n), n & 0xffff, s)],
    ['fileRefuse', (from, s, n) => fileRefuse(from, request(from, s, n), s)],
    ['ackFor (file)', (from, s, n) => ackFor(from, request(from, s, n), s)],
    ['ackFor (message)', (from, s, n) => ackFor(from, textMessage(from, s, n), s, n & 0xffff)],
    ['cancelFor (file)', (from, s, n) => cancelFor(from, request(from, s, n))],
    ['cancelFor (message)', (from, s, n) => cancelFor(from, textMessage(from, s, n))],
    ['textMessage', (from, s, n) => textMessage(from, s, n)],
    ['chat request', (from, s, n) => ({ ...textMessage(from, s, n), type: PeerMessageType.CHAT, chat: { text: s, portBe: n & 0xffff, pad: 0, port: n } })],
    ['ackFor (chat)', (from, s, n) => ackFor(from, { ...textMessage(from, s, n), type: PeerMessageType.CHAT }, s, PeerStatus.REFUSE)],
  ];
  const texts = ['', 'x', '\u00e9t\u00e9 \u00ff', 'y'.repeat(1000)];

  for (const [name, build] of cases) {
    it(name, () => {
      for (const [from, n] of [
        [ZERO, 0],
        [MAX, 0xffffffff],
        [SENDER, 0x80000000],
      ] as const) {
        for (const s of texts) {
          const m = build(from, s, n);
          expect(roundTrip(m), `${name} ${JSON.stringify(s).slice(0, 20)} ${n}`).toEqual(m);
        }
      }
    });
  }

  it('encoding a decoded packet gives the same bytes', () => {
    for (const [, build] of cases) {
      const bytes = encodePeerMessage(build(SENDER, 'abc', 0x12345678));
      expect(toHex(encodePeerMessage(decodePeerMessage(bytes)))).toBe(toHex(bytes));
    }
  });

  it('the chat tail is text, big-endian port, pad, LE port', () => {
    const chat: PeerMessage = { ...textMessage(SENDER, '', 1), type: PeerMessageType.CHAT, chat: { text: '', portBe: 0x1f90, pad: 0, port: 0x1f90 } };
    const bytes = encodePeerMessage(chat);
    expect(toHex(bytes.subarray(bytes.length - 15))).toBe(toHex(h('01 00 00 | 1F 90 | 00 00 | 90 1F 00 00 | 01 00 00 00')));
  });
});

describe('TcpSequence (§3.3)', () => {
  it('starts at 0xFFFFFFFE', () => {
    const seq = new TcpSequence();
    expect(seq.current).toBe(0xfffffffe);
    expect(seq.take()).toBe(0xfffffffe);
  });

  it('take() and observe() both move it down by one', () => {
    const seq = new TcpSequence();
    expect(seq.take()).toBe(0xfffffffe);
    seq.observe();
    expect(seq.current).toBe(0xfffffffc);
    expect(seq.take()).toBe(0xfffffffc);
    expect(seq.take()).toBe(0xfffffffb);
    seq.observe();
    seq.observe();
    expect(seq.take()).toBe(0xfffffff8);
  });

  it('ACKs and cancels reuse the request SEQ and do not move the counter', () => {
    const seq = new TcpSequence();
    const request = fileRequest(SENDER, { description: '', fileName: 'f', totalSize: 1, seq: seq.take() });
    const before = seq.current;
    expect(fileAccept(RECEIVER, request, 1).seq).toBe(request.seq);
    expect(fileRefuse(RECEIVER, request, '').seq).toBe(request.seq);
    expect(ackFor(RECEIVER, request).seq).toBe(request.seq);
    expect(cancelFor(SENDER, request).seq).toBe(request.seq);
    expect(seq.current).toBe(before);
  });

  it('wraps from 0 to 0xFFFFFFFF', () => {
    const seq = new TcpSequence(1);
    expect(seq.take()).toBe(1);
    expect(seq.take()).toBe(0);
    expect(seq.take()).toBe(0xffffffff);
    const observed = new TcpSequence(0);
    observed.observe();
    expect(observed.current).toBe(0xffffffff);
  });
});
