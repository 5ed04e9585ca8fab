import { expect } from 'vitest';
import { IcqProtocolError } from '../../src/wire/errors.js';

/** Runs fn, which must throw IcqProtocolError (and nothing else); returns the error for its code. */
export function wireError(fn: () => unknown): IcqProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IcqProtocolError);
    return err as IcqProtocolError;
  }
  throw new Error('expected a throw');
}
