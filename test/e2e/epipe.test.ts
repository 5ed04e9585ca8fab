import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { start, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { makeFiles, removeTempDirs, sha256, tempDir } from './helpers.js';

afterEach(stopAll);
afterAll(removeTempDirs);

// `icqsend --json … | head -1`: the reader of stdout goes away after one line. The output
// stops, the transfer does not: no stack trace (the crash guard fails the test on one), the
// file arrives whole, and the exit code is the table's.
describe('stdout closed by its reader (EPIPE)', () => {
  it('icqsend and icqrecv both finish the transfer and exit 0', async () => {
    const work = await tempDir('epipe');
    const files = await makeFiles(path.join(work, 'out'), { 'a.bin': 3 << 20, 'b.bin': 3 << 20 });
    const inbox = path.join(work, 'in');
    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);
    recv.program.child.stdout!.destroy();
    const sender = start('icqsend', [
      '--peer', `127.0.0.1:${recv.port}`, '--json', '--speed', '20', '1002', path.join(work, 'out', 'a.bin'), path.join(work, 'out', 'b.bin'),
    ]);
    await sender.waitForLine(/"event"/);
    sender.child.stdout!.destroy();
    expect((await sender.exited).code, sender.stderr()).toBe(0);
    expect((await recv.program.exited).code, recv.program.stderr()).toBe(0);
    for (const [name, data] of files) expect(sha256(await readFile(path.join(inbox, name))), name).toBe(sha256(data));
  });
});
