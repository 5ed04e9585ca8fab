import type { EventSink } from './events.js';

/** Every wait has a limit (docs/architecture.md §6); all in milliseconds here, seconds on the CLI. */
export interface TimeoutOptions {
  /** A TCP connect() that has not completed by then fails (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a file request waits for the peer's ACK (default 120 s). */
  ackTimeoutMs?: number;
  /** A connection with no traffic for this long is dropped (default 60 s). */
  idleTimeoutMs?: number;
}

export const DEFAULT_TIMEOUTS = {
  connectTimeoutMs: 10_000,
  ackTimeoutMs: 120_000,
  idleTimeoutMs: 60_000,
} as const;

/** Limits against hostile peers; every one has a documented default. */
export interface LimitOptions {
  /** Largest TCP frame body accepted (default 65535, the protocol maximum). */
  maxFrameSize?: number;
  /** Most files one batch may announce (default 100000). */
  maxFiles?: number;
  /** Longest file name, in bytes, kept on disk (default 255); longer names are shortened. */
  maxNameLength?: number;
  /**
   * Most simultaneous connections one listener holds (default 64). At the limit, the
   * connection idle longest (no init yet, or no request waiting and no transfer running)
   * makes room for a new one. Message connections
   * opened on reverse-connect requests are bounded by the same number.
   */
  maxConnections?: number;
  /**
   * Most simultaneous connections from one peer address (default 8); also the most message
   * connections opened on reverse-connect requests from one UIN (the server vouches for it).
   */
  maxConnectionsPerAddress?: number;
  /** Most file requests from one peer (same UIN or same address) waiting for a decision or a file connection (default 4). */
  maxPendingRequests?: number;
}

export const DEFAULT_LIMITS = {
  maxFrameSize: 0xffff,
  maxFiles: 100_000,
  maxNameLength: 255,
  maxConnections: 64,
  maxConnectionsPerAddress: 8,
  maxPendingRequests: 4,
} as const;

export interface ServerAddress {
  host: string;
  port: number;
}

/** Logging in through an ICQ v2 server (icqd or compatible). */
export interface LoginOptions {
  server: ServerAddress;
  password: string;
  /** Login and retransmit timers, for tests (defaults: docs/protocol.md §2.2). */
  retransmitMs?: number;
  retries?: number;
  keepAliveMs?: number;
  /** How soon a restarted or silent server is noticed (LoginSessionOptions.probeMs; default 5 s). */
  probeMs?: number;
}

export interface CommonOptions extends TimeoutOptions, LimitOptions {
  /** Our UIN: required with a server; in peer-to-peer mode any number (default 0). */
  uin?: number;
  /** Log in through this server. Without it: peer-to-peer mode. */
  login?: LoginOptions;
  /** Our nick in the 00/01 packets (default: the UIN as text). */
  nick?: string;
  /** 0–100 (packet 05): 100 full speed, 1–99 at most N × 256 KiB/s, 0 paused (default 100). */
  speed?: number;
  /** Address the message listener binds (default 0.0.0.0). */
  listenHost?: string;
  /** Port of the message listener (default 0: any free port). */
  listenPort?: number;
  /**
   * Tests only: the message port we tell others (LOGIN, init) instead of the real one, to
   * force a peer's connect() to fail and exercise reverse connect.
   */
  advertisePort?: number;
  /**
   * Compute the sha256 of every file for file-done (default true). It costs as much CPU as
   * the rest of a fast transfer, so the commands turn it on only with --json.
   */
  sha256?: boolean;
  /** Emitted events (see events.ts). */
  onEvent?: EventSink;
  /** Aborting closes every connection, keeps .part files, and rejects with INTERRUPTED. */
  signal?: AbortSignal;
}

export interface SendOptions extends CommonOptions {
  /** Peer-to-peer mode: the receiver's message listener. */
  peer?: ServerAddress;
  /** Description sent in the request TEXT (default empty). */
  message?: string;
  /** With a server: wait up to this long for the target to come online (default 0: must be online). */
  waitMs?: number;
}

export type OnExists = 'resume' | 'rename' | 'overwrite' | 'skip';

/** What icqrecv learns from a file request before deciding. */
export interface FileRequestInfo {
  peer: number;
  /** FILENAME: a base name or "N Files". */
  name: string;
  files: number;
  bytes: number;
  description: string;
  /** The address the request came from. */
  address: string;
}

export type RequestDecision = { accept: true } | { accept: false; reason: string };

export interface ReceiveOptions extends CommonOptions {
  /** Where files go (created if missing). */
  dir: string;
  /**
   * Decide on each request (default: refuse everything). `withdrawn` is aborted when the
   * request ends before the answer (the peer cancelled it, or its connection closed): a
   * question asked about it should go away then.
   */
  decide?: (request: FileRequestInfo, withdrawn?: AbortSignal) => RequestDecision | Promise<RequestDecision>;
  /** Only files whose MIME type matches one of these (`image/*`, `application/pdf`) are received; others are skipped. */
  acceptTypes?: string[];
  /** What to do when a file of the same name exists (default 'resume'). */
  onExists?: OnExists;
  /**
   * Tests only: the file port to put in the ACK instead of the real one, to force the
   * sender's connect() to fail and exercise reverse connect for the file connection.
   */
  advertiseFilePort?: number;
}

export interface TransferSummary {
  peer: number;
  files: number;
  /** Sum of file sizes in the batch. */
  bytes: number;
  /** Bytes that actually crossed the wire in this run (less than bytes when resumed). */
  transferred: number;
  skipped: number;
  seconds: number;
}

/** How one incoming transfer ended (FileReceiver 'transfer-end'). */
export interface TransferOutcome {
  peer: number;
  summary?: TransferSummary;
  /** Set when it failed, was refused, or was cancelled. */
  error?: Error;
}

export type ResolvedTimeouts = { -readonly [K in keyof typeof DEFAULT_TIMEOUTS]: number };
export type ResolvedLimits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

function withDefaults<T extends Record<string, number>>(options: object, defaults: T): { -readonly [K in keyof T]: number } {
  const out = { ...defaults } as { -readonly [K in keyof T]: number };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const v = (options as Record<keyof T, unknown>)[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

export function resolveTimeouts(options: TimeoutOptions): ResolvedTimeouts {
  return withDefaults(options, DEFAULT_TIMEOUTS);
}

export function resolveLimits(options: LimitOptions): ResolvedLimits {
  return withDefaults(options, DEFAULT_LIMITS);
}
