import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeFilePacket, FULL_SPEED } from '../../src/wire/file.js';
import { PeerCommand, PeerStatus, fileRequest } from '../../src/wire/peer.js';
import { LoginSession } from '../../src/login/session.js';
import { startServer, type IcqServer } from '../../src/server/index.js';
import { runReceiveSession } from '../../src/transfer/receive-session.js';
import { FileReceiver } from '../../src/transfer/receiver.js';
import { RawListener, closeRawPeers } from '../e2e/helpers.js';
import { bytes, cleanUp, connectionAndPeer, fakeTarget, settle, tempDir } from './session-helpers.js';

// In-process engine tests: the sessions, FileReceiver and a real icqd (startServer) on 127.0.0.1.

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await closeRawPeers();
  await cleanUp();
});

describe('the end of a transfer', () => {
  it("the receiver closes its side only once the last file is in place, so the sender's close-wait means delivered", async () => {
    const data = bytes(5000, 9);
    const dir = await tempDir();
    const [conn, peer] = await connectionAndPeer();
    // Whether the sender had seen our close when the file was renamed into place.
    let closedBeforeRename: boolean | null = null;
    const result = settle(
      runReceiveSession(conn, {
        peer: 1001,
        expectedTotal: data.length,
        nick: 'bob',
        prepare: async (info) => {
          const target = fakeTarget(dir, info);
          const finish = target.finish.bind(target);
          target.finish = () => {
            closedBeforeRename = peer.closed;
            return finish();
          };
          return target;
        },
      }),
    );
    peer.send(encodeFilePacket({ kind: 'batch-init', count: 1, total: data.length, speed: FULL_SPEED, nick: 'alice' }));
    expect((await peer.next())[0]).toBe(0x01);
    peer.send(encodeFilePacket({ kind: 'file-info', name: 'f.bin', text: '', size: data.length, mtime: 0, speed: FULL_SPEED }));
    expect((await peer.next())[0]).toBe(0x03);
    peer.send(encodeFilePacket({ kind: 'data', data: data.subarray(0, 2048) }), encodeFilePacket({ kind: 'data', data: data.subarray(2048) }));
    // The sender's way to say "done" (§5): close after the last chunk.
    peer.end();
    await peer.closedPromise;
    // By the time the sender sees our close, the file is in place under its final name.
    expect((await readFile(path.join(dir, 'f.bin'))).equals(data)).toBe(true);
    expect(closedBeforeRename).toBe(false);
    expect((await result).value).toMatchObject({ files: 1, transferred: data.length });
  });

  it('fails with PROTOCOL, before any 03 or file, when the 02 SIZEs add up to more than the requested TOTAL', async () => {
    const dir = await tempDir();
    const [conn, peer] = await connectionAndPeer();
    const prepared: string[] = [];
    const result = settle(
      runReceiveSession(conn, {
        peer: 1001,
        expectedTotal: 1000,
        nick: 'bob',
        prepare: async (info) => {
          prepared.push(info.name);
          return fakeTarget(dir, info);
        },
      }),
    );
    peer.send(encodeFilePacket({ kind: 'batch-init', count: 2, total: 1000, speed: FULL_SPEED, nick: 'alice' }));
    await peer.next();
    peer.send(encodeFilePacket({ kind: 'file-info', name: 'a', text: '', size: 600, mtime: 0, speed: FULL_SPEED }));
    expect((await peer.next())[0]).toBe(0x03);
    peer.send(encodeFilePacket({ kind: 'data', data: Buffer.alloc(600) }));
    peer.send(encodeFilePacket({ kind: 'file-info', name: 'b', text: '', size: 401, mtime: 0, speed: FULL_SPEED }));
    const { error } = await result;
    expect(error).toMatchObject({ code: 'ICQ_ERR_PROTOCOL', message: expect.stringContaining('401 bytes, more than the 400 left') as unknown });
    expect(prepared).toEqual(['a']);
    await peer.closedPromise;
    expect(peer.frames).toEqual([]);
  });
});

describe('reverse connect relayed by icqd (docs/protocol.md §4)', () => {
  it('FileReceiver connects back for its message port, takes a request on that connection, and ignores ports it does not have open', async () => {
    const server: IcqServer = await startServer({
      host: '127.0.0.1',
      port: 0,
      dbPath: null,
      users: [
        { uin: 1001, password: 'pw1' },
        { uin: 1002, password: 'pw2' },
      ],
    });
    closers.push(() => server.close());
    const serverAddress = { host: '127.0.0.1', port: server.address.port };
    const receiver = await FileReceiver.start({
      uin: 1002,
      login: { server: serverAddress, password: 'pw2' },
      listenHost: '127.0.0.1',
      dir: await tempDir(),
      decide: () => ({ accept: false, reason: 'just testing' }),
    });
    closers.push(() => receiver.close());
    const ours = await RawListener.open();
    const requester = new LoginSession({ server: serverAddress, uin: 1001, password: 'pw1', tcpPort: ours.port });
    closers.push(() => requester.close());
    await requester.login();

    // A port that matches nothing open at the receiver: ignored. Then its message port: honoured.
    await requester.sendReverseConnect({ targetUin: 1002, ip: '0.0.0.0', port: ours.port, otherPort: receiver.address.port + 1 });
    await requester.sendReverseConnect({ targetUin: 1002, ip: '0.0.0.0', port: ours.port, otherPort: receiver.address.port });
    const back = await ours.accept();
    // Whoever completes the connect() sends the init (§4).
    expect(await back.nextInit()).toMatchObject({ uin: 1002, msgPort: receiver.address.port, otherPort: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(ours.accept(1)).rejects.toThrow(/no connection/);

    // From here the conversation goes on as if we had connected: a request gets its answer.
    back.sendMessage(fileRequest(back.endpoint(1001), { description: '', fileName: 'x', totalSize: 1, seq: 0xfffffffe }));
    expect(await back.nextMessage()).toMatchObject({ command: PeerCommand.ACK, status: PeerStatus.REFUSE, text: 'just testing', seq: 0xfffffffe });
  });
});


describe('FileReceiver message connections', () => {
  it('keeps a message connection past the idle limit while its transfer runs, and takes the next request on it', async () => {
    const { rawConnect } = await import('../e2e/helpers.js');
    const dir = await tempDir();
    const receiver = await FileReceiver.start({
      dir,
      listenHost: '127.0.0.1',
      idleTimeoutMs: 300,
      decide: () => ({ accept: true }),
    });
    closers.push(() => receiver.close());
    const msg = await rawConnect(receiver.address.port);
    msg.sendInit({ uin: 1001, msgPort: 0 });
    const data = bytes(3000, 4);
    const first = fileRequest(msg.endpoint(1001), { description: '', fileName: 'a.bin', totalSize: data.length, seq: 0xfffffffe });
    msg.sendMessage(first);
    const ack = await msg.nextMessage();
    expect(ack).toMatchObject({ command: PeerCommand.ACK, status: PeerStatus.ONLINE });
    // The file connection comes well after the idle limit of the (silent) message connection.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const file = await rawConnect(ack.file!.port);
    file.sendInit({ uin: 1001, otherPort: ack.file!.port });
    file.sendFile({ kind: 'batch-init', count: 1, total: data.length, speed: FULL_SPEED, nick: 'raw' });
    expect((await file.nextFile()).kind).toBe('init-ack');
    file.sendFile({ kind: 'file-info', name: 'a.bin', text: '', size: data.length, mtime: 0, speed: FULL_SPEED });
    expect(await file.nextFile()).toMatchObject({ kind: 'start', offset: 0 });
    file.sendFile({ kind: 'data', data: data.subarray(0, 2048) }, { kind: 'data', data: data.subarray(2048) });
    file.close();
    await new Promise<void>((resolve) => receiver.once('transfer-end', () => resolve()));
    expect(await readFile(path.join(dir, 'a.bin'))).toEqual(data);
    // The same message connection still carries the next request (a batch over 4 GiB is several).
    msg.sendMessage(fileRequest(msg.endpoint(1001), { description: '', fileName: 'b.bin', totalSize: 1, seq: 0xfffffffd }));
    expect(await msg.nextMessage()).toMatchObject({ command: PeerCommand.ACK, seq: 0xfffffffd, status: PeerStatus.ONLINE });
  });

  it('a request cancelled while it is being decided withdraws the question: its signal aborts, it ends at once (issue #13)', async () => {
    const { rawConnect, waitUntil } = await import('../e2e/helpers.js');
    const { cancelFor } = await import('../../src/wire/peer.js');
    const until = (cond: () => boolean): Promise<void> => waitUntil(cond, () => 'not yet', 5_000);
    const withdrawn: AbortSignal[] = [];
    const receiver = await FileReceiver.start({
      dir: await tempDir(),
      listenHost: '127.0.0.1',
      decide: (_request, signal) => {
        withdrawn.push(signal!);
        return new Promise(() => {}); // a person who never answers
      },
    });
    closers.push(() => receiver.close());
    const ended: Array<{ error?: Error }> = [];
    receiver.on('transfer-end', (o) => ended.push(o));
    const msg = await rawConnect(receiver.address.port);
    msg.sendInit({ uin: 1001, msgPort: 0 });
    const request = fileRequest(msg.endpoint(1001), { description: '', fileName: 'a.bin', totalSize: 5, seq: 0xfffffffe });
    msg.sendMessage(request);
    await until(() => withdrawn.length === 1);
    expect(withdrawn[0]!.aborted).toBe(false);
    msg.sendMessage(cancelFor(msg.endpoint(1001), request));
    await until(() => ended.length === 1);
    expect(withdrawn[0]!.aborted).toBe(true);
    expect(ended[0]!.error).toMatchObject({ code: 'ICQ_ERR_CANCELLED' });

    // The second one vanishes: its connection closes while the question is open.
    msg.sendMessage(fileRequest(msg.endpoint(1001), { description: '', fileName: 'b.bin', totalSize: 5, seq: 0xfffffffd }));
    await until(() => withdrawn.length === 2);
    msg.close();
    await until(() => ended.length === 2);
    expect(withdrawn[1]!.aborted).toBe(true);
    expect(ended[1]!.error).toMatchObject({ code: 'ICQ_ERR_CANCELLED', message: expect.stringContaining('went away') as unknown });
  });

  it('a message port that is already taken is a usage error', async () => {
    const dir = await tempDir();
    const first = await FileReceiver.start({ dir, listenHost: '127.0.0.1' });
    closers.push(() => first.close());
    await expect(FileReceiver.start({ dir, listenHost: '127.0.0.1', listenPort: first.address.port })).rejects.toMatchObject({
      code: 'ICQ_ERR_USAGE',
      message: expect.stringContaining('the address is already in use') as unknown,
    });
  });
});
