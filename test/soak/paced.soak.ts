import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { eventsOf, makeFiles, removeTempDirs, sha256, tempDir } from '../e2e/helpers.js';

afterEach(stopAll);
afterAll(removeTempDirs);

describe('a paced transfer', () => {
  it('--speed 1 (256 KiB/s): a 4-file batch of 8 MiB takes 30 s or more and arrives whole', async () => {
    const work = await tempDir('soak-paced');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'p1.bin': 2 << 20, 'p2.bin': 2 << 20, 'p3.bin': 2 << 20, 'p4.bin': 2 << 20 });
    const inbox = path.join(work, 'in');
    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox, '--idle-timeout', '20']);
    const began = Date.now();
    const { exit, program } = await runIcqsend([
      '--peer', `127.0.0.1:${recv.port}`, '--json', '--speed', '1', '1002', ...[...files.keys()].map((f) => path.join(out, f)),
    ]);
    const seconds = (Date.now() - began) / 1000;
    expect(exit.code, program.stderr()).toBe(0);
    expect(seconds).toBeGreaterThanOrEqual(30);
    expect((await recv.program.exited).code, recv.program.stderr()).toBe(0);
    for (const [name, data] of files) expect(sha256(await readFile(path.join(inbox, name))), name).toBe(sha256(data));
    expect(eventsOf(program.events(), 'file-done')).toHaveLength(4);
  });
});
