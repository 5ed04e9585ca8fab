/**
 * Resume is verified, not trusted (docs/architecture.md §6, docs/protocol.md §8). A receiver that
 * has P bytes of a file asks for offset O = P − overlap (at least 0), so the first P − O
 * bytes the sender sends are bytes it already has. Comparing them tells three cases apart:
 *
 * - they equal the partial's last P − O bytes: the sender honours offsets and the source is
 *   the one the partial came from; the file goes on from P ('continues');
 * - they equal the partial's first P − O bytes (only possible when O > 0): the sender ignored
 *   the offset and sends from byte 0, as icqlib 1.0.0 always does (docs/protocol.md §7); the file
 *   is taken whole from byte 0 ('from-start');
 * - neither: the source changed since the partial was written, or the stream is not what it
 *   claims; nothing may be spliced ('mismatch').
 *
 * Pure: the caller reads the two slices of the partial and feeds data as it arrives. No
 * allocation per chunk.
 */
export type ResumeVerdict = 'checking' | 'continues' | 'from-start' | 'mismatch';

/** Bytes of overlap a resume asks for again (the default of ReceiveOptions.resumeOverlap). */
export const DEFAULT_RESUME_OVERLAP = 64 * 1024;

/** The offset to ask for when `kept` bytes are there: `overlap` bytes lower, at least 0. */
export function resumeOffset(kept: number, overlap: number): number {
  return Math.max(0, kept - overlap);
}

export class ResumeCheck {
  private checked = 0;
  private tailAlive = true;
  private headAlive: boolean;
  verdict: ResumeVerdict = 'checking';

  /**
   * @param tail the partial's bytes [O, P): what an offset-honouring sender sends first.
   * @param head the partial's bytes [0, P − O), or null when O is 0 (then head is tail).
   */
  constructor(
    readonly tail: Buffer,
    readonly head: Buffer | null,
  ) {
    this.headAlive = head !== null;
    if (tail.length === 0) this.verdict = 'continues';
  }

  /** Bytes of overlap still to compare. */
  get remaining(): number {
    return this.tail.length - this.checked;
  }

  /**
   * Compare the start of buf[start, end) with the overlap; returns how many bytes of it were
   * overlap (the rest is new data). Once the verdict is not 'checking', feeds nothing more.
   */
  feed(buf: Buffer, start: number, end: number): number {
    if (this.verdict !== 'checking') return 0;
    const n = Math.min(end - start, this.remaining);
    const at = this.checked;
    if (this.tailAlive && buf.compare(this.tail, at, at + n, start, start + n) !== 0) this.tailAlive = false;
    if (this.headAlive && buf.compare(this.head!, at, at + n, start, start + n) !== 0) this.headAlive = false;
    this.checked += n;
    if (!this.tailAlive && !this.headAlive) this.verdict = 'mismatch';
    // Both alive at the end (the two slices are equal, e.g. a file of zeros): honouring the
    // offset is what the sender was asked to do.
    else if (this.remaining === 0) this.verdict = this.tailAlive ? 'continues' : 'from-start';
    return n;
  }
}
