import { ByteReader, ByteWriter } from './bytes.js';
import { IcqProtocolError, WireErrorCode } from './errors.js';

/**
 * ICQ v2 client ↔ server UDP packets (docs/protocol.md §2). Pure codecs: a datagram in, a typed
 * packet out, and back. Sockets, timers, ACK bookkeeping and retransmission live in
 * src/login (client) and src/server (icqd).
 */

/** The only UDP protocol version we speak; anything else is BAD_VERSION. */
export const UDP_VERSION = 2;

export const UdpCommand = {
  /** Both directions: acknowledges the packet whose SEQ it carries; never ACKed itself. */
  ACK: 0x000a,
  /** Client: log in (port, password, LAN IP, flags, status). */
  LOGIN: 0x03e8,
  /** Server (reliable): login accepted; carries the UIN and the IP the server saw. */
  LOGIN_REPLY: 0x005a,
  /** Server (once): wrong password or unknown UIN. */
  WRONG_PASSWORD: 0x0064,
  /** Server (once): busy, try later. */
  BUSY: 0x00fa,
  /** Server (once): no session for this UIN at this address; log in again. */
  NOT_CONNECTED: 0x00f0,
  /** Server (once): this session was logged off (the UIN logged in elsewhere). */
  LOGGED_OFF: 0x0028,
  /** Client: contact list, a one-BYTE count then that many UINs. */
  CONTACT_LIST: 0x0406,
  /** Client: add one UIN to the contact list. */
  ADD_TO_LIST: 0x053c,
  /** Server (reliable): a contact is online, with its addresses (25-byte body). */
  USER_ONLINE: 0x006e,
  /** Server (reliable): a contact went offline. */
  USER_OFFLINE: 0x0078,
  /** Server (reliable): end of the answer to a contact list; carries the recipient's UIN. */
  END_OF_CONTACTS: 0x021c,
  /** Server (reliable): a contact changed status. */
  STATUS_UPDATE: 0x01a4,
  /** Client: change my status. */
  STATUS_CHANGE: 0x04d8,
  /** Client: keep-alive, no parameters. */
  KEEP_ALIVE: 0x042e,
  /** Client: second keep-alive some clients send; ACKed the same. */
  KEEP_ALIVE_2: 0x051e,
  /** Client: "text code", used as logout (`B_USER_DISCONNECTED`); not ACKed. */
  SEND_TEXT_CODE: 0x0438,
  /** Client: message through the server. */
  SEND_MESSAGE: 0x010e,
  /** Server (reliable): a message relayed from an online user. */
  RECV_MESSAGE: 0x0104,
  /** Client: send me my stored (offline) messages. */
  REQ_OFFLINE_MESSAGES: 0x044c,
  /** Server (reliable): one stored message, with its UTC date. */
  OFFLINE_MESSAGE: 0x00dc,
  /** Server (reliable): end of stored messages; carries the recipient's UIN. */
  END_OFFLINE_MESSAGES: 0x00e6,
  /** Client: stored messages received, delete them. */
  ACK_OFFLINE_MESSAGES: 0x0442,
  /** Client: register a new account (6-byte header, no UIN). */
  REGISTER: 0x03fc,
  /** Server (once): the UIN of a newly registered account. */
  NEW_UIN: 0x0046,
  /** Client: ask for a user's info. */
  INFO_REQ: 0x0460,
  /** Server (reliable): nick, names, e-mail, auth flag. */
  INFO_REPLY: 0x0118,
  /** Server (reliable): no such user. */
  INFO_NONE: 0x012c,
  /** Both: reverse-connect request (client → server), relayed to the target (server → client). */
  TCP_REQUEST: 0x015e,
} as const;

export type UdpCommand = (typeof UdpCommand)[keyof typeof UdpCommand];

/** Client → server header: VERSION, COMMAND, SEQ, UIN. */
export const CLIENT_HEADER_LENGTH = 10;
/** REGISTER's header has no UIN. */
export const REGISTER_HEADER_LENGTH = 6;
/** Server → client header: VERSION, COMMAND, SEQ. */
export const SERVER_HEADER_LENGTH = 6;

/** LOGIN X1 as sent (`72 00 04 00`), read as a DWORD LE. */
export const LOGIN_X1 = 0x00040072;
/** LOGIN X5 as sent (`04 00 72 00`), read as a DWORD LE. */
export const LOGIN_X5 = 0x00720004;
/** The LOGIN_SEQ we send; the server echoes it. */
export const LOGIN_SEQ = 2;
/** The TCP version we put in LOGIN and 0x015E. */
export const UDP_TCP_VERSION = 2;
/** `04`: reachable directly over TCP. */
export const UDP_TCP_FLAG_DIRECT = 0x04;
/** `06`: not TCP capable / indirect only. */
export const UDP_TCP_FLAG_INDIRECT = 0x06;
/** Status low WORD that makes a user invisible (reported offline to watchers). */
export const STATUS_INVISIBLE = 0x0100;
/** The text of the logout packet 0x0438. */
export const LOGOUT_TEXT = 'B_USER_DISCONNECTED';
/** The WORD after the logout text. */
const LOGOUT_TRAILER = 0x0005;
/** The 22 bytes that end every LOGIN_REPLY; clients ignore them. */
export const LOGIN_REPLY_TRAILER: Buffer = Buffer.from('01000100130016008c000000780005000a0005000100', 'hex');
/** REGISTER: WORD before the password, then two DWORDs after it. */
const REGISTER_X1 = 0x0002;
const REGISTER_X2 = 0x00000072;
const REGISTER_X3 = 0x00000000;
/** Bytes a relayed 0x015E carries after the request's 23 bytes (STRICQ: "8 bytes larger"). */
const RELAYED_TCP_REQUEST_PADDING = 8;
const TCP_REQUEST_BODY_LENGTH = 23;
/** The most UINs one 0x0406 can carry (its COUNT is one byte). */
export const MAX_CONTACTS_PER_PACKET = 255;

/**
 * Longest LNTS accepted on decode, in bytes (NUL included). Messages are at most 450 bytes
 * in the original clients; 1024 leaves slack for the clients that sent a little more, while
 * keeping what one hostile packet can make the server store small.
 */
export const DEFAULT_UDP_MAX_TEXT_LENGTH = 1024;

export interface UdpDecodeOptions {
  /** Longest LNTS accepted, in bytes counting the NUL (default DEFAULT_UDP_MAX_TEXT_LENGTH). */
  maxTextLength?: number;
}

// ---------------------------------------------------------------------------------------
// Client → server packets

interface ClientBase {
  seq: number;
  /** The header UIN; 0 for register (whose header has none). */
  uin: number;
}

export interface LoginFields {
  /** TCP message listener; 0 = none. */
  port: number;
  password: string;
  x1: number;
  /** The client's own LAN IP (may be 0.0.0.0). */
  ip: string;
  tcpFlag: number;
  status: number;
  tcpVersion: number;
  loginSeq: number;
  x4: number;
  x5: number;
}

/** The 23 bytes of a reverse-connect request (§2.3 0x015E), as the requester sent them. */
export interface TcpRequestFields {
  target: number;
  /** The requester's IP; 0.0.0.0 asks the server to fill in the address it sees. */
  ip: string;
  /** The requester's listener the target must connect to. */
  port: number;
  tcpFlag: number;
  /** The target's port the requester could not reach. */
  otherPort: number;
  /** MY_PORT again. */
  port2: number;
  tcpVersion: number;
}

export type KeepAliveCommand = typeof UdpCommand.KEEP_ALIVE | typeof UdpCommand.KEEP_ALIVE_2;

export type ClientPacket =
  | (ClientBase & { kind: 'ack' })
  | (ClientBase & { kind: 'login' } & LoginFields)
  | (ClientBase & { kind: 'contact-list'; uins: number[] })
  | (ClientBase & { kind: 'add-to-list'; target: number })
  | (ClientBase & { kind: 'status-change'; status: number })
  | (ClientBase & { kind: 'keep-alive'; command: KeepAliveCommand })
  | (ClientBase & { kind: 'logout'; text: string })
  | (ClientBase & { kind: 'send-message'; target: number; type: number; text: string })
  | (ClientBase & { kind: 'req-offline-messages' })
  | (ClientBase & { kind: 'ack-offline-messages' })
  | (ClientBase & { kind: 'register'; password: string })
  | (ClientBase & { kind: 'info-req'; infoSeq: number; target: number })
  | (ClientBase & { kind: 'tcp-request' } & TcpRequestFields)
  | (ClientBase & { kind: 'unknown'; command: number; body: Buffer });

export type ClientPacketKind = ClientPacket['kind'];

export interface ClientHeader {
  version: number;
  command: number;
  seq: number;
  /** 0 for REGISTER. */
  uin: number;
  /** Where the parameters start: 10, or 6 for REGISTER. */
  length: number;
}

/**
 * Reads only the header, so the server can ACK (and de-duplicate) a packet before, and
 * whether or not, its body decodes.
 */
export function decodeClientHeader(buf: Buffer): ClientHeader {
  const r = new ByteReader(buf, 0, 'client packet');
  const version = r.u16('VERSION');
  checkVersion(version);
  const command = r.u16('COMMAND');
  const seq = r.u16('SEQ');
  if (command === UdpCommand.REGISTER) return { version, command, seq, uin: 0, length: REGISTER_HEADER_LENGTH };
  return { version, command, seq, uin: r.u32('UIN'), length: CLIENT_HEADER_LENGTH };
}

export function clientPacketCommand(p: ClientPacket): number {
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
      return p.command;
    case 'logout':
      return UdpCommand.SEND_TEXT_CODE;
    case 'send-message':
      return UdpCommand.SEND_MESSAGE;
    case 'req-offline-messages':
      return UdpCommand.REQ_OFFLINE_MESSAGES;
    case 'ack-offline-messages':
      return UdpCommand.ACK_OFFLINE_MESSAGES;
    case 'register':
      return UdpCommand.REGISTER;
    case 'info-req':
      return UdpCommand.INFO_REQ;
    case 'tcp-request':
      return UdpCommand.TCP_REQUEST;
    case 'unknown':
      return p.command;
  }
}

export function encodeClientPacket(p: ClientPacket): Buffer {
  const command = clientPacketCommand(p);
  const w = new ByteWriter(64).u16(UDP_VERSION).u16(command).u16(p.seq);
  if (command !== UdpCommand.REGISTER) w.u32(p.uin);
  switch (p.kind) {
    case 'ack':
    case 'keep-alive':
    case 'req-offline-messages':
    case 'ack-offline-messages':
      break;
    case 'login':
      w.u32(p.port)
        .lnts(p.password)
        .u32(p.x1)
        .ip(p.ip)
        .u8(p.tcpFlag)
        .u32(p.status)
        .u32(p.tcpVersion)
        .u16(p.loginSeq)
        .u32(p.x4)
        .u32(p.x5);
      break;
    case 'contact-list':
      if (p.uins.length > MAX_CONTACTS_PER_PACKET) {
        throw new RangeError(`a contact list packet holds at most ${MAX_CONTACTS_PER_PACKET} UINs, got ${p.uins.length}`);
      }
      w.u8(p.uins.length);
      for (const uin of p.uins) w.u32(uin);
      break;
    case 'add-to-list':
      w.u32(p.target);
      break;
    case 'status-change':
      w.u32(p.status);
      break;
    case 'logout':
      w.lnts(p.text).u16(LOGOUT_TRAILER);
      break;
    case 'send-message':
      w.u32(p.target).u16(p.type).lnts(p.text);
      break;
    case 'register':
      w.u16(REGISTER_X1).lnts(p.password).u32(REGISTER_X2).u32(REGISTER_X3);
      break;
    case 'info-req':
      w.u16(p.infoSeq).u32(p.target);
      break;
    case 'tcp-request':
      writeTcpRequest(w, p);
      break;
    case 'unknown':
      w.bytes(p.body);
      break;
  }
  return w.toBuffer();
}

/**
 * Decodes a whole client datagram. Unknown commands are not errors (kind 'unknown'): the
 * server must still ACK them. Trailing bytes after the known fields are ignored, as real
 * servers did. Throws IcqProtocolError only.
 */
export function decodeClientPacket(buf: Buffer, options: UdpDecodeOptions = {}): ClientPacket {
  const maxText = options.maxTextLength ?? DEFAULT_UDP_MAX_TEXT_LENGTH;
  const h = decodeClientHeader(buf);
  const r = new ByteReader(buf, h.length, `client packet ${hex16(h.command)}`);
  const base = { seq: h.seq, uin: h.uin };
  switch (h.command) {
    case UdpCommand.ACK:
      return { ...base, kind: 'ack' };
    case UdpCommand.LOGIN:
      return {
        ...base,
        kind: 'login',
        port: r.u32('PORT'),
        password: r.lnts('PASSWORD', maxText),
        x1: r.u32('X1'),
        ip: r.ip('USER_IP'),
        tcpFlag: r.u8('TCP_FLAG'),
        status: r.u32('STATUS'),
        tcpVersion: r.u32('TCP_VERSION'),
        loginSeq: r.u16('LOGIN_SEQ'),
        x4: r.u32('X4'),
        x5: r.u32('X5'),
      };
    case UdpCommand.CONTACT_LIST: {
      // One BYTE, not the WORD of the 1998 V2 text: every real client and server used a byte.
      const count = r.u8('COUNT');
      const uins: number[] = [];
      for (let i = 0; i < count; i++) uins.push(r.u32('UIN'));
      return { ...base, kind: 'contact-list', uins };
    }
    case UdpCommand.ADD_TO_LIST:
      return { ...base, kind: 'add-to-list', target: r.u32('UIN') };
    case UdpCommand.STATUS_CHANGE:
      return { ...base, kind: 'status-change', status: r.u32('STATUS') };
    case UdpCommand.KEEP_ALIVE:
    case UdpCommand.KEEP_ALIVE_2:
      return { ...base, kind: 'keep-alive', command: h.command as KeepAliveCommand };
    case UdpCommand.SEND_TEXT_CODE:
      return { ...base, kind: 'logout', text: readLogoutText(r) };
    case UdpCommand.SEND_MESSAGE:
      return {
        ...base,
        kind: 'send-message',
        target: r.u32('TARGET_UIN'),
        type: r.u16('TYPE'),
        text: r.lnts('TEXT', maxText),
      };
    case UdpCommand.REQ_OFFLINE_MESSAGES:
      return { ...base, kind: 'req-offline-messages' };
    case UdpCommand.ACK_OFFLINE_MESSAGES:
      return { ...base, kind: 'ack-offline-messages' };
    case UdpCommand.REGISTER: {
      r.u16('X1');
      // The two DWORDs after the password are constants; icqlib's off-by-one length
      // shifts them, so they are not checked.
      return { ...base, kind: 'register', password: r.lnts('PASSWORD', maxText) };
    }
    case UdpCommand.INFO_REQ:
      return { ...base, kind: 'info-req', infoSeq: r.u16('INFO_SEQ'), target: r.u32('UIN') };
    case UdpCommand.TCP_REQUEST:
      return { ...base, kind: 'tcp-request', ...readTcpRequest(r) };
    default:
      return { ...base, kind: 'unknown', command: h.command, body: Buffer.from(r.rest()) };
  }
}

/**
 * The logout text, read up to its NUL. Some clients got the length wrong, so a length
 * that runs past the packet takes what is there instead of failing: a logout is always
 * honoured.
 */
function readLogoutText(r: ByteReader): string {
  if (r.remaining < 2) return '';
  const len = r.u16('TEXT length');
  const raw = r.bytes(Math.min(len, r.remaining), 'TEXT');
  const nul = raw.indexOf(0);
  return (nul === -1 ? raw : raw.subarray(0, nul)).toString('latin1');
}

function writeTcpRequest(w: ByteWriter, p: TcpRequestFields): void {
  w.u32(p.target).ip(p.ip).u32(p.port).u8(p.tcpFlag).u32(p.otherPort).u32(p.port2).u16(p.tcpVersion);
}

function readTcpRequest(r: ByteReader): TcpRequestFields {
  return {
    target: r.u32('TARGET_UIN'),
    ip: r.ip('MY_IP'),
    port: r.u32('MY_PORT'),
    tcpFlag: r.u8('TCP_FLAG'),
    otherPort: r.u32('OTHER_PORT'),
    port2: r.u32('MY_PORT2'),
    tcpVersion: r.u16('TCP_VERSION'),
  };
}

// ---------------------------------------------------------------------------------------
// Server → client packets

interface ServerBase {
  seq: number;
}

export interface UserOnlineFields {
  uin: number;
  /** The UDP source address the server saw. */
  ip: string;
  /** The TCP message port from that user's LOGIN. */
  port: number;
  /** The LAN IP from that user's LOGIN. */
  realIp: string;
  tcpFlag: number;
  status: number;
  tcpVersion: number;
}

export interface OfflineMessageFields {
  from: number;
  /** UTC date the server stored the message. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  type: number;
  text: string;
}

export interface InfoReplyFields {
  infoSeq: number;
  uin: number;
  nick: string;
  first: string;
  last: string;
  email: string;
  /** 1 = anyone may add this user. */
  auth: number;
}

export type ServerPacket =
  | (ServerBase & { kind: 'ack' })
  | (ServerBase & { kind: 'login-reply'; uin: number; ip: string; loginSeq: number })
  | (ServerBase & { kind: 'wrong-password'; loginSeq: number; uin: number })
  | (ServerBase & { kind: 'busy' })
  | (ServerBase & { kind: 'not-connected' })
  | (ServerBase & { kind: 'logged-off' })
  | (ServerBase & { kind: 'user-online' } & UserOnlineFields)
  | (ServerBase & { kind: 'user-offline'; uin: number })
  | (ServerBase & { kind: 'end-of-contacts'; uin: number })
  | (ServerBase & { kind: 'status-update'; uin: number; status: number })
  | (ServerBase & { kind: 'recv-message'; from: number; type: number; text: string })
  | (ServerBase & { kind: 'offline-message' } & OfflineMessageFields)
  | (ServerBase & { kind: 'end-offline-messages'; uin: number })
  | (ServerBase & { kind: 'new-uin'; word: number; uin: number })
  | (ServerBase & { kind: 'info-reply' } & InfoReplyFields)
  | (ServerBase & { kind: 'info-none'; uin: number })
  | (ServerBase & { kind: 'tcp-request-relayed'; requesterUin: number } & TcpRequestFields)
  | (ServerBase & { kind: 'unknown'; command: number; body: Buffer });

export type ServerPacketKind = ServerPacket['kind'];

export interface ServerHeader {
  version: number;
  command: number;
  seq: number;
}

export function decodeServerHeader(buf: Buffer): ServerHeader {
  const r = new ByteReader(buf, 0, 'server packet');
  const version = r.u16('VERSION');
  checkVersion(version);
  return { version, command: r.u16('COMMAND'), seq: r.u16('SEQ') };
}

/**
 * The COMMAND of each server packet kind, one table for every version's server packets
 * (udp-v5.ts uses it too): adding a kind is one line here.
 */
export const SERVER_COMMAND_OF_KIND = {
  ack: UdpCommand.ACK,
  'login-reply': UdpCommand.LOGIN_REPLY,
  'wrong-password': UdpCommand.WRONG_PASSWORD,
  busy: UdpCommand.BUSY,
  'not-connected': UdpCommand.NOT_CONNECTED,
  'logged-off': UdpCommand.LOGGED_OFF,
  'user-online': UdpCommand.USER_ONLINE,
  'user-offline': UdpCommand.USER_OFFLINE,
  'end-of-contacts': UdpCommand.END_OF_CONTACTS,
  'status-update': UdpCommand.STATUS_UPDATE,
  'recv-message': UdpCommand.RECV_MESSAGE,
  'offline-message': UdpCommand.OFFLINE_MESSAGE,
  'end-offline-messages': UdpCommand.END_OFFLINE_MESSAGES,
  'new-uin': UdpCommand.NEW_UIN,
  'info-reply': UdpCommand.INFO_REPLY,
  'info-none': UdpCommand.INFO_NONE,
  'tcp-request-relayed': UdpCommand.TCP_REQUEST,
} as const satisfies Record<Exclude<ServerPacket['kind'], 'unknown'>, number>;

/** COMMAND of a server packet of any version: the table above, or an unknown packet's own. */
export function serverCommandOf(p: { kind: 'unknown'; command: number } | { kind: keyof typeof SERVER_COMMAND_OF_KIND }): number {
  return p.kind === 'unknown' ? p.command : SERVER_COMMAND_OF_KIND[p.kind];
}

export function serverPacketCommand(p: ServerPacket): number {
  return serverCommandOf(p);
}

/**
 * Server packets that are sent once and never ACKed by the client (§2.2). Every other
 * server packet is reliable: retransmitted until ACKed.
 */
const UNACKED_SERVER_COMMANDS: ReadonlySet<number> = new Set([
  UdpCommand.ACK,
  UdpCommand.LOGGED_OFF,
  UdpCommand.NEW_UIN,
  UdpCommand.WRONG_PASSWORD,
  UdpCommand.NOT_CONNECTED,
  UdpCommand.BUSY,
]);

/** Does the client ACK this server command (and so must the server retransmit it)? */
export function isReliableServerCommand(command: number): boolean {
  return !UNACKED_SERVER_COMMANDS.has(command);
}

/** Does the server ACK this client command? Everything except ACK and logout (§2.2). */
export function isAckedClientCommand(command: number): boolean {
  return command !== UdpCommand.ACK && command !== UdpCommand.SEND_TEXT_CODE;
}

export function encodeServerPacket(p: ServerPacket): Buffer {
  const w = new ByteWriter(64).u16(UDP_VERSION).u16(serverPacketCommand(p)).u16(p.seq);
  switch (p.kind) {
    case 'ack':
    case 'busy':
    case 'not-connected':
    case 'logged-off':
      break;
    case 'login-reply':
      w.u32(p.uin).ip(p.ip).u16(p.loginSeq).bytes(LOGIN_REPLY_TRAILER);
      break;
    case 'wrong-password':
      w.u16(p.loginSeq).u32(p.uin);
      break;
    case 'user-online':
      w.u32(p.uin).ip(p.ip).u32(p.port).ip(p.realIp).u8(p.tcpFlag).u32(p.status).u32(p.tcpVersion);
      break;
    case 'user-offline':
    case 'end-of-contacts':
    case 'end-offline-messages':
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
    case 'new-uin':
      w.u16(p.word).u32(p.uin);
      break;
    case 'info-reply':
      w.u16(p.infoSeq).u32(p.uin).lnts(p.nick).lnts(p.first).lnts(p.last).lnts(p.email).u8(p.auth);
      break;
    case 'tcp-request-relayed':
      w.u32(p.requesterUin);
      writeTcpRequest(w, p);
      w.bytes(Buffer.alloc(RELAYED_TCP_REQUEST_PADDING));
      break;
    case 'unknown':
      w.bytes(p.body);
      break;
  }
  return w.toBuffer();
}

/**
 * Decodes a whole server datagram. Trailing bytes are ignored (LOGIN_REPLY's 22 constant
 * bytes are not checked: clients read only UIN and IP). Unknown commands come back as
 * kind 'unknown'. Throws IcqProtocolError only.
 *
 * 0x015E comes in two forms. The long one (what icqd sends): REQUESTER_UIN, then the 23
 * request bytes (TARGET_UIN, IP, PORT, FLAG, OTHER_PORT, PORT2, TCP_VERSION WORD), then 8
 * zero bytes, which are optional on decode. When the body is shorter than REQUESTER_UIN +
 * 23 bytes it is read as the short Licq-era form: REQUESTER_UIN, IP, PORT (12 bytes at
 * least), then as many of TCP_FLAG BYTE, OTHER_PORT DWORD, PORT2 DWORD, TCP_VERSION WORD
 * as are present; missing ones default to 04, 0, PORT, 2, and `target` is 0 (unknown).
 */
export function decodeServerPacket(buf: Buffer, options: UdpDecodeOptions = {}): ServerPacket {
  const maxText = options.maxTextLength ?? DEFAULT_UDP_MAX_TEXT_LENGTH;
  const h = decodeServerHeader(buf);
  const r = new ByteReader(buf, SERVER_HEADER_LENGTH, `server packet ${hex16(h.command)}`);
  const seq = h.seq;
  switch (h.command) {
    case UdpCommand.ACK:
      return { seq, kind: 'ack' };
    case UdpCommand.LOGIN_REPLY:
      return { seq, kind: 'login-reply', uin: r.u32('UIN'), ip: r.ip('USER_IP'), loginSeq: r.u16('LOGIN_SEQ') };
    case UdpCommand.WRONG_PASSWORD:
      return { seq, kind: 'wrong-password', loginSeq: r.u16('LOGIN_SEQ'), uin: r.u32('UIN') };
    case UdpCommand.BUSY:
      return { seq, kind: 'busy' };
    case UdpCommand.NOT_CONNECTED:
      return { seq, kind: 'not-connected' };
    case UdpCommand.LOGGED_OFF:
      return { seq, kind: 'logged-off' };
    case UdpCommand.USER_ONLINE:
      return {
        seq,
        kind: 'user-online',
        uin: r.u32('UIN'),
        ip: r.ip('IP'),
        port: r.u32('PORT'),
        realIp: r.ip('REAL_IP'),
        tcpFlag: r.u8('TCP_FLAG'),
        status: r.u32('STATUS'),
        tcpVersion: r.u32('TCP_VERSION'),
      };
    case UdpCommand.USER_OFFLINE:
      return { seq, kind: 'user-offline', uin: r.u32('UIN') };
    case UdpCommand.END_OF_CONTACTS:
      return { seq, kind: 'end-of-contacts', uin: r.u32('UIN') };
    case UdpCommand.STATUS_UPDATE:
      return { seq, kind: 'status-update', uin: r.u32('UIN'), status: r.u32('STATUS') };
    case UdpCommand.RECV_MESSAGE:
      return { seq, kind: 'recv-message', from: r.u32('FROM_UIN'), type: r.u16('TYPE'), text: r.lnts('TEXT', maxText) };
    case UdpCommand.OFFLINE_MESSAGE:
      return {
        seq,
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
      return { seq, kind: 'end-offline-messages', uin: r.u32('UIN') };
    case UdpCommand.NEW_UIN:
      return { seq, kind: 'new-uin', word: r.u16('WORD'), uin: r.u32('UIN') };
    case UdpCommand.INFO_REPLY:
      return {
        seq,
        kind: 'info-reply',
        infoSeq: r.u16('INFO_SEQ'),
        uin: r.u32('UIN'),
        nick: r.lnts('NICK', maxText),
        first: r.lnts('FIRST', maxText),
        last: r.lnts('LAST', maxText),
        email: r.lnts('EMAIL', maxText),
        auth: r.u8('AUTH'),
      };
    case UdpCommand.INFO_NONE:
      return { seq, kind: 'info-none', uin: r.u32('UIN') };
    case UdpCommand.TCP_REQUEST:
      return { seq, kind: 'tcp-request-relayed', ...readRelayedTcpRequest(r) };
    default:
      return { seq, kind: 'unknown', command: h.command, body: Buffer.from(r.rest()) };
  }
}

function readRelayedTcpRequest(r: ByteReader): { requesterUin: number } & TcpRequestFields {
  const requesterUin = r.u32('REQUESTER_UIN');
  if (r.remaining >= TCP_REQUEST_BODY_LENGTH) return { requesterUin, ...readTcpRequest(r) };
  // Short Licq-era form: no TARGET_UIN.
  const ip = r.ip('IP');
  const port = r.u32('PORT');
  const tcpFlag = r.remaining >= 1 ? r.u8('TCP_FLAG') : UDP_TCP_FLAG_DIRECT;
  const otherPort = r.remaining >= 4 ? r.u32('OTHER_PORT') : 0;
  const port2 = r.remaining >= 4 ? r.u32('PORT2') : port;
  const tcpVersion = r.remaining >= 2 ? r.u16('TCP_VERSION') : UDP_TCP_VERSION;
  return { requesterUin, target: 0, ip, port, tcpFlag, otherPort, port2, tcpVersion };
}

// ---------------------------------------------------------------------------------------
// Builders for the packets with constant fields

export interface LoginParams {
  seq: number;
  uin: number;
  password: string;
  /** TCP message listener (default 0: none). */
  port?: number;
  /** Our LAN IP (default 0.0.0.0). */
  ip?: string;
  /** Default 04 (direct) when port is set, 06 otherwise. */
  tcpFlag?: number;
  /** Default 0 (online). */
  status?: number;
  tcpVersion?: number;
  loginSeq?: number;
}

/** A LOGIN with the constants of §2.3 (X1 `72 00 04 00`, X4 0, X5 `04 00 72 00`). */
export function loginPacket(p: LoginParams): Extract<ClientPacket, { kind: 'login' }> {
  const port = p.port ?? 0;
  return {
    kind: 'login',
    seq: p.seq,
    uin: p.uin,
    port,
    password: p.password,
    x1: LOGIN_X1,
    ip: p.ip ?? '0.0.0.0',
    tcpFlag: p.tcpFlag ?? (port !== 0 ? UDP_TCP_FLAG_DIRECT : UDP_TCP_FLAG_INDIRECT),
    status: p.status ?? 0,
    tcpVersion: p.tcpVersion ?? UDP_TCP_VERSION,
    loginSeq: p.loginSeq ?? LOGIN_SEQ,
    x4: 0,
    x5: LOGIN_X5,
  };
}

/** The logout 0x0438: `14 00 "B_USER_DISCONNECTED" 00 05 00`. */
export function logoutPacket(seq: number, uin: number): Extract<ClientPacket, { kind: 'logout' }> {
  return { kind: 'logout', seq, uin, text: LOGOUT_TEXT };
}

/** A 0x015E with TCP_FLAG 04, PORT2 = PORT and TCP_VERSION 2. */
export function tcpRequestPacket(p: {
  seq: number;
  uin: number;
  target: number;
  ip: string;
  port: number;
  otherPort: number;
}): Extract<ClientPacket, { kind: 'tcp-request' }> {
  return {
    kind: 'tcp-request',
    seq: p.seq,
    uin: p.uin,
    target: p.target,
    ip: p.ip,
    port: p.port,
    tcpFlag: UDP_TCP_FLAG_DIRECT,
    otherPort: p.otherPort,
    port2: p.port,
    tcpVersion: UDP_TCP_VERSION,
  };
}

export function clientAck(seq: number, uin: number): Buffer {
  return encodeClientPacket({ kind: 'ack', seq, uin });
}

export function serverAck(seq: number): Buffer {
  return encodeServerPacket({ kind: 'ack', seq });
}

function checkVersion(version: number): void {
  if (version !== UDP_VERSION) {
    throw new IcqProtocolError(WireErrorCode.BAD_VERSION, `UDP version ${version} is not supported (only ${UDP_VERSION})`);
  }
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
}
