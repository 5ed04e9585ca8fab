import { describe, expect, it } from 'vitest';
import { IcqProtocolError } from '../../src/wire/errors.js';
import {
  type ClientPacket,
  type ServerPacket,
  UdpCommand,
  decodeClientHeader,
  decodeClientPacket,
  decodeServerHeader,
  decodeServerPacket,
  encodeClientPacket,
  encodeServerPacket,
  isReliableServerCommand,
  loginPacket,
  logoutPacket,
  tcpRequestPacket,
} from '../../src/wire/udp.js';
import { mulberry32 as rng } from '../helpers/prng.js';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function toHex(b: Buffer): string {
  return b.toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
}

// docs/protocol.md §6
const CAPTURED_LOGIN = hex(`02 00 E8 03 08 00 8F 76 20 00 34 4A 00 00 08 00 5B 63 65 50 61 62 43 00 72 00 04 00
  7F 00 00 01 04 00 00 00 00 03 00 00 00 02 00 00 00 00 00 04 00 72 00`);
const CAPTURED_ONLINE = hex(`02 00 6E 00 0B 00 8F 76 20 00 CD CD 77 90 3F 50 00 00 7F 00 00 01 04 00 00 00 00
  03 00 00 00`);
const CAPTURED_ACK = hex('02 00 0A 00 12 00');

function expectProtocolError(fn: () => unknown, code: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(IcqProtocolError);
  expect((err as IcqProtocolError).code).toBe(code);
}

describe('docs/protocol.md §6 captures', () => {
  it('decodes the Licq login and re-encodes it byte for byte', () => {
    const p = decodeClientPacket(CAPTURED_LOGIN);
    expect(p).toEqual({
      kind: 'login',
      seq: 8,
      uin: 0x0020768f,
      port: 0x4a34,
      password: '[cePabC',
      x1: 0x00040072,
      ip: '127.0.0.1',
      tcpFlag: 4,
      status: 0,
      tcpVersion: 3,
      loginSeq: 2,
      x4: 0,
      x5: 0x00720004,
    });
    expect(CAPTURED_LOGIN.length).toBe(43 + 8);
    expect(toHex(encodeClientPacket(p))).toBe(toHex(CAPTURED_LOGIN));
  });

  it('decodes the captured USER_ONLINE and re-encodes it', () => {
    const p = decodeServerPacket(CAPTURED_ONLINE);
    expect(p).toEqual({
      kind: 'user-online',
      seq: 0x0b,
      uin: 0x0020768f,
      ip: '205.205.119.144',
      port: 0x503f,
      realIp: '127.0.0.1',
      tcpFlag: 4,
      status: 0,
      tcpVersion: 3,
    });
    expect(toHex(encodeServerPacket(p))).toBe(toHex(CAPTURED_ONLINE));
  });

  it('decodes the captured server ACK and re-encodes it', () => {
    const p = decodeServerPacket(CAPTURED_ACK);
    expect(p).toEqual({ kind: 'ack', seq: 0x12 });
    expect(toHex(encodeServerPacket(p))).toBe(toHex(CAPTURED_ACK));
  });
});

describe('byte-exact encodings', () => {
  it('LOGIN from loginPacket() uses the §2.3 constants', () => {
    const b = encodeClientPacket(
      loginPacket({ seq: 1, uin: 1001, password: 'pw', port: 0x1234, ip: '192.168.1.2', status: 0 }),
    );
    expect(toHex(b)).toBe(
      toHex(hex(`02 00 E8 03 01 00 E9 03 00 00 34 12 00 00 03 00 70 77 00 72 00 04 00
        C0 A8 01 02 04 00 00 00 00 02 00 00 00 02 00 00 00 00 00 04 00 72 00`)),
    );
    expect(b.length).toBe(43 + 3);
  });

  it('LOGIN without a port says not TCP capable (06)', () => {
    const p = loginPacket({ seq: 1, uin: 1, password: '' });
    expect(p.tcpFlag).toBe(0x06);
    expect(encodeClientPacket(p).length).toBe(43 + 1);
  });

  it('LOGIN_REPLY is 32 parameter bytes ending in the 22 constants', () => {
    const b = encodeServerPacket({ kind: 'login-reply', seq: 0, uin: 0x0020768f, ip: '127.0.0.1', loginSeq: 2 });
    expect(toHex(b)).toBe(
      toHex(hex(`02 00 5A 00 00 00 8F 76 20 00 7F 00 00 01 02 00
        01 00 01 00 13 00 16 00 8C 00 00 00 78 00 05 00 0A 00 05 00 01 00`)),
    );
    expect(b.length - 6).toBe(32);
  });

  it('USER_ONLINE has a 25-byte body', () => {
    const b = encodeServerPacket({
      kind: 'user-online',
      seq: 3,
      uin: 1002,
      ip: '10.0.0.1',
      port: 5000,
      realIp: '192.168.0.7',
      tcpFlag: 4,
      status: 1,
      tcpVersion: 2,
    });
    expect(toHex(b)).toBe(toHex(hex('02 00 6E 00 03 00 EA 03 00 00 0A 00 00 01 88 13 00 00 C0 A8 00 07 04 01 00 00 00 02 00 00 00')));
    expect(b.length - 6).toBe(25);
  });

  it('logout is 14 00 "B_USER_DISCONNECTED" 00 05 00, 34 bytes in all', () => {
    const b = encodeClientPacket(logoutPacket(9, 1001));
    expect(toHex(b)).toBe(
      toHex(Buffer.concat([hex('02 00 38 04 09 00 E9 03 00 00 14 00'), Buffer.from('B_USER_DISCONNECTED'), hex('00 05 00')])),
    );
    expect(b.length).toBe(34);
  });

  it('0x015E request and its relayed form', () => {
    const req = tcpRequestPacket({ seq: 4, uin: 1001, target: 1002, ip: '127.0.0.1', port: 0x1388, otherPort: 0x1770 });
    const b = encodeClientPacket(req);
    const body23 = 'EA 03 00 00 7F 00 00 01 88 13 00 00 04 70 17 00 00 88 13 00 00 02 00';
    expect(toHex(b)).toBe(toHex(hex(`02 00 5E 01 04 00 E9 03 00 00 ${body23}`)));
    expect(b.length).toBe(10 + 23);
    const decoded = decodeClientPacket(b);
    const { kind: _k, seq: _s, uin: requesterUin, ...fields } = decoded as Extract<ClientPacket, { kind: 'tcp-request' }>;
    const relayed = encodeServerPacket({ kind: 'tcp-request-relayed', seq: 7, requesterUin, ...fields });
    expect(toHex(relayed)).toBe(toHex(hex(`02 00 5E 01 07 00 E9 03 00 00 ${body23} 00 00 00 00 00 00 00 00`)));
    expect(relayed.length).toBe(6 + 4 + 23 + 8);
  });

  it('contact list COUNT is one byte', () => {
    const b = encodeClientPacket({ kind: 'contact-list', seq: 2, uin: 1001, uins: [1002, 1003] });
    expect(toHex(b)).toBe(toHex(hex('02 00 06 04 02 00 E9 03 00 00 02 EA 03 00 00 EB 03 00 00')));
  });

  it('register has a 6-byte header', () => {
    const b = encodeClientPacket({ kind: 'register', seq: 1, uin: 0, password: 'abc' });
    expect(toHex(b)).toBe(toHex(hex('02 00 FC 03 01 00 02 00 04 00 61 62 63 00 72 00 00 00 00 00 00 00')));
    expect(decodeClientHeader(b)).toMatchObject({ version: 2, command: 0x03fc, seq: 1, uin: 0 });
  });
});

const CLIENT_SAMPLES: ClientPacket[] = [
  { kind: 'ack', seq: 0, uin: 0 },
  { kind: 'ack', seq: 0xffff, uin: 0xffffffff },
  loginPacket({ seq: 1, uin: 0xffffffff, password: '' }),
  { ...loginPacket({ seq: 0xffff, uin: 1, password: 'x'.repeat(300), port: 0xffffffff, ip: '255.255.255.255' }), status: 0xffffffff, x1: 0, x4: 0xffffffff, x5: 0 },
  { kind: 'contact-list', seq: 2, uin: 1, uins: [] },
  { kind: 'contact-list', seq: 2, uin: 1, uins: Array.from({ length: 255 }, (_, i) => 0xffffffff - i) },
  { kind: 'add-to-list', seq: 3, uin: 1, target: 0 },
  { kind: 'status-change', seq: 3, uin: 1, status: 0xffffffff },
  { kind: 'keep-alive', seq: 4, uin: 1, command: UdpCommand.KEEP_ALIVE },
  { kind: 'keep-alive', seq: 4, uin: 1, command: UdpCommand.KEEP_ALIVE_2 },
  logoutPacket(5, 1),
  { kind: 'logout', seq: 5, uin: 1, text: '' },
  { kind: 'send-message', seq: 6, uin: 1, target: 2, type: 1, text: '' },
  { kind: 'send-message', seq: 6, uin: 1, target: 0xffffffff, type: 0xffff, text: 'é'.repeat(450) },
  { kind: 'req-offline-messages', seq: 7, uin: 1 },
  { kind: 'ack-offline-messages', seq: 8, uin: 1 },
  { kind: 'register', seq: 1, uin: 0, password: '' },
  { kind: 'register', seq: 1, uin: 0, password: 'secret' },
  { kind: 'info-req', seq: 9, uin: 1, infoSeq: 0xffff, target: 0xffffffff },
  tcpRequestPacket({ seq: 10, uin: 1, target: 2, ip: '0.0.0.0', port: 0, otherPort: 0xffffffff }),
  { kind: 'unknown', seq: 11, uin: 1, command: 0x1234, body: hex('01 02 03') },
  { kind: 'unknown', seq: 11, uin: 1, command: 0xffff, body: Buffer.alloc(0) },
];

const SERVER_SAMPLES: ServerPacket[] = [
  { kind: 'ack', seq: 0 },
  { kind: 'login-reply', seq: 0xffff, uin: 0xffffffff, ip: '0.0.0.0', loginSeq: 0 },
  { kind: 'wrong-password', seq: 1, loginSeq: 2, uin: 0xffffffff },
  { kind: 'busy', seq: 2 },
  { kind: 'not-connected', seq: 3 },
  { kind: 'logged-off', seq: 4 },
  { kind: 'user-online', seq: 5, uin: 0, ip: '0.0.0.0', port: 0, realIp: '0.0.0.0', tcpFlag: 0, status: 0, tcpVersion: 0 },
  { kind: 'user-online', seq: 5, uin: 0xffffffff, ip: '255.255.255.255', port: 0xffffffff, realIp: '1.2.3.4', tcpFlag: 0xff, status: 0xffffffff, tcpVersion: 0xffffffff },
  { kind: 'user-offline', seq: 6, uin: 7 },
  { kind: 'end-of-contacts', seq: 7, uin: 0xffffffff },
  { kind: 'status-update', seq: 8, uin: 1, status: 0x100 },
  { kind: 'recv-message', seq: 9, from: 1, type: 1, text: '' },
  { kind: 'recv-message', seq: 9, from: 0xffffffff, type: 0xffff, text: 'a'.repeat(1000) },
  { kind: 'offline-message', seq: 10, from: 1, year: 1998, month: 12, day: 31, hour: 23, minute: 59, type: 1, text: 'hi' },
  { kind: 'offline-message', seq: 10, from: 0, year: 0xffff, month: 0, day: 0, hour: 0, minute: 0, type: 4, text: '' },
  { kind: 'end-offline-messages', seq: 11, uin: 1 },
  { kind: 'new-uin', seq: 12, word: 1, uin: 0xffffffff },
  { kind: 'info-reply', seq: 13, infoSeq: 1, uin: 2, nick: '', first: '', last: '', email: '', auth: 0 },
  { kind: 'info-reply', seq: 13, infoSeq: 0xffff, uin: 2, nick: 'nick', first: 'Fïrst', last: 'Last', email: 'a@b.c', auth: 1 },
  { kind: 'info-none', seq: 14, uin: 0 },
  { kind: 'tcp-request-relayed', seq: 15, requesterUin: 1, target: 2, ip: '127.0.0.1', port: 5000, tcpFlag: 4, otherPort: 6000, port2: 5000, tcpVersion: 2 },
  { kind: 'unknown', seq: 16, command: 0x4321, body: hex('ff') },
];

describe('round trips', () => {
  it.each(CLIENT_SAMPLES.map((p, i) => [i, p.kind, p] as const))('client #%i %s', (_i, _kind, p) => {
    expect(decodeClientPacket(encodeClientPacket(p))).toEqual(p);
  });

  it.each(SERVER_SAMPLES.map((p, i) => [i, p.kind, p] as const))('server #%i %s', (_i, _kind, p) => {
    expect(decodeServerPacket(encodeServerPacket(p))).toEqual(p);
  });
});

describe('decoding rules', () => {
  it('rejects another version with BAD_VERSION', () => {
    const v5 = Buffer.from(CAPTURED_LOGIN);
    v5.writeUInt16LE(5, 0);
    expectProtocolError(() => decodeClientHeader(v5), 'ICQ_ERR_BAD_VERSION');
    expectProtocolError(() => decodeClientPacket(v5), 'ICQ_ERR_BAD_VERSION');
    expectProtocolError(() => decodeServerPacket(hex('03 00 0A 00 00 00')), 'ICQ_ERR_BAD_VERSION');
  });

  it('rejects a truncated header or body with SHORT_PACKET', () => {
    expectProtocolError(() => decodeClientHeader(hex('02 00 E8 03 08 00 8F 76')), 'ICQ_ERR_SHORT_PACKET');
    expectProtocolError(() => decodeClientPacket(CAPTURED_LOGIN.subarray(0, CAPTURED_LOGIN.length - 1)), 'ICQ_ERR_SHORT_PACKET');
    expectProtocolError(() => decodeServerPacket(CAPTURED_ONLINE.subarray(0, 30)), 'ICQ_ERR_SHORT_PACKET');
    expectProtocolError(() => decodeServerHeader(hex('02')), 'ICQ_ERR_SHORT_PACKET');
  });

  it('returns unknown commands instead of throwing', () => {
    expect(decodeClientPacket(hex('02 00 99 09 05 00 01 00 00 00 AA BB'))).toEqual({
      kind: 'unknown',
      seq: 5,
      uin: 1,
      command: 0x0999,
      body: hex('AA BB'),
    });
  });

  it('enforces maxTextLength (BAD_LENGTH)', () => {
    const b = encodeClientPacket({ kind: 'send-message', seq: 1, uin: 1, target: 2, type: 1, text: 'a'.repeat(2000) });
    expectProtocolError(() => decodeClientPacket(b), 'ICQ_ERR_BAD_LENGTH');
    expect(decodeClientPacket(b, { maxTextLength: 4096 })).toMatchObject({ text: 'a'.repeat(2000) });
  });

  it('reads a logout whose length is wrong, up to the NUL', () => {
    const b = Buffer.concat([hex('02 00 38 04 09 00 E9 03 00 00 40 00'), Buffer.from('B_USER_DISCONNECTED'), hex('00 05 00')]);
    expect(decodeClientPacket(b)).toMatchObject({ kind: 'logout', text: 'B_USER_DISCONNECTED' });
    expect(decodeClientPacket(hex('02 00 38 04 09 00 E9 03 00 00'))).toMatchObject({ kind: 'logout', text: '' });
  });

  it('accepts the relayed 0x015E without its 8 zero bytes, and the short Licq-era form', () => {
    const long = encodeServerPacket(SERVER_SAMPLES.find((p) => p.kind === 'tcp-request-relayed')!);
    expect(decodeServerPacket(long.subarray(0, long.length - 8))).toEqual(decodeServerPacket(long));
    const short = hex('02 00 5E 01 01 00 E9 03 00 00 7F 00 00 01 88 13 00 00');
    expect(decodeServerPacket(short)).toEqual({
      kind: 'tcp-request-relayed',
      seq: 1,
      requesterUin: 1001,
      target: 0,
      ip: '127.0.0.1',
      port: 5000,
      tcpFlag: 4,
      otherPort: 0,
      port2: 5000,
      tcpVersion: 2,
    });
    expectProtocolError(() => decodeServerPacket(short.subarray(0, 17)), 'ICQ_ERR_SHORT_PACKET');
  });

  it('knows which server packets are sent once', () => {
    for (const c of [0x000a, 0x0028, 0x0046, 0x0064, 0x00f0, 0x00fa]) expect(isReliableServerCommand(c)).toBe(false);
    for (const c of [0x005a, 0x006e, 0x0078, 0x021c, 0x01a4, 0x0104, 0x00dc, 0x00e6, 0x0118, 0x012c, 0x015e]) {
      expect(isReliableServerCommand(c)).toBe(true);
    }
  });
});

describe('fuzz', () => {
  const decoders: [string, (b: Buffer) => unknown][] = [
    ['decodeClientHeader', decodeClientHeader],
    ['decodeClientPacket', (b) => decodeClientPacket(b)],
    ['decodeServerHeader', decodeServerHeader],
    ['decodeServerPacket', (b) => decodeServerPacket(b)],
  ];

  function survive(b: Buffer): void {
    for (const [name, decode] of decoders) {
      try {
        decode(b);
      } catch (e) {
        if (!(e instanceof IcqProtocolError)) throw new Error(`${name}(${b.toString('hex')}) threw ${String(e)}`);
      }
    }
  }

  it('only returns or throws IcqProtocolError on random input', () => {
    const next = rng(0x1c90);
    const commands = Object.values(UdpCommand);
    for (let i = 0; i < 3000; i++) {
      const len = next() % 80;
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = next() & 0xff;
      // Most inputs get a valid version and a known command, so the bodies are exercised.
      if (len >= 4 && next() % 4 !== 0) {
        b.writeUInt16LE(2, 0);
        b.writeUInt16LE(commands[next() % commands.length]!, 2);
      }
      survive(b);
    }
  });

  it('only returns or throws IcqProtocolError on every truncation of every sample', () => {
    const encoded = [...CLIENT_SAMPLES.map(encodeClientPacket), ...SERVER_SAMPLES.map(encodeServerPacket), CAPTURED_LOGIN];
    const next = rng(99);
    for (const full of encoded) {
      for (let cut = 0; cut <= full.length; cut++) survive(full.subarray(0, cut));
      // A few corrupted copies: one random byte changed.
      for (let k = 0; k < 20; k++) {
        const c = Buffer.from(full);
        c[next() % c.length] = next() & 0xff;
        survive(c);
      }
    }
  });
});
