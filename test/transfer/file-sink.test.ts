import { describe, expect, it, afterEach } from 'vitest';
import { fstatSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { createFileDigest } from '../../src/transfer/file-hash.js';
import { FileSink } from '../../src/transfer/file-sink.js';
import { bytes, cleanUp, tempDir } from './session-helpers.js';

afterEach(cleanUp);

/** data as 06 frames of `chunk` payload bytes each: [06, payload...] */
function frames(data: Buffer, chunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) out.push(Buffer.concat([Buffer.from([6]), data.subarray(i, i + chunk)]));
  return out;
}

describe('FileSink', () => {
  it('writes nothing until its buffer is full, then whole buffers; close writes the rest and hashes it all', async () => {
    const file = path.join(await tempDir(), 'out');
    const fd = openSync(file, 'w');
    const hash = createFileDigest(true);
    const sink = new FileSink(fd, 0, hash, Buffer.alloc(10_000), file);
    const data = bytes(25_000, 4);
    const sizes: number[] = [];
    for (const f of frames(data, 1000)) {
      sink.write(f, 1, f.length);
      sizes.push(statSync(file).size);
    }
    // Coalesced: the file grows in steps of the buffer, never by one frame.
    expect([...new Set(sizes)]).toEqual([0, 10_000, 20_000]);
    sink.close();
    expect(readFileSync(file).equals(data)).toBe(true);
    expect(hash.hex()).toBe(createHash('sha256').update(data).digest('hex'));
    expect(() => fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('writes at its starting position (a resumed .part) and copies only the given range', async () => {
    const file = path.join(await tempDir(), 'out');
    writeFileSync(file, 'hello');
    const fd = openSync(file, 'r+');
    const sink = new FileSink(fd, 5, createFileDigest(false), Buffer.alloc(4), file);
    const src = Buffer.from('xx world!yy');
    sink.write(src, 2, 9);
    sink.close();
    expect(readFileSync(file, 'utf8')).toBe('hello world!');
  });

  it('a failed write is LOCAL_FILE naming the file, closes it, and nothing more is taken', async () => {
    const file = path.join(await tempDir(), 'out');
    writeFileSync(file, '');
    const fd = openSync(file, 'r'); // not writable: the first write fails with EBADF
    const sink = new FileSink(fd, 0, createFileDigest(true), Buffer.alloc(10), file);
    expect(() => sink.write(bytes(35))).toThrow(expect.objectContaining({ code: 'ICQ_ERR_LOCAL_FILE', message: expect.stringContaining(file) }));
    expect(() => fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => sink.write(bytes(1))).toThrow(expect.objectContaining({ code: 'ICQ_ERR_INTERNAL' }));
    expect(() => sink.abandon()).not.toThrow();
  });

  it('abandon() keeps what was received and never throws', async () => {
    const file = path.join(await tempDir(), 'out');
    const fd = openSync(file, 'w');
    const sink = new FileSink(fd, 0, createFileDigest(true), Buffer.alloc(100), file);
    sink.write(Buffer.from('partial'));
    sink.abandon();
    sink.abandon();
    expect(readFileSync(file, 'utf8')).toBe('partial');
  });
});
