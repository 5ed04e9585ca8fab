import { describe, it, expect } from 'vitest';
import { CommanderError, InvalidArgumentError } from 'commander';
import { ExitCode, errorCodeOf, exitCodeFor, exitCodeForCode } from '../../src/cli/exit-codes.js';
import { ErrorCode, IcqError } from '../../src/errors.js';
import { IcqProtocolError, WireErrorCode } from '../../src/wire/errors.js';

// The table of docs/architecture.md §7, written out once more by hand on purpose.
const expected: Record<string, number> = {
  ICQ_ERR_USAGE: 2,
  ICQ_ERR_LOCAL_FILE: 2,
  ICQ_ERR_LOGIN_UNREACHABLE: 3,
  ICQ_ERR_WRONG_PASSWORD: 3,
  ICQ_ERR_SERVER_BUSY: 3,
  ICQ_ERR_SERVER_GONE: 3,
  ICQ_ERR_LOGGED_OFF: 3,
  ICQ_ERR_PEER_OFFLINE: 4,
  ICQ_ERR_PEER_UNREACHABLE: 4,
  ICQ_ERR_REFUSED: 5,
  ICQ_ERR_CANCELLED: 5,
  ICQ_ERR_ACK_TIMEOUT: 5,
  ICQ_ERR_TRANSFER_BROKEN: 6,
  ICQ_ERR_IDLE_TIMEOUT: 6,
  ICQ_ERR_NOT_DELIVERED: 6,
  ICQ_ERR_RESUME_MISMATCH: 6,
  ICQ_ERR_PROTOCOL: 7,
  ICQ_ERR_UNSAFE_PATH: 7,
  ICQ_ERR_LIMIT: 7,
  ICQ_ERR_INTERRUPTED: 130,
  ICQ_ERR_INTERNAL: 1,
};

describe('exit codes', () => {
  it('has an expectation for every ErrorCode', () => {
    expect(Object.values(ErrorCode).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [code, exit] of Object.entries(expected)) {
    it(`${code} → ${exit}`, () => {
      expect(exitCodeFor(new IcqError(code as ErrorCode, 'x'))).toBe(exit);
      expect(exitCodeForCode(code)).toBe(exit);
    });
  }

  for (const code of Object.values(WireErrorCode)) {
    it(`wire ${code} → 7 (protocol error from the peer)`, () => {
      expect(exitCodeFor(new IcqProtocolError(code, 'bad bytes'))).toBe(7);
      expect(errorCodeOf(new IcqProtocolError(code, 'bad bytes'))).toBe(code);
    });
  }

  it('maps commander errors to 2, and help/version (exit code 0) to 0', () => {
    expect(exitCodeFor(new InvalidArgumentError('bad'))).toBe(ExitCode.USAGE);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'x'))).toBe(2);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(errorCodeOf(new InvalidArgumentError('bad'))).toBe('ICQ_ERR_USAGE');
  });

  it('treats anything else as an internal error (1)', () => {
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('fs'), { code: 'ENOENT' }))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
    expect(exitCodeFor(null)).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
    expect(exitCodeForCode('toString')).toBe(1);
    expect(errorCodeOf(Object.assign(new Error('fs'), { code: 'ENOENT' }))).toBe('ICQ_ERR_INTERNAL');
  });

  it('matches by code, not class (an error from another copy of the module)', () => {
    expect(exitCodeFor({ code: 'ICQ_ERR_REFUSED', message: 'no' })).toBe(5);
  });
});
