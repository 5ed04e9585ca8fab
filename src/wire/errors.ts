/**
 * Malformed input from the network. Every decoder throws this and nothing else, so callers
 * can tell a hostile or broken peer (this class) from a bug in our own code (anything else).
 * "Not enough bytes yet" is never an error: the frame decoder simply waits for more.
 */
export const WireErrorCode = {
  /** A field runs past the end of the packet or frame. */
  SHORT_PACKET: 'ICQ_ERR_SHORT_PACKET',
  /** A length field that cannot be right (zero-length frame, string longer than allowed). */
  BAD_LENGTH: 'ICQ_ERR_BAD_LENGTH',
  /** A frame whose announced length is over the configured maximum. */
  FRAME_TOO_LARGE: 'ICQ_ERR_FRAME_TOO_LARGE',
  /** A protocol version we do not speak. */
  BAD_VERSION: 'ICQ_ERR_BAD_VERSION',
  /**
   * A real protocol version whose packets are encrypted (TCP 4 and 5, ICQ 98a style), which
   * icqxfer does not decrypt: the connection ends with this reason instead of silently.
   */
  UNSUPPORTED_VERSION: 'ICQ_ERR_UNSUPPORTED_VERSION',
  /** A command or packet type this layer does not know. */
  UNKNOWN_PACKET: 'ICQ_ERR_UNKNOWN_PACKET',
  /** A field whose value is outside what the protocol allows. */
  BAD_VALUE: 'ICQ_ERR_BAD_VALUE',
} as const;

export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

export class IcqProtocolError extends Error {
  readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.name = 'IcqProtocolError';
    this.code = code;
  }
}

export function isProtocolError(err: unknown): err is IcqProtocolError {
  return err instanceof IcqProtocolError;
}
