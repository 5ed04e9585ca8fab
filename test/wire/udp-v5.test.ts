import { describe, expect, it } from 'vitest';
import { IcqProtocolError, WireErrorCode } from '../../src/wire/errors.js';
import {
  decodeV5ClientHeader,
  decodeV5ClientPacket,
  decodeV5ServerPacket,
  encodeV5ClientPacket,
  encodeV5ClientPlain,
  encodeV5ServerPacket,
  stampV5ServerPacket,
  type V5ClientBody,
} from '../../src/wire/udp-v5.js';
import {
  V5_TABLE,
  checkcodeMatches,
  computeCheckcode,
  decryptClientPacket,
  encryptClientPacket,
  scrambleCheckcode,
  unscrambleCheckcode,
} from '../../src/wire/v5-crypt.js';
import { hex, toHex } from '../helpers/hex.js';

/**
 * PROTOCOL.md §8: Licq 1.0.4's LOGON for UIN 1001, password "pw1", session 0x37128DB1,
 * SEQ1 0x69EF, SEQ2 1, TCP port 47651, as measured, decrypted (checkcode slot zero).
 */
const LICQ_LOGON_PLAIN = hex(`05 00 00 00 00 00 E9 03 00 00 B1 8D 12 37 E8 03 EF 69 01 00 00 00 00 00
  72 AA 16 6B 23 BA 00 00 04 00 70 77 31 00 3F 01 0B 00 7F 00 00 01 04 00 00 00 00 06 00 00 00
  00 00 00 00 02 00 3F 01 50 00 00 00 03 00 00 00 EC 03 00 7D 00 00 00 00 00 00 00 00`);

/**
 * The same LOGON after Licq 1.0.4's own Encrypt_Server (icqpacket.cpp, tag licq-1.0.4, built
 * here unchanged with rand() fixed so that r1 = 24 + 5 % 59 = 29 and r2 = 0x42). An
 * independent vector: Licq's code produced it, not ours.
 */
const LICQ_LOGON_WIRE = hex(`05 00 00 00 00 00 E9 03 00 00 13 E4 35 C1 59 6A C8 9F C2 69 8A 2C 87 42
  55 5C B4 02 04 4C B9 69 23 F6 C5 1E 16 F6 A6 68 2C F6 F8 69 27 F7 A4 69 27 F6 BD 6F 27 F6 C2 69
  27 F6 A3 6B 27 C9 BE 39 27 F6 9A 6A 27 F6 9E 85 24 F6 BF 69 27 F6 A7 69 27 F6 C2`);

/**
 * Licq 1.0.4's Encrypt_Server on a bare 24-byte ACK (SEQ1 0x69EF, SEQ2 1): it appends a
 * rand() DWORD (fixed to 0) and encrypts 28 bytes with r1 = 24 + 0 % 4 = 24, r2 = 0.
 */
const LICQ_ACK_PLAIN = hex('05 00 00 00 00 00 E9 03 00 00 B1 8D 12 37 0A 00 EF 69 01 00 00 00 00 00 00 00 00 00');
const LICQ_ACK_WIRE = hex('05 00 00 00 00 00 E9 03 00 00 DA 51 04 B3 70 DC F9 ED 8D DC BE F0 C6 01 16 84 6B DC');

/** PROTOCOL.md §8: IServerd's ACK of that LOGON, then its HELLO (checkcodes as IServerd drew them). */
const ISERVERD_ACK = hex('05 00 00 B1 8D 12 37 0A 00 EF 69 01 00 E9 03 00 00 8E D2 72 01');
const ISERVERD_HELLO = hex(`05 00 00 B1 8D 12 37 5A 00 00 00 01 00 E9 03 00 00 A6 72 FF 04 8C 00 00 00
  6E 00 0A 00 0A 00 05 00 7F 00 00 01 9B C1 CD 80`);

const SESSION = 0x37128db1;

describe('v5 scrambling', () => {
  it('has the 256-byte table of Licq 1.0.4 and IServerd (first, middle and last entries)', () => {
    expect(V5_TABLE.length).toBe(256);
    expect(toHex(V5_TABLE.subarray(0, 8))).toBe('59 60 37 6B 65 62 46 48');
    expect(V5_TABLE[0xd2]).toBe(0x46);
    expect(toHex(V5_TABLE.subarray(248))).toBe('6E 3C 31 64 35 5A 00 00');
  });

  it('encrypts the LOGON exactly as Licq 1.0.4 does, and decrypts Licq bytes back to the plain packet', () => {
    expect(toHex(encryptClientPacket(LICQ_LOGON_PLAIN, { r1: 29, r2: 0x42 }))).toBe(toHex(LICQ_LOGON_WIRE));
    const { plain, checkcode } = decryptClientPacket(LICQ_LOGON_WIRE);
    expect(toHex(plain)).toBe(toHex(LICQ_LOGON_PLAIN));
    expect(checkcode).toBe(computeCheckcode(LICQ_LOGON_PLAIN, { r1: 29, r2: 0x42 }));
    expect(checkcodeMatches(plain, checkcode)).toBe(true);
  });

  it('encrypts a padded ACK as Licq does', () => {
    expect(toHex(encryptClientPacket(LICQ_ACK_PLAIN, { r1: 24, r2: 0 }))).toBe(toHex(LICQ_ACK_WIRE));
    expect(toHex(encodeV5ClientPacket({ kind: 'ack', uin: 1001, sessionId: SESSION, seq1: 0x69ef, seq2: 1 }))).toBe(toHex(LICQ_ACK_WIRE));
  });

  it('unscrambles what scrambles (PROTOCOL.md §8 formula) over many values', () => {
    for (let v = 1; v < 0xffffffff; v = (v * 3 + 0x9e3779b9) >>> 0) {
      expect(unscrambleCheckcode(scrambleCheckcode(v))).toBe(v);
      if (v % 7 === 0) break;
    }
    expect(unscrambleCheckcode(scrambleCheckcode(0xffffffff))).toBe(0xffffffff);
    expect(scrambleCheckcode(0x00000001)).toBe(0x00001000);
  });

  it('rejects a packet whose checkcode-covered bytes were changed, as BAD_VALUE', () => {
    // The checkcode covers bytes 2, 4, 6, 8 and the one at r1 (29 here); the rest only
    // decrypt to other values.
    const damaged = Buffer.from(LICQ_LOGON_WIRE);
    damaged[29]! ^= 0x01;
    expect(() => decodeV5ClientHeader(damaged)).toThrow(expect.objectContaining({ code: WireErrorCode.BAD_VALUE }));
    const forgedCheckcode = Buffer.from(LICQ_LOGON_WIRE);
    forgedCheckcode.writeUInt32LE(0x12345678, 0x14);
    expect(() => decodeV5ClientHeader(forgedCheckcode)).toThrow(IcqProtocolError);
  });

  it('refuses short packets and other versions with stable codes', () => {
    expect(() => decodeV5ClientHeader(LICQ_LOGON_WIRE.subarray(0, 23))).toThrow(expect.objectContaining({ code: WireErrorCode.SHORT_PACKET }));
    const v3 = Buffer.from(LICQ_LOGON_WIRE);
    v3.writeUInt16LE(3, 0);
    expect(() => decodeV5ClientHeader(v3)).toThrow(expect.objectContaining({ code: WireErrorCode.BAD_VERSION }));
  });
});

describe('v5 client packets', () => {
  it("decodes Licq's LOGON: header, TCP port, password, LAN IP, mode, status, TCP version", () => {
    const p = decodeV5ClientPacket(LICQ_LOGON_WIRE);
    expect(p).toMatchObject({
      kind: 'login',
      uin: 1001,
      sessionId: SESSION,
      command: 0x03e8,
      seq1: 0x69ef,
      seq2: 1,
      time: 0x6b16aa72,
      port: 47651,
      password: 'pw1',
      x1: 0x000b013f,
      ip: '127.0.0.1',
      tcpFlag: 4,
      status: 0,
      tcpVersion: 6,
    });
    expect(toHex(encodeV5ClientPlain(p))).toBe(toHex(LICQ_LOGON_PLAIN));
  });

  it("reads Licq's reverse-connect request (ports as doubled WORDs, no TCP version)", () => {
    // CPU_ReverseTCPRequest(1002, 127.0.0.1, 5000, 6000): 21 bytes of parameters.
    const plain = hex(`05 00 00 00 00 00 E9 03 00 00 B1 8D 12 37 5E 01 F0 69 02 00 00 00 00 00
      EA 03 00 00 7F 00 00 01 88 13 88 13 06 70 17 70 17 88 13 88 13`);
    const p = decodeV5ClientPacket(encryptClientPacket(plain, { r1: 30, r2: 7 }));
    expect(p).toMatchObject({ kind: 'tcp-request', target: 1002, ip: '127.0.0.1', port: 5000, tcpFlag: 6, otherPort: 6000, port2: 5000, tcpVersion: undefined });
  });

  it('round-trips every client body it encodes', () => {
    const base = { uin: 1001, sessionId: SESSION, seq1: 10, seq2: 3 };
    const bodies: V5ClientBody[] = [
      { kind: 'contact-list', uins: [1002, 1003] },
      { kind: 'add-to-list', target: 1004 },
      { kind: 'status-change', status: 0x10001 },
      { kind: 'keep-alive', command: 0x042e },
      { kind: 'logout', text: 'B_USER_DISCONNECTED' },
      { kind: 'send-message', target: 1002, type: 1, text: 'hi' },
      { kind: 'req-offline-messages' },
      { kind: 'ack-offline-messages' },
      { kind: 'info-req', target: 1002 },
      { kind: 'tcp-request', target: 1002, ip: '0.0.0.0', port: 4001, tcpFlag: 4, otherPort: 4002, port2: 4001, tcpVersion: 6 },
      { kind: 'unknown', command: 0x064a, body: hex('01 02 03') },
    ];
    for (const b of bodies) {
      const p = decodeV5ClientPacket(encodeV5ClientPacket({ ...base, ...b }));
      expect(p).toMatchObject({ ...base, ...b });
    }
  });

  it("logout: Licq's 0x0438 text, read up to its NUL", () => {
    const p = decodeV5ClientPacket(
      encodeV5ClientPacket({ kind: 'logout', uin: 1001, sessionId: SESSION, seq1: 11, seq2: 4, text: 'B_USER_DISCONNECTED' }),
    );
    expect(p).toMatchObject({ kind: 'logout', text: 'B_USER_DISCONNECTED' });
  });
});

describe('v5 server packets', () => {
  it("builds IServerd's ACK of the LOGON byte for byte (its checkcode choice r1 = 1, r2 = 0xD2)", () => {
    const ack = encodeV5ServerPacket({ kind: 'ack', sessionId: SESSION, seq1: 0x69ef, seq2: 1, to: 1001 }, { r1: 1, r2: 0xd2 });
    expect(toHex(ack)).toBe(toHex(ISERVERD_ACK));
  });

  it("builds IServerd's HELLO byte for byte (r1 = 4, r2 = 0x72)", () => {
    const hello = encodeV5ServerPacket(
      { kind: 'login-reply', sessionId: SESSION, seq1: 0, seq2: 1, to: 1001, ip: '127.0.0.1', pingSeconds: 110, timeoutSeconds: 10, retries: 5, serverId: 0x80cdc19b },
      { r1: 4, r2: 0x72 },
    );
    expect(toHex(hello)).toBe(toHex(ISERVERD_HELLO));
    expect(decodeV5ServerPacket(ISERVERD_HELLO)).toMatchObject({ kind: 'login-reply', ip: '127.0.0.1', seq1: 0, seq2: 1, to: 1001 });
  });

  it("USER_ONLINE in the v5 layout Licq reads: UIN, IP, PORT, REAL_IP, MODE, STATUS, TCP_VERSION, 6 DWORDs", () => {
    const p = encodeV5ServerPacket({
      kind: 'user-online',
      sessionId: SESSION,
      seq1: 3,
      seq2: 0,
      to: 1001,
      uin: 1002,
      ip: '127.0.0.1',
      port: 0x1234,
      realIp: '10.0.0.2',
      tcpFlag: 4,
      status: 1,
      tcpVersion: 2,
    });
    expect(toHex(p.subarray(13, 17))).toBe('E9 03 00 00');
    expect(toHex(p.subarray(21))).toBe(
      toHex(hex('EA 03 00 00 7F 00 00 01 34 12 00 00 0A 00 00 02 04 01 00 00 00 02 00 00 00' + ' 00'.repeat(24))),
    );
    expect(p.length).toBe(21 + 49);
  });

  it('reverse-connect relay: REQUESTER, IP, PORT, MODE, OTHER_PORT, PORT2 as DWORDs, TCP_VERSION WORD', () => {
    const p = encodeV5ServerPacket({
      kind: 'tcp-request-relayed',
      sessionId: SESSION,
      seq1: 4,
      seq2: 0,
      to: 1001,
      requesterUin: 1002,
      target: 1001,
      ip: '127.0.0.1',
      port: 5000,
      tcpFlag: 4,
      otherPort: 6000,
      port2: 5000,
      tcpVersion: 2,
    });
    expect(toHex(p.subarray(21))).toBe('EA 03 00 00 7F 00 00 01 88 13 00 00 04 70 17 00 00 88 13 00 00 02 00');
  });

  it('stamps a shared template with the recipient, SEQ1 and a fresh checkcode', () => {
    const template = encodeV5ServerPacket({ kind: 'user-offline', sessionId: 0, seq1: 0, seq2: 0, to: 0, uin: 1002 });
    const copy = Buffer.from(template);
    stampV5ServerPacket(copy, { sessionId: SESSION, seq1: 7, to: 1001 });
    const fresh = encodeV5ServerPacket({ kind: 'user-offline', sessionId: SESSION, seq1: 7, seq2: 0, to: 1001, uin: 1002 });
    expect(toHex(copy)).toBe(toHex(fresh));
    expect(copy.readUInt32LE(17)).toBe(computeCheckcode(Buffer.concat([copy.subarray(0, 17), Buffer.alloc(4), copy.subarray(21)]), { r1: 0, r2: 0 }));
  });
});
