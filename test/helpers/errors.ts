import { expect } from 'vitest';
import { IcqError } from '../../src/errors.js';
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

/** Awaits p, which must reject with IcqError (and nothing else); returns the error for its code. */
export async function rejection(p: Promise<unknown>): Promise<IcqError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(IcqError);
    return err as IcqError;
  }
  throw new Error('expected a rejection');
}
