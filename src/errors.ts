/**
 * Errors above the wire layer. Each carries a stable `code`; the CLI maps codes to exit
 * codes in one place (src/cli/exit-codes.ts). Malformed input from the network is
 * IcqProtocolError (src/wire/errors.ts), which carries `code` the same way.
 */
export const ErrorCode = {
  /** Bad command-line arguments or options. */
  USAGE: 'ICQ_ERR_USAGE',
  /** A local file to send is missing, unreadable, or too large for the protocol. */
  LOCAL_FILE: 'ICQ_ERR_LOCAL_FILE',
  /** The server never answered the login. */
  LOGIN_UNREACHABLE: 'ICQ_ERR_LOGIN_UNREACHABLE',
  /** The server answered 0x0064: wrong password or unknown UIN. */
  WRONG_PASSWORD: 'ICQ_ERR_WRONG_PASSWORD',
  /** The server answered 0x00FA. */
  SERVER_BUSY: 'ICQ_ERR_SERVER_BUSY',
  /** The server stopped answering after login (retransmits exhausted). */
  SERVER_GONE: 'ICQ_ERR_SERVER_GONE',
  /** The server logged this session off (0x0028). */
  LOGGED_OFF: 'ICQ_ERR_LOGGED_OFF',
  /** The peer is not online (or did not come online within --wait). */
  PEER_OFFLINE: 'ICQ_ERR_PEER_OFFLINE',
  /** No connection to the peer could be made, directly or by reverse connect. */
  PEER_UNREACHABLE: 'ICQ_ERR_PEER_UNREACHABLE',
  /** The peer refused the request (ACK status 1). */
  REFUSED: 'ICQ_ERR_REFUSED',
  /** The request was cancelled (by the peer, or by us after the ACK timeout). */
  CANCELLED: 'ICQ_ERR_CANCELLED',
  /** No answer to a request within --ack-timeout. */
  ACK_TIMEOUT: 'ICQ_ERR_ACK_TIMEOUT',
  /** The connection closed or stalled mid-transfer; partial data is kept. */
  TRANSFER_BROKEN: 'ICQ_ERR_TRANSFER_BROKEN',
  /**
   * The receiver ended the file connection with a reset instead of a normal close: it could
   * not store a file (disk full, permissions, a path conflict) or gave up. What it had not
   * confirmed is not delivered.
   */
  NOT_DELIVERED: 'ICQ_ERR_NOT_DELIVERED',
  /**
   * A resume's overlap did not match the partial file: the source changed since the partial
   * was written. The partial is dropped; the next attempt starts from byte 0.
   */
  RESUME_MISMATCH: 'ICQ_ERR_RESUME_MISMATCH',
  /** No traffic within --idle-timeout. */
  IDLE_TIMEOUT: 'ICQ_ERR_IDLE_TIMEOUT',
  /** The peer broke the protocol (beyond malformed bytes: wrong sizes, offsets, states). */
  PROTOCOL: 'ICQ_ERR_PROTOCOL',
  /**
   * A name or sub-directory from the peer would leave the receive directory, or a path on
   * the way there is a symlink or not a directory: nothing is written.
   */
  UNSAFE_PATH: 'ICQ_ERR_UNSAFE_PATH',
  /** A limit was hit (connections, files per batch, pending requests). */
  LIMIT: 'ICQ_ERR_LIMIT',
  /** Ctrl-C or SIGTERM. */
  INTERRUPTED: 'ICQ_ERR_INTERRUPTED',
  /** A bug or an unexpected local failure. */
  INTERNAL: 'ICQ_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class IcqError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IcqError';
    this.code = code;
  }
}
