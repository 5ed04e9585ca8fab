/** Options of a LoginSession; every timer has a documented default (docs/protocol.md §2.2). */
export interface LoginSessionOptions {
  server: { host: string; port: number };
  uin: number;
  password: string;
  /** TCP message listener port to put in LOGIN (0 = none). */
  tcpPort: number;
  /** LAN IP for LOGIN USER_IP (default: the UDP socket's local address once connected). */
  lanIp?: string;
  /** LOGIN TCP_FLAG (default 0x04 direct when tcpPort != 0, 0x06 otherwise). */
  tcpFlag?: number;
  /** LOGIN STATUS (default 0, online). */
  status?: number;
  /** UINs to watch from the start (sent as 0x0406 after login). */
  contacts?: number[];
  /** Resend an unACKed packet after this long (default 10 s). */
  retransmitMs?: number;
  /** Transmissions of one packet, the first included, before the server counts as gone (default 6). */
  retries?: number;
  /** Send 0x042E this often while logged in (default 120 s). */
  keepAliveMs?: number;
  /**
   * How soon a restarted or vanished server is noticed (default 5 s). The server sends
   * nothing unasked, and a restarted icqd knows our session only when we next speak (it
   * answers 0x00F0): so a session that heard nothing from the server for this long sends an
   * extra keep-alive. Silence for retransmitMs × retries counts as a lost server, and while
   * logging in again the LOGIN is resent this often, so the session is back within about
   * this long of the server answering again.
   */
  probeMs?: number;
  /**
   * One login attempt lasts this long (LOGIN resent every retransmitMs meanwhile); no answer
   * by then is ICQ_ERR_LOGIN_UNREACHABLE, or, when logging in again, the next attempt (default 30 s).
   */
  loginTimeoutMs?: number;
  /** Most server SEQs remembered for de-duplication (default 256). */
  dedupWindow?: number;
  /** Diagnostics, one line each (default: none). */
  log?: (line: string) => void;
}

export const DEFAULT_LOGIN_SESSION_OPTIONS = {
  retransmitMs: 10_000,
  retries: 6,
  keepAliveMs: 120_000,
  probeMs: 5_000,
  loginTimeoutMs: 30_000,
  dedupWindow: 256,
} as const;

/** UINs per 0x0406 packet: its COUNT is one byte, and we keep packets small. */
export const CONTACTS_PER_PACKET = 100;

/** Longest message text 0x010E may carry, in bytes (docs/protocol.md §2.3). */
export const MAX_MESSAGE_BYTES = 450;
