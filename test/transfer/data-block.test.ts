import { describe, expect, it, afterEach } from 'vitest';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataBlock, FRAMED_CHUNK_SIZE } from '../../src/transfer/data-block.js';
import { FrameDecoder } from '../../src/wire/framing.js';
import { bytes, cleanUp, tempDir } from './session-helpers.js';
import { createHash } from 'node:crypto';
import { createFileDigest } from '../../src/transfer/file-hash.js';

afterEach(cleanUp);

function frames(wire: Buffer): Buffer[] {
  const out: Buffer[] = [];
  new FrameDecoder().push(wire, (f) => out.push(Buffer.from(f)));
  return out;
}

describe('DataBlock', () => {
  it('reads file bytes straight into consecutive framed 06 packets', async () => {
    const data = bytes(4 * 2048 + 5, 3);
    const file = path.join(await tempDir(), 'f');
    await writeFile(file, data);
    const handle = await open(file, 'r');
    try {
      const block = new DataBlock(4);
      expect(block.capacity).toBe(4 * 2048);
      const hash = createFileDigest(true);
      const full = block.fill(handle.fd, 0, 4 * 2048, hash);
      expect(full.length).toBe(4 * FRAMED_CHUNK_SIZE);
      expect(full.subarray(0, 3).toString('hex')).toBe('010806');
      const got = frames(full);
      expect(got.map((f) => f.length)).toEqual([2049, 2049, 2049, 2049]);
      expect(Buffer.concat(got.map((f) => f.subarray(1))).equals(data.subarray(0, 8192))).toBe(true);

      // The file's short last chunk gets its own header...
      const tail = block.fill(handle.fd, 8192, 5, hash);
      expect(tail.toString('hex')).toBe('060006' + data.subarray(8192).toString('hex'));
      expect(hash.hex()).toBe(createHash('sha256').update(data).digest('hex'));

      // ...which the next fill of the same block undoes.
      const again = block.fill(handle.fd, 2048, 2 * 2048, null);
      expect(frames(again).map((f) => f.length)).toEqual([2049, 2049]);
      expect(Buffer.concat(frames(again).map((f) => f.subarray(1))).equals(data.subarray(2048, 6144))).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('fails with LOCAL_FILE when the file is shorter than asked', async () => {
    const file = path.join(await tempDir(), 'short');
    await writeFile(file, bytes(100));
    const handle = await open(file, 'r');
    try {
      expect(() => new DataBlock(2).fill(handle.fd, 0, 3000, null)).toThrow(expect.objectContaining({ code: 'ICQ_ERR_LOCAL_FILE' }));
    } finally {
      await handle.close();
    }
  });
});
