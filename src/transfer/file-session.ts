import { IcqError, ErrorCode } from '../errors.js';
import { FULL_SPEED } from '../wire/file.js';
import type { PeerConnection } from './connection.js';
import type { EventSink } from './events.js';
import type { TransferSummary } from './options.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, ProgressReporter } from './progress.js';
import { SpeedControl } from './speed.js';

/** What both ends of a file connection are configured with. */
export interface FileSessionOptions {
  peer: number;
  /** Our --speed, 0–100 (default 100). */
  speed?: number;
  /** Idle limit set on the connection (default: leave the connection's own). */
  idleTimeoutMs?: number;
  /** Spacing of progress events (default 250 ms; 0 = at the end of every file, for tests). */
  progressIntervalMs?: number;
  /** Compute the sha256 that file-done carries (default true); off, file-done says ''. */
  sha256?: boolean;
  onEvent?: EventSink;
  signal?: AbortSignal;
}

/**
 * What the sender and the receiver of a file connection (§5) share: one run() promise that
 * settles once, the connection's 'error'/'close' and the abort signal wired to it, the agreed
 * speed, progress events, and the idle limit that a pause lifts. Subclasses are the state
 * machines; they say how to begin, how to read a close or an error, and what to release.
 */
export abstract class FileSession {
  protected readonly speed: SpeedControl;
  protected readonly progress: ProgressReporter;
  protected readonly idleTimeoutMs: number;
  /** Kept for messages: a closed socket forgets its address. */
  protected readonly remote: string;
  protected settled = false;
  private resolveRun!: (summary: TransferSummary) => void;
  private rejectRun!: (err: unknown) => void;
  private readonly onError = (err: unknown): void => this.onConnectionError(err);
  private readonly onClose = (): void => this.onConnectionClose();
  private readonly onAbort = (): void => this.fail(new IcqError(ErrorCode.INTERRUPTED, 'transfer interrupted'));

  constructor(
    protected readonly conn: PeerConnection,
    private readonly common: FileSessionOptions,
    total: number,
  ) {
    this.speed = new SpeedControl(common.speed ?? FULL_SPEED);
    this.progress = new ProgressReporter(common.peer, total, common.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS, common.onEvent);
    this.idleTimeoutMs = common.idleTimeoutMs ?? conn.socket.timeout ?? 0;
    this.remote = conn.remote;
  }

  run(): Promise<TransferSummary> {
    return new Promise<TransferSummary>((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
      const { conn, common } = this;
      conn.on('error', this.onError);
      conn.on('close', this.onClose);
      common.signal?.addEventListener('abort', this.onAbort);
      if (common.signal?.aborted) return this.onAbort();
      if (conn.closed) return this.fail(new IcqError(ErrorCode.TRANSFER_BROKEN, `connection to ${this.remote} closed before the transfer began`));
      this.applyIdleTimeout();
      this.begin();
    });
  }

  /** Everything is wired: send the first packet, or start taking frames. */
  protected abstract begin(): void;
  /** The connection failed (socket error, framing, idle timeout). */
  protected abstract onConnectionError(err: unknown): void;
  /** The connection closed. */
  protected abstract onConnectionClose(): void;
  /** The batch's counts, for the summary. */
  protected abstract counts(): { files: number; bytes: number; skipped: number };
  /** Mark the state failed and close what is open (files keep what they have); settles when done. */
  protected abstract release(err: unknown): Promise<unknown>;
  /**
   * End the connection of a failed session with a TCP reset rather than a normal close.
   * The receiver does (README, "Sent means delivered"): the wire has no error packet, and a
   * sender must never take our failure for its success.
   */
  protected readonly resetOnFailure: boolean = false;
  /** Remove the subclass's own listeners when the session ends. */
  protected detachMore(): void {}

  /** A paused transfer is not idle: no timeout while the agreed speed is 0. */
  protected applyIdleTimeout(): void {
    this.conn.setIdleTimeout(this.speed.paused ? 0 : this.idleTimeoutMs);
  }

  protected succeed(): void {
    if (this.settled) return;
    this.settled = true;
    this.detach(false);
    const { files, bytes, skipped } = this.counts();
    this.resolveRun({
      peer: this.common.peer,
      files,
      bytes,
      transferred: this.progress.transferred,
      skipped,
      seconds: this.progress.seconds,
    });
  }

  /** Release what is open, then reject run() with err. */
  protected fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const released = this.release(err);
    this.detach(this.resetOnFailure);
    void released.catch(() => undefined).then(() => this.rejectRun(err));
  }

  private detach(reset: boolean): void {
    this.progress.stop();
    this.conn.off('error', this.onError);
    this.conn.off('close', this.onClose);
    this.common.signal?.removeEventListener('abort', this.onAbort);
    this.detachMore();
    // A late 'error' from the socket must still have a listener.
    this.conn.on('error', ignore);
    if (reset) this.conn.reset();
    else this.conn.destroy();
  }
}

function ignore(): void {}
