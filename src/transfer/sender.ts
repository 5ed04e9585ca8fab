import type { LoginSession } from '../login/session.js';
import { IcqError, ErrorCode } from '../errors.js';
import {
  PeerStatus,
  TCP_FLAG_DIRECT,
  TCP_VERSION,
  batchFileName,
  cancelFor,
  encodeInit,
  fileRequest,
  filePortFromAck,
  type PeerMessage,
} from '../wire/peer.js';
import { PeerConnection } from './connection.js';
import type { TransferEvent } from './events.js';
import { PeerListener, type AcceptedPeer } from './listener.js';
import { openLogin } from './login-link.js';
import { MessageChannel } from './message-channel.js';
import { decodeWireName } from './names.js';
import {
  resolveLimits,
  resolveTimeouts,
  type CommonOptions,
  type ResolvedLimits,
  type ResolvedTimeouts,
  type SendOptions,
  type ServerAddress,
  type TransferSummary,
} from './options.js';
import { runSendSession, type OutgoingFile } from './send-session.js';
import { collectFiles, splitBatches, totalSize } from './sources.js';
import { connectTcp, toIPv4, withDeadline } from './tcp.js';

/** Where a peer's message listener is, and whether a direct connect() is worth trying. */
interface PeerRoute {
  hosts: string[];
  port: number;
  direct: boolean;
}

interface IncomingWaiter {
  uin: number;
  resolve: (connection: PeerConnection) => void;
}

export interface SendRequestOptions {
  message?: string;
  waitMs?: number;
  peer?: ServerAddress;
}

/**
 * icqsend's engine: one login (optional) and one message listener, serving any number of
 * sends. A send finds the peer, opens a message connection (directly, or by asking the
 * peer through the server to connect to us: §4 case 1), sends the file request, waits for
 * the ACK, opens the file connection to the port it names (or reverse, §4 case 2), and runs
 * the file session. Everything is reported through options.onEvent.
 */
export class FileSender {
  private readonly listener: PeerListener;
  private readonly waiters = new Set<IncomingWaiter>();
  private readonly abort = new AbortController();
  private readonly timeouts: ResolvedTimeouts;
  private readonly limits: ResolvedLimits;
  private readonly signal: AbortSignal;
  private login: LoginSession | undefined;
  private closing: Promise<void> | undefined;

  static async start(options: CommonOptions): Promise<FileSender> {
    const sender = new FileSender(options);
    try {
      await sender.open();
    } catch (err) {
      await sender.close();
      throw err;
    }
    return sender;
  }

  private constructor(private readonly options: CommonOptions) {
    this.timeouts = resolveTimeouts(options);
    this.limits = resolveLimits(options);
    this.signal = options.signal ? AbortSignal.any([options.signal, this.abort.signal]) : this.abort.signal;
    this.listener = this.newListener(options.listenPort ?? 0);
  }

  private newListener(port: number): PeerListener {
    const listener = new PeerListener({
      host: this.options.listenHost ?? '0.0.0.0',
      port,
      maxConnections: this.limits.maxConnections,
      maxConnectionsPerAddress: this.limits.maxConnectionsPerAddress,
      idleTimeoutMs: this.timeouts.idleTimeoutMs,
      maxFrameSize: this.limits.maxFrameSize,
    });
    listener.on('error', () => {});
    return listener;
  }

  private get uin(): number {
    return this.options.uin ?? 0;
  }

  private report(event: TransferEvent): void {
    this.options.onEvent?.(event);
  }

  private async open(): Promise<void> {
    if (this.signal.aborted) throw new IcqError(ErrorCode.INTERRUPTED, 'interrupted');
    const { port } = await this.listener.listen();
    this.listener.on('peer', (p: AcceptedPeer) => this.onIncoming(this.listener, p));
    this.login = await openLogin(this.options, this.options.advertisePort ?? port);
  }

  /** A connection to one of our listeners: only a peer we asked to connect may use it. */
  private onIncoming(from: PeerListener, { connection, init }: AcceptedPeer): void {
    for (const w of this.waiters) {
      if (w.uin === init.uin) {
        this.waiters.delete(w);
        w.resolve(connection);
        return;
      }
    }
    void from;
    connection.destroy();
  }

  /** Wait on listener for the peer's connection after a reverse-connect request. */
  private async reverseConnect(to: number, listener: PeerListener, otherPort: number): Promise<PeerConnection> {
    const login = this.login;
    if (login === undefined) {
      throw new IcqError(ErrorCode.PEER_UNREACHABLE, `cannot reach ${to} and there is no server to ask it to connect to us`);
    }
    let waiter: IncomingWaiter | undefined;
    const arrived = new Promise<PeerConnection>((resolve) => {
      waiter = { uin: to, resolve };
      this.waiters.add(waiter);
    });
    try {
      await login.sendReverseConnect({
        targetUin: to,
        ip: login.observedIp ?? '0.0.0.0',
        port: listener.address.port,
        otherPort,
      });
      return await withDeadline(
        arrived,
        this.timeouts.connectTimeoutMs * 2,
        () => new IcqError(ErrorCode.PEER_UNREACHABLE, `${to} could not be reached directly and did not connect back`),
        this.signal,
      );
    } finally {
      this.waiters.delete(waiter!);
    }
  }

  private async route(to: number, request: SendRequestOptions): Promise<PeerRoute> {
    if (request.peer) return { hosts: [request.peer.host], port: request.peer.port, direct: true };
    if (this.login === undefined) {
      throw new IcqError(ErrorCode.USAGE, 'sending needs a server (--server) or a peer address (--peer)');
    }
    const waitMs = request.waitMs ?? 0;
    const presence = await withDeadline(
      waitMs > 0 ? this.login.waitForOnline(to, waitMs) : this.login.queryPresence(to, this.timeouts.connectTimeoutMs),
      0,
      () => new IcqError(ErrorCode.PEER_OFFLINE, `${to} is not online`),
      this.signal,
    );
    if (presence === undefined) throw new IcqError(ErrorCode.PEER_OFFLINE, `${to} is not online (use --wait SECONDS to wait for it)`);
    const hosts = [presence.ip];
    if (presence.realIp !== presence.ip && presence.realIp !== '0.0.0.0') hosts.push(presence.realIp);
    return { hosts, port: presence.port, direct: presence.tcpFlag === TCP_FLAG_DIRECT && presence.port !== 0 };
  }

  /** Connect to the first host that answers; send the init (we connected, we speak first). */
  private async connectDirect(hosts: string[], port: number, msgPort: number, otherPort: number): Promise<PeerConnection | undefined> {
    for (const host of hosts) {
      try {
        const socket = await connectTcp(host, port, this.timeouts.connectTimeoutMs, this.signal);
        const connection = new PeerConnection(socket, { maxFrameSize: this.limits.maxFrameSize });
        const ip = toIPv4(socket.localAddress);
        connection.send(encodeInit({ version: TCP_VERSION, msgPort, uin: this.uin, ip, realIp: ip, tcpFlag: TCP_FLAG_DIRECT, otherPort }));
        return connection;
      } catch (err) {
        if ((err as IcqError).code === ErrorCode.INTERRUPTED) throw err;
      }
    }
    return undefined;
  }

  private async openMessageChannel(to: number, route: PeerRoute): Promise<MessageChannel> {
    const msgPort = this.options.advertisePort ?? this.listener.address.port;
    const direct = route.direct ? await this.connectDirect(route.hosts, route.port, msgPort, 0) : undefined;
    const connection = direct ?? (await this.reverseConnect(to, this.listener, route.port));
    // The ACK deadline guards this connection; an idle timer would cut a peer deciding.
    connection.setIdleTimeout(0);
    return new MessageChannel(connection, { uin: this.uin });
  }

  private async openFileConnection(to: number, host: string, filePort: number): Promise<PeerConnection> {
    const direct = await this.connectDirect([host], filePort, 0, filePort);
    if (direct) return direct;
    const fileListener = this.newListener(0);
    await fileListener.listen();
    fileListener.on('peer', (p: AcceptedPeer) => this.onIncoming(fileListener, p));
    try {
      return await this.reverseConnect(to, fileListener, filePort);
    } finally {
      void fileListener.close().catch(() => {});
    }
  }

  /** Send files and directories to one peer; resolves with the totals, rejects with IcqError. */
  async send(to: number, paths: string[], request: SendRequestOptions = {}): Promise<TransferSummary> {
    const started = Date.now();
    const files = await collectFiles(paths, this.limits.maxFiles);
    if (files.length === 0) throw new IcqError(ErrorCode.LOCAL_FILE, 'nothing to send: the directories are empty');
    const route = await this.route(to, request);
    const channel = await this.openMessageChannel(to, route);
    const total: TransferSummary = { peer: to, files: 0, bytes: 0, transferred: 0, skipped: 0, seconds: 0 };
    try {
      for (const batch of splitBatches(files)) {
        const s = await this.sendBatch(channel, to, batch, request.message ?? '');
        total.files += s.files;
        total.bytes += s.bytes;
        total.transferred += s.transferred;
        total.skipped += s.skipped;
      }
    } finally {
      channel.close();
    }
    total.seconds = (Date.now() - started) / 1000;
    this.report({ event: 'done', ...total });
    return total;
  }

  private async sendBatch(channel: MessageChannel, to: number, batch: OutgoingFile[], description: string): Promise<TransferSummary> {
    const total = totalSize(batch);
    const request = fileRequest(channel.endpoint, {
      description,
      fileName: batchFileName(batch.length, batch[0]!.name),
      totalSize: total,
      seq: channel.nextSeq(),
    });
    let ack: PeerMessage;
    try {
      ack = await withDeadline(
        channel.request(request),
        this.timeouts.ackTimeoutMs,
        () => new IcqError(ErrorCode.ACK_TIMEOUT, `${to} did not answer the file request within ${this.timeouts.ackTimeoutMs / 1000} s`),
        this.signal,
      );
    } catch (err) {
      // Giving up before the ACK: tell the peer so it drops the request (§3.6).
      channel.forget(request.seq);
      if (!channel.connection.closed) channel.send(cancelFor(channel.endpoint, request));
      // Closed or reset before any answer: nothing was transferred, so nothing to resume. A
      // receiver at its connection limit does exactly this (and logs it).
      if ((err as IcqError).code === ErrorCode.TRANSFER_BROKEN) {
        throw new IcqError(
          ErrorCode.PEER_UNREACHABLE,
          `${to} at ${channel.connection.remote} closed the message connection before answering the file request (it may be at its connection limit: see its log)`,
          { cause: err },
        );
      }
      throw err;
    }
    if (ack.status === PeerStatus.REFUSE) {
      // Decoded like the names a receiver gets (UTF-8 when it is valid UTF-8); escaped where shown.
      const reason = decodeWireName(ack.text);
      this.report({ event: 'refused', peer: to, reason, by: 'peer' });
      throw new IcqError(ErrorCode.REFUSED, `${to} refused${reason ? `: ${reason}` : ''}`);
    }
    const filePort = ack.file ? filePortFromAck(ack.file) : 0;
    if (filePort === 0) throw new IcqError(ErrorCode.PROTOCOL, `${to} accepted but sent no file port`);
    this.report({ event: 'accepted', peer: to, port: filePort });
    const host = toIPv4(channel.connection.socket.remoteAddress);
    const connection = await this.openFileConnection(to, host, filePort);
    try {
      return await runSendSession(connection, {
        peer: to,
        files: batch,
        total,
        nick: this.options.nick ?? String(this.uin),
        speed: this.options.speed ?? 100,
        sha256: this.options.sha256 ?? true,
        idleTimeoutMs: this.timeouts.idleTimeoutMs,
        ...(this.options.onEvent ? { onEvent: this.options.onEvent } : {}),
        signal: this.signal,
      });
    } catch (err) {
      connection.destroy();
      throw err;
    }
  }

  /** Log out and close every listener and connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      await this.listener.close();
      if (this.login) await this.login.logout().catch(() => this.login?.close());
    })();
    return this.closing;
  }
}

/** One send: start, send, close. */
export async function sendFiles(to: number, paths: string[], options: SendOptions): Promise<TransferSummary> {
  const sender = await FileSender.start(options);
  try {
    return await sender.send(to, paths, {
      ...(options.message !== undefined ? { message: options.message } : {}),
      ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
      ...(options.peer !== undefined ? { peer: options.peer } : {}),
    });
  } finally {
    await sender.close();
  }
}
