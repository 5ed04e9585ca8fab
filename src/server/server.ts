import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';
import { isProtocolError } from '../wire/errors.js';
import {
  type ClientHeader,
  type ClientPacket,
  type ServerPacket,
  UdpCommand,
  decodeClientHeader,
  decodeClientPacket,
  encodeServerPacket,
  serverAck,
} from '../wire/udp.js';
import { AccountStore } from './accounts.js';
import type { AtomicWriteHooks } from './atomic-file.js';
import { IcqServerError, ServerErrorCode } from './errors.js';
import { LogLimiter } from './log-limiter.js';
import { KEEP_ALIVE_EXPIRY_FACTOR, type ResolvedServerOptions, type ServerOptions, resolveServerOptions } from './options.js';
import { WatcherIndex, isInvisible } from './presence.js';
import type { OutgoingPacket } from './reliable.js';
import { type ClientAddress, Session, clientAddress } from './session.js';

export interface IcqServer {
  /** Where the server listens (the real port when 0 was asked for). */
  readonly address: { host: string; port: number };
  /** Sessions online now. */
  readonly sessionCount: number;
  isOnline(uin: number): boolean;
  /** Counters since start, for operators and tests. */
  readonly stats: ServerStats;
  /** Stops listening, drops every session (no packets sent) and saves the db. */
  close(): Promise<void>;
}

export interface ServerStats {
  /** Datagrams received. */
  datagrams: number;
  /** Datagrams dropped as oversized, of another version, or with a header or body that does not decode. */
  malformed: number;
  /** Logins accepted. */
  logins: number;
}

/** Tests only: hooks into the account store's atomic writes. */
export interface ServerTestHooks {
  writeHooks?: AtomicWriteHooks;
}

/** Remembered registrations (address + SEQ → UIN) so a repeated 0x03FC creates one account. */
const REGISTRATION_MEMORY = 1024;
/** How many `users` are hashed at once at start. */
const USER_HASH_BATCH = 8;
/** Placeholder while a registration's password is being hashed. */
const REGISTERING = 0;

type SessionPacket = Exclude<ClientPacket, { kind: 'login' | 'register' }>;

/**
 * Starts icqd: loads (or creates) the accounts store, applies `users`, binds the UDP
 * socket. Rejects with IcqServerError DATABASE when the db file is unreadable or corrupt,
 * BIND when the socket cannot be bound.
 */
export async function startServer(options: ServerOptions = {}, hooks: ServerTestHooks = {}): Promise<IcqServer> {
  const o = resolveServerOptions(options);
  const store = await AccountStore.open(o.dbPath, {
    scryptCost: o.scryptCost,
    maxStoredMessages: o.maxStoredMessages,
    log: o.log,
    writeHooks: hooks.writeHooks,
  });
  // A few at a time: scrypt runs on the libuv thread pool (4 threads by default).
  for (let i = 0; i < o.users.length; i += USER_HASH_BATCH) {
    await Promise.all(o.users.slice(i, i + USER_HASH_BATCH).map((u) => store.upsert(u.uin, u.password, u.nick)));
  }
  await store.flush();
  const socket = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(new IcqServerError(ServerErrorCode.BIND, `cannot listen on udp://${o.host}:${o.port}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.bind(o.port, o.host, () => {
      socket.off('error', onError);
      setSocketBuffers(socket, o.socketBufferBytes, o.log);
      resolve();
    });
  });
  return new Icqd(o, store, socket);
}

class Icqd implements IcqServer {
  readonly address: { host: string; port: number };
  readonly stats: ServerStats = { datagrams: 0, malformed: 0, logins: 0 };
  private readonly sessions = new Map<number, Session>();
  private readonly watchers = new WatcherIndex();
  /** Logins whose password is being checked: "address|uin|seq". */
  private readonly pendingLogins = new Set<string>();
  /** Registrations seen lately: "address|seq" → UIN (REGISTERING while hashing). */
  private readonly registrations = new Map<string, number>();
  /** Password checks and hashes in progress (logins, registrations), bounded by maxPendingLogins. */
  private readonly hashing = new Set<Promise<unknown>>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;
  private readonly hostileLog: LogLimiter;
  private readonly log: (line: string) => void;

  constructor(
    private readonly o: ResolvedServerOptions,
    private readonly store: AccountStore,
    private readonly socket: Socket,
  ) {
    const a = socket.address();
    this.address = { host: a.address, port: a.port };
    this.log = o.log;
    this.hostileLog = new LogLimiter(o.log);
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    // Sending to an unreachable address and the like: log and go on; UDP has no connection to lose.
    socket.on('error', (err) => this.hostileLog.write(`socket error: ${err.message}`));
    const sweepMs = Math.max(10, Math.min(5_000, Math.floor(o.keepAliveMs / 2)));
    this.sweepTimer = setInterval(() => this.expireSilentSessions(), sweepMs);
    this.log(`listening udp://${this.address.host}:${this.address.port} (${store.size} accounts, db ${o.dbPath ?? 'in memory'})`);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  isOnline(uin: number): boolean {
    return this.sessions.has(uin);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const s of this.sessions.values()) {
      s.ended = true;
      s.sender.close();
    }
    this.sessions.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    // An account created by a login or registration still hashing must reach the file too.
    await Promise.allSettled([...this.hashing]);
    try {
      await this.store.flush();
    } catch (err) {
      this.log(`cannot save ${this.o.dbPath}: ${(err as Error).message}`);
    }
    this.log('stopped');
  }

  // -------------------------------------------------------------------------------------
  // Incoming datagrams

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    if (this.closing) return;
    this.stats.datagrams++;
    const from = clientAddress(rinfo.address, rinfo.port);
    try {
      this.handle(buf, from);
    } catch (err) {
      // A bug must not take the server down for everyone; say so loudly, once per packet.
      this.hostileLog.write(`internal error on a packet from ${from.key}: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private handle(buf: Buffer, from: ClientAddress): void {
    if (buf.length > this.o.maxPacketSize) {
      this.stats.malformed++;
      this.hostileLog.write(`${from.key}: ${buf.length}-byte datagram is over ${this.o.maxPacketSize}, ignored`);
      return;
    }
    let header: ClientHeader;
    try {
      header = decodeClientHeader(buf);
    } catch (err) {
      this.rejectMalformed(err, from, 'ignored');
      return;
    }
    if (header.command === UdpCommand.ACK) return this.onAck(header, from);
    if (header.command === UdpCommand.SEND_TEXT_CODE) return this.onLogout(header, from);
    // Everything else is ACKed first, before the reply and before we know the body is sound.
    this.sendTo(from, serverAck(header.seq));
    let packet: ClientPacket;
    try {
      packet = decodeClientPacket(buf, { maxTextLength: this.o.maxTextLength });
    } catch (err) {
      this.rejectMalformed(err, from, `ACKed, ignored (command ${hex16(header.command)} SEQ ${header.seq})`);
      return;
    }
    if (packet.kind === 'login') return this.onLogin(packet, from);
    if (packet.kind === 'register') return this.onRegister(packet, from);
    const session = this.sessionAt(header.uin, from);
    if (!session) {
      this.sendTo(from, encodeServerPacket({ kind: 'not-connected', seq: header.seq }));
      return;
    }
    session.lastHeard = Date.now();
    if (session.isDuplicate(header.command, header.seq)) return;
    this.onSessionPacket(session, packet);
  }

  private rejectMalformed(err: unknown, from: ClientAddress, action: string): void {
    if (!isProtocolError(err)) throw err;
    this.stats.malformed++;
    this.hostileLog.write(`${from.key}: malformed packet (${err.code}: ${err.message}), ${action}`);
  }

  private sessionAt(uin: number, from: ClientAddress): Session | undefined {
    const s = this.sessions.get(uin);
    return s && s.from.key === from.key ? s : undefined;
  }

  private onAck(header: ClientHeader, from: ClientAddress): void {
    const s = this.sessionAt(header.uin, from);
    if (!s) return;
    s.lastHeard = Date.now();
    s.sender.ack(header.seq);
  }

  /** 0x0438 is not ACKed; from an address without a session it is ignored. */
  private onLogout(header: ClientHeader, from: ClientAddress): void {
    const s = this.sessionAt(header.uin, from);
    if (s) this.endSession(s, 'logged out');
  }

  private onSessionPacket(s: Session, p: SessionPacket): void {
    switch (p.kind) {
      case 'contact-list':
        return this.onContacts(s, p.uins, true);
      case 'add-to-list':
        return this.onContacts(s, [p.target], false);
      case 'status-change':
        return this.onStatusChange(s, p.status);
      case 'keep-alive':
        return; // lastHeard is already updated
      case 'send-message':
        return this.onMessage(s, p.target, p.type, p.text);
      case 'req-offline-messages':
        return this.deliverStoredMessages(s);
      case 'ack-offline-messages': {
        const n = this.store.deleteMessages(s.uin, s.offlineDeliveredUpTo);
        if (n > 0) this.log(`${s.uin}: ${n} stored message(s) delivered and deleted`);
        return;
      }
      case 'info-req':
        return this.onInfoRequest(s, p.infoSeq, p.target);
      case 'tcp-request':
        return this.onTcpRequest(s, p);
      case 'unknown':
        this.hostileLog.write(`${s.uin} at ${s.from.key}: unknown command ${hex16(p.command)} (${p.body.length} bytes), ACKed, ignored`);
        return;
      case 'ack':
        return; // handled from the header
    }
  }

  // -------------------------------------------------------------------------------------
  // Login, sessions, expiry

  private onLogin(p: Extract<ClientPacket, { kind: 'login' }>, from: ClientAddress): void {
    const current = this.sessions.get(p.uin);
    // icqlib sends each packet six times: a repeat of the LOGIN that made this session, or
    // of one being checked, is only ACKed.
    if (current && current.from.key === from.key && current.loginHeaderSeq === p.seq) return;
    const pendingKey = `${from.key}|${p.uin}|${p.seq}`;
    if (this.pendingLogins.has(pendingKey)) return;
    if (this.hashing.size >= this.o.maxPendingLogins || (!current && this.sessions.size >= this.o.maxSessions)) {
      this.sendTo(from, encodeServerPacket({ kind: 'busy', seq: p.seq }));
      this.hostileLog.write(`${p.uin} at ${from.key}: login refused, server busy`);
      return;
    }
    this.pendingLogins.add(pendingKey);
    this.track(this.checkPassword(p.uin, p.password))
      .then((ok) => {
        if (this.closing) return;
        if (ok) this.openSession(p, from);
        else {
          this.sendTo(from, encodeServerPacket({ kind: 'wrong-password', seq: p.seq, loginSeq: p.loginSeq, uin: p.uin }));
          this.hostileLog.write(`${p.uin} at ${from.key}: wrong password or unknown UIN`);
        }
      })
      .catch((err: unknown) => this.log(`${p.uin}: login failed: ${(err as Error).message}`))
      .finally(() => this.pendingLogins.delete(pendingKey));
  }

  /** Counts an async password operation until it settles; shutdown waits for them. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.hashing.add(work);
    const done = (): void => void this.hashing.delete(work);
    work.then(done, done);
    return work;
  }

  private async checkPassword(uin: number, password: string): Promise<boolean> {
    if (this.store.get(uin)) return this.store.verify(uin, password);
    if (!this.o.autoRegister || uin === 0 || this.store.size >= this.o.maxAccounts) return false;
    if (!(await this.store.create(uin, password))) return this.store.verify(uin, password);
    this.log(`${uin}: account created on first login (--auto-register)`);
    return true;
  }

  private openSession(p: Extract<ClientPacket, { kind: 'login' }>, from: ClientAddress): void {
    const old = this.sessions.get(p.uin);
    const wasVisible = old !== undefined && !isInvisible(old.status);
    if (old) {
      // Same address: the client logging in again (after 0x00F0, or restarted); it needs no
      // 0x0028, which would only make it think the new session was logged off.
      if (old.from.key !== from.key) old.sender.send({ kind: 'logged-off' });
      this.endSession(old, `replaced by a login from ${from.key}`, false);
    } else if (this.sessions.size >= this.o.maxSessions) {
      this.sendTo(from, encodeServerPacket({ kind: 'busy', seq: p.seq }));
      return;
    }
    const s: Session = new Session(
      { uin: p.uin, from, loginHeaderSeq: p.seq, login: p, dedupWindow: this.o.dedupWindow, now: Date.now() },
      {
        retransmitMs: this.o.retransmitMs,
        retries: this.o.retries,
        window: this.o.sendWindow,
        maxPending: this.o.maxPendingPerSession,
        transmit: (datagram) => this.sendTo(from, datagram),
        // Deferred: a give-up can happen in the middle of a fan-out over the watcher index.
        onGiveUp: (reason) => queueMicrotask(() => this.endSession(s, `dropped: ${reason}`)),
      },
    );
    this.sessions.set(p.uin, s);
    this.stats.logins++;
    this.log(`${p.uin}: logged in from ${from.key} (TCP port ${p.port}, status ${hex32(p.status)})`);
    s.sender.send({ kind: 'login-reply', uin: p.uin, ip: from.address, loginSeq: p.loginSeq });
    if (!isInvisible(s.status)) this.announceOnline(s);
    else if (wasVisible) this.fanOut(s.uin, { kind: 'user-offline', uin: s.uin });
  }

  /** Ends s if it is still the current session; tells its watchers unless `notify` is false. */
  private endSession(s: Session, reason: string, notify = true): void {
    if (s.ended || this.sessions.get(s.uin) !== s) return;
    s.ended = true;
    this.sessions.delete(s.uin);
    s.sender.close();
    for (const target of s.contacts) this.watchers.remove(s.uin, target);
    this.log(`${s.uin}: ${reason}`);
    if (notify && !isInvisible(s.status)) this.fanOut(s.uin, { kind: 'user-offline', uin: s.uin });
  }

  private expireSilentSessions(): void {
    const limit = Date.now() - KEEP_ALIVE_EXPIRY_FACTOR * this.o.keepAliveMs;
    const expired: Session[] = [];
    for (const s of this.sessions.values()) if (s.lastHeard < limit) expired.push(s);
    for (const s of expired) this.endSession(s, `expired (silent for ${KEEP_ALIVE_EXPIRY_FACTOR} × ${this.o.keepAliveMs} ms)`);
  }

  // -------------------------------------------------------------------------------------
  // Presence

  private announceOnline(s: Session): void {
    const template = s.userOnlinePacket();
    for (const w of this.watchers.watchersOf(s.uin)) this.sessions.get(w)?.sender.sendEncoded(template);
  }

  /** Sends packet to everyone watching uin. */
  private fanOut(uin: number, packet: OutgoingPacket): void {
    const template = encodeServerPacket({ ...packet, seq: 0 } as ServerPacket);
    for (const w of this.watchers.watchersOf(uin)) this.sessions.get(w)?.sender.sendEncoded(template);
  }

  private onContacts(s: Session, uins: number[], endOfList: boolean): void {
    let ignored = 0;
    for (const target of uins) {
      if (!s.contacts.has(target)) {
        if (s.contacts.size >= this.o.maxContacts) {
          ignored++;
          continue;
        }
        s.contacts.add(target);
        this.watchers.add(s.uin, target);
      }
      const t = this.sessions.get(target);
      if (t && !isInvisible(t.status)) s.sender.sendEncoded(t.userOnlinePacket());
    }
    if (ignored > 0) this.hostileLog.write(`${s.uin}: contact list over ${this.o.maxContacts} UINs, ${ignored} ignored`);
    if (endOfList) s.sender.send({ kind: 'end-of-contacts', uin: s.uin });
  }

  private onStatusChange(s: Session, status: number): void {
    const wasInvisible = isInvisible(s.status);
    s.setStatus(status);
    const nowInvisible = isInvisible(status);
    if (wasInvisible && nowInvisible) return;
    if (wasInvisible) this.announceOnline(s);
    else if (nowInvisible) this.fanOut(s.uin, { kind: 'user-offline', uin: s.uin });
    else this.fanOut(s.uin, { kind: 'status-update', uin: s.uin, status });
  }

  // -------------------------------------------------------------------------------------
  // Messages, registration, info, reverse connect

  private onMessage(s: Session, target: number, type: number, text: string): void {
    const t = this.sessions.get(target);
    if (t) {
      t.sender.send({ kind: 'recv-message', from: s.uin, type, text });
      return;
    }
    if (!this.store.get(target)) {
      this.hostileLog.write(`${s.uin}: message to unknown UIN ${target} dropped`);
      return;
    }
    const stored = this.store.storeMessage({ from: s.uin, to: target, type, text, time: Date.now() });
    if (!stored) this.hostileLog.write(`${s.uin}: message to ${target} dropped, their inbox is full (${this.o.maxStoredMessages})`);
  }

  private deliverStoredMessages(s: Session): void {
    const messages = this.store.messagesFor(s.uin);
    for (const m of messages) {
      const d = new Date(m.time);
      s.sender.send({
        kind: 'offline-message',
        from: m.from,
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        type: m.type,
        text: m.text,
      });
    }
    s.offlineDeliveredUpTo = messages.length > 0 ? messages[messages.length - 1]!.id : s.offlineDeliveredUpTo;
    s.sender.send({ kind: 'end-offline-messages', uin: s.uin });
  }

  private onRegister(p: Extract<ClientPacket, { kind: 'register' }>, from: ClientAddress): void {
    const key = `${from.key}|${p.seq}`;
    const known = this.registrations.get(key);
    if (known !== undefined) {
      // A repeat: act once, but answer again, since NEW_UIN is sent once and may be lost.
      if (known !== REGISTERING) this.sendTo(from, encodeServerPacket({ kind: 'new-uin', seq: p.seq, word: p.seq, uin: known }));
      return;
    }
    if (this.hashing.size >= this.o.maxPendingLogins || this.store.size >= this.o.maxAccounts) {
      this.sendTo(from, encodeServerPacket({ kind: 'busy', seq: p.seq }));
      this.hostileLog.write(`${from.key}: registration refused, server busy or full`);
      return;
    }
    this.registrations.set(key, REGISTERING);
    if (this.registrations.size > REGISTRATION_MEMORY) this.registrations.delete(this.registrations.keys().next().value!);
    this.track(this.store.register(p.password))
      .then((account) => {
        if (this.registrations.has(key)) this.registrations.set(key, account.uin);
        this.log(`${account.uin}: registered from ${from.key}`);
        if (!this.closing) this.sendTo(from, encodeServerPacket({ kind: 'new-uin', seq: p.seq, word: p.seq, uin: account.uin }));
      })
      .catch((err: unknown) => {
        this.registrations.delete(key);
        this.log(`${from.key}: registration failed: ${(err as Error).message}`);
      });
  }

  private onInfoRequest(s: Session, infoSeq: number, target: number): void {
    const a = this.store.get(target);
    if (!a) {
      s.sender.send({ kind: 'info-none', uin: target });
      return;
    }
    s.sender.send({ kind: 'info-reply', infoSeq, uin: a.uin, nick: a.nick, first: a.first, last: a.last, email: a.email, auth: a.auth });
  }

  private onTcpRequest(s: Session, p: Extract<ClientPacket, { kind: 'tcp-request' }>): void {
    const t = this.sessions.get(p.target);
    if (!t) {
      this.hostileLog.write(`${s.uin}: reverse-connect request to ${p.target}, who is offline, dropped`);
      return;
    }
    t.sender.send({
      kind: 'tcp-request-relayed',
      requesterUin: s.uin,
      target: p.target,
      // 0.0.0.0: "use the address you see me at".
      ip: p.ip === '0.0.0.0' ? s.from.address : p.ip,
      port: p.port,
      tcpFlag: p.tcpFlag,
      otherPort: p.otherPort,
      port2: p.port2,
      tcpVersion: p.tcpVersion,
    });
  }

  private sendTo(to: ClientAddress, datagram: Buffer): void {
    if (this.closing) return;
    this.socket.send(datagram, to.port, to.address);
  }
}

/**
 * Hundreds of clients logging in at once answer each USER_ONLINE with an ACK: a burst of
 * thousands of datagrams that the default socket buffer (~200 KiB) would drop, costing
 * every dropped ACK a retransmission. The kernel caps the size (net.core.rmem_max).
 */
function setSocketBuffers(socket: Socket, bytes: number, log: (line: string) => void): void {
  try {
    if (socket.getRecvBufferSize() < bytes) socket.setRecvBufferSize(bytes);
    if (socket.getSendBufferSize() < bytes) socket.setSendBufferSize(bytes);
  } catch (err) {
    log(`cannot enlarge the socket buffers to ${bytes} bytes: ${(err as Error).message}`);
  }
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0').toUpperCase()}`;
}
