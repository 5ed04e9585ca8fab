import { afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runSendSession } from '../../src/transfer/send-session.js';
import type { OutgoingFile, SendSessionOptions } from '../../src/transfer/send-session.js';
import { runReceiveSession } from '../../src/transfer/receive-session.js';
import { SUBDIR_READER_MARK, decodeFilePacket, type FileInfo } from '../../src/wire/file.js';
import { PeerConnection } from '../../src/transfer/connection.js';
import type { TransferEvent } from '../../src/transfer/events.js';
import { hex, join, lnts, toHex, u32 } from '../helpers/hex.js';
import {
  bytes,
  cleanUp,
  connectionAndPeer,
  eventsOf,
  fakeTarget,
  settle,
  sha256,
  socketPair,
  tempDir,
} from './session-helpers.js';

afterEach(cleanUp);

interface SourceFile {
  rel: string;
  data: Buffer;
}

async function writeSources(files: SourceFile[]): Promise<OutgoingFile[]> {
  const dir = await tempDir();
  const out: OutgoingFile[] = [];
  for (const f of files) {
    const p = path.join(dir, ...f.rel.split('/'));
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, f.data);
    const slash = f.rel.lastIndexOf('/');
    out.push({
      path: p,
      name: f.rel.slice(slash + 1),
      subdir: slash < 0 ? '' : f.rel.slice(0, slash),
      size: f.data.length,
      mtime: 1_000_000_000,
      type: 'application/octet-stream',
    });
  }
  return out;
}

const total = (files: OutgoingFile[]) => files.reduce((n, f) => n + f.size, 0);

/** 00 → 01 → 02 from the sender, as a scripted receiver sees them. */
async function startScripted(files: OutgoingFile[], extra: Partial<SendSessionOptions> = {}) {
  const [conn, peer] = await connectionAndPeer();
  const events: TransferEvent[] = [];
  const result = settle(
    runSendSession(conn, {
      peer: 1001,
      files,
      total: total(files),
      nick: 'alice',
      progressIntervalMs: 0,
      onEvent: (e) => events.push(e),
      ...extra,
    }),
  );
  return { conn, peer, events, result };
}

/** A 01 as old clients send it; marked: as an icqxfer receiver sends it (nick NUL mark). */
function initAck(marked = false): Buffer {
  return join('01 64 00 00 00', lnts(marked ? `bob\0${SUBDIR_READER_MARK}` : 'bob'));
}

/** An empty 06, frame body `06`. */
const EMPTY_06 = '06';

function start(offset: number, fileNo?: number): Buffer {
  return join('03', u32(offset), '00 00 00 00 64 00 00 00', fileNo === undefined ? '' : u32(fileNo));
}

function payload(frames: Buffer[]): Buffer {
  return Buffer.concat(frames.map((f) => f.subarray(1)));
}

describe('runSendSession and runReceiveSession back to back', () => {
  async function transfer(sources: SourceFile[], sha256 = true) {
    const files = await writeSources(sources);
    const dst = await tempDir();
    const [a, b] = await socketPair();
    const sent: TransferEvent[] = [];
    const received: TransferEvent[] = [];
    const [sendSummary, receiveSummary] = await Promise.all([
      runSendSession(new PeerConnection(a), {
        peer: 2,
        files,
        total: total(files),
        nick: 'alice',
        progressIntervalMs: 0,
        sha256,
        onEvent: (e) => sent.push(e),
      }),
      runReceiveSession(new PeerConnection(b), {
        peer: 1,
        expectedTotal: total(files),
        nick: 'bob',
        progressIntervalMs: 0,
        sha256,
        onEvent: (e) => received.push(e),
        prepare: async (info) => fakeTarget(dst, info),
      }),
    ]);
    return { files, dst, sent, received, sendSummary, receiveSummary };
  }

  it('moves one file intact', async () => {
    const data = bytes(100_000, 7);
    const { dst, sent, received, sendSummary, receiveSummary } = await transfer([{ rel: 'one.bin', data }]);
    expect(sha256(await readFile(path.join(dst, 'one.bin')))).toBe(sha256(data));
    expect(eventsOf(received, 'file-done')).toEqual([
      expect.objectContaining({ name: 'one.bin', bytes: 100_000, sha256: sha256(data), skipped: false, path: path.join(dst, 'one.bin') }),
    ]);
    expect(eventsOf(sent, 'file-done')).toEqual([expect.objectContaining({ name: 'one.bin', sha256: sha256(data), skipped: false })]);
    expect(sendSummary).toMatchObject({ peer: 2, files: 1, bytes: 100_000, transferred: 100_000, skipped: 0 });
    expect(receiveSummary).toMatchObject({ peer: 1, files: 1, bytes: 100_000, transferred: 100_000, skipped: 0 });
  });

  it('with sha256 off, moves the files intact and reports file-done with an empty sha256', async () => {
    const sources = [
      { rel: 'empty.bin', data: Buffer.alloc(0) },
      { rel: 'small.bin', data: bytes(3000, 4) },
      { rel: 'big.bin', data: bytes(1_200_000, 5) },
    ];
    const { dst, sent, received } = await transfer(sources, false);
    for (const s of sources) expect(sha256(await readFile(path.join(dst, s.rel))), s.rel).toBe(sha256(s.data));
    for (const events of [sent, received]) {
      expect(eventsOf(events, 'file-done').map((e) => [e.name, e.bytes, e.sha256])).toEqual(sources.map((s) => [s.rel, s.data.length, '']));
    }
  });

  it('moves a batch of edge-sized files with sub-directories, every sha256 intact', async () => {
    const sources: SourceFile[] = [
      { rel: 'empty.txt', data: Buffer.alloc(0) },
      { rel: 'a/one.bin', data: bytes(1, 2) },
      { rel: 'a/b/2047.bin', data: bytes(2047, 3) },
      { rel: 'a/b/2048.bin', data: bytes(2048, 4) },
      { rel: 'c/2049.bin', data: bytes(2049, 5) },
      { rel: 'big.bin', data: bytes(1_000_000, 6) },
    ];
    const { dst, sent, received, sendSummary, receiveSummary } = await transfer(sources);
    for (const s of sources) {
      expect(sha256(await readFile(path.join(dst, ...s.rel.split('/')))), s.rel).toBe(sha256(s.data));
    }
    const sum = sources.reduce((n, s) => n + s.data.length, 0);
    for (const events of [sent, received]) {
      expect(eventsOf(events, 'file-start').map((e) => [e.name, e.index, e.files, e.size, e.offset])).toEqual(
        sources.map((s, i) => [s.rel, i + 1, sources.length, s.data.length, 0]),
      );
      expect(eventsOf(events, 'file-done').map((e) => [e.name, e.bytes, e.sha256, e.skipped])).toEqual(
        sources.map((s) => [s.rel, s.data.length, sha256(s.data), false]),
      );
      const progress = eventsOf(events, 'progress');
      expect(progress.at(-1)).toMatchObject({ bytes: sum, total: sum, name: 'big.bin', fileBytes: 1_000_000, fileSize: 1_000_000 });
      const batchBytes = progress.map((p) => p.bytes);
      expect(batchBytes).toEqual([...batchBytes].sort((x, y) => x - y));
    }
    // The receiver reports each file between its file-start and its file-done; the sender
    // reports file k done only once it is known to be stored: at the 03 of file k + 2, or at
    // the receiver's normal close after the last.
    const order = received.filter((e) => e.event !== 'progress').map((e) => e.event);
    expect(order).toEqual(sources.flatMap(() => ['file-start', 'file-done']));
    const sentOrder = sent.filter((e) => e.event !== 'progress').map((e) => `${e.event} ${(e as { index?: number; name: string }).name}`);
    for (let k = 0; k + 2 < sources.length; k++) {
      expect(sentOrder.indexOf(`file-done ${sources[k]!.rel}`)).toBeLessThan(sentOrder.indexOf(`file-start ${sources[k + 2]!.rel}`));
      expect(sentOrder.indexOf(`file-done ${sources[k]!.rel}`)).toBeGreaterThan(sentOrder.indexOf(`file-start ${sources[k + 1]!.rel}`));
    }
    expect(sendSummary).toMatchObject({ files: 6, bytes: sum, transferred: sum, skipped: 0 });
    expect(receiveSummary).toMatchObject({ files: 6, bytes: sum, transferred: sum, skipped: 0 });
  });
});

/**
 * A scripted receiver that answers 01 (marked or not) and then every 02 with 03 offset 0,
 * reading each file's data (one empty 06 for an empty file); returns every 02 it got.
 */
async function receiveAllScripted(files: OutgoingFile[], ack: Buffer) {
  const session = await startScripted(files);
  const { peer } = session;
  await peer.next(); // 00
  peer.send(ack);
  const infos: FileInfo[] = [];
  for (let i = 0; i < files.length; i++) {
    const info = decodeFilePacket(await peer.next());
    if (info.kind !== 'file-info') throw new Error(`expected a 02, got ${info.kind}`);
    infos.push(info);
    peer.send(start(0));
    if (info.size === 0) expect(toHex(await peer.next())).toBe(toHex(hex(EMPTY_06)));
    else await peer.data(info.size);
  }
  await peer.closedPromise;
  return { ...session, infos, value: (await session.result).value };
}

describe('sub-directories in the 02 TEXT only for a receiver that marked its 01', () => {
  it('sends a zero-length file as 02, then one empty 06 after the 03, then the next 02', async () => {
    const files = await writeSources([
      { rel: 'empty.bin', data: Buffer.alloc(0) },
      { rel: 'after.bin', data: bytes(5, 3) },
    ]);
    const { peer, result, events } = await startScripted(files);
    await peer.next();
    peer.send(initAck());
    expect(toHex(await peer.next())).toBe(toHex(join('02 00', lnts('empty.bin'), lnts(''), u32(0), u32(1_000_000_000), '64 00 00 00')));
    peer.send(start(0));
    expect(toHex(await peer.next())).toBe(toHex(hex(EMPTY_06)));
    expect((await peer.next()).includes(Buffer.from('after.bin'))).toBe(true);
    peer.send(start(0));
    await peer.data(5);
    await peer.closedPromise;
    expect((await result).value).toMatchObject({ files: 2, transferred: 5, skipped: 0 });
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.skipped])).toEqual([
      ['empty.bin', false],
      ['after.bin', false],
    ]);
  });

  it('to a receiver without the mark, a directory goes flat: empty TEXT, names made unique as icqrecv numbers them, one warning', async () => {
    const files = await writeSources([
      { rel: 'top.txt', data: bytes(3, 1) },
      { rel: 'd/a/x.txt', data: bytes(4, 2) },
      { rel: 'd/b/x.txt', data: bytes(5, 3) },
      { rel: 'd/c/X.TXT', data: bytes(6, 4) },
      { rel: 'd/top.txt', data: Buffer.alloc(0) },
    ]);
    const { infos, events, value } = await receiveAllScripted(files, initAck());
    expect(infos.map((i) => [i.name, i.text, i.size])).toEqual([
      ['top.txt', '', 3],
      ['x.txt', '', 4],
      ['x (1).txt', '', 5],
      ['X (2).TXT', '', 6],
      ['top (1).txt', '', 0],
    ]);
    expect(eventsOf(events, 'warning')).toEqual([
      {
        event: 'warning',
        peer: 1001,
        message: '1001 is not known to read sub-directories: 4 file(s) from directories go flat under their base names, 3 renamed to stay unique',
      },
    ]);
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.path])).toEqual(files.map((f, i) => [infos[i]!.name, f.path]));
    expect(value).toMatchObject({ files: 5, transferred: 18 });
  });

  it('never sends a non-empty TEXT to a receiver that did not mark itself (Licq, icqlib, other text after the NUL)', async () => {
    const files = await writeSources([
      { rel: 'p/q/r/deep.bin', data: bytes(7, 5) },
      { rel: 'p/flat.bin', data: bytes(2, 6) },
      { rel: 'p/q/empty.bin', data: Buffer.alloc(0) },
    ]);
    const unmarked = [
      hex('01 64 00 00 00 09 00 6C 69 63 71 31 30 30 31 00'), // Licq 1.0.4 (captures/licq-1.0.4-receives.txt)
      hex('01 64 00 00 00 07 00 69 63 71 6C 69 62 00'), // icqlib 1.0.0 (captures/icqlib-1.0.0-receives.txt)
      join('01 64 00 00 00', lnts('bob\0icqxfer')),
      join('01 64 00 00 00', lnts(`bob\0${SUBDIR_READER_MARK}x`)),
    ];
    for (const ack of unmarked) {
      const { infos, events } = await receiveAllScripted(files, ack);
      expect(infos.map((i) => i.text), toHex(ack)).toEqual(['', '', '']);
      expect(infos.map((i) => i.name)).toEqual(['deep.bin', 'flat.bin', 'empty.bin']);
      expect(eventsOf(events, 'warning')).toHaveLength(1);
    }
  });

  it('to a marked receiver, sub-directories travel in TEXT and nothing is renamed or warned about', async () => {
    const files = await writeSources([
      { rel: 'd/a/x.txt', data: bytes(4, 2) },
      { rel: 'd/b/x.txt', data: bytes(5, 3) },
    ]);
    const { infos, events } = await receiveAllScripted(files, initAck(true));
    expect(infos.map((i) => [i.name, i.text])).toEqual([
      ['x.txt', 'd/a'],
      ['x.txt', 'd/b'],
    ]);
    expect(eventsOf(events, 'warning')).toEqual([]);
    expect(eventsOf(events, 'file-done').map((e) => e.name)).toEqual(['d/a/x.txt', 'd/b/x.txt']);
  });

  it('a batch without directories gets no warning from an unmarked receiver', async () => {
    const files = await writeSources([{ rel: 'one.bin', data: bytes(3, 1) }]);
    const { infos, events } = await receiveAllScripted(files, initAck());
    expect(infos.map((i) => [i.name, i.text])).toEqual([['one.bin', '']]);
    expect(eventsOf(events, 'warning')).toEqual([]);
  });
});

describe('runSendSession against a scripted receiver', () => {
  it('sends the batch init at once, byte-exact', async () => {
    const files = await writeSources([
      { rel: 'x', data: bytes(3) },
      { rel: 'y', data: bytes(2) },
    ]);
    const { peer, result } = await startScripted(files);
    expect(toHex(await peer.next())).toBe(toHex(hex('00 00 00 00 00 02 00 00 00 05 00 00 00 64 00 00 00 06 00 61 6C 69 63 65 00')));
    peer.socket.destroy();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN' });
  });

  it('accepts a 05 before the 01 and a 17-byte 03; chunks are 2048 bytes but the last', async () => {
    const data = bytes(5000, 9);
    const files = await writeSources([{ rel: 'sub/f.bin', data }]);
    const { peer, result, events } = await startScripted(files);
    await peer.next(); // 00
    peer.send(hex('05 64 00 00 00'), initAck(true));
    const info = await peer.next();
    expect(toHex(info)).toBe(
      toHex(join('02 00', lnts('f.bin'), lnts('sub'), u32(5000), u32(1_000_000_000), '64 00 00 00')),
    );
    peer.send(start(0, 1));
    const frames = await peer.data(5000);
    expect(frames.map((f) => f.length - 1)).toEqual([2048, 2048, 904]);
    expect(payload(frames).equals(data)).toBe(true);
    peer.end();
    const { value } = await result;
    expect(value).toMatchObject({ files: 1, bytes: 5000, transferred: 5000, skipped: 0 });
    expect(eventsOf(events, 'file-done')).toEqual([expect.objectContaining({ name: 'sub/f.bin', sha256: sha256(data) })]);
  });

  it('resumes from the offset in the 03, sending only the rest, and hashes the whole file', async () => {
    const data = bytes(10_000, 11);
    const files = await writeSources([{ rel: 'r.bin', data }]);
    const { peer, result, events } = await startScripted(files);
    await peer.next();
    peer.send(initAck());
    await peer.next();
    peer.send(start(1000));
    const frames = await peer.data(9000);
    expect(frames.map((f) => f.length - 1)).toEqual([2048, 2048, 2048, 2048, 808]);
    expect(payload(frames).equals(data.subarray(1000))).toBe(true);
    await peer.closedPromise; // the sender closes after the last file
    expect((await result).value).toMatchObject({ transferred: 9000, bytes: 10_000 });
    expect(eventsOf(events, 'file-start')[0]).toMatchObject({ offset: 1000, size: 10_000 });
    expect(eventsOf(events, 'file-done')[0]).toMatchObject({ sha256: sha256(data), skipped: false });
  });

  it('skips a file answered with OFFSET = SIZE with one empty 06, then the next 02', async () => {
    const first = bytes(3000, 1);
    const second = bytes(10, 2);
    const files = await writeSources([
      { rel: 'skip.bin', data: first },
      { rel: 'take.bin', data: second },
    ]);
    const { peer, result, events } = await startScripted(files);
    await peer.next();
    peer.send(initAck());
    expect((await peer.next())[0]).toBe(0x02);
    peer.send(start(3000));
    expect(toHex(await peer.next())).toBe(toHex(hex(EMPTY_06)));
    const next = await peer.next();
    expect(next[0]).toBe(0x02);
    expect(next.includes(Buffer.from('take.bin'))).toBe(true);
    peer.send(start(0));
    const frames = await peer.data(10);
    expect(payload(frames).equals(second)).toBe(true);
    await peer.closedPromise;
    expect((await result).value).toMatchObject({ files: 2, transferred: 10, skipped: 1 });
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.skipped])).toEqual([
      ['skip.bin', true],
      ['take.bin', false],
    ]);
  });

  it('pauses on 05 speed 0 without timing out, and goes on after a non-zero 05', async () => {
    const data = bytes(4096, 3);
    const files = await writeSources([{ rel: 'p.bin', data }]);
    const { peer, result } = await startScripted(files, { idleTimeoutMs: 60 });
    await peer.next();
    peer.send(initAck(), hex('05 00 00 00 00'));
    await peer.next(); // 02
    peer.send(start(0));
    // Three idle timeouts long: a paused sender neither sends nor gives up.
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.frames).toEqual([]);
    expect(peer.closed).toBe(false);
    peer.send(hex('05 64 00 00 00'));
    const frames = await peer.data(4096);
    expect(payload(frames).equals(data)).toBe(true);
    await peer.closedPromise;
    expect((await result).value).toMatchObject({ transferred: 4096 });
  });

  it('paces a limited speed (1 = 256 KiB/s) and still sends everything', async () => {
    const data = bytes(60_000, 4);
    const files = await writeSources([{ rel: 's.bin', data }]);
    const { peer, result } = await startScripted(files, { speed: 1 });
    expect((await peer.next())[0]).toBe(0x00);
    // A limited sender tells its speed in a 05 right after the 00.
    expect(toHex(await peer.next())).toBe('05 01 00 00 00');
    peer.send(initAck());
    await peer.next();
    peer.send(start(0));
    const frames = await peer.data(60_000);
    expect(payload(frames).equals(data)).toBe(true);
    expect(frames.every((f) => f.length - 1 <= 2048)).toBe(true);
    await peer.closedPromise;
    expect((await result).value).toMatchObject({ transferred: 60_000 });
  });

  it('stops the current file on a 04 and goes on with the next', async () => {
    const files = await writeSources([
      { rel: 'a.bin', data: bytes(2_000_000, 1) },
      { rel: 'b.bin', data: bytes(5, 2) },
    ]);
    const { peer, result, events } = await startScripted(files, { speed: 1 });
    await peer.next(); // 00
    await peer.next(); // 05
    peer.send(initAck());
    await peer.next(); // 02 a.bin
    peer.send(start(0));
    await peer.data(1);
    peer.send(hex('04 01 00 00 00'));
    let f: Buffer;
    do f = await peer.next();
    while (f[0] === 0x06);
    expect(f[0]).toBe(0x02);
    expect(f.includes(Buffer.from('b.bin'))).toBe(true);
    peer.send(start(0));
    await peer.data(5);
    await peer.closedPromise;
    expect((await result).value).toMatchObject({ files: 2, skipped: 1 });
    expect(eventsOf(events, 'file-done').map((e) => [e.name, e.skipped])).toEqual([
      ['a.bin', true],
      ['b.bin', false],
    ]);
  });

  it('ignores empty 06 packets from the receiver', async () => {
    const files = await writeSources([{ rel: 'e.bin', data: bytes(3) }]);
    const { peer, result } = await startScripted(files);
    await peer.next();
    peer.send(hex('06'), initAck(), hex('06'));
    await peer.next();
    peer.send(hex('06'), start(0), hex('06'));
    await peer.data(3);
    await peer.closedPromise;
    expect((await result).value).toMatchObject({ transferred: 3 });
  });

  it('fails with PROTOCOL on an offset beyond the size', async () => {
    const files = await writeSources([{ rel: 'o.bin', data: bytes(100) }]);
    const { peer, result } = await startScripted(files);
    await peer.next();
    peer.send(initAck());
    await peer.next();
    peer.send(start(101));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
    await peer.closedPromise;
  });

  it('fails with PROTOCOL on a packet in the wrong state', async () => {
    const files = await writeSources([{ rel: 'w.bin', data: bytes(100) }]);
    const { peer, result } = await startScripted(files);
    await peer.next();
    peer.send(start(0)); // a 03 before any 01/02
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
  });

  it('fails with TRANSFER_BROKEN when the receiver closes mid-file', async () => {
    const files = await writeSources([{ rel: 'c.bin', data: bytes(3_000_000, 8) }]);
    const { peer, result } = await startScripted(files, { speed: 1 });
    await peer.next();
    await peer.next();
    peer.send(initAck());
    await peer.next();
    peer.send(start(0));
    await peer.data(1);
    peer.socket.destroy();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN' });
  });

  it('fails with IDLE_TIMEOUT when the receiver stops answering', async () => {
    const files = await writeSources([{ rel: 'i.bin', data: bytes(10) }]);
    const { peer, result } = await startScripted(files, { idleTimeoutMs: 50 });
    await peer.next();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_IDLE_TIMEOUT' });
  });

  it('fails with INTERRUPTED on abort', async () => {
    const files = await writeSources([{ rel: 'i.bin', data: bytes(10) }]);
    const controller = new AbortController();
    const { peer, result } = await startScripted(files, { signal: controller.signal });
    await peer.next();
    controller.abort();
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_INTERRUPTED' });
    await peer.closedPromise;
  });

  it('fails with LOCAL_FILE when a file changed size since the request', async () => {
    const files = await writeSources([{ rel: 'g.bin', data: bytes(10) }]);
    await writeFile(files[0]!.path, bytes(20));
    const { peer, result } = await startScripted(files);
    await peer.next();
    peer.send(initAck());
    await peer.next();
    peer.send(start(0));
    expect((await result).error).toMatchObject({ code: 'ICQ_ERR_LOCAL_FILE' });
  });
});

