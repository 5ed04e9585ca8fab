/** Errors of icqd itself (not of its clients' packets, which are only logged). */
export const ServerErrorCode = {
  /** The accounts file exists but cannot be read or is not a valid icqd database. */
  DATABASE: 'ICQ_ERR_DATABASE',
  /** The UDP socket could not be bound (address in use, permission). */
  BIND: 'ICQ_ERR_BIND',
} as const;

export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

export class IcqServerError extends Error {
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IcqServerError';
    this.code = code;
  }
}
