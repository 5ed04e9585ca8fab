import { performance } from 'node:perf_hooks';
import type { EventSink } from './events.js';

/** Default spacing of progress events: at most 4 a second (docs/architecture.md §6, --json). */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;

/**
 * Counts the bytes of one transfer and emits throttled `progress` events. The data path
 * only adds numbers (add); events come from a timer and from the points where a session
 * calls tick (end of a block or a file), never more often than intervalMs.
 * An interval of 0 emits at every tick and starts no timer (tests).
 */
export class ProgressReporter {
  /** Bytes of the batch done, counting resumed offsets and skipped files. */
  batchBytes = 0;
  /** Bytes that crossed the wire in this run. */
  transferred = 0;
  fileBytes = 0;
  fileSize = 0;
  name = '';
  readonly startedAt: number;
  private lastAt = -Infinity;
  private lastBatchBytes = -1;
  private lastName = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly peer: number,
    private readonly total: number,
    private readonly intervalMs: number,
    private readonly sink: EventSink | undefined,
  ) {
    this.startedAt = performance.now();
    if (sink !== undefined && intervalMs > 0) {
      this.timer = setInterval(() => this.tick(), intervalMs);
      this.timer.unref();
    }
  }

  /** Seconds since the session started. */
  get seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** A new current file, of which `offset` bytes are already there (size when skipped). */
  beginFile(name: string, size: number, offset: number): void {
    this.name = name;
    this.fileSize = size;
    this.fileBytes = offset;
    this.batchBytes += offset;
  }

  add(n: number): void {
    this.fileBytes += n;
    this.batchBytes += n;
    this.transferred += n;
  }

  /** Emit an event if the interval has passed and something changed since the last one. */
  tick(): void {
    if (this.sink === undefined) return;
    const now = performance.now();
    if (now - this.lastAt < this.intervalMs) return;
    if (this.batchBytes === this.lastBatchBytes && this.name === this.lastName) return;
    this.lastAt = now;
    this.lastBatchBytes = this.batchBytes;
    this.lastName = this.name;
    const seconds = (now - this.startedAt) / 1000;
    this.sink({
      event: 'progress',
      peer: this.peer,
      bytes: this.batchBytes,
      total: this.total,
      name: this.name,
      fileBytes: this.fileBytes,
      fileSize: this.fileSize,
      rate: seconds > 0 ? Math.round(this.transferred / seconds) : 0,
    });
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
