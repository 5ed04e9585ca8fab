import { Option, type Command } from 'commander';
import { IcqError, ErrorCode } from '../errors.js';
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, type CommonOptions, type LimitOptions, type LoginOptions, type ServerAddress } from '../transfer/options.js';
import { DATA_CHUNK_SIZE } from '../wire/file.js';
import { MAX_FRAME_BODY } from '../wire/framing.js';
import {
  integerIn,
  parsePort,
  parsePositiveInt,
  parseServer,
  parseTimeoutSeconds,
  parseUin,
} from './parsers.js';

/**
 * The options icqsend and icqrecv share, and their translation into engine options.
 * Option names, environment variables and defaults are the contract of docs/architecture.md §7.
 */

export const ENV_SERVER = 'ICQ_SERVER';
export const ENV_UIN = 'ICQ_UIN';
export const ENV_PASSWORD = 'ICQ_PASSWORD';

/** What commander leaves in opts() for the shared options. */
export interface SharedCliOptions {
  server?: ServerAddress;
  uin?: number;
  password?: string;
  connectTimeout: number;
  ackTimeout: number;
  idleTimeout: number;
  json: boolean;
  quiet: boolean;
  advertisePort?: number;
  retransmitMs?: number;
  retries?: number;
  keepaliveMs?: number;
  probeMs?: number;
  maxFiles?: number;
  maxNameLength?: number;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  maxPending?: number;
  maxFrameSize?: number;
}

const seconds = (ms: number): string => String(ms / 1000);

export function addLoginOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--server <HOST:PORT>', 'log in through this ICQ v2 server (icqd); the port defaults to 4000')
        .env(ENV_SERVER)
        .argParser(parseServer),
    )
    .addOption(new Option('--uin <N>', 'your UIN (required with --server)').env(ENV_UIN).argParser(parseUin))
    .addOption(new Option('--password <P>', 'your password (required with --server)').env(ENV_PASSWORD));
}

export function addTimeoutOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--connect-timeout <SECONDS>', 'give up a TCP connect after this long')
        .default(DEFAULT_TIMEOUTS.connectTimeoutMs, seconds(DEFAULT_TIMEOUTS.connectTimeoutMs))
        .argParser(parseTimeoutSeconds),
    )
    .addOption(
      new Option('--ack-timeout <SECONDS>', "how long a file request waits for the peer's answer")
        .default(DEFAULT_TIMEOUTS.ackTimeoutMs, seconds(DEFAULT_TIMEOUTS.ackTimeoutMs))
        .argParser(parseTimeoutSeconds),
    )
    .addOption(
      new Option('--idle-timeout <SECONDS>', 'drop a connection with no traffic for this long')
        .default(DEFAULT_TIMEOUTS.idleTimeoutMs, seconds(DEFAULT_TIMEOUTS.idleTimeoutMs))
        .argParser(parseTimeoutSeconds),
    );
}

/** The shortest name limit sanitizeFileName can honour (room for a shortened name and its extension). */
export const MIN_NAME_LENGTH = 16;
/** One data packet (06 + 2048 bytes) must fit in a frame, or no transfer could work. */
export const MIN_FRAME_SIZE = DATA_CHUNK_SIZE + 1;
const MAX_COUNT = 1_000_000;

/**
 * Limits against hostile peers (LimitOptions): icqrecv takes them all, icqsend only
 * --max-files (its listener accepts nobody but the peers it asked to connect).
 */
export function addLimitOptions(cmd: Command, side: 'send' | 'receive'): Command {
  const d = DEFAULT_LIMITS;
  cmd.addOption(
    new Option(
      '--max-files <N>',
      side === 'receive' ? 'refuse a request that announces more files than this' : 'send at most this many files in one go',
    )
      .default(d.maxFiles)
      .argParser(integerIn(1, MAX_COUNT)),
  );
  if (side === 'send') return cmd;
  return cmd
    .addOption(
      new Option('--max-name-length <BYTES>', 'shorten received file and sub-directory names to this many bytes (UTF-8), keeping the extension')
        .default(d.maxNameLength)
        .argParser(integerIn(MIN_NAME_LENGTH, 255)),
    )
    .addOption(
      new Option('--max-connections <N>', 'most message connections at once (to our listener, or opened at a peer\'s request through the server); at the limit, the one idle longest (no request waiting, no transfer running) makes room')
        .default(d.maxConnections)
        .argParser(integerIn(1, MAX_COUNT)),
    )
    .addOption(
      new Option('--max-connections-per-address <N>', 'most message connections at once from one IP address (or asked for by one UIN through the server)')
        .default(d.maxConnectionsPerAddress)
        .argParser(integerIn(1, MAX_COUNT)),
    )
    .addOption(
      new Option('--max-pending <N>', 'most file requests from one peer (UIN or IP address) waiting for a decision or their file connection; more are refused')
        .default(d.maxPendingRequests)
        .argParser(integerIn(1, MAX_COUNT)),
    )
    .addOption(
      new Option('--max-frame-size <BYTES>', `largest TCP packet accepted from a peer; a larger one closes that connection (at least ${MIN_FRAME_SIZE})`)
        .default(d.maxFrameSize)
        .argParser(integerIn(MIN_FRAME_SIZE, MAX_FRAME_BODY)),
    );
}

/** The limit options given (or defaulted) on the command line, in engine terms. */
function resolveLimitOptions(opts: SharedCliOptions): LimitOptions {
  return {
    ...(opts.maxFiles !== undefined ? { maxFiles: opts.maxFiles } : {}),
    ...(opts.maxNameLength !== undefined ? { maxNameLength: opts.maxNameLength } : {}),
    ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
    ...(opts.maxConnectionsPerAddress !== undefined ? { maxConnectionsPerAddress: opts.maxConnectionsPerAddress } : {}),
    ...(opts.maxPending !== undefined ? { maxPendingRequests: opts.maxPending } : {}),
    ...(opts.maxFrameSize !== undefined ? { maxFrameSize: opts.maxFrameSize } : {}),
  };
}

export function addOutputOptions(cmd: Command, quietNote = ''): Command {
  return cmd
    .addOption(
      new Option('--json', 'print one JSON event a line on stdout (nothing else goes to stdout)').default(false),
    )
    .addOption(new Option('--quiet', `print only errors${quietNote}`).default(false));
}

/** Test-only knobs: hidden from --help, stable enough for the e2e tests. */
export function addHiddenTestOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--advertise-port <PORT>', 'tell others this message port instead of the real one')
        .argParser(parsePort)
        .hideHelp(),
    )
    .addOption(new Option('--retransmit-ms <N>', 'login retransmit interval').argParser(parsePositiveInt).hideHelp())
    .addOption(new Option('--retries <N>', 'login retransmit tries').argParser(parsePositiveInt).hideHelp())
    .addOption(new Option('--keepalive-ms <N>', 'login keep-alive interval').argParser(parsePositiveInt).hideHelp())
    .addOption(new Option('--probe-ms <N>', 'how soon a restarted server is noticed').argParser(parsePositiveInt).hideHelp());
}

export function usageError(message: string): IcqError {
  return new IcqError(ErrorCode.USAGE, message);
}

/** Login options when a server is in use; --uin and --password are then required. */
export function resolveLogin(opts: SharedCliOptions, server: ServerAddress | undefined): LoginOptions | undefined {
  if (server === undefined) return undefined;
  if (opts.uin === undefined) throw usageError(`--uin is required with --server (or set ${ENV_UIN})`);
  if (opts.password === undefined) throw usageError(`--password is required with --server (or set ${ENV_PASSWORD})`);
  return {
    server,
    password: opts.password,
    ...(opts.retransmitMs !== undefined ? { retransmitMs: opts.retransmitMs } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
    ...(opts.keepaliveMs !== undefined ? { keepAliveMs: opts.keepaliveMs } : {}),
    ...(opts.probeMs !== undefined ? { probeMs: opts.probeMs } : {}),
  };
}

/** Engine options both commands derive the same way (without onEvent and signal). */
export function resolveCommon(opts: SharedCliOptions, server: ServerAddress | undefined): CommonOptions {
  const login = resolveLogin(opts, server);
  return {
    connectTimeoutMs: opts.connectTimeout,
    ackTimeoutMs: opts.ackTimeout,
    idleTimeoutMs: opts.idleTimeout,
    // Only --json output shows file-done's sha256: without it, hashing is CPU for nothing.
    sha256: opts.json,
    ...resolveLimitOptions(opts),
    ...(opts.uin !== undefined ? { uin: opts.uin } : {}),
    ...(login ? { login } : {}),
    ...(opts.advertisePort !== undefined ? { advertisePort: opts.advertisePort } : {}),
  };
}

/** Help text shared by both commands, placed before each command's examples. */
export const EXIT_CODES_HELP = `
Exit codes:
  0 done, 1 internal error, 2 usage, 3 login failed, 4 peer offline or unreachable,
  5 refused or cancelled, 6 transfer broken off (partial data kept), 7 protocol error
  from the peer, 130 interrupted (partial data kept)`;
