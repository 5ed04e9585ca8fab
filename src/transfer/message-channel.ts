import { EventEmitter } from 'node:events';
import { frameBody } from '../wire/framing.js';
import type { PeerConnection } from './connection.js';
import {
  PeerCommand,
  TcpSequence,
  decodePeerMessage,
  encodePeerMessage,
  isInitPacket,
  type PeerEndpoint,
  type PeerMessage,
} from '../wire/peer.js';
import { IcqError, ErrorCode } from '../errors.js';
import { toIPv4 } from './tcp.js';

/**
 * The TCP message SEQ is one counter per process (§3.3), shared by every message
 * connection, sent or received, whatever the role.
 */
export const processSequence = new TcpSequence();

export interface MessageChannelOptions {
  /** Our UIN, written in every packet. */
  uin: number;
  sequence?: TcpSequence;
  /** Longest TEXT accepted from the peer. */
  maxTextLength?: number;
}

interface PendingRequest {
  resolve: (ack: PeerMessage) => void;
  reject: (err: Error) => void;
}

/**
 * One message connection after its init: decodes message/ACK/cancel packets, keeps the
 * shared SEQ counter, and pairs ACKs with the requests we sent.
 *
 * Events: 'request' (PeerMessage: a 0x07EE from the peer), 'cancel' (PeerMessage),
 * 'close' (Error | undefined: why it ended).
 */
export class MessageChannel extends EventEmitter {
  private readonly sequence: TcpSequence;
  private readonly pending = new Map<number, PendingRequest>();
  private endError: Error | undefined;

  constructor(
    readonly connection: PeerConnection,
    private readonly options: MessageChannelOptions,
  ) {
    super();
    this.sequence = options.sequence ?? processSequence;
    connection.on('error', (err: Error) => {
      this.endError ??= err;
    });
    connection.on('close', () => {
      const err = this.endError ?? new IcqError(ErrorCode.TRANSFER_BROKEN, `message connection to ${connection.remote} closed`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.emit('close', this.endError);
    });
    connection.setHandler((buf, start, end) => this.onFrame(frameBody(buf, start, end)));
  }

  /** Our side of this socket, as message packets carry it (§3.3: this socket, not the listener). */
  get endpoint(): PeerEndpoint {
    const s = this.connection.socket;
    return { uin: this.options.uin, ip: toIPv4(s.localAddress), port: s.localPort ?? 0 };
  }

  private onFrame(frame: Buffer): void {
    // A second init on an open connection is harmless (some clients re-send it): skip it.
    if (isInitPacket(frame)) return;
    const msg = decodePeerMessage(frame, { maxTextLength: this.options.maxTextLength ?? 0xffff });
    if (msg.command === PeerCommand.ACK) {
      const p = this.pending.get(msg.seq);
      if (p) {
        this.pending.delete(msg.seq);
        p.resolve(msg);
      }
      return;
    }
    if (msg.command === PeerCommand.CANCEL) {
      this.emit('cancel', msg);
      return;
    }
    this.sequence.observe();
    this.emit('request', msg);
  }

  send(message: PeerMessage): void {
    this.connection.send(encodePeerMessage(message));
  }

  /** A SEQ for a new request we send. */
  nextSeq(): number {
    return this.sequence.take();
  }

  /** Send a request and resolve with the peer's ACK for its SEQ (no time limit here). */
  request(message: PeerMessage): Promise<PeerMessage> {
    return new Promise((resolve, reject) => {
      if (this.connection.closed) {
        reject(this.endError ?? new IcqError(ErrorCode.TRANSFER_BROKEN, 'message connection is closed'));
        return;
      }
      this.pending.set(message.seq, { resolve, reject });
      this.send(message);
    });
  }

  /** Forget a request (after a timeout or cancel) so a late ACK is ignored. */
  forget(seq: number): void {
    this.pending.delete(seq);
  }

  close(): void {
    this.connection.end();
    // A peer that never closes its side must not keep us open.
    setTimeout(() => this.connection.destroy(), 2000).unref();
  }
}
