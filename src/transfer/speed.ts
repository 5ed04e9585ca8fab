import { FULL_SPEED } from '../wire/file.js';

/** One step of the speed scale (packet 05): 1–99 means at most N × this many bytes a second. */
export const SPEED_STEP_BYTES_PER_SECOND = 256 * 1024;

/** Clamp a speed from the wire or an option to 0–100 (anything above 100 is full speed). */
export function clampSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed <= 0) return 0;
  return speed >= FULL_SPEED ? FULL_SPEED : Math.floor(speed);
}

/**
 * The speed both sides agreed on: ours (the --speed option) and the last 05 from the peer
 * combine as the minimum. 100 = unlimited, 1–99 = N × 256 KiB/s, 0 = paused. A local 0
 * means "start paused until a non-zero 05 arrives" (docs/protocol.md §5.4), so the first non-zero 05
 * from the peer lifts it; a local cap of 1–99 stays in force.
 */
export class SpeedControl {
  private localSpeed: number;
  private peerSpeed: number = FULL_SPEED;

  constructor(local: number = FULL_SPEED) {
    this.localSpeed = clampSpeed(local);
  }

  get local(): number {
    return this.localSpeed;
  }

  get peer(): number {
    return this.peerSpeed;
  }

  get effective(): number {
    return Math.min(this.local, this.peerSpeed);
  }

  get paused(): boolean {
    return this.effective === 0;
  }

  /** Record the peer's 05; returns true when the effective speed changed. */
  setPeer(speed: number): boolean {
    const before = this.effective;
    this.peerSpeed = clampSpeed(speed);
    if (this.localSpeed === 0 && this.peerSpeed > 0) this.localSpeed = FULL_SPEED;
    return this.effective !== before;
  }

  /** Bytes a second allowed now: Infinity at full speed, 0 when paused. */
  get bytesPerSecond(): number {
    const s = this.effective;
    return s >= FULL_SPEED ? Infinity : s * SPEED_STEP_BYTES_PER_SECOND;
  }
}

/**
 * Spaces blocks so that they average at most a given rate since the last reset (SIM-IM's
 * rule: a block goes out, then the sender waits until the bytes sent so far are "paid for").
 * Reset it whenever the rate changes or the transfer resumes from a pause, so a pause is not
 * made up for with a burst afterwards.
 */
export class Pacer {
  private since = 0;
  private bytes = 0;

  reset(now: number): void {
    this.since = now;
    this.bytes = 0;
  }

  /** Bytes just sent. */
  add(n: number): void {
    this.bytes += n;
  }

  /** Milliseconds to wait before the next block at bytesPerSecond (0 = send now). */
  delay(bytesPerSecond: number, now: number): number {
    if (bytesPerSecond === Infinity || this.bytes === 0) return 0;
    const due = this.since + (this.bytes / bytesPerSecond) * 1000;
    return due > now ? due - now : 0;
  }
}

/** Block size at a limited rate: about a tenth of a second of data, in whole chunks. */
export function pacedBlockBytes(bytesPerSecond: number, capacity: number, chunkSize: number): number {
  if (bytesPerSecond === Infinity) return capacity;
  const chunks = Math.floor(bytesPerSecond / 10 / chunkSize);
  return Math.max(chunkSize, Math.min(capacity, chunks * chunkSize));
}
