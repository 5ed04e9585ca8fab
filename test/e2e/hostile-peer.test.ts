import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FULL_SPEED, encodeFilePacket, type FilePacket } from '../../src/wire/file.js';
import { PeerCommand, PeerMessageType, PeerStatus, encodePeerMessage, fileAccept, fileRequest, filePortFromAck, textMessage, type PeerMessage } from '../../src/wire/peer.js';
import { runIcqsend, startIcqrecv, stopAll, type RunningProgram } from '../../scripts/processes.js';
import { u32 } from '../helpers/hex.js';
import {
  RECEIVER,
  RawListener,
  SENDER,
  closeRawPeers,
  eventsOf,
  listTree,
  makeFiles,
  rawConnect,
  removeTempDirs,
  sha256,
  tempDir,
  waitForEvents,
  type RawPeer,
} from './helpers.js';

// The real icqrecv and icqsend against scripted raw peers that misbehave, or behave like
// the real clients of 1998–2000 did. The raw peers speak through the real codecs.

afterEach(async () => {
  await stopAll();
  await closeRawPeers();
});
afterAll(removeTempDirs);

const SEQ = 0xfffffffe;

interface RawFile {
  name: string;
  /** 02 TEXT (the sub-directory later clients send). */
  text?: string;
  data: Buffer;
  /** SIZE in the 02, when it is not data.length (a lie). */
  size?: number;
}

/** icqrecv peer to peer, accepting everything, JSON events, one transfer. */
async function receiver(label: string, extra: string[] = []): Promise<{ program: RunningProgram; port: number; inbox: string; work: string }> {
  const work = await tempDir(label);
  const inbox = path.join(work, 'inbox');
  const { program, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox, ...extra]);
  return { program, port, inbox, work };
}

/** The next file packet that is not a 05 (which may come at any time, §5). */
async function nextBut05(peer: RawPeer): Promise<FilePacket> {
  for (;;) {
    const p = await peer.nextFile();
    if (p.kind !== 'speed') return p;
  }
}

/**
 * A raw sender up to the first 02: message connection, file request, ACK, file
 * connection, 00, 01. Returns the file connection.
 */
async function rawSenderHandshake(
  port: number,
  announce: { fileName: string; count: number; total: number },
  options: { version?: number; trailer?: Buffer } = {},
): Promise<{ msg: RawPeer; file: RawPeer; ack: PeerMessage }> {
  const msg = await rawConnect(port);
  msg.sendInit({ uin: SENDER.uin, msgPort: 0 });
  const request = fileRequest(msg.endpoint(SENDER.uin), { description: '', fileName: announce.fileName, totalSize: announce.total, seq: SEQ });
  if (options.version !== undefined) request.version = options.version;
  msg.send(Buffer.concat([encodePeerMessage(request), options.trailer ?? Buffer.alloc(0)]));
  const ack = await msg.nextMessage();
  // The accept form of §3.5: the file port big-endian first, then again as a DWORD LE.
  expect(ack).toMatchObject({ command: PeerCommand.ACK, type: PeerMessageType.FILE, status: PeerStatus.ONLINE, cmdType: 0, seq: SEQ });
  expect(ack.file).toEqual({ portBe: ack.file!.port, pad: 0, fileName: '', totalSize: 0, port: expect.any(Number) as unknown });
  const filePort = filePortFromAck(ack.file!);
  const file = await rawConnect(filePort);
  file.sendInit({ uin: SENDER.uin, otherPort: filePort });
  file.sendFile({ kind: 'batch-init', count: announce.count, total: announce.total, speed: FULL_SPEED, nick: 'raw' });
  expect(await nextBut05(file)).toMatchObject({ kind: 'init-ack' });
  return { msg, file, ack };
}

/** One 02, the 03 it gets, then the data from the offset in 2048-byte chunks. Returns the offset. */
async function rawSendFile(file: RawPeer, f: RawFile, options: { emptyDataBetween?: boolean } = {}): Promise<number> {
  const size = f.size ?? f.data.length;
  file.sendFile({ kind: 'file-info', name: f.name, text: f.text ?? '', size, mtime: 0, speed: FULL_SPEED });
  const start = await nextBut05(file);
  if (start.kind !== 'start') throw new Error(`expected a 03, got ${start.kind}`);
  for (let at = start.offset; at < f.data.length; at += 2048) {
    file.sendFile({ kind: 'data', data: f.data.subarray(at, at + 2048) });
    if (options.emptyDataBetween) file.sendFile({ kind: 'data', data: Buffer.alloc(0) });
  }
  return start.offset;
}

describe('a hostile sender', () => {
  it('never makes icqrecv write outside --dir, whatever the names', async () => {
    const { program, port, inbox, work } = await receiver('names');
    const etcX = existsSync('/etc/x');
    const files: RawFile[] = [
      { name: '../x', data: Buffer.from('dot-dot') },
      { name: '/etc/x', data: Buffer.from('absolute') },
      { name: 'a\u0007b', data: Buffer.from('bell') },
      { name: 'CON', data: Buffer.from('device') },
      { name: 'n'.repeat(300), data: Buffer.from('long') },
      { name: 'passwd', text: '../../etc', data: Buffer.from('root::0:0::/:/bin/sh\n') },
      { name: '..\\..\\win.ini', text: '/abs/olute', data: Buffer.from('backslashes') },
      { name: '..', text: '..', data: Buffer.from('only dots') },
      { name: '\u001b[31mred', text: 'sub\u0000dir', data: Buffer.from('escape') },
    ];
    const before = await listTree(work);
    const total = files.reduce((n, f) => n + f.data.length, 0);

    const { msg, file } = await rawSenderHandshake(port, { fileName: `${files.length} Files`, count: files.length, total });
    for (const f of files) await rawSendFile(file, f);
    file.close();
    msg.close();
    expect((await program.exited).code, program.stderr()).toBe(0);

    // Nothing new beside the inbox (the temp dir is the inbox's parent) nor in /etc.
    const after = await listTree(work);
    expect(after.filter((p) => !p.startsWith('inbox/'))).toEqual(before.filter((p) => !p.startsWith('inbox/')));
    expect(existsSync('/etc/x')).toBe(etcX);

    const done = eventsOf(program.events(), 'file-done');
    expect(done).toHaveLength(files.length);
    const inside = await listTree(inbox);
    for (const [i, e] of done.entries()) {
      const p = e.path as string;
      expect(path.relative(inbox, p).startsWith('..'), p).toBe(false);
      expect(path.isAbsolute(path.relative(inbox, p))).toBe(false);
      expect(inside).toContain(path.relative(inbox, p).split(path.sep).join('/'));
      expect(await readFile(p)).toEqual(files[i]!.data);
      expect(e.sha256).toBe(sha256(files[i]!.data));
      for (const component of path.relative(inbox, p).split(path.sep)) {
        expect(component).not.toMatch(/[\u0000-\u001f\u007f]/);
        expect(component).not.toMatch(/^(con|\.\.?)$/i);
        expect(Buffer.byteLength(component)).toBeLessThanOrEqual(255);
      }
    }
    for (const safe of ['x', 'x (1)', 'a_b', '_CON', 'etc/passwd', 'abs/olute/win.ini']) expect(inside).toContain(safe);
    // The sub-directory `../../etc` became `etc` inside the inbox.
    expect(await readFile(path.join(inbox, 'etc', 'passwd'), 'utf8')).toBe('root::0:0::/:/bin/sh\n');
    expect(inside.filter((p) => p.endsWith('.part'))).toEqual([]);
  });

  it('sending more bytes than announced: icqrecv exits 7 and cuts the partial back to what was verified', async () => {
    const { program, port, inbox } = await receiver('overrun');
    const { file } = await rawSenderHandshake(port, { fileName: 'ten.bin', count: 1, total: 10 });
    file.sendFile({ kind: 'file-info', name: 'ten.bin', text: '', size: 10, mtime: 0, speed: FULL_SPEED });
    expect(await nextBut05(file)).toMatchObject({ kind: 'start', offset: 0 });
    file.sendFile({ kind: 'data', data: Buffer.from('12345') }, { kind: 'data', data: Buffer.from('6789abcdef') });

    expect((await program.exited).code, program.stderr()).toBe(7);
    expect(eventsOf(program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
    expect(await listTree(inbox)).toEqual(['.ten.bin.part']);
    // Nothing of a fresh file is vouched for once its sender broke the protocol.
    expect(await readFile(path.join(inbox, '.ten.bin.part'), 'utf8')).toBe('');
  });

  it('announcing files larger than the request (past --max-size): icqrecv exits 7 before writing anything', async () => {
    const { program, port, inbox } = await receiver('size-lie', ['--max-size', '1K']);
    const { file } = await rawSenderHandshake(port, { fileName: '2 Files', count: 2, total: 1000 });
    // The request (and the 00) said 1000 bytes in all, which passed --max-size; the files say more.
    expect(await rawSendFile(file, { name: 'ok.txt', data: Buffer.alloc(600, 0x61) })).toBe(0);
    file.sendFile({ kind: 'file-info', name: 'huge.bin', text: '', size: 100_000_000, mtime: 0, speed: FULL_SPEED });
    file.sendFile({ kind: 'data', data: Buffer.alloc(2048) });

    expect((await program.exited).code, program.stderr()).toBe(7);
    expect(eventsOf(program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
    await file.waitClosed();
    // No 03 for the lie, and no trace of it on disk.
    expect(file.received.filter((f) => f[0] === 0x03)).toHaveLength(1);
    expect(await listTree(inbox)).toEqual(['ok.txt']);
  });

  it('stalling mid-file: icqrecv --idle-timeout 1 exits 6 and keeps the .part', async () => {
    const { program, port, inbox } = await receiver('stall', ['--idle-timeout', '1']);
    const { file } = await rawSenderHandshake(port, { fileName: 'slow.bin', count: 1, total: 10_000 });
    file.sendFile({ kind: 'file-info', name: 'slow.bin', text: '', size: 10_000, mtime: 0, speed: FULL_SPEED });
    expect(await nextBut05(file)).toMatchObject({ kind: 'start', offset: 0 });
    file.sendFile({ kind: 'data', data: Buffer.alloc(4096, 7) });
    // ... and nothing more.

    expect((await program.exited).code, program.stderr()).toBe(6);
    expect(eventsOf(program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_IDLE_TIMEOUT' });
    expect((await stat(path.join(inbox, '.slow.bin.part'))).size).toBe(4096);
    await file.waitClosed();
  });

  it('never opening the file connection after the ACK: icqrecv --ack-timeout 1 gives up on it and closes the file port', async () => {
    const work = await tempDir('no-file-conn');
    const { program, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--ack-timeout', '1', '--dir', work]);
    const msg = await rawConnect(port);
    msg.sendInit({ uin: SENDER.uin });
    msg.sendMessage(fileRequest(msg.endpoint(SENDER.uin), { description: '', fileName: 'a.bin', totalSize: 100, seq: SEQ }));
    const filePort = filePortFromAck((await msg.nextMessage()).file!);

    const [error] = await waitForEvents(program, (e) => e.event === 'error');
    expect(error).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN', peer: SENDER.uin });
    await expect(rawConnect(filePort)).rejects.toThrow(/ECONNREFUSED/);
    expect(program.child.exitCode).toBe(null);
  });

  it('a 00 whose TOTAL differs from the request: icqrecv exits 7 without answering 01', async () => {
    const { program, port } = await receiver('total');
    const msg = await rawConnect(port);
    msg.sendInit({ uin: SENDER.uin });
    msg.sendMessage(fileRequest(msg.endpoint(SENDER.uin), { description: '', fileName: 'a.bin', totalSize: 100, seq: SEQ }));
    const ack = await msg.nextMessage();
    const file = await rawConnect(filePortFromAck(ack.file!));
    file.sendInit({ uin: SENDER.uin });
    file.sendFile({ kind: 'batch-init', count: 1, total: 1_000_000, speed: FULL_SPEED, nick: 'raw' });

    expect((await program.exited).code, program.stderr()).toBe(7);
    await file.waitClosed();
    expect(file.received.map((f) => f[0])).not.toContain(0x01);
  });
});

/** A raw receiver up to the file connection: accepts the request with the given ACK. */
async function rawReceiverHandshake(
  listener: RawListener,
  options: {
    ack?: (request: PeerMessage, filePort: number, from: RawPeer) => PeerMessage;
    /** Name the message listener's own port in the ACK, as Miranda's ICQCorp did (§3.5). */
    messagePortAsFilePort?: boolean;
  } = {},
): Promise<{ msg: RawPeer; file: RawPeer; request: PeerMessage; filePort: number }> {
  const msg = await listener.accept();
  // §3.2: on a message connection, MSG_PORT is the sender's listener and OTHER_PORT 0.
  expect(await msg.nextInit()).toMatchObject({ uin: SENDER.uin, tcpFlag: 4, otherPort: 0, msgPort: expect.any(Number) as unknown });
  const request = await msg.nextMessage();
  const fileListener = options.messagePortAsFilePort ? listener : await RawListener.open();
  const ack = options.ack?.(request, fileListener.port, msg) ?? fileAccept(msg.endpoint(RECEIVER.uin), request, fileListener.port);
  msg.sendMessage(ack);
  const file = await fileListener.accept();
  // ... and on a file connection MSG_PORT 0 and OTHER_PORT the file port.
  expect(await file.nextInit()).toMatchObject({ uin: SENDER.uin, msgPort: 0, otherPort: fileListener.port });
  return { msg, file, request, filePort: fileListener.port };
}

function icqsend(port: number, files: string[], extra: string[] = []): Promise<{ exit: { code: number | null }; program: RunningProgram }> {
  return runIcqsend(['--peer', `127.0.0.1:${port}`, '--uin', String(SENDER.uin), '--json', ...extra, String(RECEIVER.uin), ...files]);
}

describe('a hostile receiver', () => {
  it('asking for an offset beyond the size: icqsend exits 7', async () => {
    const work = await tempDir('offset');
    await makeFiles(work, { 'f.bin': 1000 });
    const listener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(work, 'f.bin')]);

    const { file } = await rawReceiverHandshake(listener);
    expect(await file.nextFile()).toEqual({ kind: 'batch-init', count: 1, total: 1000, speed: FULL_SPEED, nick: String(SENDER.uin) });
    file.sendFile({ kind: 'init-ack', speed: FULL_SPEED, nick: 'raw' });
    expect(await file.nextFile()).toMatchObject({ kind: 'file-info', name: 'f.bin', size: 1000 });
    file.sendFile({ kind: 'start', offset: 1001, speed: FULL_SPEED });

    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(7);
    expect(eventsOf(program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_PROTOCOL' });
    await file.waitClosed();
  });

  it('never answering the 00: icqsend --idle-timeout 1 exits 6', async () => {
    const work = await tempDir('silent-file');
    await makeFiles(work, { 'f.bin': 1000 });
    const listener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(work, 'f.bin')], ['--idle-timeout', '1']);

    const { file } = await rawReceiverHandshake(listener);
    expect(await file.nextFile()).toMatchObject({ kind: 'batch-init' });
    // ... no 01.

    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(6);
    expect(eventsOf(program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_IDLE_TIMEOUT' });
  });

  it('closing the file connection mid-file: icqsend exits 6', async () => {
    const work = await tempDir('drop');
    await makeFiles(work, { 'f.bin': 300_000 });
    const listener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(work, 'f.bin')]);

    const { file } = await rawReceiverHandshake(listener);
    await file.nextFile();
    file.sendFile({ kind: 'init-ack', speed: FULL_SPEED, nick: 'raw' });
    await file.nextFile();
    file.sendFile({ kind: 'start', offset: 0, speed: FULL_SPEED });
    await file.data(2048);
    file.destroy();

    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(6);
    // A receiver that vanishes with our data unread resets the connection: not delivered.
    expect(['ICQ_ERR_TRANSFER_BROKEN', 'ICQ_ERR_NOT_DELIVERED']).toContain(eventsOf(program.events(), 'error').at(-1)!.code);
    expect(eventsOf(program.events(), 'file-done')).toEqual([]);
  });
});

describe('quirks of real clients', () => {
  it('a receiver that sends 05 before 01, a 17-byte 03, and an ACK with only the big-endian port (icqsend exits 0)', async () => {
    const work = await tempDir('quirky-receiver');
    const files = await makeFiles(work, { 'one.bin': 10_000, 'two.txt': 'second\n' });
    const listener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(work, 'one.bin'), path.join(work, 'two.txt')], ['--message', 'hi']);

    const { file, request, filePort } = await rawReceiverHandshake(listener, {
      // FILE_PORT only as the first, big-endian WORD; the LE DWORD left 0 (§3.5).
      ack: (req, port, from) => {
        const ack = fileAccept(from.endpoint(RECEIVER.uin), req, port);
        ack.file = { ...ack.file!, port: 0 };
        return ack;
      },
    });
    expect(request).toMatchObject({ text: 'hi', file: { fileName: '2 Files', totalSize: 10_007 } });
    expect(await file.nextFile()).toMatchObject({ kind: 'batch-init', count: 2, total: 10_007 });
    file.sendFile({ kind: 'speed', speed: 64 }, { kind: 'init-ack', speed: FULL_SPEED, nick: 'ICQ99' });
    const received: Buffer[] = [];
    for (const [i, name] of ['one.bin', 'two.txt'].entries()) {
      expect(await nextBut05(file)).toMatchObject({ kind: 'file-info', name, size: files.get(name)!.length });
      // 17 bytes: a 1-based file number after the 13 we send.
      file.send(Buffer.concat([encodeFilePacket({ kind: 'start', offset: 0, speed: FULL_SPEED }), u32(i + 1)]));
      const { data, others } = await file.data(files.get(name)!.length);
      expect(others).toEqual([]);
      received.push(data);
    }
    await file.waitClosed();

    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(0);
    expect(received.map(sha256)).toEqual([sha256(files.get('one.bin')!), sha256(files.get('two.txt')!)]);
    expect(eventsOf(program.events(), 'file-done').map((e) => e.sha256)).toEqual(received.map(sha256));
    expect(eventsOf(program.events(), 'accepted')).toEqual([{ event: 'accepted', peer: RECEIVER.uin, port: filePort }]);
  });

  it('a receiver that names its message port as the file port: icqsend opens a new connection to it', async () => {
    const work = await tempDir('miranda');
    const files = await makeFiles(work, { 'm.bin': 7000 });
    const listener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(work, 'm.bin')]);

    const { msg, file } = await rawReceiverHandshake(listener, { messagePortAsFilePort: true });
    expect(file).not.toBe(msg);
    expect(await file.nextFile()).toMatchObject({ kind: 'batch-init', count: 1, total: 7000 });
    file.sendFile({ kind: 'init-ack', speed: FULL_SPEED, nick: 'miranda' });
    expect(await file.nextFile()).toMatchObject({ kind: 'file-info', name: 'm.bin' });
    file.sendFile({ kind: 'start', offset: 0, speed: FULL_SPEED });
    const { data } = await file.data(7000);
    await file.waitClosed();

    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(0);
    expect(sha256(data)).toBe(sha256(files.get('m.bin')!));
  });

  it('a receiver that pauses (05 speed 0) for longer than --idle-timeout, then stops the first file with 04', async () => {
    const work = await tempDir('pause-stop');
    // a.bin is many times what loopback's socket buffers hold, so icqsend is still sending it
    // when the 04 arrives (§5: a 04 stops whichever file is current; a small a.bin could
    // already be all sent, and the 04 would stop b.bin instead).
    const files = await makeFiles(work, { 'a.bin': 32_000_000, 'b.bin': 5000 });
    const listener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(work, 'a.bin'), path.join(work, 'b.bin')], ['--idle-timeout', '1']);

    const { file } = await rawReceiverHandshake(listener);
    await file.nextFile();
    file.sendFile({ kind: 'init-ack', speed: FULL_SPEED, nick: 'raw' });
    expect(await file.nextFile()).toMatchObject({ kind: 'file-info', name: 'a.bin' });
    file.sendFile({ kind: 'speed', speed: 0 }, { kind: 'start', offset: 0, speed: FULL_SPEED });
    // Paused is not idle (docs/protocol.md §5.4): nothing flows, and nothing times out.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(file.frames).toEqual([]);
    file.sendFile({ kind: 'speed', speed: FULL_SPEED });
    await file.data(100_000);
    file.sendFile({ kind: 'stop-file', fileNo: 1 });
    // Chunks already on their way still arrive; then the next 02.
    let next = await file.nextFile();
    while (next.kind === 'data') next = await file.nextFile();
    expect(next).toMatchObject({ kind: 'file-info', name: 'b.bin' });
    file.sendFile({ kind: 'start', offset: 0, speed: FULL_SPEED });
    expect(sha256((await file.data(5000)).data)).toBe(sha256(files.get('b.bin')!));
    await file.waitClosed();

    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(0);
    expect(eventsOf(program.events(), 'file-done').map((e) => [e.name, e.skipped])).toEqual([['a.bin', true], ['b.bin', false]]);
    expect(eventsOf(program.events(), 'done').at(-1)).toMatchObject({ files: 2, skipped: 1 });
  });

  it('a sender (Licq-style v3 request with a trailer) that sends empty 06 packets and a 02 with a sub-directory TEXT', async () => {
    const { program, port, inbox } = await receiver('quirky-sender');
    const files: RawFile[] = [
      { name: 'a.bin', text: 'docs/2000', data: Buffer.alloc(5000, 0xab) },
      { name: 'b.txt', text: 'docs', data: Buffer.from('bee\n') },
      { name: 'empty', data: Buffer.alloc(0) },
    ];
    const total = files.reduce((n, f) => n + f.data.length, 0);
    const { msg, file } = await rawSenderHandshake(
      port,
      { fileName: '3 Files', count: 3, total },
      // Licq sends version 3 and appends 'L' and a WORD after the SEQ (§3.3).
      { version: 3, trailer: Buffer.from([0x4c, 0x00, 0x00]) },
    );
    file.sendFile({ kind: 'data', data: Buffer.alloc(0) });
    for (const f of files) {
      await rawSendFile(file, f, { emptyDataBetween: true });
      file.sendFile({ kind: 'data', data: Buffer.alloc(0) });
    }
    file.close();
    msg.close();

    expect((await program.exited).code, program.stderr()).toBe(0);
    expect(await listTree(inbox)).toEqual(['docs/', 'docs/2000/', 'docs/2000/a.bin', 'docs/b.txt', 'empty']);
    expect(await readFile(path.join(inbox, 'docs', '2000', 'a.bin'))).toEqual(files[0]!.data);
    expect(eventsOf(program.events(), 'file-done').map((e) => [e.name, e.sha256])).toEqual(files.map((f) => [f.text ? `${f.text}/${f.name}` : f.name, sha256(f.data)]));
    expect(eventsOf(program.events(), 'done').at(-1)).toMatchObject({ files: 3, bytes: total, transferred: total });
  });

  it('an icqlib-style sender: whole paths in FILENAME, one request per file, sent in a row, and garbage init ports', async () => {
    const work = await tempDir('icqlib');
    const inbox = path.join(work, 'inbox');
    const { program, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);
    const files = [
      { path: '/home/alice/notes.txt', data: Buffer.from('unix path\n') },
      { path: 'C:\\Documents\\report.doc', data: Buffer.from('windows path\n') },
    ];
    const msg = await rawConnect(port);
    // icqlib writes its message port as a big-endian WORD + 00 00, and leaves OTHER_PORT uninitialised.
    msg.sendInit({ uin: SENDER.uin, msgPort: 0x3d620000, otherPort: 0xdeadbeef });
    const requests = files.map((f, i) =>
      fileRequest(msg.endpoint(SENDER.uin), { description: '', fileName: f.path, totalSize: f.data.length, seq: SEQ - i }),
    );
    msg.send(...requests.map(encodePeerMessage));
    for (const [i, f] of files.entries()) {
      const ack = await msg.nextMessage();
      expect(ack).toMatchObject({ command: PeerCommand.ACK, status: PeerStatus.ONLINE, seq: requests[i]!.seq });
      const file = await rawConnect(filePortFromAck(ack.file!));
      file.sendInit({ uin: SENDER.uin, otherPort: 0xdeadbeef });
      file.sendFile({ kind: 'batch-init', count: 1, total: f.data.length, speed: FULL_SPEED, nick: 'icqlib' });
      expect(await nextBut05(file)).toMatchObject({ kind: 'init-ack' });
      await rawSendFile(file, { name: f.path, data: f.data });
      file.close();
      await file.waitClosed();
    }
    await waitForEvents(program, (e) => e.event === 'done', 2);

    // Shown and saved by the last path component only (§3.4).
    expect(eventsOf(program.events(), 'request').map((e) => e.name)).toEqual(['notes.txt', 'report.doc']);
    expect(eventsOf(program.events(), 'file-done').map((e) => [e.name, e.sha256])).toEqual(files.map((f, i) => [['notes.txt', 'report.doc'][i], sha256(f.data)]));
    expect(await listTree(inbox)).toEqual(['notes.txt', 'report.doc']);
  });

  it('answers a text message, a read-away-message request and a chat request on the message connection', async () => {
    const { program, port } = await receiver('messages');
    const msg = await rawConnect(port);
    msg.sendInit({ uin: SENDER.uin });
    const me = msg.endpoint(SENDER.uin);
    const text = textMessage(me, 'hello', SEQ);
    const away = { ...textMessage(me, '', SEQ - 1), type: PeerMessageType.READ_AWAY };
    const chat = { ...textMessage(me, 'chat?', SEQ - 2), type: PeerMessageType.CHAT, chat: { text: '', portBe: 0, pad: 0, port: 0 } };
    msg.send(...[text, away, chat].map(encodePeerMessage));

    const answers = [await msg.nextMessage(), await msg.nextMessage(), await msg.nextMessage()];
    expect(answers.map((a) => [a.command, a.type, a.seq])).toEqual([
      [PeerCommand.ACK, PeerMessageType.MESSAGE, SEQ],
      [PeerCommand.ACK, PeerMessageType.READ_AWAY, SEQ - 1],
      [PeerCommand.ACK, PeerMessageType.CHAT, SEQ - 2],
    ]);
    expect(answers[1]!.text).not.toBe('');
    expect(answers[2]).toMatchObject({ status: PeerStatus.REFUSE, text: expect.stringContaining('chat') as unknown });
    // None of that is a transfer: icqrecv --once is still waiting for one.
    expect(program.child.exitCode).toBe(null);
    expect(eventsOf(program.events(), 'request')).toEqual([]);
  });

  it('a sender that skips an existing file (OFFSET = SIZE) by sending one empty 06', async () => {
    const { program, port, inbox } = await receiver('skip-existing', ['--on-exists', 'skip']);
    await makeFiles(inbox, { 'have.txt': 'already\n' });
    const files: RawFile[] = [
      { name: 'have.txt', data: Buffer.from('already\n') },
      { name: 'new.txt', data: Buffer.from('new\n') },
    ];
    const { file } = await rawSenderHandshake(port, { fileName: '2 Files', count: 2, total: 12 });
    expect(await rawSendFile(file, { ...files[0]!, data: Buffer.alloc(0), size: 8 })).toBe(8);
    file.sendFile({ kind: 'data', data: Buffer.alloc(0) });
    expect(await rawSendFile(file, files[1]!)).toBe(0);
    file.close();

    expect((await program.exited).code, program.stderr()).toBe(0);
    expect(await listTree(inbox)).toEqual(['have.txt', 'new.txt']);
    expect(eventsOf(program.events(), 'file-done').map((e) => e.skipped)).toEqual([true, false]);
  });
});
