import { decodeFilePacket, encodeFilePacket, FilePacketType, FULL_SPEED } from '../wire/file.js';
import type { FileInfo, FilePacket } from '../wire/file.js';
import { IcqError, ErrorCode } from '../errors.js';
import { frameBody } from './connection.js';
import type { PeerConnection } from './connection.js';
import { DEFAULT_LIMITS } from './options.js';
import type { TransferSummary } from './options.js';
import type { ReceiveTarget } from './target.js';
import { BufferPool, FileSink } from './file-sink.js';
import { createFileDigest, hashPathPrefix, sha256OfFile } from './file-hash.js';
import type { FileDigest } from './file-hash.js';
import { FileSession, type FileSessionOptions } from './file-session.js';

export type { ReceiveTarget } from './target.js';

/** What a 02 announced, handed to prepare() to choose where the file goes. */
export interface IncomingFileInfo {
  /** NAME as sent (not sanitized). */
  name: string;
  /** TEXT as sent: the relative sub-directory of later clients, or ''. */
  subdir: string;
  size: number;
  /** Unix seconds, 0 = unknown. */
  mtime: number;
  /** 1-based position in the batch. */
  index: number;
  count: number;
}

/** speed, if not 100, is told to the sender with a 05 before the 01. */
export interface ReceiveSessionOptions extends FileSessionOptions {
  /** TOTAL_SIZE of the request: a 00 whose TOTAL differs is a protocol error. */
  expectedTotal: number;
  /** Most files a 00 may announce (default 100000). */
  maxFiles?: number;
  nick: string;
  /** Where a file goes and from which offset (target.ts prepareTarget). */
  prepare: (info: IncomingFileInfo) => Promise<ReceiveTarget>;
}

/**
 * R's side of PROTOCOL.md §5:
 *   WAIT_BATCH_INIT --00--> WAIT_FILE_INFO (01 sent) --02--> PREPARING (prepare, 03 sent)
 *   --> RECEIVING --last byte--> WAIT_FILE_INFO ...
 *   and a close by the sender in WAIT_FILE_INFO after the last file --> DONE once every file
 *   is in place.
 * A complete file is finished (flush, close, rename, file-done) in the background while the
 * next 02 is already handled: the protocol's only per-file wait is then the 02 → 03 round
 * trip. At most MAX_FINISHING files finish at once; at that limit the session waits in
 * FINISHING. Events keep their order: a file's file-start and file-done come after the
 * previous file's file-done. While PREPARING and FINISHING no frame is handled: the
 * connection queues them (and stops reading), so those asynchronous steps never interleave
 * with packets. 05 is recorded in every state, 04 stops the current file, empty 06 packets
 * are ignored; anything else out of place is a protocol error.
 */
type ReceiveState = 'WAIT_BATCH_INIT' | 'WAIT_FILE_INFO' | 'PREPARING' | 'RECEIVING' | 'FINISHING' | 'DONE' | 'FAILED';

export function runReceiveSession(conn: PeerConnection, options: ReceiveSessionOptions): Promise<TransferSummary> {
  return new ReceiveSession(conn, options).run();
}

interface IncomingFile {
  info: IncomingFileInfo;
  target: ReceiveTarget | null;
  sink: FileSink | null;
  hash: FileDigest;
  /** SIZE − OFFSET: the bytes to receive. */
  need: number;
  got: number;
  /** Settles once this file's file-start is out (after the previous file's file-done). */
  started: Promise<void>;
}

/** Complete files whose close and rename may run at once, behind the next file's data. */
const MAX_FINISHING = 8;

class ReceiveSession extends FileSession {
  private state: ReceiveState = 'WAIT_BATCH_INIT';
  private readonly pool = new BufferPool();
  /** Our own verdicts go straight to fail(); the connection's 'error' is only about the socket and framing. */
  private readonly handler = (buf: Buffer, start: number, end: number) => {
    try {
      this.onFrame(buf, start, end);
    } catch (err) {
      this.fail(err);
    }
  };
  private count = 0;
  private index = 0;
  /** Sum of the SIZEs announced in 02 packets so far (resumed and skipped files count whole). */
  private announced = 0;
  private skipped = 0;
  private file: IncomingFile | null = null;
  /** Complete files still being closed and renamed. */
  private readonly finishing = new Set<IncomingFile>();
  /** Settles when the last file handed on (finished, skipped or stopped) has had its file-done. */
  private lastDone: Promise<void> = Promise.resolve();
  private peerClosed = false;
  private readonly onEnd = () => this.onConnectionClose();

  constructor(
    conn: PeerConnection,
    private readonly options: ReceiveSessionOptions,
  ) {
    super(conn, options, options.expectedTotal);
  }

  protected begin(): void {
    // The sender's FIN ends its data, not ours: our side stays open until the last file is
    // renamed into place (the session's end closes it), so a sender waiting for our close
    // knows the files are there, not merely sent.
    this.conn.socket.allowHalfOpen = true;
    this.conn.socket.on('end', this.onEnd);
    this.conn.setHandler(this.handler);
  }

  protected onConnectionClose(): void {
    this.peerClosed = true;
    this.checkClosed();
  }

  private onFrame(buf: Buffer, start: number, end: number): void {
    // The data path: one type check and a range copied into the sink, no decoding and no
    // allocation per packet.
    if (buf[start] === FilePacketType.DATA) {
      const n = end - start - 1;
      if (n === 0) return;
      const file = this.file;
      if (this.state !== 'RECEIVING' || file === null) {
        throw new IcqError(ErrorCode.PROTOCOL, `${n} data bytes from the sender outside a file (state ${this.state})`);
      }
      if (n > file.need - file.got) {
        throw new IcqError(
          ErrorCode.PROTOCOL,
          `sender sent more than the ${file.info.size} bytes announced for ${file.target!.name} (${file.need - file.got} were left, got ${n})`,
        );
      }
      if (!file.sink!.write(buf, start + 1, end)) this.conn.pause();
      file.got += n;
      this.progress.add(n);
      if (file.got === file.need) this.finishFile(file);
      return;
    }
    const packet = decodeFilePacket(frameBody(buf, start, end));
    switch (packet.kind) {
      case 'speed':
        this.speed.setPeer(packet.speed);
        return this.applyIdleTimeout();
      case 'stop-file':
        return this.onStopFile();
    }
    if (this.state === 'WAIT_BATCH_INIT' && packet.kind === 'batch-init') return this.onBatchInit(packet.count, packet.total);
    if (this.state === 'WAIT_FILE_INFO' && packet.kind === 'file-info') return this.onFileInfo(packet);
    throw unexpected(packet, this.state);
  }

  private onBatchInit(count: number, total: number): void {
    const { expectedTotal, maxFiles = DEFAULT_LIMITS.maxFiles } = this.options;
    if (total !== expectedTotal) {
      throw new IcqError(ErrorCode.PROTOCOL, `sender announced ${total} bytes in all, but the request said ${expectedTotal}`);
    }
    if (count > maxFiles) throw new IcqError(ErrorCode.PROTOCOL, `sender announced ${count} files, more than the limit of ${maxFiles}`);
    this.count = count;
    // ICQ99 and later Licq tell their speed before the 01; we do when it is not full speed.
    if (this.speed.local !== FULL_SPEED) this.conn.send(encodeFilePacket({ kind: 'speed', speed: this.speed.local }));
    this.conn.send(encodeFilePacket({ kind: 'init-ack', speed: FULL_SPEED, nick: this.options.nick }));
    this.state = 'WAIT_FILE_INFO';
  }

  private onFileInfo(packet: FileInfo): void {
    if (this.index === this.count) {
      throw new IcqError(ErrorCode.PROTOCOL, `sender announced ${this.count} files but sent another (${JSON.stringify(packet.name)})`);
    }
    // The request's TOTAL_SIZE is what was accepted (--max-size judged it): the files may not add up to more.
    const total = this.options.expectedTotal;
    if (packet.size > total - this.announced) {
      throw new IcqError(
        ErrorCode.PROTOCOL,
        `sender announced ${JSON.stringify(packet.name)} with ${packet.size} bytes, more than the ${total - this.announced} left of the ${total} bytes requested`,
      );
    }
    this.announced += packet.size;
    this.index++;
    const info: IncomingFileInfo = {
      name: packet.name,
      subdir: packet.text,
      size: packet.size,
      mtime: packet.mtime,
      index: this.index,
      count: this.count,
    };
    this.state = 'PREPARING';
    this.conn.setHandler(null);
    this.beginFile(info).catch((err: unknown) => this.fail(err));
  }

  private async beginFile(info: IncomingFileInfo): Promise<void> {
    const target = await this.options.prepare(info);
    if (this.failed) return target.release();
    const previous = this.lastDone;
    const file: IncomingFile = { info, target, sink: null, hash: createFileDigest(this.options.sha256 ?? true), need: 0, got: 0, started: previous };
    this.file = file;
    const size = info.size;
    if (target.skip) {
      this.progress.beginFile(target.name, size, size);
      // OFFSET = SIZE: the sender sends nothing, or one empty 06, and goes on with the next 02.
      this.sendStart(size);
      const sha256 = await sha256OfFile(target.path, this.options.sha256 ?? true).catch(() => '');
      await previous;
      if (this.failed) return;
      this.emitFileStart(file, size);
      target.release();
      this.skipped++;
      this.emitFileDone(file, target.path, sha256, true);
      return this.awaitNextFile();
    }
    const offset = target.offset;
    if (offset > size) throw new IcqError(ErrorCode.INTERNAL, `target for ${target.name} resumes at ${offset}, beyond its ${size} bytes`);
    file.started = previous.then(() => {
      if (!this.failed) this.emitFileStart(file, offset);
    });
    this.progress.beginFile(target.name, size, offset);
    file.need = size - offset;
    this.sendStart(offset);
    // Data is taken while the .part is still being created (the sink writes it once open):
    // the next 02 can follow a small file without waiting for the file system.
    const opening = target.open();
    opening.catch((err: unknown) => this.fail(err));
    file.sink = new FileSink(
      opening,
      offset,
      file.hash,
      this.pool,
      {
        drain: () => {
          if (this.state === 'RECEIVING') this.conn.resume();
        },
        error: (err) =>
          this.fail(new IcqError(ErrorCode.LOCAL_FILE, `cannot write ${target.partPath}: ${(err as Error).message}`, { cause: err })),
      },
      {
        expectedBytes: file.need,
        // file-done carries the sha256 of the whole file, also when resumed.
        ...(offset > 0 ? { before: () => hashPathPrefix(target.partPath, offset, file.hash) } : {}),
      },
    );
    if (file.need === 0) return this.finishFile(file);
    this.state = 'RECEIVING';
    this.listen();
  }

  private sendStart(offset: number): void {
    // 13 bytes (§5); speed 100 here as in the 01: our own speed travels only in 05.
    this.conn.send(encodeFilePacket({ kind: 'start', offset, speed: FULL_SPEED }));
  }

  /** All of SIZE − OFFSET is in: flush, close, rename into place and report in the background; go on with the next 02. */
  private finishFile(file: IncomingFile): void {
    this.handOn(file, async () => {
      await file.sink!.close();
      if (this.failed) return;
      const path = await file.target!.finish();
      await file.started;
      if (this.failed) return;
      this.progress.tick();
      this.emitFileDone(file, path, file.hash.hex(), false);
    });
  }

  /** 04 from the sender: the .part keeps what came, and the next 02 follows. */
  private onStopFile(): void {
    const file = this.file;
    if (this.state !== 'RECEIVING' || file === null) return;
    this.handOn(file, async () => {
      await file.sink!.close();
      await file.started;
      if (this.failed) return;
      file.target!.release();
      this.skipped++;
      this.emitFileDone(file, file.target!.path, '', true);
    });
  }

  /**
   * The current file needs no more frames: `complete` finishes it in the background while
   * the next 02 is handled, unless MAX_FINISHING files are finishing already (then frames
   * wait in FINISHING until one is done).
   */
  private handOn(file: IncomingFile, complete: () => Promise<void>): void {
    this.file = null;
    this.finishing.add(file);
    this.lastDone = complete()
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.finishing.delete(file);
        if (this.state === 'FINISHING' && this.finishing.size < MAX_FINISHING) this.awaitNextFile();
      });
    if (this.finishing.size < MAX_FINISHING) return this.awaitNextFile();
    this.state = 'FINISHING';
    this.conn.setHandler(null);
  }

  private awaitNextFile(): void {
    this.file = null;
    this.state = 'WAIT_FILE_INFO';
    this.listen();
  }

  /** Handle frames again, the queued ones first; a close seen meanwhile is judged after them. */
  private listen(): void {
    this.conn.setHandler(this.handler);
    this.checkClosed();
  }

  private emitFileStart(file: IncomingFile, offset: number): void {
    const target = file.target!;
    this.options.onEvent?.({
      event: 'file-start',
      peer: this.options.peer,
      name: target.name,
      path: target.path,
      size: file.info.size,
      offset,
      type: target.type,
      index: file.info.index,
      files: this.count,
    });
  }

  private emitFileDone(file: IncomingFile, path: string, sha256: string, skipped: boolean): void {
    const target = file.target!;
    this.options.onEvent?.({
      event: 'file-done',
      peer: this.options.peer,
      name: target.name,
      path,
      bytes: file.info.size,
      sha256,
      type: target.type,
      skipped,
    });
  }

  /** Set by fail(), possibly while an asynchronous step was waiting. */
  private get failed(): boolean {
    return this.state === 'FAILED';
  }

  /** Every announced file is complete (or was skipped or stopped). */
  private get allDone(): boolean {
    return this.index === this.count && (this.state === 'WAIT_FILE_INFO' || this.state === 'FINISHING');
  }

  /** The sender's close is success only after the last file; PREPARING and FINISHING decide when they end. */
  private checkClosed(): void {
    if (!this.peerClosed || this.settled) return;
    if (this.state === 'PREPARING' || this.state === 'FINISHING') return;
    if (this.state === 'WAIT_FILE_INFO' && this.index === this.count) {
      // Success once the last file is in place (the files before it are, by then).
      if (this.finishing.size > 0) return void this.lastDone.then(() => this.checkClosed());
      this.state = 'DONE';
      return this.succeed();
    }
    const where =
      this.state === 'WAIT_BATCH_INIT'
        ? 'before the batch began'
        : this.state === 'RECEIVING'
          ? `after ${this.file!.got} of ${this.file!.need} bytes of ${this.file!.target!.name}`
          : `after ${this.index} of ${this.count} files`;
    this.fail(new IcqError(ErrorCode.TRANSFER_BROKEN, `${this.remote} closed the connection ${where}`));
  }

  protected onConnectionError(err: unknown): void {
    // Once everything is in, a sender that resets or never closes has still delivered it all.
    if (this.allDone && isConnectionLoss(err)) {
      this.peerClosed = true;
      return this.checkClosed();
    }
    this.fail(err);
  }

  protected counts(): { files: number; bytes: number; skipped: number } {
    return { files: this.count, bytes: this.options.expectedTotal, skipped: this.skipped };
  }

  /** Keep what was received in the .part (flushed and closed), rename nothing. */
  protected release(): Promise<unknown> {
    this.state = 'FAILED';
    const files = [...this.finishing, ...(this.file === null ? [] : [this.file])];
    this.file = null;
    return Promise.all(
      files.map(async (file) => {
        await file.sink?.close().catch(() => undefined);
        file.target?.release();
      }),
    );
  }

  protected override detachMore(): void {
    this.conn.socket.off('end', this.onEnd);
  }
}

function isConnectionLoss(err: unknown): boolean {
  return err instanceof IcqError && (err.code === ErrorCode.TRANSFER_BROKEN || err.code === ErrorCode.IDLE_TIMEOUT);
}

function unexpected(packet: FilePacket, state: ReceiveState): IcqError {
  return new IcqError(ErrorCode.PROTOCOL, `unexpected ${packet.kind} packet from the sender in state ${state}`);
}
