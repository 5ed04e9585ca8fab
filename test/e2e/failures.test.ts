import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PeerCommand, PeerMessageType, cancelFor, decodePeerMessage, encodePeerMessage, fileRequest } from '../../src/wire/peer.js';
import { runIcqsend, startIcqrecv, stopAll, type RunningProgram } from '../../scripts/processes.js';
import {
  RECEIVER,
  RawListener,
  SENDER,
  rawConnect,
  closeRawPeers,
  closedUdpPort,
  eventsOf,
  listTree,
  login,
  makeFiles,
  removeTempDirs,
  startServer,
  tempDir,
} from './helpers.js';

// How the commands fail: refusals, cancels, offline peers, bad logins. Real processes on
// 127.0.0.1; each case checks the exit code of docs/architecture.md §7 and that the reason is shown.

afterEach(async () => {
  await stopAll();
  await closeRawPeers();
});
afterAll(removeTempDirs);

async function oneFile(label: string): Promise<{ file: string; inbox: string }> {
  const work = await tempDir(label);
  await makeFiles(work, { 'x.txt': 'some text\n' });
  return { file: path.join(work, 'x.txt'), inbox: path.join(work, 'in') };
}

function lastError(program: RunningProgram): Record<string, unknown> | undefined {
  return eventsOf(program.events(), 'error').at(-1);
}

describe('refusals (exit 5 on both sides, the reason shown to the sender)', () => {
  async function refusedBy(recvArgs: string[], reason: RegExp): Promise<void> {
    const { file, inbox } = await oneFile('refuse');
    const server = await startServer();
    const { program: recv } = await startIcqrecv([...login(server, RECEIVER), '--listen', '127.0.0.1:0', '--once', '--json', '--dir', inbox, ...recvArgs]);
    const { exit, program: send } = await runIcqsend([...login(server, SENDER), String(RECEIVER.uin), file]);

    expect(exit.code, send.stderr()).toBe(5);
    expect(send.stderr()).toMatch(reason);
    expect(send.stderr()).toContain('[ICQ_ERR_REFUSED]');
    expect((await recv.exited).code, recv.stderr()).toBe(5);
    expect(eventsOf(recv.events(), 'refused')).toEqual([
      { event: 'refused', peer: SENDER.uin, reason: expect.stringMatching(reason) as unknown, by: 'local' },
    ]);
    expect(await listTree(inbox)).toEqual([]);
  }

  it('without --accept and no terminal', async () => {
    await refusedBy([], /not accepting files \(icqrecv runs without --accept\)/);
  });

  it('with --from naming another UIN', async () => {
    await refusedBy(['--accept', '--from', '1003,1004'], /not accepting files from 1001/);
  });

  it('with --max-size below the request', async () => {
    await refusedBy(['--accept', '--max-size', '5'], /too large: 10 bytes, limit 5/);
  });
});

describe('no answer, no peer, no login', () => {
  it('cancels a request nobody answers within --ack-timeout (0x07D0 with the request SEQ) and exits 5', async () => {
    const { file } = await oneFile('cancel');
    const silent = await RawListener.open();
    const sending = runIcqsend(['--peer', `127.0.0.1:${silent.port}`, '--uin', String(SENDER.uin), '--json', '--ack-timeout', '1', String(RECEIVER.uin), file]);

    const peer = await silent.accept();
    expect((await peer.nextInit()).uin).toBe(SENDER.uin);
    const request = await peer.nextMessage();
    expect(request).toMatchObject({ command: PeerCommand.MESSAGE, type: PeerMessageType.FILE, uin: SENDER.uin });
    expect(request.file).toMatchObject({ fileName: 'x.txt', totalSize: 10 });
    // ... and say nothing.

    const { exit, program: send } = await sending;
    expect(exit.code, send.stderr()).toBe(5);
    expect(lastError(send)).toMatchObject({ code: 'ICQ_ERR_ACK_TIMEOUT', peer: RECEIVER.uin });
    await peer.waitClosed();
    const cancels = peer.received.slice(2).map((f) => decodePeerMessage(f));
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toMatchObject({
      command: PeerCommand.CANCEL,
      type: PeerMessageType.FILE,
      uin: SENDER.uin,
      seq: request.seq,
      cmdType: 0x0010,
      text: '',
      file: { fileName: '', totalSize: 0, port: 0, portBe: 0 },
    });
  });

  it('icqrecv drops a request cancelled before its answer: no ACK, exit 5', async () => {
    const { inbox } = await oneFile('cancelled');
    const { program: recv, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);
    const msg = await rawConnect(port);
    msg.sendInit({ uin: SENDER.uin });
    const request = fileRequest(msg.endpoint(SENDER.uin), { description: '', fileName: 'x.txt', totalSize: 10, seq: 0xfffffff0 });
    // Both in one write: the cancel arrives while icqrecv is still deciding.
    msg.send(encodePeerMessage(request), encodePeerMessage(cancelFor(msg.endpoint(SENDER.uin), request)));

    expect((await recv.exited).code, recv.stderr()).toBe(5);
    expect(lastError(recv)).toMatchObject({ code: 'ICQ_ERR_CANCELLED', peer: SENDER.uin });
    expect(eventsOf(recv.events(), 'accepted')).toEqual([]);
    await msg.waitClosed();
    expect(msg.received).toEqual([]);
    expect(await listTree(inbox)).toEqual([]);
  });

  it('exits 4 when the receiver is not online within --wait', async () => {
    const { file } = await oneFile('offline');
    const server = await startServer();
    const { exit, program: send } = await runIcqsend([...login(server, SENDER), '--json', '--wait', '1', String(RECEIVER.uin), file]);
    expect(exit.code, send.stderr()).toBe(4);
    expect(lastError(send)).toMatchObject({ code: 'ICQ_ERR_PEER_OFFLINE', peer: RECEIVER.uin });
  });

  it('exits 4 when a --peer address does not answer', async () => {
    const { file } = await oneFile('no-peer');
    const closed = await RawListener.open();
    closed.server.close();
    const { exit, program: send } = await runIcqsend(['--peer', `127.0.0.1:${closed.port}`, '--connect-timeout', '1', String(RECEIVER.uin), file]);
    expect(exit.code, send.stderr()).toBe(4);
    expect(send.stderr()).toContain('[ICQ_ERR_PEER_UNREACHABLE]');
  });

  it('exits 3 on a wrong password (icqsend and icqrecv)', async () => {
    const { file, inbox } = await oneFile('password');
    const server = await startServer();
    const { exit, program: send } = await runIcqsend([...login(server, { ...SENDER, password: 'wrong' }), '--json', String(RECEIVER.uin), file]);
    expect(exit.code, send.stderr()).toBe(3);
    expect(lastError(send)).toMatchObject({ code: 'ICQ_ERR_WRONG_PASSWORD' });

    const { start } = await import('../../scripts/processes.js');
    const recv = start('icqrecv', [...login(server, { ...RECEIVER, password: 'wrong' }), '--accept', '--dir', inbox]);
    expect((await recv.exited).code, recv.stderr()).toBe(3);
    expect(recv.stderr()).toContain('[ICQ_ERR_WRONG_PASSWORD]');
  });

  it('exits 3 when the server does not answer within --connect-timeout', async () => {
    const { file } = await oneFile('unreachable');
    const port = await closedUdpPort();
    const { exit, program: send } = await runIcqsend([
      ...login(`127.0.0.1:${port}`, SENDER), '--json', '--connect-timeout', '1', String(RECEIVER.uin), file,
    ]);
    expect(exit.code, send.stderr()).toBe(3);
    expect(lastError(send)).toMatchObject({ code: 'ICQ_ERR_LOGIN_UNREACHABLE' });
  });

  it('a --batch goes on past a failed job and exits with the first failure', async () => {
    const work = await tempDir('batch-fail');
    await makeFiles(work, { 'a.txt': 'for nobody\n', 'b.txt': 'for 1002\n' });
    const jobs = path.join(work, 'jobs.txt');
    await writeFile(jobs, `1003 ${path.join(work, 'a.txt')}\n1002 ${path.join(work, 'b.txt')}\n`);
    const inbox = path.join(work, 'in');
    const server = await startServer(['--add-user', '1003:pw3']);
    const { program: recv } = await startIcqrecv([...login(server, RECEIVER), '--listen', '127.0.0.1:0', '--accept', '--once', '--dir', inbox]);

    const { exit, program: send } = await runIcqsend([...login(server, SENDER), '--connect-timeout', '1', '--batch', jobs]);
    expect(exit.code, send.stderr()).toBe(4);
    expect(send.stderr()).toContain('[ICQ_ERR_PEER_OFFLINE]');
    expect(send.stderr()).toMatch(/batch: 1 of 2 transfers done, 1 failed/);
    expect((await recv.exited).code, recv.stderr()).toBe(0);
    expect(await readFile(path.join(inbox, 'b.txt'), 'utf8')).toBe('for 1002\n');
  });
});

