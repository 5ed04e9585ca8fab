import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { decodeFilePacket } from '../../src/wire/file.js';
import { PeerCommand, PeerStatus, decodePeerMessage, filePortFromAck, fileAccept } from '../../src/wire/peer.js';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { hex, toHex } from '../helpers/hex.js';
import { RawListener, closeRawPeers, rawConnect, removeTempDirs, pattern, sha256, tempDir, waitForEvents } from './helpers.js';

// Licq 1.0.4's own bytes (../shared/captures/licq-1.0.4-*.txt), replayed by raw peers
// against the real icqrecv and icqsend (`npm run build` first).

afterEach(async () => {
  await stopAll();
  await closeRawPeers();
});
afterAll(removeTempDirs);


/** Licq 1.0.4 as a sender (captures/licq-1.0.4-sends.txt), UIN 1001, peer treated as v3. */
const LICQ_SENDS = {
  msgInit: hex('FF 06 00 00 00 2C B9 00 00 E9 03 00 00 00 00 00 00 00 00 00 00 04 2C B9 00 00'),
  request1: hex(`E9 03 00 00 06 00 EE 07 00 00 E9 03 00 00 03 00 01 00 00 00 00 00 00 00 00 00 00 2C B9 00 00 04 00 00 10 00
    00 00 00 00 0B 00 74 77 6F 30 34 39 2E 62 69 6E 00 01 08 00 00 00 00 00 00 FF FF FF FF 4C EC 03`),
  fileInit1: hex('FF 06 00 00 00 66 80 00 00 E9 03 00 00 00 00 00 00 00 00 00 00 04 66 80 00 00'),
  batch1: hex('00 00 00 00 00 01 00 00 00 01 08 00 00 64 00 00 00 09 00 6C 69 63 71 31 30 30 31 00'),
  info1: hex('02 00 0B 00 74 77 6F 30 34 39 2E 62 69 6E 00 01 00 00 01 08 00 00 00 00 00 00 64 00 00 00'),
  request2: hex(`E9 03 00 00 06 00 EE 07 00 00 E9 03 00 00 03 00 01 00 00 00 00 00 00 00 00 00 00 2C B9 00 00 04 00 00 10 00
    00 00 00 00 0A 00 65 6D 70 74 79 2E 62 69 6E 00 00 00 00 00 00 00 00 00 FE FF FF FF 4C EC 03`),
  fileInit2: hex('FF 06 00 00 00 BC AD 00 00 E9 03 00 00 00 00 00 00 00 00 00 00 04 BC AD 00 00'),
  batch2: hex('00 00 00 00 00 01 00 00 00 00 00 00 00 64 00 00 00 09 00 6C 69 63 71 31 30 30 31 00'),
  info2: hex('02 00 0A 00 65 6D 70 74 79 2E 62 69 6E 00 01 00 00 00 00 00 00 00 00 00 00 64 00 00 00'),
};
/** Licq 1.0.4 as a receiver (captures/licq-1.0.4-receives.txt): 05 before its 01, 17-byte 03s. */
const LICQ_SPEED = hex('05 64 00 00 00');
const LICQ_INIT_ACK = hex('01 64 00 00 00 09 00 6C 69 63 71 31 30 30 31 00');
const licqStart = (offset: number, fileNo: number) => {
  const b = hex('03 00 00 00 00 00 00 00 00 64 00 00 00 00 00 00 00');
  b.writeUInt32LE(offset, 1);
  b.writeUInt32LE(fileNo, 13);
  return b;
};
const START_13 = '03 00 00 00 00 00 00 00 00 64 00 00 00';

async function icqrecv(label: string) {
  const work = await tempDir(label);
  const inbox = path.join(work, 'inbox');
  const { program, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--uin', '1002', '--dir', inbox]);
  return { program, port, inbox };
}

describe('Licq 1.0.4 sends to icqrecv', () => {
  it('its version-6 init and requests (SEQ FF FF FF FF, the L trailer), a 2049-byte file, then an empty one with one empty 06', async () => {
    const r = await icqrecv('licq-sends');
    const msg = await rawConnect(r.port);
    msg.send(LICQ_SENDS.msgInit, LICQ_SENDS.request1);
    const ack1 = decodePeerMessage(await msg.next());
    expect(ack1).toMatchObject({ command: PeerCommand.ACK, status: PeerStatus.ONLINE, seq: 0xffffffff });
    const file1 = await rawConnect(filePortFromAck(ack1.file!));
    file1.send(LICQ_SENDS.fileInit1, LICQ_SENDS.batch1);
    const initAck = decodeFilePacket(await file1.next());
    expect(initAck).toMatchObject({ kind: 'init-ack', speed: 100, afterNul: 'icqxfer:subdir' });
    file1.send(LICQ_SENDS.info1);
    expect(toHex(await file1.next())).toBe(toHex(hex(START_13)));
    const data = pattern(2049, 7);
    file1.send(Buffer.concat([Buffer.from([6]), data.subarray(0, 2048)]), Buffer.concat([Buffer.from([6]), data.subarray(2048)]));
    file1.close();
    await waitForEvents(r.program, (e) => e.event === 'file-done' && e.name === 'two049.bin');
    expect(sha256(await readFile(path.join(r.inbox, 'two049.bin')))).toBe(sha256(data));

    msg.send(LICQ_SENDS.request2);
    const ack2 = decodePeerMessage(await msg.next());
    expect(ack2).toMatchObject({ command: PeerCommand.ACK, status: PeerStatus.ONLINE, seq: 0xfffffffe });
    const file2 = await rawConnect(filePortFromAck(ack2.file!));
    file2.send(LICQ_SENDS.fileInit2, LICQ_SENDS.batch2);
    await file2.next();
    file2.send(LICQ_SENDS.info2);
    expect(toHex(await file2.next())).toBe(toHex(hex(START_13)));
    file2.send(hex('06'));
    file2.close();
    await waitForEvents(r.program, (e) => e.event === 'file-done' && e.name === 'empty.bin');
    expect((await readFile(path.join(r.inbox, 'empty.bin'))).length).toBe(0);
    expect(r.program.events().filter((e) => e.event === 'error')).toEqual([]);
  });

  it('an encrypted version-4 message packet ends that connection with an error event and a line naming the version', async () => {
    const r = await icqrecv('licq-v4');
    const msg = await rawConnect(r.port);
    const v4 = Buffer.from(LICQ_SENDS.request1);
    v4.writeUInt16LE(4, 4);
    msg.send(hex('FF 04 00 00 00 2C B9 00 00 E9 03 00 00 00 00 00 00 00 00 00 00 04 2C B9 00 00'), v4);
    await msg.waitClosed();
    const [error] = await waitForEvents(r.program, (e) => e.event === 'error');
    expect(error).toMatchObject({ code: 'ICQ_ERR_UNSUPPORTED_VERSION', peer: 1001 });
    expect(String(error!.message)).toContain('version 4 is encrypted');
  });
});

async function outbox(label: string, files: Record<string, Buffer>): Promise<string> {
  const dir = path.join(await tempDir(label), 'out');
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), data);
  }
  return dir;
}

function icqsend(port: number, paths: string[]) {
  return runIcqsend(['--peer', `127.0.0.1:${port}`, '--uin', '1002', '--json', '1001', ...paths]);
}

/** Licq's message side: the init and request, answered with a plain v2 ACK (no trailer). */
async function licqAccepts(listener: RawListener, filePort: number) {
  const msg = await listener.accept();
  await msg.nextInit();
  const request = await msg.nextMessage();
  msg.sendMessage(fileAccept(msg.endpoint(1001), request, filePort));
  return { msg, request };
}

describe('icqsend sends to Licq 1.0.4', () => {
  it('a directory goes flat (empty TEXT, one warning), the empty file gets one empty 06; Licq sends 05 before 01 and 17-byte 03s', async () => {
    const five = pattern(5000, 1);
    const two049 = pattern(2049, 2);
    const dir = await outbox('to-licq', { 'd/five.txt': five, 'd/empty.bin': Buffer.alloc(0), 'd/sub/two049.bin': two049 });
    const listener = await RawListener.open();
    const fileListener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(dir, 'd')]);
    await licqAccepts(listener, fileListener.port);
    const file = await fileListener.accept();
    await file.nextInit();
    expect((await file.nextFile()).kind).toBe('batch-init');
    file.send(LICQ_SPEED, LICQ_INIT_ACK);
    const expected = [
      ['empty.bin', Buffer.alloc(0)],
      ['five.txt', five],
      ['two049.bin', two049],
    ] as const;
    for (let i = 0; i < expected.length; i++) {
      const [name, data] = expected[i]!;
      const info = await file.nextFile();
      expect(info).toMatchObject({ kind: 'file-info', name, text: '', size: data.length });
      file.send(licqStart(0, i + 1));
      if (data.length === 0) expect(toHex(await file.next())).toBe('06');
      else expect(sha256((await file.data(data.length)).data)).toBe(sha256(data));
    }
    await file.waitClosed();
    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(0);
    const warnings = program.events().filter((e) => e.event === 'warning');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.message)).toContain('go flat');
  });

  it('its appending resume: a 17-byte 03 at offset 100000 gets exactly the rest', async () => {
    const big = pattern(300_000, 3);
    const dir = await outbox('licq-resume', { 'big.bin': big });
    const listener = await RawListener.open();
    const fileListener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(dir, 'big.bin')]);
    await licqAccepts(listener, fileListener.port);
    const file = await fileListener.accept();
    await file.nextInit();
    await file.nextFile();
    file.send(LICQ_SPEED, LICQ_INIT_ACK);
    expect(await file.nextFile()).toMatchObject({ kind: 'file-info', name: 'big.bin', text: '', size: 300_000 });
    file.send(licqStart(100_000, 1));
    const { data } = await file.data(200_000);
    expect(data.equals(big.subarray(100_000))).toBe(true);
    await file.waitClosed();
    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(0);
  });

  it('its refusal (STATUS 1, "no-thanks", port 0): icqsend exits 5 with the reason', async () => {
    const dir = await outbox('licq-refuses', { 'five.txt': pattern(5000, 1) });
    const listener = await RawListener.open();
    const sending = icqsend(listener.port, [path.join(dir, 'five.txt')]);
    const msg = await listener.accept();
    await msg.nextInit();
    await msg.nextMessage();
    msg.send(hex(`E9 03 00 00 02 00 DA 07 00 00 E9 03 00 00 03 00 0A 00 6E 6F 2D 74 68 61 6E 6B 73 00 00 00 00 00 00 00 00 00
      43 DB 00 00 04 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 FE FF FF FF`));
    const { exit, program } = await sending;
    expect(exit.code, program.stderr()).toBe(5);
    expect(program.events().filter((e) => e.event === 'refused')).toEqual([{ event: 'refused', peer: 1001, reason: 'no-thanks', by: 'peer' }]);
  });
});
