import { EventEmitter } from 'node:events';
import net from 'node:net';
import { frameBody } from '../wire/framing.js';
import { PeerConnection } from './connection.js';
import { decodeInit, isInitPacket, type InitPacket } from '../wire/peer.js';
import { IcqProtocolError, WireErrorCode } from '../wire/errors.js';
import { toIPv4 } from './tcp.js';
import { IcqError, ErrorCode } from '../errors.js';
import { describeSystemError } from '../system-error.js';

export interface PeerListenerOptions {
  host: string;
  port: number;
  /** Most connections held at once (default 64). */
  maxConnections: number;
  /** Most connections from one address at once (default 8). */
  maxConnectionsPerAddress: number;
  /** Connections silent this long are dropped (0 = never); also bounds the wait for the init. */
  idleTimeoutMs: number;
  maxFrameSize: number;
  /** Why a connection was dropped, for logs. */
  log?: (line: string) => void;
}

export interface AcceptedPeer {
  connection: PeerConnection;
  init: InitPacket;
}

/**
 * A TCP listener for peers: every accepted connection must open with an init packet
 * (§3.2); the listener reads it, then emits 'peer' ({ connection, init }) with the
 * connection's frame handler unset, so the next frame waits for whoever takes it.
 * At a limit, the oldest connection still waiting for its init makes room for a new one;
 * without such a connection the new one is closed at once. Silent ones go at the idle timeout.
 */
export class PeerListener extends EventEmitter {
  private readonly server: net.Server;
  private readonly perAddress = new Map<string, number>();
  private readonly open = new Set<net.Socket>();
  /** Accepted sockets that have not sent their init yet (still ours to drop), oldest first, with their address. */
  private readonly waitingForInit = new Map<net.Socket, string>();
  private bound: { host: string; port: number } | null = null;

  constructor(private readonly options: PeerListenerOptions) {
    super();
    this.server = net.createServer((socket) => this.onConnection(socket));
    this.server.on('error', (err) => this.emit('error', err));
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      // A port that is taken or not ours to bind is the user's to fix: a usage error.
      const onError = (err: NodeJS.ErrnoException): void =>
        reject(new IcqError(ErrorCode.USAGE, `cannot listen on ${this.options.host}:${this.options.port}: ${describeSystemError(err)}`, { cause: err }));
      this.server.once('error', onError);
      this.server.listen({ host: this.options.host, port: this.options.port }, () => {
        this.server.off('error', onError);
        const a = this.server.address() as net.AddressInfo;
        this.bound = { host: a.address, port: a.port };
        resolve(this.bound);
      });
    });
  }

  get address(): { host: string; port: number } {
    if (this.bound === null) throw new Error('listener is not listening');
    return this.bound;
  }

  get connectionCount(): number {
    return this.open.size;
  }

  /**
   * Room for a new connection from address. At a limit, the oldest connection that has not
   * sent its init yet (from the same address when that address is at its own limit) is
   * dropped: otherwise a few silent connections would hold the listener shut for a whole
   * idle timeout. Connections already handed over are never dropped for room.
   */
  private makeRoom(address: string): boolean {
    const addressFull = (this.perAddress.get(address) ?? 0) >= this.options.maxConnectionsPerAddress;
    if (!addressFull && this.open.size < this.options.maxConnections) return true;
    for (const [waiting, from] of this.waitingForInit) {
      if (addressFull && from !== address) continue;
      this.options.log?.(`dropped a connection from ${from} that sent nothing, to make room`);
      this.forget(waiting, from);
      waiting.destroy();
      return true;
    }
    return false;
  }

  /** Stop counting socket (at its close, or when dropped for room); safe to call twice. */
  private forget(socket: net.Socket, address: string): void {
    this.waitingForInit.delete(socket);
    if (!this.open.delete(socket)) return;
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, n);
  }

  private onConnection(socket: net.Socket): void {
    const address = toIPv4(socket.remoteAddress);
    if (!this.makeRoom(address)) {
      this.options.log?.(`refused a connection from ${address}: connection limit reached`);
      socket.destroy();
      return;
    }
    this.open.add(socket);
    this.waitingForInit.set(socket, address);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.forget(socket, address));

    const connection = new PeerConnection(socket, {
      maxFrameSize: this.options.maxFrameSize,
      idleTimeoutMs: this.options.idleTimeoutMs,
    });
    const onEarlyError = (err: unknown): void => {
      this.options.log?.(`dropped ${address}: ${(err as Error).message}`);
    };
    connection.on('error', onEarlyError);
    connection.setHandler((buf, start, end) => {
      const frame = frameBody(buf, start, end);
      if (!isInitPacket(frame)) {
        throw new IcqProtocolError(WireErrorCode.UNKNOWN_PACKET, 'the first packet on a connection must be the init packet (FF)');
      }
      const init = decodeInit(frame);
      connection.setHandler(null);
      connection.off('error', onEarlyError);
      // From here the connection belongs to whoever takes 'peer': close() leaves it alone.
      this.waitingForInit.delete(socket);
      if (this.listenerCount('peer') === 0) {
        connection.destroy();
        return;
      }
      this.emit('peer', { connection, init } satisfies AcceptedPeer);
    });
  }

  /**
   * Stop accepting and drop the connections still waiting for their init. Connections
   * already handed over with 'peer' belong to their new owner and stay open.
   */
  close(): Promise<void> {
    for (const s of this.waitingForInit.keys()) s.destroy();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }
}
