import { EventEmitter } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
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

/** What the listener knows of one open connection, to choose which one makes room. */
interface OpenConnection {
  address: string;
  /** performance.now() of its last bytes in, or of the moment its owner said it went idle. */
  lastActive: number;
  /** Not handed over yet: no init has come. */
  waitingForInit: boolean;
  /** Handed over, and its owner said it is idle (no request waiting, no transfer running). */
  idle: boolean;
}

/**
 * A TCP listener for peers: every accepted connection must open with an init packet
 * (§3.2); the listener reads it, then emits 'peer' ({ connection, init }) with the
 * connection's frame handler unset, so the next frame waits for whoever takes it.
 * At a limit, the connection idle longest makes room for a new one: one still waiting for
 * its init, or one handed over whose owner said it is idle (setIdle). A connection carrying
 * a request or a transfer is never dropped; without a connection to drop, the new one is
 * closed at once. Every drop is logged. Silent ones go at the idle timeout.
 */
export class PeerListener extends EventEmitter {
  private readonly server: net.Server;
  private readonly perAddress = new Map<string, number>();
  private readonly open = new Map<net.Socket, OpenConnection>();
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
   * Room for a new connection from address. At a limit, the connection idle longest that
   * may be dropped (no init yet, or handed over and idle) goes, from the same address when
   * that address is at its own limit: otherwise a few silent connections, or a flood of idle
   * ones after an init, would hold the listener shut for a whole idle timeout. A connection
   * whose owner has not said it is idle is never dropped for room.
   */
  private makeRoom(address: string): boolean {
    const addressFull = (this.perAddress.get(address) ?? 0) >= this.options.maxConnectionsPerAddress;
    if (!addressFull && this.open.size < this.options.maxConnections) return true;
    let victim: [net.Socket, OpenConnection] | undefined;
    for (const entry of this.open) {
      const c = entry[1];
      if (!(c.waitingForInit || c.idle) || (addressFull && c.address !== address)) continue;
      if (victim === undefined || c.lastActive < victim[1].lastActive) victim = entry;
    }
    if (victim === undefined) return false;
    const [socket, c] = victim;
    const seconds = ((performance.now() - c.lastActive) / 1000).toFixed(1);
    const what = c.waitingForInit ? 'sent no init' : 'was idle';
    const limit = addressFull ? `the limit of ${this.options.maxConnectionsPerAddress} per address` : `the limit of ${this.options.maxConnections}`;
    this.options.log?.(`dropped a connection from ${c.address} that ${what} for ${seconds} s, to make room for ${address} (${limit})`);
    this.forget(socket);
    socket.destroy();
    return true;
  }

  /**
   * The owner of a handed-over connection says whether it is idle (no request waiting, no
   * transfer running): only then may it make room at a limit. Unknown connections are ignored.
   */
  setIdle(connection: PeerConnection, idle: boolean): void {
    const c = this.open.get(connection.socket);
    if (c === undefined || c.waitingForInit || c.idle === idle) return;
    c.idle = idle;
    // Idle from now: a connection that just finished a long transfer is not the idlest.
    if (idle) c.lastActive = performance.now();
  }

  /** Stop counting socket (at its close, or when dropped for room); safe to call twice. */
  private forget(socket: net.Socket): void {
    const c = this.open.get(socket);
    if (c === undefined) return;
    this.open.delete(socket);
    const n = (this.perAddress.get(c.address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(c.address);
    else this.perAddress.set(c.address, n);
  }

  private onConnection(socket: net.Socket): void {
    const address = toIPv4(socket.remoteAddress);
    if (!this.makeRoom(address)) {
      this.options.log?.(`refused a connection from ${address}: connection limit reached and every connection is busy`);
      socket.destroy();
      return;
    }
    const tracked: OpenConnection = { address, lastActive: performance.now(), waitingForInit: true, idle: false };
    this.open.set(socket, tracked);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.forget(socket));
    socket.on('data', () => {
      tracked.lastActive = performance.now();
    });

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
      // From here the connection belongs to whoever takes 'peer': close() leaves it alone,
      // and it makes room at a limit only once its owner says it is idle (setIdle).
      tracked.waitingForInit = false;
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
    for (const [s, c] of this.open) if (c.waitingForInit) s.destroy();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }
}
