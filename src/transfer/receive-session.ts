import { decodeFilePacket, encodeFilePacket, FilePacketType, FULL_SPEED, SUBDIR_READER_MARK } from '../wire/file.js';
import type { FileInfo, FilePacket } from '../wire/file.js';
import { IcqError, ErrorCode } from '../errors.js';
import { frameBody } from '../wire/framing.js';
import type { PeerConnection } from './connection.js';
import { DEFAULT_LIMITS } from './options.js';
import type { TransferSummary } from './options.js';
import type { ReceiveTarget } from './target.js';
import { DEFAULT_WRITE_BUFFER_SIZE, FileSink } from './file-sink.js';
import { readSync } from 'node:fs';
import { isProtocolError } from '../wire/errors.js';
import { createFileDigest, hashPathPrefix, sha256OfFile } from './file-hash.js';
import { DEFAULT_RESUME_OVERLAP, ResumeCheck, resumeOffset } from './resume-check.js';
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
  /** Bytes below a partial's end that a resume asks for again and compares (default 64 KiB; resume-check.ts). */
  resumeOverlap?: number;
  /** Where a file goes and from which offset (target.ts prepareTarget). */
  prepare: (info: IncomingFileInfo) => Promise<ReceiveTarget>;
}

/**
 * R's side of docs/protocol.md §5:
 *   WAIT_BATCH_INIT --00--> WAIT_FILE_INFO (01 sent) --02--> PREPARING (prepare, 03 sent,
 *   .part opened) --> RECEIVING --last byte--> WAIT_FILE_INFO ...
 *   and a close by the sender in WAIT_FILE_INFO after the last file --> DONE.
 * The protocol's one per-file wait is the 02 → 03 round trip, so a complete file is
 * completed (written, closed, renamed, file-done) right after the next 03 has left, while
 * the sender reads that 03 (or on the next turn of the event loop when no 02 came with the
 * last data): on a batch of small files the two sides then work at the same time instead of
 * in turn. Only PREPARING is asynchronous (the prepare callback; hashing a resumed prefix or
 * a skipped file): meanwhile no frame is handled, the connection queues them and stops
 * reading. Writing, closing and renaming are synchronous (target.ts, file-sink.ts). Events
 * keep their order: a file's file-done comes before the next file's file-start. 05 is
 * recorded in every state, 04 stops the current file, empty 06 packets are ignored;
 * anything else out of place is a protocol error.
 */
type ReceiveState = 'WAIT_BATCH_INIT' | 'WAIT_FILE_INFO' | 'PREPARING' | 'RECEIVING' | 'DONE' | 'FAILED';

export function runReceiveSession(conn: PeerConnection, options: ReceiveSessionOptions): Promise<TransferSummary> {
  return new ReceiveSession(conn, options).run();
}

interface IncomingFile {
  info: IncomingFileInfo;
  target: ReceiveTarget | null;
  sink: FileSink | null;
  hash: FileDigest;
  /** SIZE − OFFSET: the bytes to receive (SIZE once a sender turns out to send from byte 0). */
  need: number;
  got: number;
  /** Comparing a resume's overlap (resume-check.ts); null when there is none, or once it passed. */
  check: ResumeCheck | null;
  /** Bytes of the partial that are vouched for: a protocol error cuts it back to these. */
  verified: number;
}

class ReceiveSession extends FileSession {
  private state: ReceiveState = 'WAIT_BATCH_INIT';
  /** The sink's write buffer, made on the first file with data and kept for the next. */
  private writeBuffer: Buffer | null = null;
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
  /** A file whose last byte is in, to complete after the next 03 (completePending). */
  private pending: IncomingFile | null = null;
  private readonly completeSoon = (): void => {
    try {
      this.completePending();
    } catch (err) {
      this.fail(err);
    }
  };
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
      if (file.check !== null) return this.onOverlap(file, file.check, buf, start + 1, end);
      this.onData(file, buf, start + 1, end);
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

  /** File data past any overlap: into the sink. */
  private onData(file: IncomingFile, buf: Buffer, from: number, end: number): void {
    const n = end - from;
    if (n > file.need - file.got) {
      throw new IcqError(
        ErrorCode.PROTOCOL,
        `sender sent more than the ${file.info.size} bytes announced for ${file.target!.name} (${file.need - file.got} were left, got ${n})`,
      );
    }
    file.sink!.write(buf, from, end);
    file.got += n;
    this.progress.add(n);
    if (file.got === file.need) this.finishFile(file);
  }

  /** Data while a resume's overlap is compared: nothing is written until it is judged. */
  private onOverlap(file: IncomingFile, check: ResumeCheck, buf: Buffer, from: number, end: number): void {
    const used = check.feed(buf, from, end);
    const name = file.target!.name;
    switch (check.verdict) {
      case 'checking':
        break;
      case 'continues':
        file.check = null;
        file.hash.update(check.tail);
        break;
      case 'from-start': {
        // icqlib 1.0.0 sends from byte 0 whatever the 03 says (docs/protocol.md §7): what came is
        // the start of the file, equal to the partial's; the rest follows it.
        file.check = null;
        const hash = createFileDigest(file.hash.enabled);
        hash.update(check.head!);
        file.hash = hash;
        file.sink!.truncate(check.head!.length, hash);
        file.verified = check.head!.length;
        file.need = file.info.size;
        this.warn(ErrorCode.RESUME_MISMATCH, `${this.remote} ignored the resume offset and sends ${name} from byte 0: taking it whole from the start`);
        break;
      }
      case 'mismatch':
        // Neither the partial's end nor its start: the source changed. Never splice it.
        file.sink!.truncate(0);
        file.verified = 0;
        throw new IcqError(
          ErrorCode.RESUME_MISMATCH,
          `the resumed bytes of ${name} differ from what was received before (the file changed at the sender?): the partial is dropped, and the next try starts from byte 0`,
        );
    }
    file.got += used;
    this.progress.add(used);
    if (from + used < end) this.onData(file, buf, from + used, end);
    else if (file.got === file.need) this.finishFile(file);
  }

  private warn(code: string, message: string): void {
    this.options.onEvent?.({ event: 'warning', code, message, peer: this.options.peer });
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
    // The mark after the NUL of NICK tells an icqxfer sender we read the 02 TEXT sub-directory (§5).
    this.conn.send(encodeFilePacket({ kind: 'init-ack', speed: FULL_SPEED, nick: this.options.nick, afterNul: SUBDIR_READER_MARK }));
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
    let target: ReceiveTarget;
    try {
      target = await this.options.prepare(info);
    } catch (err) {
      if (!(err instanceof IcqError && err.code === ErrorCode.UNSAFE_PATH)) throw err;
      return this.skipUnplaceable(info, err);
    }
    if (this.failed) return target.release();
    const file: IncomingFile = {
      info,
      target,
      sink: null,
      hash: createFileDigest(this.options.sha256 ?? true),
      need: 0,
      got: 0,
      check: null,
      verified: 0,
    };
    this.file = file;
    const size = info.size;
    if (target.skip) {
      this.progress.beginFile(target.name, size, size);
      // OFFSET = SIZE: the sender sends nothing, or one empty 06, and goes on with the next 02.
      this.sendStart(size);
      this.completePending();
      const sha256 = await sha256OfFile(target.path, file.hash.enabled).catch(() => '');
      if (this.failed) return;
      this.emitFileStart(file, size);
      target.release();
      this.skipped++;
      this.emitFileDone(file, target.path, sha256, true);
      return this.awaitNextFile();
    }
    const kept = target.offset;
    if (kept > size) throw new IcqError(ErrorCode.INTERNAL, `target for ${target.name} resumes at ${kept}, beyond its ${size} bytes`);
    // A resume asks again for the last bytes it has, to compare them (resume-check.ts).
    const offset = resumeOffset(kept, this.options.resumeOverlap ?? DEFAULT_RESUME_OVERLAP);
    // The 03 first: the sender reads it while the previous file is completed and the .part
    // is created (frames that come meanwhile wait in the connection).
    this.sendStart(offset);
    this.completePending();
    let fd: number;
    try {
      fd = target.open();
    } catch (err) {
      if (err instanceof IcqError) throw err;
      throw new IcqError(ErrorCode.LOCAL_FILE, `cannot write ${target.partPath}: ${(err as Error).message}`, { cause: err });
    }
    this.writeBuffer ??= Buffer.allocUnsafe(DEFAULT_WRITE_BUFFER_SIZE);
    file.sink = new FileSink(fd, kept, file.hash, this.writeBuffer, target.partPath);
    file.verified = kept;
    if (kept > offset) file.check = readOverlap(fd, offset, kept, target.partPath);
    // file-done carries the sha256 of the whole file, also when resumed.
    if (offset > 0) await hashPathPrefix(target.partPath, offset, file.hash);
    if (this.failed) return;
    this.emitFileStart(file, offset);
    this.progress.beginFile(target.name, size, offset);
    file.need = size - offset;
    if (file.need === 0) return this.finishFile(file);
    this.state = 'RECEIVING';
    this.listen();
  }

  /** A name whose place in --dir is taken by something else (a file where a directory must go): skip that file, go on. */
  private skipUnplaceable(info: IncomingFileInfo, err: IcqError): void {
    this.sendStart(info.size);
    this.completePending();
    this.skipped++;
    this.warn(err.code, `skipped ${JSON.stringify(info.name)}: ${err.message}`);
    this.awaitNextFile();
  }

  private sendStart(offset: number): void {
    // 13 bytes (§5); speed 100 here as in the 01: our own speed travels only in 05.
    this.conn.send(encodeFilePacket({ kind: 'start', offset, speed: FULL_SPEED }));
  }

  /** All of SIZE − OFFSET is in: complete it after the next 03 (or soon); go on with the next 02. */
  private finishFile(file: IncomingFile): void {
    this.file = null;
    this.pending = file;
    setImmediate(this.completeSoon);
    this.awaitNextFile();
  }

  /** Write, close and rename the file whose last byte came, and report it. */
  private completePending(): void {
    const file = this.pending;
    if (file === null) return;
    this.pending = null;
    try {
      file.sink!.close(file.info.mtime);
    } catch (err) {
      file.target!.release();
      throw err;
    }
    const path = file.target!.finish();
    this.progress.tick();
    this.emitFileDone(file, path, file.hash.hex(), false);
  }

  /** 04 from the sender: the .part keeps what came, and the next 02 follows. */
  private onStopFile(): void {
    const file = this.file;
    if (this.state !== 'RECEIVING' || file === null) return;
    this.file = null;
    try {
      file.sink!.close();
    } finally {
      file.target!.release();
    }
    this.skipped++;
    this.emitFileDone(file, file.target!.path, '', true);
    this.awaitNextFile();
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
    return this.index === this.count && this.state === 'WAIT_FILE_INFO';
  }

  /** The sender's close is success only after the last file; PREPARING decides when it ends. */
  private checkClosed(): void {
    if (!this.peerClosed || this.settled) return;
    if (this.state === 'PREPARING') return;
    if (this.state === 'WAIT_FILE_INFO' && this.index === this.count) {
      // Success once the last file is in place (the files before it are, by then).
      try {
        this.completePending();
      } catch (err) {
        return this.fail(err);
      }
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

  /** The receiver's failure is a reset, never a normal close (README, "Sent means delivered"). */
  protected override readonly resetOnFailure = true;

  /**
   * Keep what was received in the partial (written and closed), rename nothing. After a
   * protocol error the partial is cut back to what is vouched for.
   */
  protected release(err: unknown): Promise<unknown> {
    this.state = 'FAILED';
    // A file received whole is still put in place; the current one keeps its .part.
    try {
      this.completePending();
    } catch {
      // Already failing: the first error is the one reported, and the .part stays.
    }
    const file = this.file;
    this.file = null;
    if (file?.sink && isPeerFault(err)) {
      try {
        file.sink.truncate(file.verified);
      } catch {
        // Already failing: the first error is the one reported.
      }
    }
    file?.sink?.abandon();
    file?.target?.release();
    return Promise.resolve();
  }

  protected override detachMore(): void {
    this.conn.socket.off('end', this.onEnd);
  }
}

/** The partial's bytes [offset, kept) and, when offset > 0, [0, kept − offset): what a resume compares. */
function readOverlap(fd: number, offset: number, kept: number, what: string): ResumeCheck {
  const length = kept - offset;
  const tail = readExactly(fd, length, offset, what);
  const head = offset > 0 ? readExactly(fd, length, 0, what) : null;
  return new ResumeCheck(tail, head);
}

function readExactly(fd: number, length: number, position: number, what: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch (err) {
    throw new IcqError(ErrorCode.LOCAL_FILE, `cannot read ${what}: ${(err as Error).message}`, { cause: err });
  }
  if (done < length) throw new IcqError(ErrorCode.LOCAL_FILE, `${what} is shorter than expected (${position + done} bytes)`);
  return buf;
}

/** The sender broke the protocol: what it sent last is not to be trusted. */
function isPeerFault(err: unknown): boolean {
  return isProtocolError(err) || (err instanceof IcqError && (err.code === ErrorCode.PROTOCOL || err.code === ErrorCode.RESUME_MISMATCH));
}

function isConnectionLoss(err: unknown): boolean {
  return err instanceof IcqError && (err.code === ErrorCode.TRANSFER_BROKEN || err.code === ErrorCode.IDLE_TIMEOUT);
}

function unexpected(packet: FilePacket, state: ReceiveState): IcqError {
  return new IcqError(ErrorCode.PROTOCOL, `unexpected ${packet.kind} packet from the sender in state ${state}`);
}
