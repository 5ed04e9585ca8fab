import { ByteReader, ByteWriter, decodeText } from './bytes.js';
import { IcqProtocolError, WireErrorCode } from './errors.js';
import { MAX_FRAME_BODY } from './framing.js';

/** File-direct packet types (docs/protocol.md §5): the first byte of every frame body. */
export const FilePacketType = {
  BATCH_INIT: 0x00,
  INIT_ACK: 0x01,
  FILE_INFO: 0x02,
  START: 0x03,
  STOP_FILE: 0x04,
  SPEED: 0x05,
  DATA: 0x06,
} as const;

/** Bytes of file data per 06 packet; the last chunk of a file may be shorter. */
export const DATA_CHUNK_SIZE = 2048;
export const FULL_SPEED = 100;

export interface BatchInit {
  kind: 'batch-init';
  count: number;
  /** Must equal the request's TOTAL_SIZE. */
  total: number;
  speed: number;
  nick: string;
}
export interface InitAck {
  kind: 'init-ack';
  speed: number;
  nick: string;
  /**
   * Text after the first NUL of NICK (absent when there is none). Readers of the time cut
   * NICK at its first NUL, so an icqxfer receiver marks itself here (SUBDIR_READER_MARK).
   */
  afterNul?: string;
}

/**
 * What an icqxfer receiver puts after the NUL of its 01 NICK: "I read the sub-directory in
 * the 02 TEXT". Old clients cannot see it, and no client of the time sends it, so a sender
 * sends a sub-directory only to a receiver that says this (docs/protocol.md §5, §7).
 */
export const SUBDIR_READER_MARK = 'icqxfer:subdir';

/** True when a 01 says its sender reads the 02 TEXT sub-directory. */
export function readsSubdirs(ack: InitAck): boolean {
  return ack.afterNul?.split('\0').includes(SUBDIR_READER_MARK) ?? false;
}
export interface FileInfo {
  kind: 'file-info';
  /** Base name only. */
  name: string;
  /** Empty from old clients; later clients put the relative sub-directory here. */
  text: string;
  size: number;
  /** Unix time, 0 = unknown. */
  mtime: number;
  speed: number;
}
export interface FileStart {
  kind: 'start';
  /** Bytes the receiver already has; the sender seeks there. OFFSET = SIZE skips the file. */
  offset: number;
  speed: number;
  /** 1-based file number, read from the 17-byte form; never sent (we send 13 bytes, §5). */
  fileNo?: number;
}
export interface StopFile {
  kind: 'stop-file';
  fileNo: number;
}
export interface SpeedChange {
  kind: 'speed';
  speed: number;
}
export interface FileData {
  kind: 'data';
  /** A view into the frame: valid as long as the frame is. */
  data: Buffer;
}

export type FilePacket = BatchInit | InitAck | FileInfo | FileStart | StopFile | SpeedChange | FileData;

export interface FileDecodeOptions {
  /** Longest NAME/TEXT/NICK accepted: the LNTS length WORD, NUL included (default 65535). */
  maxStringLength?: number;
}

export function encodeFilePacket(p: FilePacket): Buffer {
  switch (p.kind) {
    case 'batch-init':
      return new ByteWriter(32).u8(FilePacketType.BATCH_INIT).u32(0).u32(p.count).u32(p.total).u32(p.speed).lnts(p.nick).toBuffer();
    case 'init-ack': {
      const nick = p.afterNul === undefined ? p.nick : `${p.nick}\0${p.afterNul}`;
      return new ByteWriter(16).u8(FilePacketType.INIT_ACK).u32(p.speed).lnts(nick).toBuffer();
    }
    case 'file-info':
      return new ByteWriter(32 + p.name.length + p.text.length)
        .u8(FilePacketType.FILE_INFO)
        .u8(0)
        .lnts(p.name)
        .lnts(p.text)
        .u32(p.size)
        .u32(p.mtime)
        .u32(p.speed)
        .toBuffer();
    case 'start':
      return new ByteWriter(13).u8(FilePacketType.START).u32(p.offset).u32(0).u32(p.speed).toBuffer();
    case 'stop-file':
      return new ByteWriter(5).u8(FilePacketType.STOP_FILE).u32(p.fileNo).toBuffer();
    case 'speed':
      return new ByteWriter(5).u8(FilePacketType.SPEED).u32(p.speed).toBuffer();
    case 'data': {
      const out = Buffer.allocUnsafe(1 + p.data.length);
      out[0] = FilePacketType.DATA;
      p.data.copy(out, 1);
      return out;
    }
  }
}

export function decodeFilePacket(body: Buffer, options: FileDecodeOptions = {}): FilePacket {
  const maxStr = options.maxStringLength ?? 0xffff;
  if (body.length === 0) throw new IcqProtocolError(WireErrorCode.SHORT_PACKET, 'empty file packet');
  const type = body[0]!;
  const r = new ByteReader(body, 1, `file packet ${type.toString(16).padStart(2, '0')}`);
  switch (type) {
    case FilePacketType.BATCH_INIT: {
      r.skip(4, 'zero DWORD');
      return { kind: 'batch-init', count: r.u32('COUNT'), total: r.u32('TOTAL'), speed: r.u32('SPEED'), nick: r.lnts('NICK', maxStr) };
    }
    case FilePacketType.INIT_ACK: {
      const speed = r.u32('SPEED');
      const { text, afterNul } = r.lntsSplit('NICK', maxStr);
      const ack: InitAck = { kind: 'init-ack', speed, nick: decodeText(text) };
      if (afterNul.length > 0) ack.afterNul = decodeText(afterNul);
      return ack;
    }
    case FilePacketType.FILE_INFO: {
      r.skip(1, 'zero BYTE');
      const name = r.lnts('NAME', maxStr);
      const text = r.lnts('TEXT', maxStr);
      const size = r.u32('SIZE');
      // Old clients end the packet after SIZE's zero DWORD or omit SPEED; both are harmless.
      const mtime = r.remaining >= 4 ? r.u32('mtime') : 0;
      const speed = r.remaining >= 4 ? r.u32('SPEED') : 100;
      return { kind: 'file-info', name, text, size, mtime, speed };
    }
    case FilePacketType.START: {
      const offset = r.u32('OFFSET');
      r.skip(4, 'zero DWORD');
      const speed = r.u32('SPEED');
      // 13 bytes is ours and ICQ 98's; 17 adds a 1-based file number (later clients).
      const fileNo = r.remaining >= 4 ? r.u32('FILE_NO') : undefined;
      return fileNo === undefined ? { kind: 'start', offset, speed } : { kind: 'start', offset, speed, fileNo };
    }
    case FilePacketType.STOP_FILE:
      return { kind: 'stop-file', fileNo: r.u32('FILE_NO') };
    case FilePacketType.SPEED: {
      // Some clients read, and so may write, only the low byte.
      const speed = r.remaining >= 4 ? r.u32('SPEED') : r.u8('SPEED');
      return { kind: 'speed', speed };
    }
    case FilePacketType.DATA:
      return { kind: 'data', data: body.subarray(1) };
    default:
      throw new IcqProtocolError(WireErrorCode.UNKNOWN_PACKET, `unknown file packet type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

/** Header of one framed 06 packet: WORD length (1 + n) then the type byte. */
export const DATA_FRAME_OVERHEAD = 3;

/** Writes the 3-byte header of a framed data packet carrying n bytes into buf at offset. */
export function writeDataFrameHeader(buf: Buffer, offset: number, n: number): void {
  // A larger n would silently wrap the WORD length and desynchronise the stream.
  if (!(n >= 0 && n <= MAX_FRAME_BODY - 1)) throw new RangeError(`data chunk must be 0..${MAX_FRAME_BODY - 1} bytes, got ${n}`);
  const len = n + 1;
  buf[offset] = len & 0xff;
  buf[offset + 1] = len >>> 8;
  buf[offset + 2] = FilePacketType.DATA;
}
