/**
 * The server SEQs seen lately, to drop retransmissions whose ACK was lost (docs/protocol.md
 * §2.2). A bounded window: the oldest SEQ is forgotten when a new one arrives and the
 * window is full, so a hostile server cannot make it grow.
 */
export class RecentSeqs {
  private readonly seen = new Set<number>();
  private readonly order: number[] = [];

  constructor(private readonly capacity: number) {}

  /** Records seq; false when it was already there (a duplicate). */
  add(seq: number): boolean {
    if (this.seen.has(seq)) return false;
    this.seen.add(seq);
    this.order.push(seq);
    if (this.order.length > this.capacity) this.seen.delete(this.order.shift()!);
    return true;
  }

  /** A new server session counts from 0 again. */
  reset(): void {
    this.seen.clear();
    this.order.length = 0;
  }
}
