/**
 * A lean simulated ICQ v2 client for the server benchmark: one UDP socket, LOGIN, the
 * contact list, an ACK for every reliable server packet, and a count of the UINs seen
 * online. It uses the project's codecs (src/wire/udp.ts) and nothing else, so that 500 of
 * them in one process cost as little CPU as a client can: the benchmark shares two cores
 * with icqd and should measure icqd. LOGIN and contact lists are sent again after
 * resendMs until ACKed (the real client waits 10 s; one lost datagram would then be
 * the whole measurement). A BUSY answer to LOGIN is retried after a short pause.
 */
import { type Socket, createSocket } from 'node:dgram';
import {
  type ClientPacket,
  MAX_CONTACTS_PER_PACKET,
  UdpCommand,
  clientAck,
  decodeServerHeader,
  decodeServerPacket,
  encodeClientPacket,
  isReliableServerCommand,
  loginPacket,
} from '../src/wire/udp.js';

export interface SimulatedClientOptions {
  server: { host: string; port: number };
  uin: number;
  password: string;
  /** UINs to watch. */
  contacts: number[];
  /** Resend an unACKed LOGIN or contact list after this long (default 1000 ms). */
  resendMs?: number;
  onLoggedIn: () => void;
  /** Every contact has been seen online. */
  onAllSeen: () => void;
}

type Body = ClientPacket extends infer P ? (P extends ClientPacket ? Omit<P, 'seq' | 'uin'> : never) : never;

export class SimulatedClient {
  readonly seen = new Set<number>();
  busyAnswers = 0;
  private readonly socket: Socket;
  private seq = 1;
  private loggedIn = false;
  private readonly unacked = new Map<number, NodeJS.Timeout>();
  private readonly contacts: Set<number>;
  private closed = false;

  constructor(private readonly o: SimulatedClientOptions) {
    this.contacts = new Set(o.contacts);
    this.socket = createSocket('udp4');
    this.socket.on('message', (buf) => this.onDatagram(buf));
    this.socket.on('error', () => undefined);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.connect(this.o.server.port, this.o.server.host, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    this.login();
  }

  close(): void {
    this.closed = true;
    for (const t of this.unacked.values()) clearTimeout(t);
    this.unacked.clear();
    this.socket.close();
  }

  private login(): void {
    const seq = this.seq++;
    this.sendReliable(seq, encodeClientPacket(loginPacket({ seq, uin: this.o.uin, password: this.o.password, port: 4000 })));
  }

  private send(body: Body): void {
    const seq = this.seq++;
    this.sendReliable(seq, encodeClientPacket({ ...body, seq, uin: this.o.uin } as ClientPacket));
  }

  private sendReliable(seq: number, packet: Buffer, tries = 10): void {
    if (this.closed) return;
    this.socket.send(packet);
    if (tries > 1) {
      this.unacked.set(
        seq,
        setTimeout(() => this.sendReliable(seq, packet, tries - 1), this.o.resendMs ?? 1000),
      );
    }
  }

  private onDatagram(buf: Buffer): void {
    let header;
    try {
      header = decodeServerHeader(buf);
    } catch {
      return;
    }
    if (header.command === UdpCommand.ACK) {
      clearTimeout(this.unacked.get(header.seq));
      this.unacked.delete(header.seq);
      return;
    }
    if (isReliableServerCommand(header.command)) this.socket.send(clientAck(header.seq, this.o.uin));
    switch (header.command) {
      case UdpCommand.LOGIN_REPLY:
        if (this.loggedIn) return;
        this.loggedIn = true;
        this.o.onLoggedIn();
        for (let i = 0; i < this.o.contacts.length; i += MAX_CONTACTS_PER_PACKET) {
          this.send({ kind: 'contact-list', uins: this.o.contacts.slice(i, i + MAX_CONTACTS_PER_PACKET) });
        }
        return;
      case UdpCommand.BUSY:
        if (this.loggedIn) return;
        this.busyAnswers++;
        for (const t of this.unacked.values()) clearTimeout(t);
        this.unacked.clear();
        setTimeout(() => this.login(), 50 + Math.random() * 100);
        return;
      case UdpCommand.USER_ONLINE: {
        const p = decodeServerPacket(buf);
        if (p.kind !== 'user-online' || !this.contacts.has(p.uin) || this.seen.has(p.uin)) return;
        this.seen.add(p.uin);
        if (this.seen.size === this.contacts.size) this.o.onAllSeen();
        return;
      }
    }
  }
}
