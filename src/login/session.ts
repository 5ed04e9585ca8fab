import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { ErrorCode, IcqError } from '../errors.js';
import { encodeText } from '../wire/bytes.js';
import { isProtocolError } from '../wire/errors.js';
import {
  UdpCommand,
  clientAck,
  decodeServerHeader,
  decodeServerPacket,
  encodeClientPacket,
  isReliableServerCommand,
  loginPacket,
  logoutPacket,
  tcpRequestPacket,
  type ClientPacket,
  type ServerPacket,
} from '../wire/udp.js';
import { RecentSeqs } from './dedup.js';
import {
  CONTACTS_PER_PACKET,
  DEFAULT_LOGIN_SESSION_OPTIONS,
  MAX_MESSAGE_BYTES,
  type LoginSessionOptions,
} from './options.js';
import { RetransmitQueue } from './retransmit.js';
import type {
  IncomingMessage,
  LoginEventListener,
  LoginEvents,
  LoginResult,
  PeerPresence,
  Presence,
  ReverseConnectParams,
  ReverseConnectRequest,
} from './types.js';
import { formatDuration } from '../duration.js';

/**
 * - idle: constructed, login() not called yet.
 * - logging-in: the first login is under way (login() is pending).
 * - online: logged in; packets flow, keep-alives run.
 * - relogging: the session was lost (server gone, 0x00F0); LOGIN attempts repeat until one
 *   succeeds or close().
 * - logged-off: the server logged us off (0x0028) or refused a new login; nothing is retried
 *   ('lost' is emitted, and everything still waiting is rejected with that error).
 * - closed: close() or logout(), or the first login failed.
 */
export type LoginState = 'idle' | 'logging-in' | 'online' | 'relogging' | 'logged-off' | 'closed';

/** Every client packet except the LOGIN, whose SEQ the session gives out itself. */
type OutgoingPacket = DistributiveOmit<ClientPacket, 'seq' | 'uin'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type LoginOutcome = { ok: true; result: LoginResult } | { ok: false; error: IcqError };

/** One LOGIN, resent with its SEQ every retransmitMs until an answer or loginTimeoutMs. */
interface LoginAttempt {
  seq: number;
  resend: NodeJS.Timeout;
  deadline: NodeJS.Timeout;
}

/** A queryPresence() waiting for the END_OF_CONTACTS (0x021C) that answers its contact list. */
interface ListQuery {
  answered: () => void;
  failed: (err: Error) => void;
}

interface OnlineWaiter {
  uin: number;
  timer: NodeJS.Timeout;
  resolve: (p: PeerPresence) => void;
  reject: (err: Error) => void;
}

/**
 * One UDP session with an ICQ v2 server (docs/protocol.md §2): login, ACK and retransmission,
 * de-duplication, keep-alive, contact list, presence and message events, reverse-connect
 * requests, logout. A lost session is re-established on its own until close().
 */
export class LoginSession extends EventEmitter implements Presence {
  readonly uin: number;
  private readonly options: LoginSessionOptions;
  private readonly retransmitMs: number;
  private readonly keepAliveMs: number;
  private readonly probeMs: number;
  private readonly loginTimeoutMs: number;
  private readonly log: (line: string) => void;

  private currentState: LoginState = 'idle';
  private socket: dgram.Socket | undefined;
  private lanIp = '0.0.0.0';
  private ip: string | undefined;
  private nextSeq = 1;
  private readonly queue: RetransmitQueue;
  private readonly recent: RecentSeqs;
  private readonly contacts = new Set<number>();
  private readonly presences = new Map<number, PeerPresence>();
  private readonly waiters = new Set<OnlineWaiter>();
  /**
   * One entry per contact list (0x0406) sent and not yet answered by its END_OF_CONTACTS
   * (0x021C), oldest first; an entry with a query belongs to a queryPresence().
   */
  private unansweredLists: Array<ListQuery | undefined> = [];
  private attempt: LoginAttempt | undefined;
  private firstLogin: { resolve: (r: LoginResult) => void; reject: (err: Error) => void } | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private reloginTimer: NodeJS.Timeout | undefined;
  /** When a datagram last came from the server (ms), and whether one came since the last probe tick. */
  private lastHeard = 0;
  private heardSinceProbe = false;
  /** Why the session ended, once it has: what every later call is rejected with. */
  private endError: IcqError | undefined;

  constructor(options: LoginSessionOptions) {
    super();
    checkUin(options.uin);
    this.options = options;
    this.uin = options.uin;
    this.retransmitMs = options.retransmitMs ?? DEFAULT_LOGIN_SESSION_OPTIONS.retransmitMs;
    this.keepAliveMs = options.keepAliveMs ?? DEFAULT_LOGIN_SESSION_OPTIONS.keepAliveMs;
    this.probeMs = options.probeMs ?? DEFAULT_LOGIN_SESSION_OPTIONS.probeMs;
    this.loginTimeoutMs = options.loginTimeoutMs ?? DEFAULT_LOGIN_SESSION_OPTIONS.loginTimeoutMs;
    this.log = options.log ?? (() => {});
    this.queue = new RetransmitQueue(
      (packet) => this.transmit(packet),
      { retransmitMs: this.retransmitMs, retries: options.retries ?? DEFAULT_LOGIN_SESSION_OPTIONS.retries },
      (seq) => this.onRetransmitsExhausted(seq),
    );
    this.recent = new RecentSeqs(options.dedupWindow ?? DEFAULT_LOGIN_SESSION_OPTIONS.dedupWindow);
    for (const uin of options.contacts ?? []) {
      checkUin(uin);
      this.contacts.add(uin);
    }
  }

  get state(): LoginState {
    return this.currentState;
  }

  get observedIp(): string | undefined {
    return this.ip;
  }

  /** Logs in once. Rejects with IcqError LOGIN_UNREACHABLE, WRONG_PASSWORD or SERVER_BUSY. */
  async login(): Promise<LoginResult> {
    if (this.currentState !== 'idle') throw new Error(`login() called in state ${this.currentState}`);
    this.currentState = 'logging-in';
    try {
      await this.openSocket();
    } catch (cause) {
      const err = new IcqError(ErrorCode.LOGIN_UNREACHABLE, `cannot reach ${this.serverName()}: ${(cause as Error).message}`, {
        cause,
      });
      this.shutdown('closed', err);
      throw err;
    }
    if (this.currentState !== 'logging-in') throw closedError();
    const result = new Promise<LoginResult>((resolve, reject) => {
      this.firstLogin = { resolve, reject };
    });
    this.beginAttempt();
    return result;
  }

  /** Sends 0x0438 once (the server does not ACK it), then closes. */
  async logout(): Promise<void> {
    const socket = this.socket;
    if (this.currentState === 'online' && socket) {
      const packet = encodeClientPacket(logoutPacket(this.takeSeq(), this.uin));
      await new Promise<void>((resolve) => {
        socket.send(packet, (err) => {
          if (err) this.log(`logout not sent: ${err.message}`);
          resolve();
        });
      });
    }
    this.close();
  }

  /** Closes without logging out; clears every timer and rejects whatever is waiting. */
  close(): void {
    this.shutdown('closed', closedError());
  }

  addContacts(uins: number[]): void {
    const added: number[] = [];
    for (const uin of uins) {
      checkUin(uin);
      if (this.contacts.has(uin)) continue;
      this.contacts.add(uin);
      added.push(uin);
    }
    if (added.length === 0 || this.currentState !== 'online') return;
    if (added.length === 1) this.sendInBackground({ kind: 'add-to-list', target: added[0]! });
    else this.sendContactList(added);
  }

  getPresence(uin: number): PeerPresence | undefined {
    return this.presences.get(uin);
  }

  waitForOnline(uin: number, timeoutMs: number): Promise<PeerPresence> {
    checkUin(uin);
    const known = this.presences.get(uin);
    if (known) return Promise.resolve(known);
    if (this.isFinished()) return Promise.reject(this.endError ?? closedError());
    this.addContacts([uin]);
    return new Promise<PeerPresence>((resolve, reject) => {
      const waiter: OnlineWaiter = {
        uin,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          // Offline or not, nobody could tell us: say that the server is the trouble.
          if (this.currentState === 'relogging') {
            reject(
              new IcqError(
                ErrorCode.SERVER_GONE,
                `lost the session with ${this.serverName()} and could not log in again within ${formatDuration(timeoutMs)}, so whether ${uin} is online is not known`,
              ),
            );
          } else {
            reject(new IcqError(ErrorCode.PEER_OFFLINE, `${uin} did not come online within ${formatDuration(timeoutMs)}`));
          }
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  sendReverseConnect(params: ReverseConnectParams): Promise<void> {
    const packet = tcpRequestPacket({
      seq: 0,
      uin: this.uin,
      target: params.targetUin,
      ip: params.ip,
      port: params.port,
      otherPort: params.otherPort,
    });
    return this.sendReliable(packet);
  }

  /** 0x010E through the server (type 1 = plain message); resolves when the server ACKed it. */
  sendMessage(to: number, text: string, type = 1): Promise<void> {
    checkUin(to);
    if (encodeText(text).length > MAX_MESSAGE_BYTES) {
      return Promise.reject(new IcqError(ErrorCode.LIMIT, `a server message holds at most ${MAX_MESSAGE_BYTES} bytes`));
    }
    return this.sendReliable({ kind: 'send-message', target: to, type, text });
  }

  // -------------------------------------------------------------------------------------
  // Socket

  private openSocket(): Promise<void> {
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('message', (buf) => this.onDatagram(buf));
    // ICMP "port unreachable" shows up here on a connected socket; the login timeout, not
    // one ICMP packet, decides that the server is unreachable.
    socket.on('error', (err) => this.log(`udp socket: ${err.message}`));
    return new Promise<void>((resolve, reject) => {
      socket.connect(this.options.server.port, this.options.server.host, (err?: Error) => {
        if (err) return reject(err);
        this.lanIp = this.options.lanIp ?? socket.address().address;
        resolve();
      });
    });
  }

  private transmit(packet: Buffer): void {
    const socket = this.socket;
    if (!socket) return;
    try {
      socket.send(packet, (err) => {
        if (err) this.log(`send failed: ${err.message}`);
      });
    } catch (err) {
      this.log(`send failed: ${(err as Error).message}`);
    }
  }

  private takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & 0xffff;
    return seq;
  }

  private sendReliable(p: OutgoingPacket): Promise<void> {
    if (this.currentState === 'logged-off' && this.endError) return Promise.reject(this.endError);
    if (this.currentState !== 'online') {
      return Promise.reject(new IcqError(ErrorCode.SERVER_GONE, `not logged in (${this.currentState})`));
    }
    const seq = this.takeSeq();
    const packet = encodeClientPacket({ ...p, seq, uin: this.uin } as ClientPacket);
    return this.queue.send(seq, packet);
  }

  /** For the session's own packets: a failure already shows as 'server-gone'. */
  private sendInBackground(p: OutgoingPacket): void {
    this.sendReliable(p).catch((err: Error) => this.log(`${p.kind} not delivered: ${err.message}`));
  }

  private sendContactList(uins: number[]): void {
    for (let i = 0; i < uins.length; i += CONTACTS_PER_PACKET) {
      this.unansweredLists.push(undefined);
      this.sendInBackground({ kind: 'contact-list', uins: uins.slice(i, i + CONTACTS_PER_PACKET) });
    }
  }

  /** Every query still waiting fails with err (the session ended). */
  private failListQueries(err: Error): void {
    const lists = this.unansweredLists;
    this.unansweredLists = [];
    for (const query of lists) query?.failed(err);
  }

  /**
   * After a new login the contact lists sent before are lost with the old session; the
   * whole list goes again, and its last END_OF_CONTACTS answers every query still waiting
   * (each one's UIN is on it). Answering them at once would say "offline" for a peer the
   * new session simply has not heard about yet.
   */
  private resendContactList(): void {
    const waiting = this.unansweredLists.filter((q): q is ListQuery => q !== undefined);
    this.unansweredLists = [];
    if (this.contacts.size > 0) this.sendContactList([...this.contacts]);
    if (waiting.length === 0) return;
    const all: ListQuery = {
      answered: () => waiting.forEach((q) => q.answered()),
      failed: (err) => waiting.forEach((q) => q.failed(err)),
    };
    if (this.unansweredLists.length === 0) this.unansweredLists.push(all);
    else this.unansweredLists[this.unansweredLists.length - 1] = all;
  }

  /**
   * Ask the server whether uin is online now. A one-entry contact list is answered with
   * 0x006E when the user is online and then, always, 0x021C: so "offline" is the server's
   * answer, not a guess from a timer. Resolves undefined when offline; rejects PEER_OFFLINE
   * if the server does not answer within timeoutMs.
   */
  queryPresence(uin: number, timeoutMs: number): Promise<PeerPresence | undefined> {
    checkUin(uin);
    const known = this.presences.get(uin);
    if (known) return Promise.resolve(known);
    if (this.isFinished()) return Promise.reject(this.endError ?? closedError());
    this.contacts.add(uin);
    return new Promise<PeerPresence | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new IcqError(ErrorCode.PEER_OFFLINE, `the server did not say within ${formatDuration(timeoutMs)} whether ${uin} is online`));
      }, timeoutMs);
      const query: ListQuery = {
        answered: () => {
          clearTimeout(timer);
          resolve(this.presences.get(uin));
        },
        failed: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.unansweredLists.push(query);
      this.sendReliable({ kind: 'contact-list', uins: [uin] }).catch((err: Error) => {
        // Lost for a while: the next login's contact list (uin is on it) answers the query.
        if (this.currentState === 'relogging') return;
        const at = this.unansweredLists.indexOf(query);
        if (at >= 0) this.unansweredLists.splice(at, 1);
        query.failed(err);
      });
    });
  }

  // -------------------------------------------------------------------------------------
  // Login attempts

  private beginAttempt(): void {
    this.recent.reset();
    const seq = this.takeSeq();
    const packet = encodeClientPacket(
      loginPacket({
        seq,
        uin: this.uin,
        password: this.options.password,
        port: this.options.tcpPort,
        ip: this.lanIp,
        tcpFlag: this.options.tcpFlag,
        status: this.options.status,
      }),
    );
    this.transmit(packet);
    // Logging in again, the server may come back any moment: ask at the probe's pace.
    const resendMs = this.currentState === 'relogging' ? Math.min(this.retransmitMs, this.probeMs) : this.retransmitMs;
    this.attempt = {
      seq,
      resend: setInterval(() => this.transmit(packet), resendMs),
      deadline: setTimeout(() => {
        this.endAttempt({
          ok: false,
          error: new IcqError(
            ErrorCode.LOGIN_UNREACHABLE,
            `no answer from ${this.serverName()} within ${formatDuration(this.loginTimeoutMs)}`,
          ),
        });
      }, this.loginTimeoutMs),
    };
  }

  private stopAttempt(): void {
    if (!this.attempt) return;
    clearInterval(this.attempt.resend);
    clearTimeout(this.attempt.deadline);
    this.attempt = undefined;
  }

  private endAttempt(outcome: LoginOutcome): void {
    if (!this.attempt) return;
    this.stopAttempt();
    if (this.currentState === 'logging-in') {
      const waiter = this.firstLogin!;
      this.firstLogin = undefined;
      if (outcome.ok) {
        this.enterOnline(outcome.result);
        waiter.resolve(outcome.result);
      } else {
        this.shutdown('closed', outcome.error);
        waiter.reject(outcome.error);
      }
      return;
    }
    if (this.currentState !== 'relogging') return;
    if (outcome.ok) {
      this.enterOnline(outcome.result);
      this.log('logged in again');
      this.emit('relogin');
    } else if (outcome.error.code === ErrorCode.WRONG_PASSWORD) {
      const err = new IcqError(ErrorCode.WRONG_PASSWORD, `logging in again was refused: ${outcome.error.message}`);
      this.shutdown('logged-off', err);
      this.emit('server-gone', err);
      this.emit('lost', err);
    } else if (outcome.error.code === ErrorCode.SERVER_BUSY) {
      this.log(`${outcome.error.message}; next login attempt in ${this.loginTimeoutMs} ms`);
      this.reloginTimer = setTimeout(() => {
        this.reloginTimer = undefined;
        if (this.currentState === 'relogging') this.beginAttempt();
      }, this.loginTimeoutMs);
    } else {
      this.log(`${outcome.error.message}; trying again`);
      this.beginAttempt();
    }
  }

  private enterOnline(result: LoginResult): void {
    this.currentState = 'online';
    this.ip = result.ip;
    this.log(`logged in as ${result.uin}, seen at ${result.ip}`);
    this.resendContactList();
    this.sendInBackground({ kind: 'req-offline-messages' });
    this.keepAliveTimer = setInterval(
      () => this.sendInBackground({ kind: 'keep-alive', command: UdpCommand.KEEP_ALIVE }),
      this.keepAliveMs,
    );
    this.lastHeard = Date.now();
    this.heardSinceProbe = false;
    this.probeTimer = setInterval(() => this.probe(), this.probeMs);
  }

  /**
   * Every probeMs while online: a session that heard nothing since the last tick sends a
   * keep-alive outside the retransmit queue (the next tick is its retry). A restarted
   * server answers it with 0x00F0, a live one with an ACK; silence for as long as the
   * retransmit queue would wait means the server is gone.
   */
  private probe(): void {
    if (this.currentState !== 'online') return;
    const silentMs = Date.now() - this.lastHeard;
    if (silentMs >= this.retransmitMs * this.queueRetries()) {
      this.startRelogin(
        new IcqError(ErrorCode.SERVER_GONE, `${this.serverName()} has not answered for ${Math.round(silentMs / 1000)} s`),
        true,
      );
      return;
    }
    if (this.heardSinceProbe) {
      this.heardSinceProbe = false;
      return;
    }
    this.transmit(encodeClientPacket({ kind: 'keep-alive', command: UdpCommand.KEEP_ALIVE, seq: this.takeSeq(), uin: this.uin }));
  }

  private queueRetries(): number {
    return this.options.retries ?? DEFAULT_LOGIN_SESSION_OPTIONS.retries;
  }

  /** The session is gone but the server may come back: log in again until close(). */
  private startRelogin(err: IcqError, announce: boolean): void {
    this.leaveOnline(err);
    this.currentState = 'relogging';
    if (announce) this.emit('server-gone', err);
    if (this.currentState === 'relogging') this.emit('relogging', err);
    // A listener may have closed us.
    if (this.currentState === 'relogging' && !this.attempt && !this.reloginTimer) this.beginAttempt();
  }

  private leaveOnline(err: Error): void {
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.queue.clear(err);
    // Stale after a lost session; the contact list sent at the next login refills it.
    this.presences.clear();
  }

  private onRetransmitsExhausted(seq: number): void {
    if (this.currentState !== 'online') return;
    this.startRelogin(
      new IcqError(ErrorCode.SERVER_GONE, `${this.serverName()} did not ACK packet ${seq}; logging in again`),
      true,
    );
  }

  private isFinished(): boolean {
    return this.currentState === 'closed' || this.currentState === 'logged-off';
  }

  /** The one way out: every timer cleared, every waiter rejected, the socket closed. */
  private shutdown(state: 'closed' | 'logged-off', err: IcqError): void {
    if (this.isFinished()) return;
    this.currentState = state;
    this.endError = err;
    this.stopAttempt();
    clearTimeout(this.reloginTimer);
    this.reloginTimer = undefined;
    this.leaveOnline(err);
    const firstLogin = this.firstLogin;
    this.firstLogin = undefined;
    firstLogin?.reject(err);
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
    this.waiters.clear();
    this.failListQueries(err);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Incoming

  private onDatagram(buf: Buffer): void {
    try {
      this.handleDatagram(buf);
    } catch (err) {
      // Hostile input must never take the process down; neither may a listener's bug.
      this.log(`error handling a ${buf.length}-byte datagram: ${(err as Error).stack ?? err}`);
    }
  }

  private handleDatagram(buf: Buffer): void {
    if (this.isFinished()) return;
    this.lastHeard = Date.now();
    this.heardSinceProbe = true;
    let header;
    try {
      header = decodeServerHeader(buf);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.log(`dropped ${buf.length}-byte datagram: ${err.message}`);
      return;
    }
    if (header.command === UdpCommand.ACK) {
      this.queue.ack(header.seq);
      return;
    }
    if (isReliableServerCommand(header.command)) {
      // ACK even what we cannot decode: it was delivered, and resending will not fix it.
      this.transmit(clientAck(header.seq, this.uin));
      if (!this.recent.add(header.seq)) {
        this.log(`duplicate server SEQ ${header.seq} (command 0x${header.command.toString(16)}) dropped`);
        return;
      }
    }
    let packet: ServerPacket;
    try {
      packet = decodeServerPacket(buf);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.log(`dropped server packet 0x${header.command.toString(16)}: ${err.message}`);
      return;
    }
    this.dispatch(packet);
  }

  private dispatch(p: ServerPacket): void {
    switch (p.kind) {
      case 'login-reply':
        if (!this.attempt) return this.log('LOGIN_REPLY outside a login attempt ignored');
        if (p.uin !== this.uin) this.log(`LOGIN_REPLY names UIN ${p.uin}, not ${this.uin}`);
        return this.endAttempt({ ok: true, result: { uin: this.uin, ip: p.ip } });
      case 'wrong-password':
        if (!this.attempt) return this.log('WRONG_PASSWORD outside a login attempt ignored');
        return this.endAttempt({
          ok: false,
          error: new IcqError(ErrorCode.WRONG_PASSWORD, `${this.serverName()} refused UIN ${this.uin}: wrong password or unknown UIN`),
        });
      case 'busy':
        if (!this.attempt) return this.log('BUSY outside a login attempt ignored');
        return this.endAttempt({
          ok: false,
          error: new IcqError(ErrorCode.SERVER_BUSY, `${this.serverName()} is busy`),
        });
      case 'not-connected':
        if (this.currentState !== 'online') return this.log('NOT_CONNECTED while not logged in ignored');
        this.log(`${this.serverName()} has no session for us (0x00F0); logging in again`);
        return this.startRelogin(
          new IcqError(ErrorCode.SERVER_GONE, `${this.serverName()} no longer knows this session (restarted?)`),
          false,
        );
      case 'logged-off':
        return this.onLoggedOff();
      case 'user-online':
        return this.onUserOnline({
          uin: p.uin,
          ip: p.ip,
          port: p.port,
          realIp: p.realIp,
          tcpFlag: p.tcpFlag,
          status: p.status,
          tcpVersion: p.tcpVersion,
        });
      case 'user-offline':
        this.presences.delete(p.uin);
        this.emit('offline', { uin: p.uin });
        return;
      case 'status-update': {
        const known = this.presences.get(p.uin);
        if (known) known.status = p.status;
        this.emit('status', { uin: p.uin, status: p.status });
        return;
      }
      case 'recv-message':
        return this.emitMessage({ from: p.from, type: p.type, text: p.text });
      case 'offline-message':
        return this.emitMessage({
          from: p.from,
          type: p.type,
          text: p.text,
          time: new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute)),
        });
      case 'end-offline-messages':
        if (this.currentState === 'online') this.sendInBackground({ kind: 'ack-offline-messages' });
        return;
      case 'tcp-request-relayed': {
        const request: ReverseConnectRequest = {
          requesterUin: p.requesterUin,
          ip: p.ip,
          port: p.port,
          tcpFlag: p.tcpFlag,
          otherPort: p.otherPort,
          tcpVersion: p.tcpVersion,
        };
        this.emit('reverse-connect', request);
        return;
      }
      case 'end-of-contacts':
        this.unansweredLists.shift()?.answered();
        return this.log('end of contact list');
      case 'unknown':
        return this.log(`unknown server command 0x${p.command.toString(16)} (${p.body.length} bytes) ignored`);
      default:
        return this.log(`unexpected server packet ${p.kind} ignored`);
    }
  }

  private onUserOnline(presence: PeerPresence): void {
    this.presences.set(presence.uin, presence);
    for (const waiter of this.waiters) {
      if (waiter.uin !== presence.uin) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(presence);
    }
    this.emit('online', presence);
  }

  private onLoggedOff(): void {
    const err = new IcqError(
      ErrorCode.LOGGED_OFF,
      `${this.uin} logged in elsewhere: ${this.serverName()} logged this session off (0x0028)`,
    );
    if (this.currentState === 'logging-in') {
      // A leftover from an earlier session; the login attempt goes on.
      return this.log('LOGGED_OFF during login ignored');
    }
    this.shutdown('logged-off', err);
    this.emit('server-gone', err);
    this.emit('lost', err);
  }

  private emitMessage(m: IncomingMessage): void {
    this.emit('message', m);
  }

  private serverName(): string {
    return `${this.options.server.host}:${this.options.server.port}`;
  }
}

/** Typed events (LoginEvents in types.ts). */
export interface LoginSession {
  on<K extends keyof LoginEvents>(event: K, listener: LoginEventListener<K>): this;
  once<K extends keyof LoginEvents>(event: K, listener: LoginEventListener<K>): this;
}

function checkUin(uin: number): void {
  if (!Number.isInteger(uin) || uin <= 0 || uin > 0xffffffff) throw new TypeError(`not a UIN: ${uin}`);
}

function closedError(): IcqError {
  return new IcqError(ErrorCode.INTERRUPTED, 'login session closed');
}
