import { describe, expect, it, afterEach } from 'vitest';
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createFileDigest } from '../../src/transfer/file-hash.js';
import path from 'node:path';
import { BufferPool, FileSink } from '../../src/transfer/file-sink.js';
import { bytes, cleanUp, tempDir } from './session-helpers.js';

afterEach(cleanUp);

describe('FileSink', () => {
  it('coalesces small writes into large ones, hashes them, and flushes the rest on close', async () => {
    const file = path.join(await tempDir(), 'out');
    const handle = await open(file, 'w');
    const writes: number[] = [];
    const realWrite = handle.write.bind(handle) as (...a: unknown[]) => Promise<unknown>;
    (handle as unknown as { write: unknown }).write = (buf: Buffer, off: number, len: number, pos: number) => {
      writes.push(len);
      return realWrite(buf, off, len, pos);
    };
    const hash = createFileDigest(true);
    const sink = new FileSink(handle, 0, hash, new BufferPool(10_000), { drain: () => undefined, error: () => undefined });
    const data = bytes(25_000, 4);
    for (let i = 0; i < data.length; i += 1000) sink.write(Buffer.concat([Buffer.from([6]), data.subarray(i, i + 1000)]), 1);
    await sink.close();
    expect(writes).toEqual([10_000, 10_000, 5000]);
    expect((await readFile(file)).equals(data)).toBe(true);
    expect(hash.hex()).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('asks the caller to stop reading while too many buffers wait, and says when to go on', async () => {
    const file = path.join(await tempDir(), 'out');
    const handle = await open(file, 'w');
    let drains = 0;
    const sink = new FileSink(handle, 0, createFileDigest(true), new BufferPool(100), { drain: () => drains++, error: () => undefined }, { maxPendingWrites: 2 });
    expect(sink.write(bytes(100))).toBe(true);
    expect(sink.write(bytes(100))).toBe(false);
    await sink.close();
    expect(drains).toBeGreaterThanOrEqual(1);
  });

  it('reports a failed write once, drops what follows, and rejects close', async () => {
    const file = path.join(await tempDir(), 'out');
    const handle: FileHandle = await open(file, 'w');
    (handle as unknown as { write: unknown }).write = () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
    const errors: unknown[] = [];
    const sink = new FileSink(handle, 0, createFileDigest(true), new BufferPool(10), { drain: () => undefined, error: (e) => errors.push(e) });
    sink.write(bytes(35));
    await expect(sink.close()).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(errors).toHaveLength(1);
  });
  it('takes data while the file is still opening, writes it once open, and gives a small file a buffer of its own size', async () => {
    const file = path.join(await tempDir(), 'out');
    let opened!: (h: FileHandle) => void;
    const opening = new Promise<FileHandle>((r) => (opened = r));
    const pool = new BufferPool(10_000);
    const hash = createFileDigest(true);
    const sink = new FileSink(opening, 0, hash, pool, { drain: () => undefined, error: () => undefined }, { expectedBytes: 300 });
    const data = bytes(300, 9);
    expect(sink.write(Buffer.concat([Buffer.from([6]), data]), 1)).toBe(true);
    const closed = sink.close();
    opened(await open(file, 'w'));
    await closed;
    expect((await readFile(file)).equals(data)).toBe(true);
    expect(hash.hex()).toBe(createHash('sha256').update(data).digest('hex'));
    // The 300-byte buffer is not kept for 10 000-byte writes.
    expect(pool.take().length).toBe(10_000);
  });

  it('rejects close with the open error when the file cannot be opened', async () => {
    const errors: unknown[] = [];
    const failure = Object.assign(new Error('no such directory'), { code: 'ENOENT' });
    const sink = new FileSink(Promise.reject(failure), 0, createFileDigest(true), new BufferPool(10), { drain: () => undefined, error: (e) => errors.push(e) });
    sink.write(bytes(25));
    await expect(sink.close()).rejects.toBe(failure);
    expect(errors).toEqual([failure]);
  });
});
