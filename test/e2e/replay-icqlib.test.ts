import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { decodeFilePacket } from '../../src/wire/file.js';
import { PeerCommand, PeerStatus, decodePeerMessage, filePortFromAck, fileAccept } from '../../src/wire/peer.js';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { hex, toHex } from '../helpers/hex.js';
import { RawListener, closeRawPeers, rawConnect, removeTempDirs, pattern, sha256, tempDir, waitForEvents } from './helpers.js';

// icqlib 1.0.0's own bytes (../shared/captures/icqlib-1.0.0-*.txt), replayed by raw peers
// against the real icqrecv and icqsend (`npm run build` first).

afterEach(async () => {
  await stopAll();
  await closeRawPeers();
});
afterAll(removeTempDirs);


describe('icqlib 1.0.0 sends to icqrecv', () => {
  it('its v3 init (port big-endian), a request with its full path in FILENAME, uninitialised IPs, 5000 bytes', async () => {
    const work = await tempDir('icqlib-sends');
    const inbox = path.join(work, 'inbox');
    const { program, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--uin', '1002', '--dir', inbox]);
    const msg = await rawConnect(port);
    msg.send(
      hex('FF 03 00 00 00 E4 87 00 00 E9 03 00 00 7F 00 00 01 7F 00 00 01 04 00 00 00 00'),
      hex(`E9 03 00 00 03 00 EE 07 00 00 E9 03 00 00 03 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 04 00 00 10 00 00 00 00 00
        16 00 2F 74 6D 70 2F 63 61 70 2F 73 72 63 2F 66 69 76 65 2E 74 78 74 00 88 13 00 00 00 00 00 00 FE FF FF FF`),
    );
    const ack = decodePeerMessage(await msg.next());
    expect(ack).toMatchObject({ command: PeerCommand.ACK, status: PeerStatus.ONLINE, seq: 0xfffffffe });
    const file = await rawConnect(filePortFromAck(ack.file!));
    file.send(
      hex('FF 03 00 00 00 00 00 00 00 E9 03 00 00 7F 00 00 01 7F 00 00 01 04 00 00 00 00'),
      hex('00 00 00 00 00 01 00 00 00 88 13 00 00 64 00 00 00 07 00 69 63 71 6C 69 62 00'),
    );
    expect(await file.nextFile()).toMatchObject({ kind: 'init-ack', afterNul: 'icqxfer:subdir' });
    file.send(hex('02 00 09 00 66 69 76 65 2E 74 78 74 00 01 00 00 88 13 00 00 00 00 00 00 64 00 00 00'));
    expect(toHex(await file.next())).toBe(toHex(hex('03 00 00 00 00 00 00 00 00 64 00 00 00')));
    const data = pattern(5000, 4);
    file.send(...[0, 2048, 4096].map((at) => Buffer.concat([Buffer.from([6]), data.subarray(at, at + 2048)])));
    file.close();
    await waitForEvents(program, (e) => e.event === 'file-done' && e.name === 'five.txt');
    expect(sha256(await readFile(path.join(inbox, 'five.txt')))).toBe(sha256(data));
  });
});

describe('icqsend sends to icqlib 1.0.0', () => {
  it('a 3-file batch: its 01 without 05 and 13-byte 03s; the empty file gets one empty 06; TEXT stays empty', async () => {
    const dir = path.join(await tempDir('to-icqlib'), 'out');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    const five = pattern(5000, 1);
    const two049 = pattern(2049, 2);
    await writeFile(path.join(dir, 'five.txt'), five);
    await writeFile(path.join(dir, 'empty.bin'), Buffer.alloc(0));
    await writeFile(path.join(dir, 'sub', 'two049.bin'), two049);
    const listener = await RawListener.open();
    const fileListener = await RawListener.open();
    const sending = runIcqsend(['--peer', `127.0.0.1:${listener.port}`, '--uin', '2002', '--json', '1001',
      path.join(dir, 'five.txt'), path.join(dir, 'empty.bin'), path.join(dir, 'sub')]);
    const msg = await listener.accept();
    await msg.nextInit();
    const request = await msg.nextMessage();
    expect(request.file).toMatchObject({ fileName: '3 Files', totalSize: 7049 });
    msg.sendMessage(fileAccept(msg.endpoint(1001), request, fileListener.port));
    const file = await fileListener.accept();
    await file.nextInit();
    expect(decodeFilePacket(await file.next())).toMatchObject({ kind: 'batch-init', count: 3, total: 7049 });
    file.send(hex('01 64 00 00 00 07 00 69 63 71 6C 69 62 00'));
    for (const [name, data] of [['five.txt', five], ['empty.bin', Buffer.alloc(0)], ['two049.bin', two049]] as const) {
      expect(await file.nextFile()).toMatchObject({ kind: 'file-info', name, text: '', size: data.length });
      file.send(hex('03 00 00 00 00 00 00 00 00 64 00 00 00'));
      if (data.length === 0) expect(toHex(await file.next())).toBe('06');
      else expect((await file.data(data.length)).data.equals(data)).toBe(true);
    }
    await file.waitClosed();
    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(0);
    expect(program.events().filter((e) => e.event === 'warning')).toHaveLength(1);
  });
});
