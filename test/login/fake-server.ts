import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { decodeClientPacket, encodeServerPacket, type ClientPacket, type ServerPacket } from '../../src/wire/udp.js';

export interface Received {
  bytes: Buffer;
  packet: ClientPacket;
}

/**
 * A server made of one raw UDP socket and the codecs: it records every client datagram
 * and sends exactly what a test tells it to, so each test scripts the server's side.
 */
export class FakeServer {
  readonly received: Received[] = [];
  /**
   * Which client packets get an ACK at once, as a real server would do (default: all;
   * never ACKs, logouts or LOGINs: acceptLogin ACKs those itself).
   */
  autoAck: (p: ClientPacket) => boolean = () => true;
  private cursor = 0;
  private wake: (() => void) | undefined;
  private client: { address: string; port: number } | undefined;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (bytes, rinfo) => {
      this.client = { address: rinfo.address, port: rinfo.port };
      const packet = decodeClientPacket(bytes);
      this.received.push({ bytes, packet });
      if (!['ack', 'logout', 'login'].includes(packet.kind) && this.autoAck(packet)) this.ack(packet.seq);
      this.wake?.();
    });
  }

  static async start(autoAck?: (p: ClientPacket) => boolean): Promise<FakeServer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const server = new FakeServer(socket);
    if (autoAck) server.autoAck = autoAck;
    return server;
  }

  get address(): { host: string; port: number } {
    const a = this.socket.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /**
   * The next client packet (after the last one returned) that matches; those in between are
   * skipped. Waits for it: the test's own timeout bounds the wait.
   */
  async next<K extends ClientPacket['kind']>(kind: K, match: (p: Extract<ClientPacket, { kind: K }>) => boolean = () => true): Promise<Received & { packet: Extract<ClientPacket, { kind: K }> }> {
    for (;;) {
      while (this.cursor < this.received.length) {
        const r = this.received[this.cursor++]!;
        if (r.packet.kind === kind && match(r.packet as Extract<ClientPacket, { kind: K }>)) {
          return r as Received & { packet: Extract<ClientPacket, { kind: K }> };
        }
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Every packet received so far of this kind. */
  all<K extends ClientPacket['kind']>(kind: K): Extract<ClientPacket, { kind: K }>[] {
    return this.received.filter((r) => r.packet.kind === kind).map((r) => r.packet as Extract<ClientPacket, { kind: K }>);
  }

  send(p: ServerPacket | Buffer): void {
    if (!this.client) throw new Error('no client has spoken yet');
    this.socket.send(Buffer.isBuffer(p) ? p : encodeServerPacket(p), this.client.port, this.client.address);
  }

  ack(seq: number): void {
    this.send({ kind: 'ack', seq });
  }

  /** ACKs the LOGIN and answers it with a LOGIN_REPLY carrying server SEQ `seq`. */
  async acceptLogin(uin: number, seq = 0, ip = '127.0.0.1'): Promise<ClientPacket> {
    const login = await this.next('login');
    this.ack(login.packet.seq);
    this.send({ kind: 'login-reply', seq, uin, ip, loginSeq: 2 });
    return login.packet;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
