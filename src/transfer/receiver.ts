import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { LoginSession } from '../login/session.js';
import type { ReverseConnectRequest } from '../login/types.js';
import { IcqError, ErrorCode } from '../errors.js';
import {
  PeerMessageType,
  PeerStatus,
  TCP_FLAG_DIRECT,
  TCP_VERSION,
  ackFor,
  encodeInit,
  fileAccept,
  fileRefuse,
  isReadAwayType,
  type PeerMessage,
} from '../wire/peer.js';
import { PeerConnection } from './connection.js';
import type { TransferEvent } from './events.js';
import { PeerListener, type AcceptedPeer } from './listener.js';
import { openLogin } from './login-link.js';
import { MessageChannel } from './message-channel.js';
import { decodeWireName, escapeForDisplay, lastPathComponent, sanitizeFileName, sanitizeSubdir } from './names.js';
import {
  resolveLimits,
  resolveTimeouts,
  type FileRequestInfo,
  type ResolvedLimits,
  type ResolvedTimeouts,
  type ReceiveOptions,
  type RequestDecision,
  type TransferOutcome,
  type TransferSummary,
} from './options.js';
import { runReceiveSession } from './receive-session.js';
import { prepareTarget, resolveReceiveRoot } from './target.js';
import { connectTcp, toIPv4 } from './tcp.js';
// The one rate limiter for log lines the project has (icqd's); it is pure and does no I/O.
import { LogLimiter } from '../server/log-limiter.js';
import { WireErrorCode } from '../wire/errors.js';
import { formatDuration } from '../duration.js';

/** What we answer a read-away-message request with (§3.3). */
const AUTO_REPLY = 'icqxfer: send me files';
const CHAT_REFUSAL = 'chat is not supported here; send files instead';

type IncomingState = 'deciding' | 'waiting-connection' | 'running' | 'ended';

/** One file request from a peer, from decision to the end of its file session. */
interface IncomingTransfer {
  peer: number;
  /** The address the request came from: a UIN is only what the peer claims. */
  address: string;
  request: PeerMessage;
  channel: MessageChannel;
  state: IncomingState;
  abort: AbortController;
  fileListener?: PeerListener;
  /** The dedicated file port, and the one we told the peer (differs only in tests). */
  filePort?: number;
  advertisedPort?: number;
  timer?: NodeJS.Timeout;
}

/** "N Files" announces a batch; anything else is one file. */
export function announcedFileCount(fileName: string): number {
  const m = /^(\d+) Files$/.exec(fileName);
  return m ? Number(m[1]) : 1;
}

/**
 * icqrecv's engine: a message listener (its port goes into the login), file requests
 * decided by a policy callback, a dedicated file listener per accepted request, and the
 * reverse connect of docs/protocol.md §4 when the sender cannot reach us.
 *
 * Events: 'transfer-end' (TransferOutcome) once per file request, however it ended;
 * 'error' (IcqError LOGGED_OFF or WRONG_PASSWORD) when the server session is lost for good.
 * Everything else is reported through options.onEvent.
 */
export class FileReceiver extends EventEmitter {
  private readonly abort = new AbortController();
  private readonly listener: PeerListener;
  private readonly transfers = new Set<IncomingTransfer>();
  private readonly channels = new Set<MessageChannel>();
  /** Message connections opened on relayed reverse-connect requests, per requester UIN. */
  private readonly reverseOpen = new Map<number, number>();
  private login: LoginSession | undefined;
  private bound: { host: string; port: number } | undefined;
  private closing: Promise<void> | undefined;
  private readonly limits: ResolvedLimits;
  private readonly timeouts: ResolvedTimeouts;

  static async start(options: ReceiveOptions): Promise<FileReceiver> {
    const receiver = new FileReceiver(options);
    try {
      await receiver.open();
    } catch (err) {
      await receiver.close();
      throw err;
    }
    return receiver;
  }

  private constructor(private readonly options: ReceiveOptions) {
    super();
    this.limits = resolveLimits(options);
    this.timeouts = resolveTimeouts(options);
    this.listener = new PeerListener({
      host: options.listenHost ?? '0.0.0.0',
      port: options.listenPort ?? 0,
      maxConnections: this.limits.maxConnections,
      maxConnectionsPerAddress: this.limits.maxConnectionsPerAddress,
      idleTimeoutMs: this.timeouts.idleTimeoutMs,
      maxFrameSize: this.limits.maxFrameSize,
      log: this.limitLog,
    });
    this.listener.on('error', () => {});
  }

  /**
   * Connections dropped at a limit, as warnings: the user learns why a sender failed. A flood
   * must not become a flood of lines, so at most a few a window, and how many were held back.
   */
  private readonly limitLog = (() => {
    const limiter = new LogLimiter((message) => this.report({ event: 'warning', message }), 10, 10_000);
    return (line: string): void => limiter.write(line);
  })();

  get address(): { host: string; port: number } {
    if (this.bound === undefined) throw new Error('receiver is not started');
    return this.bound;
  }

  private get uin(): number {
    return this.options.uin ?? 0;
  }

  /** The message port others are told about (LOGIN, init). */
  private get advertisedMessagePort(): number {
    return this.options.advertisePort ?? this.address.port;
  }

  private report(event: TransferEvent): void {
    this.options.onEvent?.(event);
  }

  private async open(): Promise<void> {
    const signal = this.options.signal;
    if (signal?.aborted) throw new IcqError(ErrorCode.INTERRUPTED, 'interrupted');
    signal?.addEventListener('abort', () => void this.close(), { once: true });
    await mkdir(this.options.dir, { recursive: true });
    this.bound = await this.listener.listen();
    this.listener.on('peer', (p: AcceptedPeer) => this.onMessageConnection(p.connection, p.init.uin));
    // Lost for good (the UIN logged in elsewhere, re-login refused): nobody can reach us
    // through the server any more, so the receiver's owner must hear of it.
    this.login = await openLogin(this.options, this.advertisedMessagePort, (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
      else this.report({ event: 'error', code: err.code, message: err.message });
    });
    this.login?.on('reverse-connect', (r: ReverseConnectRequest) => void this.onReverseConnect(r));
    this.report({ event: 'online', uin: this.uin, host: this.bound.host, port: this.bound.port });
  }

  private onMessageConnection(connection: PeerConnection, peerUin: number): void {
    const channel = new MessageChannel(connection, { uin: this.uin });
    this.channels.add(channel);
    const from = connection.remote;
    channel.on('close', (err: Error | undefined) => {
      this.channels.delete(channel);
      // A peer whose TCP version we cannot read (encrypted ICQ 98a style packets) is told
      // nowhere else: say why its connection ended (docs/protocol.md §3.4, §7).
      const code = (err as { code?: string } | undefined)?.code;
      if (code === WireErrorCode.UNSUPPORTED_VERSION || code === WireErrorCode.BAD_VERSION) {
        this.report({ event: 'error', code, message: `message connection from ${from} (UIN ${peerUin}) closed: ${err!.message}`, peer: peerUin });
      }
    });
    channel.on('request', (msg: PeerMessage) => this.onRequest(channel, msg, peerUin));
    channel.on('cancel', (msg: PeerMessage) => this.onCancel(channel, msg));
    this.refreshIdleTimeout(channel);
  }

  private onRequest(channel: MessageChannel, msg: PeerMessage, peerUin: number): void {
    const me = { ...channel.endpoint };
    if (msg.type === PeerMessageType.FILE) {
      void this.onFileRequest(channel, msg, peerUin);
    } else if (msg.type === PeerMessageType.CHAT) {
      channel.send(ackFor(me, msg, CHAT_REFUSAL, PeerStatus.REFUSE));
    } else if (isReadAwayType(msg.type)) {
      channel.send(ackFor(me, msg, AUTO_REPLY));
    } else {
      channel.send(ackFor(me, msg));
    }
  }

  /** Requests still deciding or waiting for their file connection from this UIN or this address. */
  private pendingFrom(peer: number, address: string): number {
    let n = 0;
    for (const t of this.transfers) {
      if ((t.peer === peer || t.address === address) && (t.state === 'deciding' || t.state === 'waiting-connection')) n++;
    }
    return n;
  }

  private async onFileRequest(channel: MessageChannel, msg: PeerMessage, peerUin: number): Promise<void> {
    // The message's own UIN names the sender; the init's is the fallback for a zero.
    const peer = msg.uin !== 0 ? msg.uin : peerUin;
    const tail = msg.file!;
    const info: FileRequestInfo = {
      peer,
      // icqlib puts the path from its command line here: show only the last component (§3.4).
      name: escapeForDisplay(lastPathComponent(decodeWireName(tail.fileName))),
      files: announcedFileCount(tail.fileName),
      bytes: tail.totalSize,
      description: escapeForDisplay(decodeWireName(msg.text)),
      address: toIPv4(channel.connection.socket.remoteAddress),
    };
    const transfer: IncomingTransfer = { peer, address: info.address, request: msg, channel, state: 'deciding', abort: new AbortController() };
    const pending = this.pendingFrom(peer, info.address);
    this.transfers.add(transfer);
    this.refreshIdleTimeout(channel);
    this.report({ event: 'request', peer, name: info.name, files: info.files, bytes: info.bytes, description: info.description });

    let decision: RequestDecision;
    if (pending >= this.limits.maxPendingRequests) {
      decision = { accept: false, reason: `too many pending requests (limit ${this.limits.maxPendingRequests})` };
    } else if (info.files > this.limits.maxFiles) {
      decision = { accept: false, reason: `too many files: ${info.files} (limit ${this.limits.maxFiles})` };
    } else {
      // A request that vanishes while it is being decided ends now, not when someone
      // answers it: the abort of its signal withdraws the question from the terminal.
      const onGone = (): void => {
        if (transfer.state === 'deciding') {
          this.end(transfer, { error: new IcqError(ErrorCode.CANCELLED, `${peer} went away before the request was answered`) });
        }
      };
      channel.once('close', onGone);
      try {
        decision = this.options.decide
          ? await this.options.decide(info, transfer.abort.signal)
          : { accept: false, reason: 'not accepting files' };
      } catch (err) {
        decision = { accept: false, reason: `not accepted: ${(err as Error).message}` };
      } finally {
        channel.off('close', onGone);
      }
    }
    if (transfer.state !== 'deciding') return; // cancelled while we were deciding
    if (channel.connection.closed) {
      this.end(transfer, { error: new IcqError(ErrorCode.CANCELLED, `${peer} went away before the request was answered`) });
      return;
    }
    if (!decision.accept) {
      channel.send(fileRefuse(channel.endpoint, msg, decision.reason));
      this.report({ event: 'refused', peer, reason: decision.reason, by: 'local' });
      this.end(transfer, { error: new IcqError(ErrorCode.REFUSED, `refused ${peer}'s request: ${decision.reason}`) });
      return;
    }
    await this.acceptRequest(transfer);
  }

  private async acceptRequest(transfer: IncomingTransfer): Promise<void> {
    const fileListener = new PeerListener({
      host: this.options.listenHost ?? '0.0.0.0',
      port: 0,
      maxConnections: 4,
      maxConnectionsPerAddress: 4,
      idleTimeoutMs: this.timeouts.idleTimeoutMs,
      maxFrameSize: this.limits.maxFrameSize,
      log: this.limitLog,
    });
    fileListener.on('error', () => {});
    transfer.fileListener = fileListener;
    try {
      const { port } = await fileListener.listen();
      transfer.filePort = port;
      transfer.advertisedPort = this.options.advertiseFilePort ?? port;
    } catch (err) {
      this.end(transfer, { error: new IcqError(ErrorCode.INTERNAL, `cannot open a file listener: ${(err as Error).message}`) });
      return;
    }
    transfer.state = 'waiting-connection';
    fileListener.on('peer', ({ connection, init }: AcceptedPeer) => {
      // Only the peer that asked may use this port (§3.1).
      if (init.uin !== transfer.peer || transfer.state !== 'waiting-connection') {
        connection.destroy();
        return;
      }
      void this.runSession(transfer, connection);
    });
    transfer.timer = setTimeout(() => {
      if (transfer.state === 'waiting-connection') {
        this.end(transfer, {
          error: new IcqError(ErrorCode.TRANSFER_BROKEN, `${transfer.peer} did not open the file connection within ${formatDuration(this.timeouts.ackTimeoutMs)}`),
        });
      }
    }, this.timeouts.ackTimeoutMs);
    transfer.channel.send(fileAccept(transfer.channel.endpoint, transfer.request, transfer.advertisedPort));
    this.report({ event: 'accepted', peer: transfer.peer, port: transfer.advertisedPort });
  }

  private async runSession(transfer: IncomingTransfer, connection: PeerConnection): Promise<void> {
    transfer.state = 'running';
    clearTimeout(transfer.timer);
    // One connection per transfer: the dedicated port closes now (the connection it
    // handed over stays open).
    void transfer.fileListener?.close();
    const dir = this.options.dir;
    const onExists = this.options.onExists ?? 'resume';
    const acceptTypes = this.options.acceptTypes;
    const maxNameLength = this.limits.maxNameLength;
    try {
      // Once per transfer, not per file: thousands of small files each paid for it.
      const root = await resolveReceiveRoot(dir);
      const summary = await runReceiveSession(connection, {
        peer: transfer.peer,
        expectedTotal: transfer.request.file!.totalSize,
        maxFiles: this.limits.maxFiles,
        nick: this.options.nick ?? String(this.uin),
        sha256: this.options.sha256 ?? true,
        idleTimeoutMs: this.timeouts.idleTimeoutMs,
        ...(this.options.onEvent ? { onEvent: this.options.onEvent } : {}),
        signal: AbortSignal.any([this.abort.signal, transfer.abort.signal]),
        prepare: (info) =>
          prepareTarget({
            dir,
            root,
            subdir: sanitizeSubdir(decodeWireName(info.subdir), undefined, maxNameLength),
            name: sanitizeFileName(decodeWireName(info.name), maxNameLength),
            size: info.size,
            mtime: info.mtime,
            onExists,
            ...(acceptTypes && acceptTypes.length > 0 ? { acceptTypes } : {}),
          }),
      });
      this.report({ event: 'done', ...summary });
      this.end(transfer, { summary });
    } catch (err) {
      connection.destroy();
      this.end(transfer, { error: err as Error });
    }
  }

  private onCancel(channel: MessageChannel, msg: PeerMessage): void {
    for (const t of this.transfers) {
      if (t.channel !== channel || t.request.seq !== msg.seq) continue;
      if (t.state === 'deciding' || t.state === 'waiting-connection') {
        this.end(t, { error: new IcqError(ErrorCode.CANCELLED, `${t.peer} cancelled the request`) });
      }
    }
  }

  /** A relayed 0x015E (§4): connect out to the requester, then carry on in our role. */
  private async onReverseConnect(r: ReverseConnectRequest): Promise<void> {
    const transfer = [...this.transfers].find(
      (t) => t.state === 'waiting-connection' && t.peer === r.requesterUin && (r.otherPort === t.advertisedPort || r.otherPort === t.filePort),
    );
    const isMessagePort = r.otherPort === this.address.port || r.otherPort === this.advertisedMessagePort;
    if (!transfer && !isMessagePort) return; // matches nothing we have open: ignore
    // Anyone logged in to the server can ask for a message connection, to any address:
    // bounded like connections to our listener (per requester, and in all).
    if (!transfer && !this.takeReverseSlot(r.requesterUin)) return;
    let socket;
    try {
      socket = await connectTcp(r.ip, r.port, this.timeouts.connectTimeoutMs, this.abort.signal);
    } catch (err) {
      if (transfer) this.end(transfer, { error: err as Error });
      else this.releaseReverseSlot(r.requesterUin);
      return;
    }
    const connection = new PeerConnection(socket, { maxFrameSize: this.limits.maxFrameSize, idleTimeoutMs: this.timeouts.idleTimeoutMs });
    if (!transfer) connection.once('close', () => this.releaseReverseSlot(r.requesterUin));
    const ip = toIPv4(socket.localAddress);
    connection.send(
      encodeInit({
        version: TCP_VERSION,
        msgPort: transfer ? 0 : this.advertisedMessagePort,
        uin: this.uin,
        ip,
        realIp: ip,
        tcpFlag: TCP_FLAG_DIRECT,
        otherPort: transfer ? transfer.advertisedPort! : 0,
      }),
    );
    if (transfer) {
      if (transfer.state !== 'waiting-connection') {
        connection.destroy();
        return;
      }
      await this.runSession(transfer, connection);
    } else {
      this.onMessageConnection(connection, r.requesterUin);
    }
  }

  private takeReverseSlot(uin: number): boolean {
    let total = 0;
    for (const n of this.reverseOpen.values()) total += n;
    const fromUin = this.reverseOpen.get(uin) ?? 0;
    if (fromUin >= this.limits.maxConnectionsPerAddress || total >= this.limits.maxConnections) return false;
    this.reverseOpen.set(uin, fromUin + 1);
    return true;
  }

  private releaseReverseSlot(uin: number): void {
    const n = (this.reverseOpen.get(uin) ?? 1) - 1;
    if (n <= 0) this.reverseOpen.delete(uin);
    else this.reverseOpen.set(uin, n);
  }

  /**
   * A message connection is silent while a person decides on its request and while the
   * file data of its transfer flows elsewhere; the sender's next request (a batch over
   * 4 GiB is several) comes on it afterwards. So the idle limit runs only while the
   * connection has no transfer in progress.
   */
  private refreshIdleTimeout(channel: MessageChannel): void {
    let busy = false;
    for (const t of this.transfers) if (t.channel === channel) busy = true;
    channel.connection.setIdleTimeout(busy ? 0 : this.timeouts.idleTimeoutMs);
    // Only an idle message connection may make room at the listener's connection limit.
    this.listener.setIdle(channel.connection, !busy);
  }

  private end(transfer: IncomingTransfer, result: { summary?: TransferSummary; error?: Error }): void {
    if (transfer.state === 'ended') return;
    transfer.state = 'ended';
    clearTimeout(transfer.timer);
    transfer.abort.abort();
    void transfer.fileListener?.close();
    this.transfers.delete(transfer);
    this.refreshIdleTimeout(transfer.channel);
    if (result.error) {
      const code = (result.error as { code?: string }).code ?? ErrorCode.INTERNAL;
      // A refusal was reported as 'refused'; an interrupt is the program's to report, once.
      if (code !== ErrorCode.REFUSED && code !== ErrorCode.INTERRUPTED) {
        this.report({ event: 'error', code, message: result.error.message, peer: transfer.peer });
      }
    }
    const outcome: TransferOutcome = { peer: transfer.peer, ...result };
    this.emit('transfer-end', outcome);
  }

  /** Stop listening, drop every connection (keeping .part files), log out. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      for (const t of [...this.transfers]) this.end(t, { error: new IcqError(ErrorCode.INTERRUPTED, 'receiver closed') });
      for (const c of this.channels) c.connection.destroy();
      await this.listener.close();
      if (this.login) await this.login.logout().catch(() => this.login?.close());
    })();
    return this.closing;
  }
}

export function receiveFiles(options: ReceiveOptions): Promise<FileReceiver> {
  return FileReceiver.start(options);
}

