import { mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, IcqError } from '../../src/errors.js';
import type { OutgoingFile } from '../../src/transfer/send-session.js';
import { sendFiles } from '../../src/transfer/sender.js';
import { MAX_WIRE_SIZE, collectFiles, splitBatches, totalSize } from '../../src/transfer/sources.js';

/** SIZE and TOTAL_SIZE are DWORDs (docs/protocol.md §3.4, §5): 4 GiB − 1 is the most either can say. */
const FOUR_GIB = 2 ** 32;

function file(name: string, size: number): OutgoingFile {
  return { path: `/src/${name}`, name, subdir: '', size, mtime: 0, type: 'application/octet-stream' };
}

function names(batches: OutgoingFile[][]): string[][] {
  return batches.map((b) => b.map((f) => f.name));
}

describe('splitBatches', () => {
  it('keeps every file in one batch while the total fits a DWORD', () => {
    const files = [file('a', 1), file('b', 2), file('c', MAX_WIRE_SIZE - 3)];
    const batches = splitBatches(files);
    expect(names(batches)).toEqual([['a', 'b', 'c']]);
    expect(totalSize(batches[0]!)).toBe(0xffffffff);
  });

  it('starts a new batch at the file that would push the total past 4 GiB − 1, keeping the order', () => {
    const files = [file('a', 3_000_000_000), file('b', 1_000_000_000), file('c', 500_000_000), file('d', 1)];
    const batches = splitBatches(files);
    expect(names(batches)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    for (const b of batches) expect(totalSize(b)).toBeLessThanOrEqual(MAX_WIRE_SIZE);
  });

  it('splits at the exact limit: a total of exactly maxTotal stays, one byte more moves on', () => {
    expect(names(splitBatches([file('a', 6), file('b', 4)], 10))).toEqual([['a', 'b']]);
    expect(names(splitBatches([file('a', 6), file('b', 5)], 10))).toEqual([['a'], ['b']]);
  });

  it('starts a batch with a file as large as the limit (only empty files can join it), and never makes an empty batch', () => {
    const files = [file('small', 1), file('huge', 10), file('tail', 0)];
    expect(names(splitBatches(files, 10))).toEqual([['small'], ['huge', 'tail']]);
    expect(splitBatches([])).toEqual([]);
  });

  it('puts any number of empty files in one batch', () => {
    const files = Array.from({ length: 1000 }, (_, i) => file(`e${i}`, 0));
    const batches = splitBatches(files, 10);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(1000);
  });

  it('returns the same file objects, each exactly once', () => {
    const files = [file('a', 7), file('b', 7), file('c', 7)];
    const flat = splitBatches(files, 10).flat();
    expect(flat).toHaveLength(3);
    files.forEach((f, i) => {
      expect(flat[i]).toBe(f);
    });
  });
});

describe('the 4 GiB refusal', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'icqxfer-sources-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A sparse file: its size is set with ftruncate, so no 4 GiB is written. */
  function sparse(name: string, size: number): string {
    const p = path.join(dir, name);
    const fd = openSync(p, 'w');
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    return p;
  }

  async function refusal(promise: Promise<unknown>): Promise<IcqError> {
    const err = await promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IcqError);
    return err as IcqError;
  }

  it('takes a file of exactly 4 GiB − 1', async () => {
    const p = sparse('max.bin', MAX_WIRE_SIZE);
    const files = await collectFiles([p]);
    expect(files.map((f) => [f.name, f.size])).toEqual([['max.bin', 0xffffffff]]);
  });

  it('refuses a file of 4 GiB as LOCAL_FILE, naming the file and the limit', async () => {
    const p = sparse('big.bin', FOUR_GIB);
    const err = await refusal(collectFiles([p]));
    expect(err.code).toBe(ErrorCode.LOCAL_FILE);
    expect(err.message).toContain(p);
    expect(err.message).toContain('4294967296 bytes');
    expect(err.message).toContain('4 GiB − 1');
  });

  it('refuses such a file inside a directory too', async () => {
    mkdirSync(path.join(dir, 'tree'));
    writeFileSync(path.join(dir, 'tree', 'a.txt'), 'a');
    const fd = openSync(path.join(dir, 'tree', 'z.bin'), 'w');
    ftruncateSync(fd, FOUR_GIB + 1);
    closeSync(fd);
    const err = await refusal(collectFiles([path.join(dir, 'tree')]));
    expect(err.code).toBe(ErrorCode.LOCAL_FILE);
    expect(err.message).toContain('z.bin');
  });

  describe('before anything is sent', () => {
    let peer: Server;
    let connections: number;

    beforeEach(async () => {
      connections = 0;
      peer = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    });

    it('sendFiles rejects a batch holding one over-large file without connecting to the peer', async () => {
      const small = path.join(dir, 'small.txt');
      writeFileSync(small, 'hello');
      const big = sparse('big.bin', FOUR_GIB);
      const events: string[] = [];
      const address = peer.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      const err = await refusal(
        sendFiles(1002, [small, big], {
          uin: 1001,
          listenHost: '127.0.0.1',
          peer: { host: '127.0.0.1', port: address.port },
          connectTimeoutMs: 2000,
          onEvent: (e) => events.push(e.event),
        }),
      );
      expect(err.code).toBe(ErrorCode.LOCAL_FILE);
      expect(err.message).toContain('big.bin');
      expect(connections).toBe(0);
      expect(events).toEqual([]);
    });
  });
});
