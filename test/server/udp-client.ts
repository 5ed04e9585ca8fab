import { type Socket, createSocket } from 'node:dgram';
import {
  type ClientPacket,
  type ServerPacket,
  clientAck,
  decodeServerPacket,
  encodeClientPacket,
  isReliableServerCommand,
  loginPacket,
  serverPacketCommand,
} from '../../src/wire/udp.js';

/** What the tests send: a client packet without the SEQ and UIN the client fills in. */
type Body = ClientPacket extends infer P ? (P extends ClientPacket ? Omit<P, 'seq' | 'uin'> : never) : never;

export interface Received {
  packet: ServerPacket;
  raw: Buffer;
}

/**
 * A raw UDP client for driving icqd in tests: counts SEQ from 1, records every datagram
 * the server sends, and ACKs reliable ones unless told not to.
 */
export class TestClient {
  readonly socket: Socket;
  readonly received: Received[] = [];
  private consumed = new Set<Received>();
  private waiters: (() => void)[] = [];
  seq = 1;
  autoAck = true;

  private constructor(
    readonly uin: number,
    private readonly server: { host: string; port: number },
  ) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (raw) => {
      let packet: ServerPacket;
      try {
        packet = decodeServerPacket(raw);
      } catch {
        return;
      }
      this.received.push({ packet, raw });
      if (this.autoAck && isReliableServerCommand(serverPacketCommand(packet))) this.sendRaw(clientAck(packet.seq, this.uin));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(uin: number, server: { host: string; port: number }): Promise<TestClient> {
    const c = new TestClient(uin, server);
    await new Promise<void>((resolve) => c.socket.bind(0, '127.0.0.1', resolve));
    return c;
  }

  get port(): number {
    return this.socket.address().port;
  }

  sendRaw(buf: Buffer): void {
    this.socket.send(buf, this.server.port, this.server.host);
  }

  /** Sends body with the next SEQ (or the one given); returns the SEQ used. */
  send(body: Body, seq = this.seq++): number {
    this.sendRaw(encodeClientPacket({ ...body, seq, uin: this.uin } as ClientPacket));
    return seq;
  }

  /**
   * LOGIN, then waits for the ACK and LOGIN_REPLY. Like a real client, sends the LOGIN
   * again (same SEQ) every resendMs until it is ACKed: UDP may drop it.
   */
  async login(
    password: string,
    extra: Partial<Parameters<typeof loginPacket>[0]> = {},
    resendMs = 250,
  ): Promise<Extract<ServerPacket, { kind: 'login-reply' }>> {
    const seq = this.seq++;
    const datagram = encodeClientPacket(loginPacket({ seq, uin: this.uin, password, ...extra }));
    this.sendRaw(datagram);
    const resend = setInterval(() => this.sendRaw(datagram), resendMs);
    try {
      await this.next((p) => p.kind === 'ack' && p.seq === seq);
    } finally {
      clearInterval(resend);
    }
    return (await this.next((p) => p.kind === 'login-reply')) as Extract<ServerPacket, { kind: 'login-reply' }>;
  }

  /** The first received packet matching, not returned before; waits up to timeoutMs. */
  async nextReceived(match: (p: ServerPacket) => boolean, timeoutMs = 3000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find((r) => !this.consumed.has(r) && match(r.packet));
      if (hit) {
        this.consumed.add(hit);
        return hit;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`uin ${this.uin}: no matching packet; got ${JSON.stringify(this.received.map((r) => r.packet.kind))}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async next(match: (p: ServerPacket) => boolean, timeoutMs = 3000): Promise<ServerPacket> {
    return (await this.nextReceived(match, timeoutMs)).packet;
  }

  /** Packets received so far matching (consumed or not). */
  all(match: (p: ServerPacket) => boolean): ServerPacket[] {
    return this.received.filter((r) => match(r.packet)).map((r) => r.packet);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
