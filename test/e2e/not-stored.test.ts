import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { crashOf, repoRoot, runIcqsend, shebangFlags, stopAll } from '../../scripts/processes.js';
import { eventsOf, makeFiles, removeTempDirs, sha256, tempDir, waitUntil } from './helpers.js';

afterEach(stopAll);
afterAll(removeTempDirs);

/**
 * icqrecv whose writes fail part way: a file-size limit (RLIMIT_FSIZE, `ulimit -f`, with
 * SIGXFSZ ignored so the write fails with EFBIG instead of killing the process). Root
 * ignores permissions, so this is how a test here makes a disk "full".
 */
async function limitedReceiver(inbox: string, limitBlocks: number) {
  const bin = path.join(repoRoot(), 'bin', 'icqrecv.js');
  const node = [process.execPath, ...shebangFlags(bin), bin, '--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox];
  const child = spawn('sh', ['-c', `trap '' XFSZ; ulimit -f ${limitBlocks}; exec "$@"`, 'sh', ...node], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  await waitUntil(() => /"event":"online"/.test(out), () => `icqrecv did not start: ${err}`);
  const port = Number(/"port":(\d+)/.exec(out)![1]);
  return { port, exited, stderr: () => err, kill: () => child.kill('SIGKILL') };
}

describe('a receiver that cannot store a file', () => {
  it('one file: icqsend reports it not delivered (exit 6, ICQ_ERR_NOT_DELIVERED), never "sent"', async () => {
    const work = await tempDir('not-stored-one');
    await makeFiles(path.join(work, 'out'), { 'big.bin': 400_000 });
    const inbox = path.join(work, 'in');
    const recv = await limitedReceiver(inbox, 200);
    try {
      const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--json', '1002', path.join(work, 'out', 'big.bin')]);
      expect(exit.code, program.stderr()).toBe(6);
      expect(eventsOf(program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_NOT_DELIVERED', message: expect.stringContaining('big.bin') });
      expect(eventsOf(program.events(), 'file-done')).toEqual([]);
      expect(program.stderr()).not.toMatch(/sent big\.bin/);
      const recvExit = await recv.exited;
      expect(crashOf('icqrecv', ['(limited)'], recvExit, recv.stderr(), new Set())).toBeNull();
      expect(recvExit.code).not.toBe(0);
      await expect(stat(path.join(inbox, 'big.bin'))).rejects.toThrow();
    } finally {
      recv.kill();
    }
  });

  it('the middle of a batch: what was confirmed is reported, the rest is not delivered', async () => {
    const work = await tempDir('not-stored-batch');
    const files = await makeFiles(path.join(work, 'out'), { 'a.txt': 1000, 'b.txt': 1000, 'c.bin': 400_000, 'd.txt': 1000 });
    const inbox = path.join(work, 'in');
    const recv = await limitedReceiver(inbox, 200);
    try {
      const paths = ['a.txt', 'b.txt', 'c.bin', 'd.txt'].map((f) => path.join(work, 'out', f));
      const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--json', '1002', ...paths]);
      expect(exit.code, program.stderr()).toBe(6);
      expect(eventsOf(program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_NOT_DELIVERED', message: expect.stringContaining('c.bin') });
      // a.txt is confirmed by the 03 of c.bin; b.txt was stored but never confirmed, so it is
      // not claimed either: a report may be short of the truth, never beyond it.
      const done = eventsOf(program.events(), 'file-done').map((e) => e.name);
      expect(done).toEqual(['a.txt']);
      for (const name of done) expect(sha256(await readFile(path.join(inbox, name as string)))).toBe(sha256(files.get(name as string)!));
      await expect(stat(path.join(inbox, 'c.bin'))).rejects.toThrow();
      await expect(stat(path.join(inbox, 'd.txt'))).rejects.toThrow();
      const recvExit = await recv.exited;
      expect(crashOf('icqrecv', ['(limited)'], recvExit, recv.stderr(), new Set())).toBeNull();
    } finally {
      recv.kill();
    }
  });
});
