import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { eventsOf, listTree, makeFiles, removeTempDirs, sha256, tempDir } from './helpers.js';

afterEach(stopAll);
afterAll(removeTempDirs);

describe('re-sending what already arrived', () => {
  it('received files keep the sender\'s mtime, and a second send of the directory skips them all (no "name (1)")', async () => {
    const work = await tempDir('resend');
    const out = path.join(work, 'out');
    await makeFiles(path.join(out, 'pics'), { 'a.jpg': 3000, 'b.jpg': 70_000 });
    const inbox = path.join(work, 'in');
    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);
    const send = () => runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--json', '1002', path.join(out, 'pics')]);

    const first = await send();
    expect(first.exit.code, first.program.stderr()).toBe(0);
    for (const f of ['a.jpg', 'b.jpg']) {
      const [src, dst] = await Promise.all([stat(path.join(out, 'pics', f)), stat(path.join(inbox, 'pics', f))]);
      expect(Math.floor(dst.mtimeMs / 1000), f).toBe(Math.floor(src.mtimeMs / 1000));
    }
    const second = await send();
    expect(second.exit.code, second.program.stderr()).toBe(0);
    expect(eventsOf(second.program.events(), 'file-done').map((e) => [e.name, e.skipped])).toEqual([
      ['pics/a.jpg', true],
      ['pics/b.jpg', true],
    ]);
    expect(eventsOf(second.program.events(), 'done').at(-1)).toMatchObject({ transferred: 0, skipped: 2 });
    expect(await listTree(inbox)).toEqual(['pics/', 'pics/a.jpg', 'pics/b.jpg']);
  });

  it('a name that cannot be placed (a file where its directory must go) skips that one file; the batch goes on', async () => {
    const work = await tempDir('conflict');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'one.txt': 'one\n', 'd/inner.txt': 'inner\n', 'two.txt': 'two\n' });
    const inbox = path.join(work, 'in');
    await mkdir(inbox, { recursive: true });
    await writeFile(path.join(inbox, 'd'), 'a plain file in the way\n');
    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);
    const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--json', '1002', path.join(out, 'one.txt'), path.join(out, 'd'), path.join(out, 'two.txt')]);
    expect(exit.code, program.stderr()).toBe(0);
    expect((await recv.program.exited).code, recv.program.stderr()).toBe(0);
    expect(eventsOf(recv.program.events(), 'warning')).toEqual([expect.objectContaining({ code: 'ICQ_ERR_UNSAFE_PATH', message: expect.stringContaining('inner.txt') })]);
    expect(await readFile(path.join(inbox, 'd'), 'utf8')).toBe('a plain file in the way\n');
    for (const f of ['one.txt', 'two.txt']) expect(sha256(await readFile(path.join(inbox, f)))).toBe(sha256(files.get(f)!));
    expect(eventsOf(program.events(), 'file-done').find((e) => e.name === 'd/inner.txt')).toMatchObject({ skipped: true });
  });
});
