import { open, mkdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { describeSystemError, systemErrorsInWords } from '../src/system-error.js';
import { formatDuration } from '../src/duration.js';

describe('system errors in words', () => {
  it("turns Node's \"CODE: words, syscall 'path'\" into the words, anywhere in a message", () => {
    expect(systemErrorsInWords("cannot open /in/x: ELOOP: too many symbolic links encountered, open '/in/x'")).toBe(
      "cannot open /in/x: too many symbolic links encountered (open '/in/x')",
    );
    expect(systemErrorsInWords("EXDEV: cross-device link not permitted, rename '/a' -> '/b'")).toBe(
      "cross-device link not permitted (rename '/a' -> '/b')",
    );
    expect(systemErrorsInWords('nothing to change here')).toBe('nothing to change here');
  });

  it('describes a real error by its code, without the errno name', async () => {
    const err = await open('/nonexistent-icqxfer/x', 'r').catch((e: unknown) => e);
    expect(describeSystemError(err)).toBe('no such file or directory');
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:1'), { code: 'EADDRINUSE' });
    expect(describeSystemError(inUse)).toBe('the address is already in use');
    const exists = await mkdir('/').catch((e: unknown) => e);
    expect(describeSystemError(exists)).not.toMatch(/\bE[A-Z]{3,}\b/);
  });
});

describe('durations', () => {
  it('are said in seconds, like the options', () => {
    expect(formatDuration(10_000)).toBe('10 s');
    expect(formatDuration(2_500)).toBe('2.5 s');
    expect(formatDuration(1)).toBe('0.001 s');
  });
});
