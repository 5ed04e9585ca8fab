import { ByteReader, ByteWriter } from './bytes.js';
import { IcqProtocolError, WireErrorCode } from './errors.js';
import { serverCommandOf, type TcpRequestFields, UdpCommand } from './udp.js';
import {
  type CheckcodeChoice,
  checkcodeMatches,
  computeCheckcode,
  decryptClientPacket,
  encryptClientPacket,
} from './v5-crypt.js';

/**
 * ICQ UDP v5 client ↔ server packets (docs/udp-v5.md), the version ICQ 99, Licq 0.8x–1.x and
 * icqlib 1.0.0 log in with. Pure codecs, like udp.ts: a datagram in, a typed packet out, and
 * back. The commands are the v2 numbers (UdpCommand); what differs is the header, the
 * scrambling of client packets (v5-crypt.ts) and a few bodies.
 */

export const UDP_V5_VERSION = 5;

/** Client header: VERSION, ZERO, UIN, SESSION_ID, COMMAND, SEQ1, SEQ2, CHECKCODE. */
export const V5_CLIENT_HEADER_LENGTH = 24;
/** Server header: VERSION, 00, SESSION_ID, COMMAND, SEQ1, SEQ2, UIN, CHECKCODE. */
export const V5_SERVER_HEADER_LENGTH = 21;
/** Offsets inside the server header, for stamping a shared template per recipient. */
export const V5_SERVER_SESSION_OFFSET = 3;
export const V5_SERVER_COMMAND_OFFSET = 7;
export const V5_SERVER_SEQ1_OFFSET = 9;
export const V5_SERVER_SEQ2_OFFSET = 11;
export const V5_SERVER_UIN_OFFSET = 13;
export const V5_SERVER_CHECKCODE_OFFSET = 17;
/** Clients pad a bare 24-byte packet (ACK, PING) with 4 bytes so that it is 28 long. */
const PADDED_LENGTH = 28;
/** The first DWORD of HELLO; Licq and IServerd's clients skip it. */
const HELLO_X1 = 0x0000008c;
/** The fifth WORD of HELLO (IServerd: "unknown"). */
const HELLO_X2 = 0x000a;
/** Trailing DWORDs of a v5 USER_ONLINE after TCP_VERSION: cookie, web port, features, 3 times. */
const USER_ONLINE_TAIL_DWORDS = 6;

/**
 * The checkcode choice icqd puts in server packets. Clients do not check it (Licq reads only
 * the version); IServerd draws r1 < 16 and r2 at random. A fixed choice keeps icqd's output
 * reproducible: r1 = 0 covers the version byte, r2 = 0 the first table entry.
 */
export const SERVER_CHECKCODE_CHOICE: CheckcodeChoice = { r1: 0, r2: 0 };
/** What encodeV5ClientPacket uses unless told otherwise (Licq draws 24 ≤ r1 < length). */
export const CLIENT_CHECKCODE_CHOICE: CheckcodeChoice = { r1: 24, r2: 0 };

export interface V5DecodeOptions {
  /** Longest LNTS accepted, in bytes counting the NUL (default 1024, as udp.ts). */
  maxTextLength?: number;
}

const DEFAULT_MAX_TEXT = 1024;

// ---------------------------------------------------------------------------------------
// Client → server

export interface V5ClientHeader {
  uin: number;
  /** Random per logon; the server's packets and the session lookup carry it. */
  sessionId: number;
  command: number;
  /** The packet sequence (the one ACKs echo and Licq matches on). */
  seq1: number;
  /** The second sequence (counts non-ACK, non-PING packets; 0 in PING). */
  seq2: number;
  /** The checkcode, unscrambled. */
  checkcode: number;
}

/** LOGON 0x03E8 after the header: what icqd uses of it. */
export interface V5LoginFields {
  /** The client's clock (Unix time). */
  time: number;
  /** TCP listener; 0 = none. */
  port: number;
  password: string;
  x1: number;
  /** The client's own LAN IP. */
  ip: string;
  /** 04 direct, 01/06 via server. */
  tcpFlag: number;
  status: number;
  tcpVersion: number;
  /** What follows TCP_VERSION (Licq: 00 00 00 00 | 02 00 3F 01 | 50 | 3 | build marker | 0 | 0), kept opaque. */
  rest: Buffer;
}

/**
 * A v5 reverse-connect request: the v2 fields, but the ports are WORDs each followed by a
 * junk WORD (Licq writes the port twice), and there may be no TCP_VERSION at the end.
 */
export type V5TcpRequestFields = Omit<TcpRequestFields, 'tcpVersion'> & { tcpVersion: number | undefined };

export type V5ClientBody =
  | { kind: 'ack' }
  | ({ kind: 'login' } & V5LoginFields)
  | { kind: 'contact-list'; uins: number[] }
  | { kind: 'add-to-list'; target: number }
  | { kind: 'status-change'; status: number }
  | { kind: 'keep-alive'; command: number }
  | { kind: 'logout'; text: string }
  | { kind: 'send-message'; target: number; type: number; text: string }
  | { kind: 'req-offline-messages' }
  | { kind: 'ack-offline-messages' }
  | { kind: 'info-req'; target: number }
  | ({ kind: 'tcp-request' } & V5TcpRequestFields)
  | { kind: 'unknown'; command: number; body: Buffer };

export type V5ClientPacket = V5ClientHeader & V5ClientBody;

/** What a client encoder is given: a body and the header fields it does not derive. */
export type V5ClientPacketInput = V5ClientBody extends infer B
  ? B extends V5ClientBody
    ? B & Omit<V5ClientHeader, 'command' | 'checkcode'>
    : never
  : never;

export interface DecodedV5Header {
  header: V5ClientHeader;
  /** The whole packet decrypted (checkcode slot zeroed), for decodeV5ClientBody. */
  plain: Buffer;
}

/**
 * Checks the version, decrypts, checks the checkcode and reads the header. Throws
 * IcqProtocolError: SHORT_PACKET under 24 bytes, BAD_VERSION unless 5, BAD_VALUE when the
 * checkcode does not belong to the bytes (damaged, forged, or another scheme).
 */
export function decodeV5ClientHeader(wire: Buffer): DecodedV5Header {
  if (wire.length < V5_CLIENT_HEADER_LENGTH) {
    throw new IcqProtocolError(WireErrorCode.SHORT_PACKET, `v5 client packet: ${wire.length} bytes, the header alone is ${V5_CLIENT_HEADER_LENGTH}`);
  }
  const version = wire.readUInt16LE(0);
  if (version !== UDP_V5_VERSION) {
    throw new IcqProtocolError(WireErrorCode.BAD_VERSION, `UDP version ${version} is not v5`);
  }
  const { plain, checkcode } = decryptClientPacket(wire);
  if (!checkcodeMatches(plain, checkcode)) {
    throw new IcqProtocolError(WireErrorCode.BAD_VALUE, `v5 client packet: checkcode ${hex32(checkcode)} does not match its bytes`);
  }
  const r = new ByteReader(plain, 2, 'v5 client packet');
  r.u32('ZERO');
  const header: V5ClientHeader = {
    uin: r.u32('UIN'),
    sessionId: r.u32('SESSION_ID'),
    command: r.u16('COMMAND'),
    seq1: r.u16('SEQ1'),
    seq2: r.u16('SEQ2'),
    checkcode,
  };
  return { header, plain };
}

/** The body of a decrypted packet. Unknown commands are kind 'unknown', not errors. */
export function decodeV5ClientBody(h: V5ClientHeader, plain: Buffer, options: V5DecodeOptions = {}): V5ClientPacket {
  const maxText = options.maxTextLength ?? DEFAULT_MAX_TEXT;
  const r = new ByteReader(plain, V5_CLIENT_HEADER_LENGTH, `v5 client packet ${hex16(h.command)}`);
  switch (h.command) {
    case UdpCommand.ACK:
      return { ...h, kind: 'ack' };
    case UdpCommand.LOGIN:
      return {
        ...h,
        kind: 'login',
        time: r.u32('TIME'),
        port: r.u32('PORT'),
        password: r.lnts('PASSWORD', maxText),
        x1: r.u32('X1'),
        ip: r.ip('REAL_IP'),
        tcpFlag: r.u8('MODE'),
        status: r.u32('STATUS'),
        tcpVersion: r.u32('TCP_VERSION'),
        rest: Buffer.from(r.rest()),
      };
    case UdpCommand.CONTACT_LIST: {
      const count = r.u8('COUNT');
      const uins: number[] = [];
      for (let i = 0; i < count; i++) uins.push(r.u32('UIN'));
      return { ...h, kind: 'contact-list', uins };
    }
    case UdpCommand.ADD_TO_LIST:
      return { ...h, kind: 'add-to-list', target: r.u32('UIN') };
    case UdpCommand.STATUS_CHANGE:
      return { ...h, kind: 'status-change', status: r.u32('STATUS') };
    case UdpCommand.KEEP_ALIVE:
    case UdpCommand.KEEP_ALIVE_2:
      return { ...h, kind: 'keep-alive', command: h.command };
    case UdpCommand.SEND_TEXT_CODE:
      return { ...h, kind: 'logout', text: readTextLeniently(r) };
    case UdpCommand.SEND_MESSAGE:
      return { ...h, kind: 'send-message', target: r.u32('TARGET_UIN'), type: r.u16('TYPE'), text: r.lnts('TEXT', maxText) };
    case UdpCommand.REQ_OFFLINE_MESSAGES:
      return { ...h, kind: 'req-offline-messages' };
    case UdpCommand.ACK_OFFLINE_MESSAGES:
      return { ...h, kind: 'ack-offline-messages' };
    case UdpCommand.INFO_REQ:
      // v5 has no INFO_SEQ WORD before the UIN (Licq 1.0.4 writes it only in v2).
      return { ...h, kind: 'info-req', target: r.u32('UIN') };
    case UdpCommand.TCP_REQUEST: {
      const target = r.u32('TARGET_UIN');
      const ip = r.ip('MY_IP');
      const port = r.u16('MY_PORT');
      r.u16('MY_PORT junk');
      const tcpFlag = r.u8('TCP_FLAG');
      const otherPort = r.u16('OTHER_PORT');
      r.u16('OTHER_PORT junk');
      const port2 = r.u32('MY_PORT2') & 0xffff;
      const tcpVersion = r.remaining >= 2 ? r.u16('TCP_VERSION') : undefined;
      return { ...h, kind: 'tcp-request', target, ip, port, tcpFlag, otherPort, port2, tcpVersion };
    }
    default:
      return { ...h, kind: 'unknown', command: h.command, body: Buffer.from(r.rest()) };
  }
}

/** Header and body in one call (tests, tools). */
export function decodeV5ClientPacket(wire: Buffer, options: V5DecodeOptions = {}): V5ClientPacket {
  const { header, plain } = decodeV5ClientHeader(wire);
  return decodeV5ClientBody(header, plain, options);
}

function v5ClientCommand(p: V5ClientBody): number {
  switch (p.kind) {
    case 'ack':
      return UdpCommand.ACK;
    case 'login':
      return UdpCommand.LOGIN;
    case 'contact-list':
      return UdpCommand.CONTACT_LIST;
    case 'add-to-list':
      return UdpCommand.ADD_TO_LIST;
    case 'status-change':
      return UdpCommand.STATUS_CHANGE;
    case 'keep-alive':
    case 'unknown':
      return p.command;
    case 'logout':
      return UdpCommand.SEND_TEXT_CODE;
    case 'send-message':
      return UdpCommand.SEND_MESSAGE;
    case 'req-offline-messages':
      return UdpCommand.REQ_OFFLINE_MESSAGES;
    case 'ack-offline-messages':
      return UdpCommand.ACK_OFFLINE_MESSAGES;
    case 'info-req':
      return UdpCommand.INFO_REQ;
    case 'tcp-request':
      return UdpCommand.TCP_REQUEST;
  }
}

/** The plain (not yet encrypted) bytes of a client packet, padded to 28 when it would be 24. */
export function encodeV5ClientPlain(p: V5ClientPacketInput): Buffer {
  const w = new ByteWriter(64)
    .u16(UDP_V5_VERSION)
    .u32(0)
    .u32(p.uin)
    .u32(p.sessionId)
    .u16(v5ClientCommand(p))
    .u16(p.seq1)
    .u16(p.seq2)
    .u32(0);
  const b: V5ClientBody = p;
  switch (b.kind) {
    case 'ack':
    case 'keep-alive':
    case 'req-offline-messages':
    case 'ack-offline-messages':
      break;
    case 'login':
      w.u32(b.time).u32(b.port).lnts(b.password).u32(b.x1).ip(b.ip).u8(b.tcpFlag).u32(b.status).u32(b.tcpVersion).bytes(b.rest);
      break;
    case 'contact-list':
      if (b.uins.length > 255) throw new RangeError(`a contact list packet holds at most 255 UINs, got ${b.uins.length}`);
      w.u8(b.uins.length);
      for (const uin of b.uins) w.u32(uin);
      break;
    case 'add-to-list':
      w.u32(b.target);
      break;
    case 'status-change':
      w.u32(b.status);
      break;
    case 'logout':
      w.lnts(b.text).u16(0x0005);
      break;
    case 'send-message':
      w.u32(b.target).u16(b.type).lnts(b.text);
      break;
    case 'info-req':
      w.u32(b.target);
      break;
    case 'tcp-request':
      // Licq's layout: each port WORD written twice, MODE, then MY_PORT as a DWORD.
      w.u32(b.target).ip(b.ip).u16(b.port).u16(b.port).u8(b.tcpFlag).u16(b.otherPort).u16(b.otherPort).u32(b.port2);
      if (b.tcpVersion !== undefined) w.u16(b.tcpVersion);
      break;
    case 'unknown':
      w.bytes(b.body);
      break;
  }
  if (w.length === V5_CLIENT_HEADER_LENGTH) w.u32(0);
  return w.toBuffer();
}

/** A client packet as it goes on the wire: plain bytes, then encrypted (tests, bench). */
export function encodeV5ClientPacket(
  p: V5ClientPacketInput,
  choice: CheckcodeChoice = CLIENT_CHECKCODE_CHOICE,
): Buffer {
  const plain = encodeV5ClientPlain(p);
  return encryptClientPacket(plain, { r1: Math.min(choice.r1, plain.length - 1), r2: choice.r2 });
}

// ---------------------------------------------------------------------------------------
// Server → client

export interface V5ServerHeader {
  sessionId: number;
  seq1: number;
  seq2: number;
  /** The recipient's UIN (the body's `uin`, where there is one, is the user it is about). */
  to: number;
}

export interface V5HelloFields {
  /** The address the server saw the LOGON come from. */
  ip: string;
  /** Keep-alive period in seconds, minus 10 (IServerd's layout; Licq ignores it). */
  pingSeconds: number;
  /** Retransmit timeout in seconds. */
  timeoutSeconds: number;
  retries: number;
  /** IServerd sends 0x80CDC19B ("server ID ?"); icqd sends 0. */
  serverId: number;
}

export interface V5UserOnlineFields {
  uin: number;
  ip: string;
  port: number;
  realIp: string;
  tcpFlag: number;
  status: number;
  tcpVersion: number;
}

export type V5ServerBody =
  | { kind: 'ack' }
  | ({ kind: 'login-reply' } & V5HelloFields)
  | { kind: 'wrong-password' }
  | { kind: 'busy' }
  | { kind: 'not-connected' }
  | { kind: 'logged-off' }
  | ({ kind: 'user-online' } & V5UserOnlineFields)
  | { kind: 'user-offline'; uin: number }
  | { kind: 'end-of-contacts'; uin: number }
  | { kind: 'status-update'; uin: number; status: number }
  | { kind: 'recv-message'; from: number; type: number; text: string }
  | {
      kind: 'offline-message';
      from: number;
      year: number;
      month: number;
      day: number;
      hour: number;
      minute: number;
      type: number;
      text: string;
    }
  | { kind: 'end-offline-messages' }
  | { kind: 'info-reply'; uin: number; nick: string; first: string; last: string; email: string; auth: number }
  | { kind: 'info-none'; uin: number }
  | ({ kind: 'tcp-request-relayed'; requesterUin: number } & TcpRequestFields)
  | { kind: 'unknown'; command: number; body: Buffer };

export type V5ServerPacket = V5ServerHeader & V5ServerBody;

export function v5ServerCommand(p: V5ServerBody): number {
  return serverCommandOf(p);
}

/**
 * A server packet: the 21-byte header, then the body; the checkcode is computed over the
 * finished bytes (not scrambled: server packets are not encrypted).
 */
export function encodeV5ServerPacket(p: V5ServerPacket, choice: CheckcodeChoice = SERVER_CHECKCODE_CHOICE): Buffer {
  const w = new ByteWriter(64)
    .u16(UDP_V5_VERSION)
    .u8(0)
    .u32(p.sessionId)
    .u16(v5ServerCommand(p))
    .u16(p.seq1)
    .u16(p.seq2)
    .u32(p.to)
    .u32(0);
  switch (p.kind) {
    case 'ack':
    case 'wrong-password':
    case 'busy':
    case 'not-connected':
    case 'logged-off':
    case 'end-offline-messages':
      break;
    case 'login-reply':
      w.u32(HELLO_X1).u16(p.pingSeconds).u16(p.timeoutSeconds).u16(HELLO_X2).u16(p.retries).ip(p.ip).u32(p.serverId);
      break;
    case 'user-online':
      w.u32(p.uin).ip(p.ip).u32(p.port).ip(p.realIp).u8(p.tcpFlag).u32(p.status).u32(p.tcpVersion);
      for (let i = 0; i < USER_ONLINE_TAIL_DWORDS; i++) w.u32(0);
      break;
    case 'user-offline':
    case 'end-of-contacts':
    case 'info-none':
      w.u32(p.uin);
      break;
    case 'status-update':
      w.u32(p.uin).u32(p.status);
      break;
    case 'recv-message':
      w.u32(p.from).u16(p.type).lnts(p.text);
      break;
    case 'offline-message':
      w.u32(p.from).u16(p.year).u8(p.month).u8(p.day).u8(p.hour).u8(p.minute).u16(p.type).lnts(p.text);
      break;
    case 'info-reply':
      w.u32(p.uin).lnts(p.nick).lnts(p.first).lnts(p.last).lnts(p.email).u8(p.auth);
      break;
    case 'tcp-request-relayed':
      // What Licq reads: no TARGET_UIN (the recipient is the target), ports as DWORDs.
      w.u32(p.requesterUin).ip(p.ip).u32(p.port).u8(p.tcpFlag).u32(p.otherPort).u32(p.port2).u16(p.tcpVersion);
      break;
    case 'unknown':
      w.bytes(p.body);
      break;
  }
  const out = w.toBuffer();
  writeServerCheckcode(out, choice);
  return out;
}

/** (Re)computes a server packet's checkcode after its header was stamped. */
export function writeServerCheckcode(datagram: Buffer, choice: CheckcodeChoice = SERVER_CHECKCODE_CHOICE): void {
  datagram.writeUInt32LE(0, V5_SERVER_CHECKCODE_OFFSET);
  datagram.writeUInt32LE(computeCheckcode(datagram, choice), V5_SERVER_CHECKCODE_OFFSET);
}

/**
 * Copies the per-recipient header fields into an encoded server packet (a template shared by
 * many recipients, or a retransmission): session, SEQ1, UIN and the checkcode.
 */
export function stampV5ServerPacket(datagram: Buffer, h: { sessionId: number; seq1: number; to: number }): void {
  datagram.writeUInt32LE(h.sessionId, V5_SERVER_SESSION_OFFSET);
  datagram.writeUInt16LE(h.seq1, V5_SERVER_SEQ1_OFFSET);
  datagram.writeUInt32LE(h.to, V5_SERVER_UIN_OFFSET);
  writeServerCheckcode(datagram);
}

export interface DecodedV5ServerHeader extends V5ServerHeader {
  command: number;
  checkcode: number;
}

export function decodeV5ServerHeader(buf: Buffer): DecodedV5ServerHeader {
  const r = new ByteReader(buf, 0, 'v5 server packet');
  const version = r.u16('VERSION');
  if (version !== UDP_V5_VERSION) throw new IcqProtocolError(WireErrorCode.BAD_VERSION, `UDP version ${version} is not v5`);
  r.u8('ZERO');
  const sessionId = r.u32('SESSION_ID');
  const command = r.u16('COMMAND');
  const seq1 = r.u16('SEQ1');
  const seq2 = r.u16('SEQ2');
  const to = r.u32('UIN');
  return { sessionId, command, seq1, seq2, to, checkcode: r.u32('CHECKCODE') };
}

/** Decodes a server packet (tests and the benchmark client; icqd never reads these). */
export function decodeV5ServerPacket(buf: Buffer, options: V5DecodeOptions = {}): V5ServerPacket {
  const maxText = options.maxTextLength ?? DEFAULT_MAX_TEXT;
  const hd = decodeV5ServerHeader(buf);
  const h: V5ServerHeader = { sessionId: hd.sessionId, seq1: hd.seq1, seq2: hd.seq2, to: hd.to };
  const r = new ByteReader(buf, V5_SERVER_HEADER_LENGTH, `v5 server packet ${hex16(hd.command)}`);
  switch (hd.command) {
    case UdpCommand.ACK:
      return { ...h, kind: 'ack' };
    case UdpCommand.LOGIN_REPLY: {
      r.u32('X1');
      const pingSeconds = r.u16('PING');
      const timeoutSeconds = r.u16('TIMEOUT');
      r.u16('X2');
      const retries = r.u16('RETRIES');
      return { ...h, kind: 'login-reply', pingSeconds, timeoutSeconds, retries, ip: r.ip('IP'), serverId: r.u32('SERVER_ID') };
    }
    case UdpCommand.WRONG_PASSWORD:
      return { ...h, kind: 'wrong-password' };
    case UdpCommand.BUSY:
      return { ...h, kind: 'busy' };
    case UdpCommand.NOT_CONNECTED:
      return { ...h, kind: 'not-connected' };
    case UdpCommand.LOGGED_OFF:
      return { ...h, kind: 'logged-off' };
    case UdpCommand.USER_ONLINE:
      return {
        ...h,
        kind: 'user-online',
        uin: r.u32('UIN'),
        ip: r.ip('IP'),
        port: r.u32('PORT'),
        realIp: r.ip('REAL_IP'),
        tcpFlag: r.u8('MODE'),
        status: r.u32('STATUS'),
        tcpVersion: r.u32('TCP_VERSION'),
      };
    case UdpCommand.USER_OFFLINE:
      return { ...h, kind: 'user-offline', uin: r.u32('UIN') };
    case UdpCommand.END_OF_CONTACTS:
      return { ...h, kind: 'end-of-contacts', uin: r.u32('UIN') };
    case UdpCommand.STATUS_UPDATE:
      return { ...h, kind: 'status-update', uin: r.u32('UIN'), status: r.u32('STATUS') };
    case UdpCommand.RECV_MESSAGE:
      return { ...h, kind: 'recv-message', from: r.u32('FROM_UIN'), type: r.u16('TYPE'), text: r.lnts('TEXT', maxText) };
    case UdpCommand.OFFLINE_MESSAGE:
      return {
        ...h,
        kind: 'offline-message',
        from: r.u32('FROM_UIN'),
        year: r.u16('YEAR'),
        month: r.u8('MONTH'),
        day: r.u8('DAY'),
        hour: r.u8('HOUR'),
        minute: r.u8('MINUTE'),
        type: r.u16('TYPE'),
        text: r.lnts('TEXT', maxText),
      };
    case UdpCommand.END_OFFLINE_MESSAGES:
      return { ...h, kind: 'end-offline-messages' };
    case UdpCommand.INFO_REPLY:
      return {
        ...h,
        kind: 'info-reply',
        uin: r.u32('UIN'),
        nick: r.lnts('NICK', maxText),
        first: r.lnts('FIRST', maxText),
        last: r.lnts('LAST', maxText),
        email: r.lnts('EMAIL', maxText),
        auth: r.u8('AUTH'),
      };
    case UdpCommand.INFO_NONE:
      return { ...h, kind: 'info-none', uin: r.u32('UIN') };
    case UdpCommand.TCP_REQUEST: {
      const requesterUin = r.u32('REQUESTER_UIN');
      const ip = r.ip('IP');
      const port = r.u32('PORT');
      const tcpFlag = r.u8('TCP_FLAG');
      const otherPort = r.u32('OTHER_PORT');
      const port2 = r.u32('PORT2');
      const tcpVersion = r.u16('TCP_VERSION');
      return { ...h, kind: 'tcp-request-relayed', requesterUin, target: hd.to, ip, port, tcpFlag, otherPort, port2, tcpVersion };
    }
    default:
      return { ...h, kind: 'unknown', command: hd.command, body: Buffer.from(r.rest()) };
  }
}

/** The logout text up to its NUL, tolerating a length that runs past the packet (as udp.ts). */
function readTextLeniently(r: ByteReader): string {
  if (r.remaining < 2) return '';
  const len = r.u16('TEXT length');
  const raw = r.bytes(Math.min(len, r.remaining), 'TEXT');
  const nul = raw.indexOf(0);
  return (nul === -1 ? raw : raw.subarray(0, nul)).toString('latin1');
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0').toUpperCase()}`;
}
