/**
 * icqd options: where to listen, where accounts live, the timers of docs/protocol.md §2.2, and
 * the limits that bound memory against hostile clients. Every one has a documented default.
 */

export interface ServerUser {
  uin: number;
  password: string;
  nick?: string;
}

export interface ServerOptions {
  /** Address to bind (default '127.0.0.1'). */
  host?: string;
  /** UDP port (default 4000; 0 = any free port, see IcqServer.address). */
  port?: number;
  /**
   * The accounts file (default './icqd.json'). `null` keeps accounts and stored messages in
   * memory only (tests, benchmarks): nothing is read or written.
   */
  dbPath?: string | null;
  /** An unknown UIN logging in creates the account with that password (default false). */
  autoRegister?: boolean;
  /** Accounts to add, or whose password/nick to update, at start (saved to the db). */
  users?: ServerUser[];
  /** A reliable packet not ACKed after this long is sent again (default 10000 ms). */
  retransmitMs?: number;
  /** How many times a reliable packet is sent again before the session is dropped (default 6). */
  retries?: number;
  /** The client keep-alive period; a session silent for 3× this expires (default 120000 ms). */
  keepAliveMs?: number;
  /**
   * scrypt cost N for new password hashes (a power of two; default 16384 with a db file,
   * 1024 in memory, where hashes never leave the process). Each hash records its own cost,
   * so changing this never locks anyone out.
   */
  scryptCost?: number;
  /** Most sessions online at once; logins beyond get 0x00FA BUSY (default 10000). */
  maxSessions?: number;
  /** Most password checks in progress at once; logins beyond get 0x00FA BUSY (default 256). */
  maxPendingLogins?: number;
  /** Most accounts; registrations beyond get 0x00FA BUSY (default 100000). */
  maxAccounts?: number;
  /** Most UINs one session may watch; the rest of a list is ignored (default 1024). */
  maxContacts?: number;
  /** Most stored (offline) messages per recipient; newer ones are dropped (default 100). */
  maxStoredMessages?: number;
  /** How many recent (COMMAND, SEQ) pairs each session remembers for de-duplication (default 256). */
  dedupWindow?: number;
  /** Most unacknowledged reliable packets per session before it is dropped (default 4096). */
  maxPendingPerSession?: number;
  /**
   * Most reliable packets on the wire to one client without an ACK; more wait their turn,
   * in order (default 8). Bounds both the burst a client receives (hundreds of USER_ONLINEs
   * after a contact list) and the burst of ACKs many clients send back at once: either
   * would overflow a socket buffer, and each dropped datagram costs a retransmit period.
   */
  sendWindow?: number;
  /** Datagrams longer than this are ignored without an ACK (default 4096 bytes). */
  maxPacketSize?: number;
  /** Longest string accepted in a packet, in bytes with its NUL (default 1024). */
  maxTextLength?: number;
  /**
   * UDP receive and send buffer size asked of the kernel (default 4 MiB; the kernel may
   * give less: net.core.rmem_max). Absorbs the ACK bursts of many simultaneous logins.
   */
  socketBufferBytes?: number;
  /** Where log lines go (default: nowhere). The CLI sends them to stderr. */
  log?: (line: string) => void;
}

export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 4000,
  dbPath: './icqd.json',
  autoRegister: false,
  retransmitMs: 10_000,
  retries: 6,
  keepAliveMs: 120_000,
  scryptCostFile: 16_384,
  scryptCostMemory: 1_024,
  maxSessions: 10_000,
  maxPendingLogins: 256,
  maxAccounts: 100_000,
  maxContacts: 1_024,
  maxStoredMessages: 100,
  dedupWindow: 256,
  maxPendingPerSession: 4_096,
  sendWindow: 8,
  maxPacketSize: 4_096,
  maxTextLength: 1_024,
  socketBufferBytes: 4 * 1024 * 1024,
} as const;

/** A session silent for this many keep-alive periods expires (docs/protocol.md §2.2). */
export const KEEP_ALIVE_EXPIRY_FACTOR = 3;

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'dbPath' | 'users'>> & {
  dbPath: string | null;
  users: ServerUser[];
};

export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  const dbPath = o.dbPath === undefined ? SERVER_DEFAULTS.dbPath : o.dbPath;
  const resolved: ResolvedServerOptions = {
    host: o.host ?? SERVER_DEFAULTS.host,
    port: o.port ?? SERVER_DEFAULTS.port,
    dbPath,
    autoRegister: o.autoRegister ?? SERVER_DEFAULTS.autoRegister,
    users: o.users ?? [],
    retransmitMs: o.retransmitMs ?? SERVER_DEFAULTS.retransmitMs,
    retries: o.retries ?? SERVER_DEFAULTS.retries,
    keepAliveMs: o.keepAliveMs ?? SERVER_DEFAULTS.keepAliveMs,
    scryptCost: o.scryptCost ?? (dbPath === null ? SERVER_DEFAULTS.scryptCostMemory : SERVER_DEFAULTS.scryptCostFile),
    maxSessions: o.maxSessions ?? SERVER_DEFAULTS.maxSessions,
    maxPendingLogins: o.maxPendingLogins ?? SERVER_DEFAULTS.maxPendingLogins,
    maxAccounts: o.maxAccounts ?? SERVER_DEFAULTS.maxAccounts,
    maxContacts: o.maxContacts ?? SERVER_DEFAULTS.maxContacts,
    maxStoredMessages: o.maxStoredMessages ?? SERVER_DEFAULTS.maxStoredMessages,
    dedupWindow: o.dedupWindow ?? SERVER_DEFAULTS.dedupWindow,
    maxPendingPerSession: o.maxPendingPerSession ?? SERVER_DEFAULTS.maxPendingPerSession,
    sendWindow: o.sendWindow ?? SERVER_DEFAULTS.sendWindow,
    maxPacketSize: o.maxPacketSize ?? SERVER_DEFAULTS.maxPacketSize,
    maxTextLength: o.maxTextLength ?? SERVER_DEFAULTS.maxTextLength,
    socketBufferBytes: o.socketBufferBytes ?? SERVER_DEFAULTS.socketBufferBytes,
    log: o.log ?? (() => {}),
  };
  checkInteger('port', resolved.port, 0, 65535);
  checkInteger('retransmitMs', resolved.retransmitMs, 1, 2 ** 31 - 1);
  checkInteger('retries', resolved.retries, 0, 1000);
  checkInteger('keepAliveMs', resolved.keepAliveMs, 1, 2 ** 31 - 1);
  checkInteger('maxSessions', resolved.maxSessions, 1, 2 ** 31 - 1);
  checkInteger('maxPendingLogins', resolved.maxPendingLogins, 1, 2 ** 31 - 1);
  checkInteger('maxAccounts', resolved.maxAccounts, 0, 2 ** 31 - 1);
  checkInteger('maxContacts', resolved.maxContacts, 0, 2 ** 31 - 1);
  checkInteger('maxStoredMessages', resolved.maxStoredMessages, 0, 2 ** 31 - 1);
  checkInteger('dedupWindow', resolved.dedupWindow, 1, 65536);
  checkInteger('maxPendingPerSession', resolved.maxPendingPerSession, 1, 32768);
  checkInteger('sendWindow', resolved.sendWindow, 1, 32768);
  checkInteger('maxPacketSize', resolved.maxPacketSize, 10, 65535);
  checkInteger('maxTextLength', resolved.maxTextLength, 1, 65535);
  checkInteger('socketBufferBytes', resolved.socketBufferBytes, 0, 2 ** 31 - 1);
  if (!isScryptCost(resolved.scryptCost)) {
    throw new RangeError(`scryptCost must be a power of two from 2 to 1048576, got ${resolved.scryptCost}`);
  }
  for (const u of resolved.users) checkInteger('users[].uin', u.uin, 1, 0xffffffff);
  return resolved;
}

export function isScryptCost(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && n <= 1_048_576 && (n & (n - 1)) === 0;
}

function checkInteger(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  }
}
