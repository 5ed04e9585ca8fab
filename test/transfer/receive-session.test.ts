import { afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runReceiveSession } from '../../src/transfer/receive-session.js';
import type { IncomingFileInfo, ReceiveSessionOptions } from '../../src/transfer/receive-session.js';
import type { TransferEvent } from '../../src/transfer/events.js';
import { hex, join, lnts, toHex, u32 } from '../helpers/hex.js';
import { bytes, cleanUp, connectionAndPeer, eventsOf, fakeTarget, settle, sha256, sizeOf, tempDir } from './session-helpers.js';
import type { FakeTargetOptions } from './session-helpers.js';

afterEach(cleanUp);

function batchInit(count: number, total: number): Buffer {
  return join('00 00 00 00 00', u32(count), u32(total), '64 00 00 00', lnts('alice'));
}

function fileInfo(name: string, size: number, text = ''): Buffer {
  return join('02 00', lnts(name), lnts(text), u32(size), u32(0), '64 00 00 00');
}

function chunks(data: Buffer, size = 2048): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(join('06', data.subarray(i, i + size)));
  return out;
}

const START_0 = '03 00 00 00 00 00 00 00 00 64 00 00 00';

async function startReceiver(
  expectedTotal: number,
  extra: Partial<ReceiveSessionOptions> = {},
  targetOptions: (info: IncomingFileInfo) => FakeTargetOptions = () => ({}),
) {
  const dir = await tempDir();
  const [conn, peer] = await connectionAndPeer();
  const events: TransferEvent[] = [];
  const prepared: IncomingFileInfo[] = [];
  const targets: ReturnType<typeof fakeTarget>[] = [];
  const result = settle(
    runReceiveSession(conn, {
      peer: 1001,
      expectedTotal,
      nick: 'bob',
      progressIntervalMs: 0,
      onEvent: (e) => events.push(e),
      prepare: async (info) => {
        prepared.push(info);
        const t = fakeTarget(dir, info, targetOptions(info));
        targets.push(t);
        return t;
      },
      ...extra,
    }),
  );
  return { dir, conn, peer, events, prepared, targets, result };
}

describe('runReceiveSession against a scripted sender', () => {
  it('answers with byte-exact 01 and 03 and receives one file', async () => {
    const data = bytes(5000, 1);
    const { dir, peer, result, events } = await startReceiver(5000);
    peer.send(batchInit(1, 5000));
    // NICK "bob", then after its NUL the mark that says we read the 02 TEXT sub-directory.
    expect(toHex(await peer.next())).toBe(toHex(hex('01 64 00 00 00 13 00 62 6F 62 00 69 63 71 78 66 65 72 3A 73 75 62 64 69 72 00')));
    peer.send(fileInfo('hello.bin', 5000));
    expect(toHex(await peer.next())).toBe(toHex(hex(START_0)));
    peer.send(...chunks(data));
    peer.end();
    expect((await result).value).toMatchObject({ peer: 1001, files: 1, bytes: 5000, transferred: 5000, skipped: 0 });
    expect((await readFile(path.join(dir, 'hello.bin'))).equals(data)).toBe(true);
    expect(await sizeOf(path.join(dir, 'hello.bin.part'))).toBe(null);
    expect(eventsOf(events, 'file-start')).toEqual([
      {
        event: 'file-start',
        peer: 1001,
        name: 'hello.bin',
        path: path.join(dir, 'hello.bin'),
        size: 5000,
        offset: 0,
        type: 'application/octet-stream',
        index: 1,
        files: 1,
      },
    ]);
    expect(eventsOf(events, 'progress').at(-1)).toMatchObject({ bytes: 5000, total: 5000, fileBytes: 5000, fileSize: 5000 });
    expect(eventsOf(events, 'file-done')).toEqual([
      {
        event: 'file-done',
        peer: 1001,
        name: 'hello.bin',
        path: path.join(dir, 'hello.bin'),
        bytes: 5000,
        sha256: sha256(data),
        type: 'application/octet-stream',
        skipped: false,
      },
    ]);
  });

  it('ignores empty 06 packets in every state and takes the sub-directory from a non-empty TEXT', async () => {
    const data = bytes(3000, 2);
    const { dir, peer, result, prepared } = await startReceiver(3000);
    peer.send(hex('06'), batchInit(1, 3000), hex('06'));
    await peer.next();
    peer.send(hex('06'), hex('05 64 00 00 00'), fileInfo('n.txt', 3000, 'docs/2024'), hex('06'));
    await peer.next();
    const [a, b] = chunks(data);
    peer.send(hex('06'), a!, hex('06'), hex('05 32 00 00 00'), b!, hex('06'));
    peer.end();
    expect((await result).value).toMatchObject({ files: 1, transferred: 3000 });
    expect(prepared).toEqual([{ name: 'n.txt', subdir: 'docs/2024', size: 3000, mtime: 0, index: 1, count: 1 }]);
    expect((await readFile(path.join(dir, 'docs', '2024', 'n.txt'))).equals(data)).toBe(true);
  });

  it('copes with frames split at awkward places', async () => {
    const data = bytes(20_000, 3);
    const { dir, peer, result } = await startReceiver(20_000);
    peer.send(batchInit(1, 20_000));
    await peer.next();
    peer.send(fileInfo('s.bin', 20_000));
    await peer.next();
    const wire = Buffer.concat(chunks(data, 1500).map((b) => join(u32(b.length).subarray(0, 2), b)));
    for (let i = 0; i < wire.length; i += 777) peer.socket.write(wire.subarray(i, i + 777));
    peer.end();
    expect((await result).value).toMatchObject({ transferred: 20_000 });
    expect((await readFile(path.join(dir, 's.bin'))).equals(data)).toBe(true);
  });

  it('receives a batch of files, empty ones included, and succeeds on the close after the last', async () => {
    const files = [
      { name: 'e', data: Buffer.alloc(0) },
      { name: 'f', data: bytes(2049, 4) },
    ];
    const { dir, peer, result, events } = await startReceiver(2049);
    peer.send(batchInit(2, 2049));
    await peer.next();
    for (const f of files) {
      peer.send(fileInfo(f.name, f.data.length));
      expect(toHex(await peer.next())).toBe(toHex(hex(START_0)));
      peer.send(...chunks(f.data));
    }
    peer.end();
    expect((await result).value).toMatchObject({ files: 2, bytes: 2049, transferred: 2049 });
    for (const f of files) expect((await readFile(path.join(dir, f.name))).equals(f.data)).toBe(true);
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.sha256])).toEqual(files.map((f) => [f.name, sha256(f.data)]));
  });

  it('puts a file received whole in place even when the connection breaks right after its last byte', async () => {
    const first = bytes(3000, 2);
    const { dir, peer, result, events } = await startReceiver(6000);
    peer.send(batchInit(2, 6000));
    await peer.next();
    peer.send(fileInfo('one.bin', 3000));
    await peer.next();
    // The last data, then the sender goes away before its next 02: the first file is
    // complete and must be in place, whether the close or the next turn of the loop comes first.
    peer.send(...chunks(first));
    peer.end();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN' });
    expect((await readFile(path.join(dir, 'one.bin'))).equals(first)).toBe(true);
    expect(await sizeOf(path.join(dir, 'one.bin.part'))).toBe(null);
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.sha256])).toEqual([['one.bin', sha256(first)]]);
  });

  it('fails with LOCAL_FILE naming the .part when a write fails, keeping what was written', async () => {
    const data = bytes(300_000, 6);
    const { dir, peer, result } = await startReceiver(300_000, {}, () => ({ readOnly: true }));
    peer.send(batchInit(1, 300_000));
    await peer.next();
    peer.send(fileInfo('f.bin', 300_000));
    await peer.next();
    peer.send(...chunks(data));
    const { error } = await result;
    expect(error).toMatchObject({ code: 'ICQ_ERR_LOCAL_FILE', message: expect.stringContaining(path.join(dir, 'f.bin.part')) });
    expect(await sizeOf(path.join(dir, 'f.bin'))).toBe(null);
    expect(await sizeOf(path.join(dir, 'f.bin.part'))).toBe(0);
  });

  it('has each file in place, and its file-done out, by the time the sender reads the next 03; events in order', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, data: bytes(100 + i, i) }));
    const total = files.reduce((n, f) => n + f.data.length, 0);
    const { dir, peer, result, events } = await startReceiver(total);
    peer.send(batchInit(files.length, total));
    await peer.next();
    for (const [i, f] of files.entries()) {
      peer.send(fileInfo(f.name, f.data.length));
      expect(toHex(await peer.next())).toBe(toHex(hex(START_0)));
      if (i > 0) {
        const before = files[i - 1]!;
        expect((await readFile(path.join(dir, before.name))).equals(before.data)).toBe(true);
        expect(eventsOf(events, 'file-done').map((e) => e.name)).toEqual(files.slice(0, i).map((g) => g.name));
      }
      peer.send(...chunks(f.data));
    }
    peer.end();
    expect((await result).value).toMatchObject({ files: 6, transferred: total });
    for (const f of files) expect((await readFile(path.join(dir, f.name))).equals(f.data)).toBe(true);
    const order = events.filter((e) => e.event === 'file-start' || e.event === 'file-done').map((e) => `${e.event} ${(e as { name: string }).name}`);
    expect(order).toEqual(files.flatMap((f) => [`file-start ${f.name}`, `file-done ${f.name}`]));
  });
  it('resumes 64 KiB below what it has, checks the overlap, and reports the sha256 of the whole file', async () => {
    const size = 200_000;
    const kept = 100_000;
    const data = bytes(size, 5);
    const { dir, peer, result, events } = await startReceiver(size, {}, () => ({ offset: kept }));
    await writeFile(path.join(dir, 'r.bin.part'), data.subarray(0, kept));
    peer.send(batchInit(1, size));
    await peer.next();
    peer.send(fileInfo('r.bin', size));
    // 100000 − 65536 = 34464 = 0x86A0
    expect(toHex(await peer.next())).toBe(toHex(hex('03 A0 86 00 00 00 00 00 00 64 00 00 00')));
    peer.send(...chunks(data.subarray(kept - 65536)));
    peer.end();
    expect((await result).value).toMatchObject({ transferred: size - (kept - 65536), bytes: size });
    expect((await readFile(path.join(dir, 'r.bin'))).equals(data)).toBe(true);
    expect(eventsOf(events, 'file-start')[0]).toMatchObject({ offset: kept - 65536 });
    expect(eventsOf(events, 'file-done')[0]).toMatchObject({ sha256: sha256(data), skipped: false });
    expect(eventsOf(events, 'warning')).toEqual([]);
  });

  it('a partial shorter than the overlap is asked for from byte 0 and compared whole', async () => {
    const data = bytes(9000, 5);
    const { dir, peer, result } = await startReceiver(9000, {}, () => ({ offset: 1000 }));
    await writeFile(path.join(dir, 'r.bin.part'), data.subarray(0, 1000));
    peer.send(batchInit(1, 9000));
    await peer.next();
    peer.send(fileInfo('r.bin', 9000));
    expect(toHex(await peer.next())).toBe(toHex(hex('03 00 00 00 00 00 00 00 00 64 00 00 00')));
    peer.send(...chunks(data));
    peer.end();
    expect((await result).value).toMatchObject({ transferred: 9000, bytes: 9000 });
    expect((await readFile(path.join(dir, 'r.bin'))).equals(data)).toBe(true);
  });

  it('a sender that ignores the offset and sends from byte 0 (icqlib) gets the file taken whole, never spliced', async () => {
    const size = 200_000;
    const kept = 100_000;
    const data = bytes(size, 6);
    const { dir, peer, result, events } = await startReceiver(size, {}, () => ({ offset: kept }));
    await writeFile(path.join(dir, 'r.bin.part'), data.subarray(0, kept));
    peer.send(batchInit(1, size));
    await peer.next();
    peer.send(fileInfo('r.bin', size));
    await peer.next();
    peer.send(...chunks(data));
    peer.end();
    expect((await result).value).toMatchObject({ bytes: size });
    expect(sha256(await readFile(path.join(dir, 'r.bin')))).toBe(sha256(data));
    expect(eventsOf(events, 'file-done')[0]).toMatchObject({ sha256: sha256(data) });
    expect(eventsOf(events, 'warning')).toEqual([expect.objectContaining({ code: 'ICQ_ERR_RESUME_MISMATCH', message: expect.stringContaining('from byte 0') })]);
  });

  it('a source that changed since the partial is never spliced: RESUME_MISMATCH, the partial dropped', async () => {
    const size = 200_000;
    const kept = 100_000;
    const old = bytes(size, 7);
    const changed = bytes(size, 8);
    const { dir, peer, result } = await startReceiver(size, {}, () => ({ offset: kept }));
    await writeFile(path.join(dir, 'r.bin.part'), old.subarray(0, kept));
    peer.send(batchInit(1, size));
    await peer.next();
    peer.send(fileInfo('r.bin', size));
    await peer.next();
    peer.send(...chunks(changed.subarray(kept - 65536)));
    const { error } = await result;
    expect(error).toMatchObject({ code: 'ICQ_ERR_RESUME_MISMATCH' });
    expect(await sizeOf(path.join(dir, 'r.bin'))).toBe(null);
    expect(await sizeOf(path.join(dir, 'r.bin.part'))).toBe(0);
  });

  it('skips a file with OFFSET = SIZE, accepting one empty 06, and hashes the existing file', async () => {
    const existing = bytes(700, 6);
    const { dir, peer, result, events, targets } = await startReceiver(700 + 300, {}, (info) => ({ skip: true, offset: info.size }));
    await writeFile(path.join(dir, 'have.bin'), existing);
    peer.send(batchInit(2, 1000));
    await peer.next();
    peer.send(fileInfo('have.bin', 700));
    expect(toHex(await peer.next())).toBe(toHex(join('03', u32(700), '00 00 00 00 64 00 00 00')));
    peer.send(hex('06'), fileInfo('missing.bin', 300));
    expect(toHex(await peer.next())).toBe(toHex(join('03', u32(300), '00 00 00 00 64 00 00 00')));
    peer.end();
    expect((await result).value).toMatchObject({ files: 2, transferred: 0, skipped: 2 });
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.skipped, e.sha256])).toEqual([
      ['have.bin', true, sha256(existing)],
      ['missing.bin', true, ''],
    ]);
    expect(eventsOf(events, 'file-start').map((e) => e.offset)).toEqual([700, 300]);
    expect((await readFile(path.join(dir, 'have.bin'))).equals(existing)).toBe(true);
    expect(targets.every((t) => t.released >= 1)).toBe(true);
  });

  it('keeps the .part on a 04 and goes on with the next file', async () => {
    const data = bytes(4096, 7);
    const { dir, peer, result, events } = await startReceiver(10_000 + 4096);
    peer.send(batchInit(2, 10_000 + 4096));
    await peer.next();
    peer.send(fileInfo('stopped.bin', 10_000));
    await peer.next();
    peer.send(join('06', data.subarray(0, 2048)), hex('04 01 00 00 00'), fileInfo('next.bin', 4096));
    await peer.next();
    peer.send(...chunks(data));
    peer.end();
    expect((await result).value).toMatchObject({ files: 2, skipped: 1 });
    expect((await readFile(path.join(dir, 'stopped.bin.part'))).equals(data.subarray(0, 2048))).toBe(true);
    expect(await sizeOf(path.join(dir, 'stopped.bin'))).toBe(null);
    expect((await readFile(path.join(dir, 'next.bin'))).equals(data)).toBe(true);
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.skipped])).toEqual([
      ['stopped.bin', true],
      ['next.bin', false],
    ]);
  });

  it('tells its own limited speed in a 05 before the 01', async () => {
    const { peer, result } = await startReceiver(0, { speed: 10 });
    peer.send(batchInit(0, 0));
    expect(toHex(await peer.next())).toBe('05 0A 00 00 00');
    expect((await peer.next())[0]).toBe(0x01);
    peer.end();
    expect((await result).value).toMatchObject({ files: 0 });
  });

  it('does not time out while the sender says speed 0', async () => {
    const data = bytes(100, 8);
    const { peer, result } = await startReceiver(100, { idleTimeoutMs: 50 });
    peer.send(batchInit(1, 100));
    await peer.next();
    peer.send(fileInfo('z.bin', 100));
    await peer.next();
    peer.send(hex('05 00 00 00 00'));
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.closed).toBe(false);
    peer.send(hex('05 64 00 00 00'), ...chunks(data));
    peer.end();
    expect((await result).value).toMatchObject({ transferred: 100 });
  });
});

describe('runReceiveSession failures', () => {
  it('fails with PROTOCOL on bytes beyond the size, cutting the partial back to what was verified (nothing, for a fresh file)', async () => {
    const data = bytes(4096, 9);
    const { dir, peer, result, targets } = await startReceiver(3000);
    peer.send(batchInit(1, 3000));
    await peer.next();
    peer.send(fileInfo('over.bin', 3000));
    await peer.next();
    peer.send(...chunks(data));
    const { error } = await result;
    expect(error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
    expect(await sizeOf(path.join(dir, 'over.bin.part'))).toBe(0);
    expect(await sizeOf(path.join(dir, 'over.bin'))).toBe(null);
    expect(targets[0]!.released).toBeGreaterThanOrEqual(1);
    await peer.closedPromise;
  });

  it('fails with PROTOCOL when the 00 TOTAL differs from the request, sending no 01', async () => {
    const { peer, result } = await startReceiver(1000);
    peer.send(batchInit(1, 1001));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
    await peer.closedPromise;
    expect(peer.frames).toEqual([]);
  });

  it('fails with PROTOCOL on more files than announced', async () => {
    const { peer, result } = await startReceiver(0);
    peer.send(batchInit(1, 0));
    await peer.next();
    peer.send(fileInfo('a', 0));
    await peer.next();
    peer.send(fileInfo('b', 0));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL', message: expect.stringContaining('announced 1 files') });
  });

  it('fails with PROTOCOL on more files than maxFiles', async () => {
    const { peer, result } = await startReceiver(0, { maxFiles: 2 });
    peer.send(batchInit(3, 0));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
  });

  it('fails with PROTOCOL on a packet in the wrong state and on data outside a file', async () => {
    const first = await startReceiver(0);
    first.peer.send(hex(START_0));
    expect((await first.result).error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });

    const second = await startReceiver(10);
    second.peer.send(batchInit(1, 10));
    await second.peer.next();
    second.peer.send(hex('06 01 02 03'));
    expect((await second.result).error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
  });

  it('fails with a wire error on malformed bytes', async () => {
    const { peer, result } = await startReceiver(0);
    peer.send(hex('00 00 00'));
    expect((await result).error).toMatchObject({ name: 'IcqProtocolError', code: 'ICQ_ERR_SHORT_PACKET' });
  });

  it('rejects a target that would resume beyond the size', async () => {
    const { peer, result } = await startReceiver(10, {}, () => ({ offset: 11 }));
    peer.send(batchInit(1, 10));
    await peer.next();
    peer.send(fileInfo('o.bin', 10));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_INTERNAL' });
  });

  it('fails with TRANSFER_BROKEN when the sender closes mid-file, the .part holding exactly what came', async () => {
    const data = bytes(10_000, 10);
    const { dir, peer, result } = await startReceiver(10_000);
    peer.send(batchInit(1, 10_000));
    await peer.next();
    peer.send(fileInfo('cut.bin', 10_000));
    await peer.next();
    peer.send(...chunks(data.subarray(0, 4196)));
    peer.end();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN' });
    expect((await readFile(path.join(dir, 'cut.bin.part'))).equals(data.subarray(0, 4196))).toBe(true);
    expect(await sizeOf(path.join(dir, 'cut.bin'))).toBe(null);
  });

  it('fails with TRANSFER_BROKEN when the sender closes before the last file', async () => {
    const { peer, result } = await startReceiver(0);
    peer.send(batchInit(2, 0));
    await peer.next();
    peer.send(fileInfo('a', 0));
    await peer.next();
    peer.end();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN' });
  });

  it('fails with IDLE_TIMEOUT when the sender stalls, keeping the .part', async () => {
    const data = bytes(2048, 11);
    const { dir, peer, result } = await startReceiver(5000, { idleTimeoutMs: 50 });
    peer.send(batchInit(1, 5000));
    await peer.next();
    peer.send(fileInfo('stall.bin', 5000));
    await peer.next();
    peer.send(join('06', data));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_IDLE_TIMEOUT' });
    expect((await readFile(path.join(dir, 'stall.bin.part'))).equals(data)).toBe(true);
  });

  it('fails with INTERRUPTED on abort, keeping the .part', async () => {
    const data = bytes(2048, 12);
    const controller = new AbortController();
    const { dir, conn, peer, result } = await startReceiver(5000, { signal: controller.signal });
    peer.send(batchInit(1, 5000));
    await peer.next();
    peer.send(fileInfo('abort.bin', 5000));
    await peer.next();
    peer.send(join('06', data));
    // Nothing answers a data packet: wait until the receiving socket has read all that was sent.
    while (conn.socket.bytesRead < peer.socket.bytesWritten) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_INTERRUPTED' });
    expect((await readFile(path.join(dir, 'abort.bin.part'))).equals(data)).toBe(true);
    await peer.closedPromise;
  });

  it('fails when prepare() refuses the name', async () => {
    const [conn, peer] = await connectionAndPeer();
    const result = settle(
      runReceiveSession(conn, {
        peer: 1,
        expectedTotal: 1,
        nick: 'bob',
        prepare: async () => {
          throw Object.assign(new Error('unsafe'), { code: 'ICQ_ERR_UNSAFE_PATH' });
        },
      }),
    );
    peer.send(batchInit(1, 1));
    await peer.next();
    peer.send(fileInfo('../x', 1));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_UNSAFE_PATH' });
  });
});
