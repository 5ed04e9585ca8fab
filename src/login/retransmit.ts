/**
 * Client packets waiting for the server's ACK (docs/protocol.md §2.2). Each one is resent with
 * its own SEQ every `retransmitMs` until ACKed; after `retries` transmissions in all the
 * queue calls `onGiveUp` once, and the session decides what a silent server means.
 */
export interface RetransmitOptions {
  retransmitMs: number;
  /** Transmissions of one packet, the first included. */
  retries: number;
}

interface Pending {
  packet: Buffer;
  sent: number;
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class RetransmitQueue {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly transmit: (packet: Buffer) => void,
    private readonly options: RetransmitOptions,
    private readonly onGiveUp: (seq: number) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Sends now; resolves when `ack(seq)` is called; rejects only through `clear`. */
  send(seq: number, packet: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.get(seq)?.reject(new Error(`SEQ ${seq} reused before it was ACKed`));
      const entry: Pending = { packet, sent: 0, timer: undefined as unknown as NodeJS.Timeout, resolve, reject };
      this.pending.set(seq, entry);
      this.fire(seq, entry);
    });
  }

  /** True when seq was waiting (an ACK for anything else is stale or a duplicate). */
  ack(seq: number): boolean {
    const entry = this.pending.get(seq);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.pending.delete(seq);
    entry.resolve();
    return true;
  }

  /** Stops every retransmission and rejects every waiting send with err. */
  clear(err: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
  }

  private fire(seq: number, entry: Pending): void {
    entry.sent++;
    this.transmit(entry.packet);
    entry.timer = setTimeout(() => {
      if (this.pending.get(seq) !== entry) return;
      if (entry.sent < this.options.retries) this.fire(seq, entry);
      else this.onGiveUp(seq);
    }, this.options.retransmitMs);
  }
}
