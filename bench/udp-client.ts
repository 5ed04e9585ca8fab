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
  SERVER_HEADER_LENGTH,
  UdpCommand,
  clientAck,
  decodeServerHeader,
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

/** Where SEQ sits in a client header: VERSION WORD, COMMAND WORD, SEQ WORD, UIN DWORD. */
const ACK_SEQ_OFFSET = 4;

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
  /** Our ACK with SEQ 0 (encoded once): every ACK is a copy with the SEQ written in. */
  private readonly ackTemplate: Buffer;

  constructor(private readonly o: SimulatedClientOptions) {
    this.contacts = new Set(o.contacts);
    this.ackTemplate = clientAck(0, o.uin);
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
    if (isReliableServerCommand(header.command)) {
      const ack = Buffer.from(this.ackTemplate);
      ack.writeUInt16LE(header.seq, ACK_SEQ_OFFSET);
      this.socket.send(ack);
    }
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
        // Only the UIN matters here (the first parameter); decoding the whole packet would
        // spend the clients' CPU, which icqd shares, on fields nobody reads.
        if (buf.length < SERVER_HEADER_LENGTH + 4) return;
        const uin = buf.readUInt32LE(SERVER_HEADER_LENGTH);
        if (!this.contacts.has(uin) || this.seen.has(uin)) return;
        this.seen.add(uin);
        if (this.seen.size === this.contacts.size) this.o.onAllSeen();
        return;
      }
    }
  }
}
