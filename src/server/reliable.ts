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
  /** Most packets waiting for an ACK; one more is a give-up. */
  maxPending: number;
  /** Puts bytes on the wire (to this client's address). */
  transmit: (datagram: Buffer) => void;
  /** A packet was sent 1 + retries times without an ACK, or too many wait: the client is gone. */
  onGiveUp: (reason: string) => void;
}

interface Pending {
  datagram: Buffer;
  sends: number;
  timer: NodeJS.Timeout;
}

/**
 * The server's side of one client's packet stream (PROTOCOL.md §2.2): its own SEQ counter
 * from 0, and retransmission until ACKed for every packet other than the six sent once.
 */
export class ReliableSender {
  private nextSeq = 0;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(private readonly options: ReliableSenderOptions) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  send(packet: OutgoingPacket): number {
    const seq = this.takeSeq();
    this.dispatch(encodeServerPacket({ ...packet, seq } as ServerPacket), seq);
    return seq;
  }

  /**
   * Sends a copy of an already encoded packet with this stream's next SEQ: fan-out encodes
   * a USER_ONLINE once for all its watchers.
   */
  sendEncoded(template: Buffer): number {
    const seq = this.takeSeq();
    const datagram = Buffer.from(template);
    datagram.writeUInt16LE(seq, SEQ_OFFSET);
    this.dispatch(datagram, seq);
    return seq;
  }

  /** The client ACKed seq; unknown or repeated ACKs are ignored. */
  ack(seq: number): boolean {
    const p = this.pending.get(seq);
    if (!p) return false;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    return true;
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    return seq;
  }

  private dispatch(datagram: Buffer, seq: number): void {
    if (this.closed) return;
    this.options.transmit(datagram);
    if (!isReliableServerCommand(datagram.readUInt16LE(COMMAND_OFFSET))) return;
    if (this.pending.size >= this.options.maxPending) {
      this.options.onGiveUp(`more than ${this.options.maxPending} packets waiting for an ACK`);
      return;
    }
    const entry: Pending = { datagram, sends: 1, timer: setTimeout(() => this.retransmit(seq), this.options.retransmitMs) };
    this.pending.set(seq, entry);
  }

  private retransmit(seq: number): void {
    const p = this.pending.get(seq);
    if (!p || this.closed) return;
    if (p.sends > this.options.retries) {
      this.pending.delete(seq);
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
