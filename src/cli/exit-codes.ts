import { CommanderError } from 'commander';
import { ErrorCode } from '../errors.js';
import { WireErrorCode } from '../wire/errors.js';

/** The exit codes of docs/architecture.md §7: scripts rely on these numbers. */
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  LOGIN_FAILED: 3,
  PEER_UNAVAILABLE: 4,
  REFUSED: 5,
  BROKEN: 6,
  PROTOCOL: 7,
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

// A Record over the whole union: adding an error code without deciding its exit code
// does not compile.
const EXIT_FOR_ERROR: Record<ErrorCode, ExitCode> = {
  [ErrorCode.USAGE]: ExitCode.USAGE,
  [ErrorCode.LOCAL_FILE]: ExitCode.USAGE,
  [ErrorCode.LOGIN_UNREACHABLE]: ExitCode.LOGIN_FAILED,
  [ErrorCode.WRONG_PASSWORD]: ExitCode.LOGIN_FAILED,
  [ErrorCode.SERVER_BUSY]: ExitCode.LOGIN_FAILED,
  [ErrorCode.SERVER_GONE]: ExitCode.LOGIN_FAILED,
  [ErrorCode.LOGGED_OFF]: ExitCode.LOGIN_FAILED,
  [ErrorCode.PEER_OFFLINE]: ExitCode.PEER_UNAVAILABLE,
  [ErrorCode.PEER_UNREACHABLE]: ExitCode.PEER_UNAVAILABLE,
  [ErrorCode.REFUSED]: ExitCode.REFUSED,
  [ErrorCode.CANCELLED]: ExitCode.REFUSED,
  [ErrorCode.ACK_TIMEOUT]: ExitCode.REFUSED,
  [ErrorCode.TRANSFER_BROKEN]: ExitCode.BROKEN,
  [ErrorCode.IDLE_TIMEOUT]: ExitCode.BROKEN,
  [ErrorCode.NOT_DELIVERED]: ExitCode.BROKEN,
  [ErrorCode.RESUME_MISMATCH]: ExitCode.BROKEN,
  [ErrorCode.PROTOCOL]: ExitCode.PROTOCOL,
  [ErrorCode.UNSAFE_PATH]: ExitCode.PROTOCOL,
  [ErrorCode.LIMIT]: ExitCode.PROTOCOL,
  [ErrorCode.INTERRUPTED]: ExitCode.INTERRUPTED,
  [ErrorCode.INTERNAL]: ExitCode.INTERNAL,
};

// Every malformed-input code means the same thing to a user: the peer broke the protocol.
const EXIT_FOR_WIRE_ERROR: Record<WireErrorCode, ExitCode> = {
  [WireErrorCode.SHORT_PACKET]: ExitCode.PROTOCOL,
  [WireErrorCode.BAD_LENGTH]: ExitCode.PROTOCOL,
  [WireErrorCode.FRAME_TOO_LARGE]: ExitCode.PROTOCOL,
  [WireErrorCode.BAD_VERSION]: ExitCode.PROTOCOL,
  [WireErrorCode.UNSUPPORTED_VERSION]: ExitCode.PROTOCOL,
  [WireErrorCode.UNKNOWN_PACKET]: ExitCode.PROTOCOL,
  [WireErrorCode.BAD_VALUE]: ExitCode.PROTOCOL,
};

const EXIT_FOR_CODE: Readonly<Record<string, ExitCode>> = { ...EXIT_FOR_ERROR, ...EXIT_FOR_WIRE_ERROR };

/** The exit code for an error code (ICQ_ERR_…); unknown codes are internal errors. */
export function exitCodeForCode(code: string): ExitCode {
  return Object.hasOwn(EXIT_FOR_CODE, code) ? EXIT_FOR_CODE[code]! : ExitCode.INTERNAL;
}

/**
 * The exit code for anything thrown. Errors are matched by their `code` string rather than
 * their class, so an error that crossed a module boundary (dist vs. src) maps the same way.
 */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? exitCodeForCode(code) : ExitCode.INTERNAL;
}

/** The stable ICQ_ERR_… code to report for anything thrown. */
export function errorCodeOf(err: unknown): string {
  if (err instanceof CommanderError) return ErrorCode.USAGE;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(EXIT_FOR_CODE, code) ? code : ErrorCode.INTERNAL;
}
