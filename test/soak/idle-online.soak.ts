import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { RECEIVER, SENDER, eventsOf, login, makeFiles, removeTempDirs, sha256, startServer, tempDir } from '../e2e/helpers.js';
import { sleep } from './helpers.js';

// icqrecv logged in through icqd with a 2 s keep-alive (icqd drops a session silent for 3
// periods), idle for 90 s, so it stays online through 45 keep-alive periods, then receives.
afterEach(stopAll);
afterAll(removeTempDirs);

const IDLE_MS = 90_000;

describe('an idle icqrecv online', () => {
  it('through icqd, keep-alive every 2 s: idles 90 s online, then receives', async () => {
    const server = await startServer(['--keepalive-ms', '2000']);
    const work = await tempDir('soak-idle-server');
    const files = await makeFiles(path.join(work, 'out'), { 'b.bin': 200_000 });
    const inbox = path.join(work, 'in');
    const recv = await startIcqrecv([...login(server, RECEIVER), '--keepalive-ms', '2000', '--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);
    await sleep(IDLE_MS);
    expect(recv.program.child.exitCode, recv.program.stderr()).toBeNull();
    const { exit, program } = await runIcqsend([...login(server, SENDER), '--json', String(RECEIVER.uin), path.join(work, 'out', 'b.bin')]);
    expect(exit.code, program.stderr()).toBe(0);
    expect(eventsOf(program.events(), 'file-done')).toEqual([expect.objectContaining({ name: 'b.bin', sha256: sha256(files.get('b.bin')!) })]);
    expect(sha256(await readFile(path.join(inbox, 'b.bin')))).toBe(sha256(files.get('b.bin')!));
    // Still online after all those keep-alives: no error, no lost session.
    expect(eventsOf(recv.program.events(), 'error')).toEqual([]);
  });
});
