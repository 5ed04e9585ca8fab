import { type ServerPacket, encodeServerPacket, isReliableServerCommand } from '../wire/udp.js';

/** A server packet before the sender gives it its SEQ. */
export type OutgoingPacket = ServerPacket extends infer P ? (P extends ServerPacket ? Omit<P, 'seq'> : never) : never;

/** Offset of SEQ in the server header (VERSION, COMMAND, SEQ). */
const SEQ_OFFSET = 4;
const COMMAND_OFFSET = 2;

export interface ReliableSenderOptions {
  retransmitMs: number;
  /** Times a packet is sent again before giving up. */
  retries: number;
  /** Most reliable packets on the wire without an ACK; the rest wait their turn. */
  window: number;
  /** Most reliable packets waiting (on the wire or queued); one more is a give-up. */
  maxPending: number;
  /** Puts bytes on the wire (to this client's address). */
  transmit: (datagram: Buffer) => void;
  /** A packet was sent 1 + retries times without an ACK, or too many wait: the client is gone. */
  onGiveUp: (reason: string) => void;
}

interface InFlight {
  datagram: Buffer;
  sends: number;
  timer: NodeJS.Timeout;
  /** Send order, to tell which packets went out before an ACKed one. */
  order: number;
  /** ACKs received for packets sent after this one. */
  laterAcks: number;
}

/**
 * A packet still unacknowledged when this many packets sent after it have been ACKed is
 * sent again at once, instead of after the full retransmit period: its ACK (or itself) was
 * most likely dropped. A client ACKs a duplicate again and ignores it, so this costs one
 * datagram; it saves the 10-second stall a single lost ACK would cause.
 */
const FAST_RETRANSMIT_AFTER = 3;

/**
 * The server's side of one client's packet stream (docs/protocol.md §2.2): its own SEQ counter
 * from 0, and retransmission until ACKed for every packet other than the six sent once.
 *
 * At most `window` reliable packets are on the wire unacknowledged; the rest queue in order
 * and go out as ACKs come back. A contact list answered with hundreds of USER_ONLINEs would
 * otherwise arrive as one burst that overflows the client's socket buffer, and every
 * dropped packet would cost a full retransmit period. Clients see nothing but the pacing.
 */
export class ReliableSender {
  private nextSeq = 0;
  private sendOrder = 0;
  private readonly inFlight = new Map<number, InFlight>();
  /** Encoded packets waiting for a free slot in the window; SEQ is stamped on sending. */
  private queue: Buffer[] = [];
  private queueHead = 0;
  private closed = false;

  constructor(private readonly options: ReliableSenderOptions) {}

  /** Reliable packets not yet ACKed, on the wire or queued. */
  get pendingCount(): number {
    return this.inFlight.size + this.queued;
  }

  private get queued(): number {
    return this.queue.length - this.queueHead;
  }

  send(packet: OutgoingPacket): void {
    this.enqueue(encodeServerPacket({ ...packet, seq: 0 } as ServerPacket));
  }

  /**
   * Sends a copy of an already encoded packet (its SEQ is replaced): fan-out encodes a
   * USER_ONLINE once for all its watchers.
   */
  sendEncoded(template: Buffer): void {
    this.enqueue(Buffer.from(template));
  }

  /** The client ACKed seq; unknown or repeated ACKs are ignored. */
  ack(seq: number): boolean {
    const p = this.inFlight.get(seq);
    if (!p) return false;
    clearTimeout(p.timer);
    this.inFlight.delete(seq);
    // Map order is send order: the packets sent before this one come first.
    for (const older of this.inFlight.values()) {
      if (older.order > p.order) break;
      if (++older.laterAcks === FAST_RETRANSMIT_AFTER) this.options.transmit(older.datagram);
    }
    this.pump();
    return true;
  }

  close(): void {
    this.closed = true;
    for (const p of this.inFlight.values()) clearTimeout(p.timer);
    this.inFlight.clear();
    this.queue = [];
    this.queueHead = 0;
  }

  private enqueue(datagram: Buffer): void {
    if (this.closed) return;
    if (!isReliableServerCommand(datagram.readUInt16LE(COMMAND_OFFSET))) {
      this.stampAndTransmit(datagram);
      return;
    }
    if (this.pendingCount >= this.options.maxPending) {
      this.options.onGiveUp(`more than ${this.options.maxPending} packets waiting for an ACK`);
      return;
    }
    this.queue.push(datagram);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.options.window && this.queued > 0) {
      const datagram = this.queue[this.queueHead++]!;
      const seq = this.stampAndTransmit(datagram);
      const timer = setTimeout(() => this.retransmit(seq), this.options.retransmitMs);
      this.inFlight.set(seq, { datagram, sends: 1, timer, order: this.sendOrder++, laterAcks: 0 });
    }
    // Drop the consumed head now and then, so the queue is O(1) per packet and does not grow.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private stampAndTransmit(datagram: Buffer): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    datagram.writeUInt16LE(seq, SEQ_OFFSET);
    this.options.transmit(datagram);
    return seq;
  }

  private retransmit(seq: number): void {
    const p = this.inFlight.get(seq);
    if (!p || this.closed) return;
    if (p.sends > this.options.retries) {
      this.inFlight.delete(seq);
      this.options.onGiveUp(`packet ${hex16(p.datagram.readUInt16LE(COMMAND_OFFSET))} SEQ ${seq} not ACKed after ${p.sends} sends`);
      return;
    }
    p.sends++;
    this.options.transmit(p.datagram);
    p.timer = setTimeout(() => this.retransmit(seq), this.options.retransmitMs);
  }
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
}
