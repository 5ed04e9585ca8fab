import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { RECEIVER, SENDER, eventsOf, login, makeFiles, removeTempDirs, sha256, startServer, tempDir } from '../e2e/helpers.js';
import { sleep } from './helpers.js';

// icqrecv left waiting for senders for 90 s (it died after 8-25 s when V8 flags were changed
// at run time), then receiving: peer to peer here, through icqd in idle-online.soak.ts (a file
// of its own so the two run side by side).
afterEach(stopAll);
afterAll(removeTempDirs);

const IDLE_MS = 90_000;

describe('an idle icqrecv', () => {
  it('peer to peer: idles 90 s, then receives', async () => {
    const work = await tempDir('soak-idle-p2p');
    const files = await makeFiles(path.join(work, 'out'), { 'a.bin': 300_000 });
    const inbox = path.join(work, 'in');
    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);
    await sleep(IDLE_MS);
    expect(recv.program.child.exitCode, recv.program.stderr()).toBeNull();
    const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--json', '1002', path.join(work, 'out', 'a.bin')]);
    expect(exit.code, program.stderr()).toBe(0);
    expect(sha256(await readFile(path.join(inbox, 'a.bin')))).toBe(sha256(files.get('a.bin')!));
    expect(recv.program.child.exitCode).toBeNull();
  });

});
