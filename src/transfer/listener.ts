import { EventEmitter } from 'node:events';
import net from 'node:net';
import { PeerConnection } from './connection.js';
import { decodeInit, isInitPacket, type InitPacket } from '../wire/peer.js';
import { IcqProtocolError, WireErrorCode } from '../wire/errors.js';
import { toIPv4 } from './tcp.js';

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
 * Connections over the limits are closed at once; silent ones by the idle timeout.
 */
export class PeerListener extends EventEmitter {
  private readonly server: net.Server;
  private readonly perAddress = new Map<string, number>();
  private readonly open = new Set<net.Socket>();
  /** Accepted sockets that have not sent their init yet (still ours to drop). */
  private readonly waitingForInit = new Set<net.Socket>();
  private bound: { host: string; port: number } | null = null;

  constructor(private readonly options: PeerListenerOptions) {
    super();
    this.server = net.createServer((socket) => this.onConnection(socket));
    this.server.on('error', (err) => this.emit('error', err));
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port }, () => {
        this.server.off('error', reject);
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

  private onConnection(socket: net.Socket): void {
    const address = toIPv4(socket.remoteAddress);
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.open.size >= this.options.maxConnections || fromAddress >= this.options.maxConnectionsPerAddress) {
      this.options.log?.(`refused a connection from ${address}: connection limit reached`);
      socket.destroy();
      return;
    }
    this.open.add(socket);
    this.waitingForInit.add(socket);
    this.perAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.open.delete(socket);
      this.waitingForInit.delete(socket);
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, n);
    });

    const connection = new PeerConnection(socket, {
      maxFrameSize: this.options.maxFrameSize,
      idleTimeoutMs: this.options.idleTimeoutMs,
    });
    const onEarlyError = (err: unknown): void => {
      this.options.log?.(`dropped ${address}: ${(err as Error).message}`);
    };
    connection.on('error', onEarlyError);
    connection.setHandler((frame) => {
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
    for (const s of this.waitingForInit) s.destroy();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }
}
