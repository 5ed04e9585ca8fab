import { closeSync, fstatSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodeFilePacket, encodeFilePacket, readsSubdirs, FilePacketType, DATA_CHUNK_SIZE, FULL_SPEED } from '../wire/file.js';
import type { FilePacket, InitAck } from '../wire/file.js';
import type { FileDoneEvent } from './events.js';
import { IcqError, ErrorCode } from '../errors.js';
import { frameBody } from '../wire/framing.js';
import type { PeerConnection } from './connection.js';
import type { TransferSummary } from './options.js';
import { DataBlock, DEFAULT_CHUNKS_PER_BLOCK } from './data-block.js';
import { createFileDigest, hashFilePrefix } from './file-hash.js';
import type { FileDigest } from './file-hash.js';
import { FileSession, type FileSessionOptions } from './file-session.js';
import { flattenBatch } from './flatten.js';
import { Pacer, pacedBlockBytes } from './speed.js';

export interface OutgoingFile {
  /** Local path to read. */
  path: string;
  /** Base name sent in 02 NAME. */
  name: string;
  /** '' or 'a/b' ('/'-separated), sent in 02 TEXT. */
  subdir: string;
  size: number;
  /** Unix seconds (0 = unknown). */
  mtime: number;
  /** MIME type, for events. */
  type: string;
}

export interface SendSessionOptions extends FileSessionOptions {
  files: OutgoingFile[];
  /** TOTAL in 00: the request's TOTAL_SIZE. */
  total: number;
  nick: string;
}

/** An 06 with no data: frame `01 00 06`. */
const EMPTY_DATA = encodeFilePacket({ kind: 'data', data: Buffer.alloc(0) });
/** Framed blocks in flight at once: enough to keep the socket busy while the next is read. */
const MAX_BLOCKS = 4;
/** File bytes one block holds: files up to this size are read during the 02 → 03 round trip. */
const BLOCK_CAPACITY = DEFAULT_CHUNKS_PER_BLOCK * DATA_CHUNK_SIZE;

/**
 * S's side of docs/protocol.md §5:
 *   WAIT_INIT_ACK --01--> WAIT_START (02 sent) --03--> SENDING --last chunk--> WAIT_START
 *   (next 02) ... --after the last file--> DONE (we close) --close--> resolved.
 * 05 is recorded in every state, 04 stops the current file, empty 06 packets are ignored;
 * anything else out of place is a protocol error.
 */
type SendState = 'WAIT_INIT_ACK' | 'WAIT_START' | 'SENDING' | 'DONE' | 'FAILED';

export function runSendSession(conn: PeerConnection, options: SendSessionOptions): Promise<TransferSummary> {
  return new SendSession(conn, options).run();
}

interface CurrentFile {
  file: OutgoingFile;
  /** 1-based. */
  index: number;
  /** Relative name for events: sub-directory + name. */
  name: string;
  /** Opened right after the 02 left, so the 03 round trip hides the open; null once closed. */
  fd: number | null;
  /** Why it could not be opened: reported when the data loop needs the file. */
  openError: unknown;
  /** A file that fits one block is read (and hashed) while the 02 travels too; null if not. */
  preRead: PreRead | null;
  stopped: boolean;
  /** The data loop, once 03 started it; it closes the file when it ends. */
  sending: Promise<void> | null;
}

/** A whole file already in a block, framed and hashed, ready for an 03 with offset 0. */
interface PreRead {
  block: DataBlock;
  framed: Buffer;
  hash: FileDigest;
}

class SendSession extends FileSession {
  private state: SendState = 'WAIT_INIT_ACK';
  private readonly pacer = new Pacer();
  private readonly freeBlocks: DataBlock[] = [];
  private blocksMade = 0;
  private current: CurrentFile | null = null;
  private fileCount = 0;
  /** The batch as it goes out: options.files, or flattened at the 01 (onInitAck). */
  private files: readonly OutgoingFile[];
  /** The 01 said the receiver reads 02 TEXT; until then, and without it, TEXT stays empty. */
  private subdirsInText = false;
  private skipped = 0;
  /**
   * file-done events of files sent but not yet known to be stored. An icqxfer receiver puts
   * file k in place before it asks for file k + 2 (its 03), and closes normally only once
   * the last file is in place; it resets the connection when it cannot store a file. So
   * file k is reported at the 03 of file k + 2, or at the normal close after the last.
   */
  private readonly unconfirmed: { index: number; event: FileDoneEvent }[] = [];
  private needDrain = false;
  /** The data loop waits on this (a free block, drain, pacing, un-pause, stop or failure). */
  private waiter: (() => void) | null = null;
  private readonly onDrain = () => {
    this.needDrain = false;
    this.wakeUp();
  };

  constructor(
    conn: PeerConnection,
    private readonly options: SendSessionOptions,
  ) {
    super(conn, options, options.total);
    this.files = options.files;
  }

  /** S speaks first (§5): 00 right after the init, whichever side connected. */
  protected begin(): void {
    const { conn, options } = this;
    conn.socket.on('drain', this.onDrain);
    conn.send(
        encodeFilePacket({
          kind: 'batch-init',
          count: options.files.length,
          total: options.total,
          speed: this.speed.local,
          nick: options.nick,
        }),
      );
    if (this.speed.local !== FULL_SPEED) conn.send(encodeFilePacket({ kind: 'speed', speed: this.speed.local }));
    conn.setHandler((buf, start, end) => this.onFrame(frameBody(buf, start, end)));
  }

  private onFrame(frame: Buffer): void {
    if (this.state === 'DONE' || this.state === 'FAILED') return;
    if (frame[0] === FilePacketType.DATA && frame.length === 1) return;
    const packet = decodeFilePacket(frame);
    switch (packet.kind) {
      case 'speed':
        return this.onSpeed(packet.speed);
      case 'stop-file':
        return this.onStopFile();
    }
    if (this.state === 'WAIT_INIT_ACK' && packet.kind === 'init-ack') return this.onInitAck(packet);
    if (this.state === 'WAIT_START' && packet.kind === 'start') return this.startFile(packet.offset);
    throw unexpected(packet, this.state);
  }

  private onSpeed(speed: number): void {
    if (!this.speed.setPeer(speed)) return;
    this.pacer.reset(performance.now());
    this.applyIdleTimeout();
    this.wakeUp();
  }

  private onStopFile(): void {
    const cur = this.current;
    if (cur === null || cur.stopped) return;
    cur.stopped = true;
    if (this.state === 'SENDING') {
      this.wakeUp();
    } else if (this.state === 'WAIT_START') {
      // Stopped before it began: as good as skipped.
      this.emitFileStart(cur, cur.file.size);
      this.progress.beginFile(cur.name, cur.file.size, cur.file.size);
      this.endFile(cur, '', true);
    }
  }

  /**
   * Sub-directories travel in 02 TEXT only to a receiver that marked its 01 as a reader of
   * them (an icqxfer receiver): Licq 1.0.x breaks on a non-empty TEXT and cannot be told
   * apart (docs/protocol.md §7). To any other receiver the batch goes flat, with one warning.
   */
  private onInitAck(ack: InitAck): void {
    this.subdirsInText = readsSubdirs(ack);
    const flat = this.subdirsInText ? null : flattenBatch(this.options.files);
    if (flat !== null) {
      this.files = flat.files;
      const renamed = flat.renamed > 0 ? `, ${flat.renamed} renamed to stay unique` : '';
      this.options.onEvent?.({
        event: 'warning',
        peer: this.options.peer,
        message: `${this.options.peer} is not known to read sub-directories: ${flat.moved} file(s) from directories go flat under their base names${renamed}`,
      });
    }
    this.nextFile();
  }

  private nextFile(): void {
    const files = this.files;
    if (this.fileCount === files.length) {
      // No end packet: closing after the last chunk is how S says "done" (§5).
      this.current = null;
      this.state = 'DONE';
      this.conn.end();
      return;
    }
    const file = files[this.fileCount++]!;
    const cur: CurrentFile = {
      file,
      index: this.fileCount,
      name: file.subdir === '' ? file.name : `${file.subdir}/${file.name}`,
      fd: null,
      openError: null,
      preRead: null,
      stopped: false,
      sending: null,
    };
    this.current = cur;
    this.state = 'WAIT_START';
    this.conn.send(
      encodeFilePacket({
        kind: 'file-info',
        name: file.name,
        text: this.subdirsInText ? file.subdir : '',
        size: file.size,
        mtime: file.mtime,
        speed: this.speed.local,
      }),
    );
    // The 02 is on its way: open the file (and read it, when small) while it travels.
    try {
      cur.fd = openForSending(file);
    } catch (err) {
      cur.openError = err;
      return;
    }
    // Most 03s say "from the start": a small file read during the round trip goes out the
    // moment the 03 arrives (the round trip is the only per-file wait of the protocol).
    if (file.size > 0 && file.size <= BLOCK_CAPACITY && this.speed.bytesPerSecond === Infinity) {
      const block = this.takeBlock();
      if (block !== null) cur.preRead = this.preRead(cur.fd, file.size, block);
    }
  }

  private startFile(offset: number): void {
    const cur = this.current!;
    this.confirmUpTo(cur.index - 2);
    const size = cur.file.size;
    if (offset > size) throw new IcqError(ErrorCode.PROTOCOL, `receiver asked for offset ${offset} of ${cur.name}, which has ${size} bytes`);
    this.emitFileStart(cur, offset);
    this.progress.beginFile(cur.name, size, offset);
    // An empty file, and a skipped one (OFFSET = SIZE), get one empty 06 (§5): Licq 1.0.x
    // waits for a 06 before it reads the next 02, and throws that 02 away otherwise.
    if (size === 0) {
      this.conn.send(EMPTY_DATA);
      this.endFile(cur, this.newDigest().hex(), false);
      return;
    }
    if (offset === size) {
      this.conn.send(EMPTY_DATA);
      this.endFile(cur, '', true);
      return;
    }
    this.state = 'SENDING';
    cur.sending = this.sendData(cur, offset).catch((err: unknown) => this.fail(err));
  }

  /** Read the whole (small) file into block; null when that fails (the data loop reads again and reports it). */
  private preRead(fd: number, size: number, block: DataBlock): PreRead | null {
    try {
      const hash = this.newDigest();
      const framed = block.fill(fd, 0, size, hash);
      return { block, framed, hash };
    } catch {
      this.freeBlocks.push(block);
      return null;
    }
  }

  /** The pre-read of a file that is not sent from the start (or not at all): its block goes back. */
  private dropPreRead(cur: CurrentFile): void {
    const pre = cur.preRead;
    cur.preRead = null;
    if (pre !== null) this.releaseBlock(pre.block);
  }

  private closeFile(cur: CurrentFile): void {
    const fd = cur.fd;
    cur.fd = null;
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // Only read from: nothing can be lost.
    }
  }

  /** The data loop for one file: read a block into framed packets, pace, write, repeat. */
  private async sendData(cur: CurrentFile, offset: number): Promise<void> {
    if (cur.fd === null) throw cur.openError;
    const fd = cur.fd;
    try {
      // The pre-read serves a transfer from the start at full speed; anything else reads anew.
      let pre: PreRead | null = null;
      if (offset === 0 && this.speed.bytesPerSecond === Infinity && cur.preRead !== null) pre = cur.preRead;
      else this.dropPreRead(cur);
      cur.preRead = null;
      const hash = pre?.hash ?? this.newDigest();
      // file-done carries the sha256 of the whole file, also when resumed.
      if (offset > 0) await hashFilePrefix(fd, offset, hash, cur.file.path);
      const end = cur.file.size;
      let position = offset;
      this.pacer.reset(performance.now());
      let corked = false;
      while (position < end) {
        if (this.state !== 'SENDING' || cur.stopped) break;
        if (this.speed.paused || this.needDrain) {
          await this.wait();
          continue;
        }
        const rate = this.speed.bytesPerSecond;
        const delay = this.pacer.delay(rate, performance.now());
        if (delay > 0) {
          await this.wait(delay);
          continue;
        }
        const block = pre?.block ?? this.takeBlock();
        if (block === null) {
          await this.wait();
          continue;
        }
        // A pre-read block holds the whole file (it fits one block).
        const length = pre !== null ? end - position : Math.min(end - position, pacedBlockBytes(rate, block.capacity, DATA_CHUNK_SIZE));
        let framed: Buffer;
        try {
          framed = pre?.framed ?? block.fill(fd, position, length, hash);
          pre = null;
        } catch (err) {
          this.freeBlocks.push(block);
          throw err;
        }
        if (this.state !== 'SENDING' || cur.stopped) {
          this.freeBlocks.push(block);
          break;
        }
        // The last block and the next 02 (sent by endFile) leave in one write.
        if (position + length === end && !corked) {
          this.conn.socket.cork();
          corked = true;
        }
        // The block goes back to the pool only when the socket has let go of it.
        if (!this.conn.sendRaw(framed, () => this.releaseBlock(block))) this.needDrain = true;
        this.pacer.add(length);
        position += length;
        this.progress.add(length);
        this.progress.tick();
      }
      if (pre !== null) this.releaseBlock(pre.block);
      try {
        if (this.state !== 'SENDING') return;
        if (cur.stopped) this.endFile(cur, '', true);
        else this.endFile(cur, hash.hex(), false);
      } finally {
        if (corked) this.conn.socket.uncork();
      }
    } finally {
      this.closeFile(cur);
    }
  }

  /** The current file is over (sent, skipped or stopped): report it and announce the next. */
  private endFile(cur: CurrentFile, sha256: string, skipped: boolean): void {
    if (skipped) this.skipped++;
    this.dropPreRead(cur);
    if (cur.sending === null) this.closeFile(cur);
    this.progress.tick();
    this.unconfirmed.push({
      index: cur.index,
      event: {
        event: 'file-done',
        peer: this.options.peer,
        name: cur.name,
        path: cur.file.path,
        bytes: cur.file.size,
        sha256,
        type: cur.file.type,
        skipped,
      },
    });
    this.nextFile();
  }

  /** Report the files up to `index` (1-based) as delivered. */
  private confirmUpTo(index: number): void {
    while (this.unconfirmed.length > 0 && this.unconfirmed[0]!.index <= index) {
      this.options.onEvent?.(this.unconfirmed.shift()!.event);
    }
  }

  /** The receiver closed normally after the last file: every file is in place. */
  private delivered(): void {
    this.confirmUpTo(Infinity);
    this.succeed();
  }

  private emitFileStart(cur: CurrentFile, offset: number): void {
    this.options.onEvent?.({
      event: 'file-start',
      peer: this.options.peer,
      name: cur.name,
      path: cur.file.path,
      size: cur.file.size,
      offset,
      type: cur.file.type,
      index: cur.index,
      files: this.options.files.length,
    });
  }

  private takeBlock(): DataBlock | null {
    const free = this.freeBlocks.pop();
    if (free !== undefined) return free;
    if (this.blocksMade === MAX_BLOCKS) return null;
    this.blocksMade++;
    return new DataBlock(DEFAULT_CHUNKS_PER_BLOCK);
  }

  private releaseBlock(block: DataBlock): void {
    this.freeBlocks.push(block);
    this.wakeUp();
  }

  private wait(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? null : setTimeout(() => this.wakeUp(), ms);
      this.waiter = () => {
        if (timer !== null) clearTimeout(timer);
        resolve();
      };
    });
  }

  private wakeUp(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  protected onConnectionError(err: unknown): void {
    // After the last byte we only wait for the receiver to close; a peer that never does is not a failure.
    if (this.state === 'DONE' && isIdleTimeout(err) && this.conn.socket.writableFinished) return this.delivered();
    if (isReset(err)) {
      const lost = this.unconfirmed.map((u) => u.event.name);
      if (this.current !== null && !lost.includes(this.current.name)) lost.push(this.current.name);
      const what = lost.length === 0 ? 'nothing more was stored' : `not delivered: ${lost.join(', ')}`;
      return this.fail(
        new IcqError(ErrorCode.NOT_DELIVERED, `${this.remote} reset the connection (the receiver could not store a file, or gave up): ${what}`, {
          cause: err,
        }),
      );
    }
    this.fail(err);
  }

  protected onConnectionClose(): void {
    if (this.state === 'DONE') return this.delivered();
    const where = this.current === null ? 'before the first file' : `during ${this.current.name}`;
    this.fail(new IcqError(ErrorCode.TRANSFER_BROKEN, `${this.remote} closed the connection ${where}`));
  }

  private newDigest(): FileDigest {
    return createFileDigest(this.options.sha256 ?? true);
  }

  protected counts(): { files: number; bytes: number; skipped: number } {
    return { files: this.options.files.length, bytes: this.options.total, skipped: this.skipped };
  }

  protected release(): Promise<unknown> {
    this.state = 'FAILED';
    this.wakeUp();
    const cur = this.current;
    // Let the data loop close its file before reporting; a file opened but never sent is closed here.
    if (cur === null) return Promise.resolve();
    if (cur.sending !== null) return cur.sending;
    this.dropPreRead(cur);
    this.closeFile(cur);
    return Promise.resolve();
  }

  protected override detachMore(): void {
    this.conn.socket.off('drain', this.onDrain);
  }
}

/** Open a file to send and check it still has the size the request announced. Synchronous, like the reads. */
function openForSending(file: OutgoingFile): number {
  let fd: number;
  try {
    fd = openSync(file.path, 'r');
  } catch (err) {
    throw new IcqError(ErrorCode.LOCAL_FILE, `cannot open ${file.path}: ${(err as Error).message}`, { cause: err });
  }
  const { size } = fstatSync(fd);
  if (size !== file.size) {
    closeSync(fd);
    throw new IcqError(ErrorCode.LOCAL_FILE, `${file.path} changed size since the request (${file.size} → ${size} bytes)`);
  }
  return fd;
}

/** The peer ended the connection with a TCP reset: ECONNRESET on a read, EPIPE on a write. */
function isReset(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return cause === 'ECONNRESET' || cause === 'EPIPE';
}

function isIdleTimeout(err: unknown): boolean {
  return err instanceof IcqError && err.code === ErrorCode.IDLE_TIMEOUT;
}

function unexpected(packet: FilePacket, state: SendState): IcqError {
  return new IcqError(ErrorCode.PROTOCOL, `unexpected ${packet.kind} packet from the receiver in state ${state}`);
}
