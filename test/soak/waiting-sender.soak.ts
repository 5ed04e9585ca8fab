import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { start, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { RECEIVER, SENDER, login, makeFiles, removeTempDirs, sha256, startServer, tempDir } from '../e2e/helpers.js';
import { sleep } from './helpers.js';

afterEach(stopAll);
afterAll(removeTempDirs);

describe('a waiting icqsend', () => {
  it('--wait 90 waits 45 s for a receiver that logs in late, then sends', async () => {
    const server = await startServer();
    const work = await tempDir('soak-wait');
    const files = await makeFiles(path.join(work, 'out'), { 'late.bin': 100_000 });
    const sender = start('icqsend', [...login(server, SENDER), '--wait', '90', '--json', String(RECEIVER.uin), path.join(work, 'out', 'late.bin')]);
    await sleep(45_000);
    expect(sender.child.exitCode, sender.stderr()).toBeNull();
    const inbox = path.join(work, 'in');
    await startIcqrecv([...login(server, RECEIVER), '--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);
    const exit = await sender.exited;
    expect(exit.code, sender.stderr()).toBe(0);
    expect(sha256(await readFile(path.join(inbox, 'late.bin')))).toBe(sha256(files.get('late.bin')!));
  });
});
