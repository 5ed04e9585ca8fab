import { ByteReader, ByteWriter } from './bytes.js';
import { IcqProtocolError, WireErrorCode } from './errors.js';

/** The TCP protocol version we send (docs/protocol.md §3.3). */
export const TCP_VERSION = 2;
/** `04`: reachable directly. */
export const TCP_FLAG_DIRECT = 0x04;
export const INIT_PACKET_BYTE = 0xff;
export const INIT_PACKET_LENGTH = 26;

export const PeerCommand = {
  CANCEL: 0x07d0,
  ACK: 0x07da,
  MESSAGE: 0x07ee,
} as const;

export const PeerMessageType = {
  MESSAGE: 0x0001,
  CHAT: 0x0002,
  FILE: 0x0003,
  URL: 0x0004,
  READ_AWAY: 0x03e8,
  READ_OCCUPIED: 0x03e9,
  READ_NA: 0x03ea,
  READ_DND: 0x03eb,
  READ_FFC: 0x03ec,
} as const;

/** TCP status codes (not the UDP ones). */
export const PeerStatus = {
  ONLINE: 0x0000,
  REFUSE: 0x0001,
  AWAY: 0x0004,
  OCCUPIED: 0x0009,
  DND: 0x000a,
  NA: 0x000e,
} as const;

export const CMD_TYPE_REQUEST = 0x0010;
export const CMD_TYPE_ACK = 0x0000;

/**
 * Message-packet versions read in the plain layout of §3.3: 2 (ICQ 98, the STRICQ text), 3
 * (icqlib, Licq 0.7x) and 6 (Licq 1.0.x, its ICQ 2000 number in the old layout, §7). An init
 * carries any version: its layout is chosen by its length, never by the version (§3.2).
 */
const PLAIN_MESSAGE_VERSIONS = [2, 3, 6];
/** Versions whose message packets are encrypted (ICQ 98a style, §7): named, not guessed at. */
const ENCRYPTED_MESSAGE_VERSIONS = [4, 5];

export function isReadAwayType(type: number): boolean {
  return type >= PeerMessageType.READ_AWAY && type <= PeerMessageType.READ_FFC;
}

// ---------------------------------------------------------------------------------------
// Init packet (§3.2)

export interface InitPacket {
  version: number;
  /** Sender's message listener on a message connection; 0 on a file connection. */
  msgPort: number;
  uin: number;
  ip: string;
  realIp: string;
  tcpFlag: number;
  /** The file/chat listener on such a connection; 0 on a message connection. */
  otherPort: number;
}

export function encodeInit(p: InitPacket): Buffer {
  return new ByteWriter(INIT_PACKET_LENGTH)
    .u8(INIT_PACKET_BYTE)
    .u32(p.version)
    .u32(p.msgPort)
    .u32(p.uin)
    .ip(p.ip)
    .ip(p.realIp)
    .u8(p.tcpFlag)
    .u32(p.otherPort)
    .toBuffer();
}

export function isInitPacket(body: Buffer): boolean {
  return body.length > 0 && body[0] === INIT_PACKET_BYTE;
}

/**
 * Only the UIN matters to a receiver: icqlib writes its port as a big-endian WORD and leaves
 * the last DWORD uninitialised, so ports and IPs are read but never trusted. VERSION is read
 * and never judged: Licq 1.0.x writes 6 in this 26-byte layout (§3.2). Longer inits (later
 * versions) are accepted; the fields we know are at the same offsets.
 */
export function decodeInit(body: Buffer): InitPacket {
  const r = new ByteReader(body, 0, 'init packet');
  if (r.u8('type') !== INIT_PACKET_BYTE) {
    throw new IcqProtocolError(WireErrorCode.UNKNOWN_PACKET, `init packet must start with FF, got ${hex8(body[0]!)}`);
  }
  const version = r.u32('VERSION');
  return {
    version,
    msgPort: r.u32('MSG_PORT'),
    uin: r.u32('UIN'),
    ip: r.ip('IP'),
    realIp: r.ip('REAL_IP'),
    tcpFlag: r.u8('TCP_FLAG'),
    otherPort: r.u32('OTHER_PORT'),
  };
}

// ---------------------------------------------------------------------------------------
// Message / ACK / cancel packets (§3.3–3.6)

/** File request/ACK/cancel tail. One layout serves all three (§3.4–3.6). */
export interface FileTail {
  /** Port as a big-endian WORD (the ACK's first port); 0 in a request. */
  portBe: number;
  pad: number;
  fileName: string;
  totalSize: number;
  /** Port as a DWORD LE (the ACK's second port); 0 in a request. */
  port: number;
}

/** Chat request/ACK tail (from the seed): text, BE port, pad, LE port. */
export interface ChatTail {
  text: string;
  portBe: number;
  pad: number;
  port: number;
}

export interface PeerMessage {
  uin: number;
  version: number;
  command: number;
  /** The UIN again; kept to re-encode what was received. */
  uin2: number;
  type: number;
  text: string;
  ip: string;
  realIp: string;
  port: number;
  /** The byte after PORT: `04` (`02` from the Win3.1 client). */
  flag: number;
  status: number;
  cmdType: number;
  file?: FileTail;
  chat?: ChatTail;
  seq: number;
}

export interface PeerDecodeOptions {
  /** Longest TEXT/FILENAME accepted: the LNTS length WORD, NUL included (default 65535). */
  maxTextLength?: number;
}

/**
 * Largest body of a frame we send other than 06 data: icqlib 1.0.0 reads frames into a
 * 4096-byte buffer and crashes on a larger one (docs/protocol.md §7).
 */
export const MAX_SENT_FRAME_BODY = 4094;

/**
 * Longest request description (--message), in bytes: with the longest file name (255 bytes)
 * and the fixed 55 bytes of a file request, the frame stays under MAX_SENT_FRAME_BODY.
 */
export const MAX_DESCRIPTION_BYTES = 3500;

export function encodePeerMessage(m: PeerMessage): Buffer {
  const w = new ByteWriter(64 + m.text.length)
    .u32(m.uin)
    .u16(m.version)
    .u16(m.command)
    .u16(0)
    .u32(m.uin2)
    .u16(m.type)
    .lnts(m.text)
    .ip(m.ip)
    .ip(m.realIp)
    .u32(m.port)
    .u8(m.flag)
    .u16(m.status)
    .u16(m.cmdType);
  if (m.type === PeerMessageType.FILE) {
    const t = m.file ?? emptyFileTail();
    w.u16be(t.portBe).u16(t.pad).lnts(t.fileName).u32(t.totalSize).u32(t.port);
  } else if (m.type === PeerMessageType.CHAT) {
    const t = m.chat ?? { text: '', portBe: 0, pad: 0, port: 0 };
    w.lnts(t.text).u16be(t.portBe).u16(t.pad).u32(t.port);
  }
  const body = w.u32(m.seq).toBuffer();
  if (body.length > MAX_SENT_FRAME_BODY) {
    throw new RangeError(`a ${body.length}-byte message packet is over the ${MAX_SENT_FRAME_BODY} bytes old clients can read`);
  }
  return body;
}

/** Trailing bytes after SEQ (Licq appends `'L'` and a WORD) are ignored. */
export function decodePeerMessage(body: Buffer, options: PeerDecodeOptions = {}): PeerMessage {
  const maxText = options.maxTextLength ?? 0xffff;
  const r = new ByteReader(body, 0, 'peer message');
  const uin = r.u32('UIN');
  const version = r.u16('VERSION');
  if (ENCRYPTED_MESSAGE_VERSIONS.includes(version)) {
    throw new IcqProtocolError(
      WireErrorCode.UNSUPPORTED_VERSION,
      `peer message version ${version} is encrypted (ICQ 98a style), which icqxfer does not support`,
    );
  }
  if (!PLAIN_MESSAGE_VERSIONS.includes(version)) {
    throw new IcqProtocolError(WireErrorCode.BAD_VERSION, `peer message version ${version} is not supported`);
  }
  const command = r.u16('COMMAND');
  if (command !== PeerCommand.MESSAGE && command !== PeerCommand.ACK && command !== PeerCommand.CANCEL) {
    throw new IcqProtocolError(WireErrorCode.UNKNOWN_PACKET, `unknown peer command ${hex16(command)}`);
  }
  r.skip(2, 'unknown WORD');
  const m: PeerMessage = {
    uin,
    version,
    command,
    uin2: r.u32('UIN2'),
    type: r.u16('TYPE'),
    text: r.lnts('TEXT', maxText),
    ip: r.ip('IP'),
    realIp: r.ip('REAL_IP'),
    port: r.u32('PORT'),
    flag: r.u8('FLAG'),
    status: r.u16('STATUS'),
    cmdType: r.u16('CMD_TYPE'),
    seq: 0,
  };
  if (m.type === PeerMessageType.FILE) {
    m.file = {
      portBe: r.u16be('PORT_BE'),
      pad: r.u16('PAD'),
      fileName: r.lnts('FILENAME', maxText),
      totalSize: r.u32('TOTAL_SIZE'),
      port: r.u32('PORT'),
    };
  } else if (m.type === PeerMessageType.CHAT) {
    m.chat = { text: r.lnts('chat text', maxText), portBe: r.u16be('PORT_BE'), pad: r.u16('PAD'), port: r.u32('PORT') };
  }
  m.seq = r.u32('SEQ');
  return m;
}

export function emptyFileTail(): FileTail {
  return { portBe: 0, pad: 0, fileName: '', totalSize: 0, port: 0 };
}

/** Where our side of a message connection is: this socket's address, not the listener. */
export interface PeerEndpoint {
  uin: number;
  ip: string;
  port: number;
  /**
   * Our TCP status (PeerStatus), the default STATUS of ackFor's ACKs. Requests, cancels and
   * file ACKs never carry it: §3.3 wants 0 in a request, and 0/1 in a file ACK means
   * accepted/refused, so an away status there would read as something else.
   */
  status?: number;
}

function header(
  from: PeerEndpoint,
  command: number,
  type: number,
  text: string,
  cmdType: number,
  seq: number,
  status: number = PeerStatus.ONLINE,
): PeerMessage {
  return {
    uin: from.uin,
    version: TCP_VERSION,
    command,
    uin2: from.uin,
    type,
    text,
    ip: from.ip,
    realIp: from.ip,
    port: from.port,
    flag: TCP_FLAG_DIRECT,
    status,
    cmdType,
    seq,
  };
}

/** A plain text message (TYPE 1). */
export function textMessage(from: PeerEndpoint, text: string, seq: number): PeerMessage {
  return header(from, PeerCommand.MESSAGE, PeerMessageType.MESSAGE, text, CMD_TYPE_REQUEST, seq);
}

/** File request (§3.4): one base name, or "N Files" for a batch, and the total size. */
export function fileRequest(
  from: PeerEndpoint,
  req: { description: string; fileName: string; totalSize: number; seq: number },
): PeerMessage {
  const m = header(from, PeerCommand.MESSAGE, PeerMessageType.FILE, req.description, CMD_TYPE_REQUEST, req.seq);
  m.file = { portBe: 0, pad: 0, fileName: req.fileName, totalSize: req.totalSize, port: 0 };
  return m;
}

/** Name for a request: the base name of one file, "N Files" for a batch. */
export function batchFileName(count: number, firstName: string): string {
  return count === 1 ? firstName : `${count} Files`;
}

/** File ACK, accept form (§3.5): STATUS 0, the file port big-endian, then again LE. */
export function fileAccept(from: PeerEndpoint, request: PeerMessage, filePort: number, autoReply = ''): PeerMessage {
  const m = header(from, PeerCommand.ACK, PeerMessageType.FILE, autoReply, CMD_TYPE_ACK, request.seq);
  m.file = { portBe: filePort, pad: 0, fileName: '', totalSize: 0, port: filePort };
  return m;
}

/** File ACK, refuse form (§3.5): STATUS 1, the reason as TEXT, all ports zero. */
export function fileRefuse(from: PeerEndpoint, request: PeerMessage, reason: string): PeerMessage {
  const m = header(from, PeerCommand.ACK, PeerMessageType.FILE, reason, CMD_TYPE_ACK, request.seq, PeerStatus.REFUSE);
  m.file = emptyFileTail();
  return m;
}

/**
 * ACK for any other request: a message, URL, or read-away (TEXT = the auto-reply), or a
 * polite refusal of a chat (status 1). Carries the request's TYPE, tail shape and SEQ.
 */
export function ackFor(
  from: PeerEndpoint,
  request: PeerMessage,
  text = '',
  status: number = from.status ?? PeerStatus.ONLINE,
): PeerMessage {
  const m = header(from, PeerCommand.ACK, request.type, text, CMD_TYPE_ACK, request.seq, status);
  if (request.type === PeerMessageType.FILE) m.file = emptyFileTail();
  if (request.type === PeerMessageType.CHAT) m.chat = { text: '', portBe: 0, pad: 0, port: 0 };
  return m;
}

/** Cancel (§3.6): the request's TYPE and SEQ, everything else empty. */
export function cancelFor(from: PeerEndpoint, request: PeerMessage): PeerMessage {
  const m = header(from, PeerCommand.CANCEL, request.type, '', CMD_TYPE_REQUEST, request.seq);
  if (request.type === PeerMessageType.FILE) m.file = emptyFileTail();
  if (request.type === PeerMessageType.CHAT) m.chat = { text: '', portBe: 0, pad: 0, port: 0 };
  return m;
}

/** The file port from an ACK: the LE DWORD, or the byte-swapped first WORD when that is 0. */
export function filePortFromAck(tail: FileTail): number {
  return tail.port !== 0 ? tail.port : tail.portBe;
}

/**
 * TCP message SEQ (§3.3): one counter per process, from 0xFFFFFFFE down by one for every
 * non-ACK packet sent or received on message connections. ACKs and cancels reuse the
 * request's SEQ and do not move it.
 */
export class TcpSequence {
  private value: number;

  constructor(start = 0xfffffffe) {
    this.value = start >>> 0;
  }

  /** The SEQ for a packet we send now. */
  take(): number {
    const v = this.value;
    this.value = (this.value - 1) >>> 0;
    return v;
  }

  /** A non-ACK packet arrived: the shared counter moves too. */
  observe(): void {
    this.value = (this.value - 1) >>> 0;
  }

  get current(): number {
    return this.value;
  }
}

function hex8(n: number): string {
  return `0x${n.toString(16).padStart(2, '0').toUpperCase()}`;
}
function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
}
