import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { FrameDecoder, encodeFrame, frameBody } from '../wire/framing.js';
import type { FrameRangeHandler } from '../wire/framing.js';
import { IcqError, ErrorCode } from '../errors.js';
import { formatDuration } from '../duration.js';
import { describeSystemError } from '../system-error.js';

export interface PeerConnectionOptions {
  /** Largest frame body accepted (default 65535). */
  maxFrameSize?: number;
  /** Drop the connection after this long without traffic in either direction; 0 = never. */
  idleTimeoutMs?: number;
}

/**
 * Takes each frame in place: the body is buf[start, end) (buf may hold other frames too).
 * Handlers that decode call frameBody() (wire/framing.ts); the data path reads the range
 * without allocating.
 */
export type FrameHandler = FrameRangeHandler;

/**
 * One framed TCP connection to a peer. The socket feeds chunks into a FrameDecoder; each
 * frame goes to the current handler, which the owning state machine swaps as its state
 * changes (init → messages, or init → file session). Frames that arrive while no handler is
 * set wait in a queue, with the socket paused, so a hand-over never loses a frame.
 *
 * Events: 'error' (IcqError/IcqProtocolError, at most once), 'close' (always, once).
 */
export class PeerConnection extends EventEmitter {
  readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private handler: FrameHandler | null = null;
  private readonly queue: Buffer[] = [];
  private failed = false;
  /** The peer's address while the socket knew it: a reset socket forgets it ('?:?'). */
  private knownRemote: string | null = null;
  closed = false;

  constructor(socket: Socket, options: PeerConnectionOptions = {}) {
    super();
    this.socket = socket;
    this.decoder = new FrameDecoder({ maxFrameSize: options.maxFrameSize ?? 0xffff });
    socket.setNoDelay(true);
    if (socket.remoteAddress !== undefined) this.knownRemote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.setIdleTimeout(options.idleTimeoutMs ?? 0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () =>
      this.fail(new IcqError(ErrorCode.IDLE_TIMEOUT, `no traffic from ${this.remote} for ${formatDuration(socket.timeout ?? 0)}`)),
    );
    socket.on('error', (err) =>
      this.fail(new IcqError(ErrorCode.TRANSFER_BROKEN, `connection to ${this.remote}: ${describeSystemError(err)}`, { cause: err })),
    );
    socket.on('close', () => {
      this.closed = true;
      this.emit('close');
    });
  }

  get remote(): string {
    if (this.knownRemote !== null) return this.knownRemote;
    if (this.socket.remoteAddress === undefined) return '?:?';
    this.knownRemote = `${this.socket.remoteAddress}:${this.socket.remotePort}`;
    return this.knownRemote;
  }

  /** Idle limit in ms (0 = none). A paused transfer turns it off while paused. */
  setIdleTimeout(ms: number): void {
    this.socket.setTimeout(ms);
  }

  /** Route every following frame (and any queued ones) to handler; null queues them. */
  setHandler(handler: FrameHandler | null): void {
    this.handler = handler;
    if (handler === null) return;
    while (this.queue.length > 0 && this.handler === handler && !this.failed) {
      const frame = this.queue.shift()!;
      this.deliver(frame, 0, frame.length);
    }
    if (this.queue.length === 0 && this.handler !== null) this.socket.resume();
  }

  private readonly onFrame = (buf: Buffer, start: number, end: number): void => {
    if (this.failed) return;
    if (this.handler === null) {
      this.queue.push(frameBody(buf, start, end));
      this.socket.pause();
    } else {
      this.deliver(buf, start, end);
    }
  };

  private onData(chunk: Buffer): void {
    if (this.failed) return;
    try {
      this.decoder.pushRanges(chunk, this.onFrame);
    } catch (err) {
      this.fail(err);
    }
  }

  private deliver(buf: Buffer, start: number, end: number): void {
    try {
      this.handler!(buf, start, end);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Frame and send one packet body. Returns false when the socket buffer is full. */
  send(body: Buffer): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(encodeFrame(body));
  }

  /**
   * Send bytes that are already framed (the data path builds many frames per write).
   * onFlushed runs once the socket no longer holds framed, so its buffer may be reused.
   */
  sendRaw(framed: Buffer, onFlushed?: (err?: Error | null) => void): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(framed, onFlushed);
  }

  /** Report err once (as 'error') and destroy the socket. */
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.handler = null;
    // An owner that destroyed us has stopped listening: what is left of the chunk being
    // decoded must not surface as an unhandled 'error' and take the process down.
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.socket.destroy();
  }

  /** Flush what was written, then close. */
  end(): void {
    this.socket.end();
  }

  /** Drop the connection: no frame, and no error, is reported after this. */
  destroy(): void {
    this.stop();
    this.socket.destroy();
  }

  /**
   * Drop the connection with a TCP reset (RST) instead of a normal close, so the peer can
   * tell that we gave up from "all is done". Like destroy(), nothing is reported after this.
   */
  reset(): void {
    this.stop();
    if (this.socket.destroyed) return;
    if (this.socket.connecting || this.socket.readyState === 'closed') this.socket.destroy();
    else this.socket.resetAndDestroy();
  }

  private stop(): void {
    this.failed = true;
    this.handler = null;
    this.queue.length = 0;
  }
}
