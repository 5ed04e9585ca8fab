import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crashOf, repoRoot, runIcqsend } from '../../scripts/processes.js';
import { makeFiles, removeTempDirs, sha256, tempDir, waitUntil } from '../e2e/helpers.js';
import { sleep } from './helpers.js';

afterAll(removeTempDirs);

// icqrecv asks only on a terminal: script(1) gives it a pseudo-terminal, and what we write
// to script's stdin is what a person types.
describe('the accept prompt', () => {
  it('answered after 20 s: the waiting sender still gets through', async () => {
    const work = await tempDir('soak-prompt');
    const files = await makeFiles(path.join(work, 'out'), { 'asked.bin': 50_000 });
    const inbox = path.join(work, 'in');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const cmd = [process.execPath, path.join(repoRoot(), 'bin', 'icqrecv.js'), '--listen', `127.0.0.1:${port}`, '--once', '--dir', inbox].join(' ');
    const term = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'dumb' } });
    let screen = '';
    term.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => term.once('close', (code, signal) => resolve({ code, signal })));
    try {
      await waitUntil(() => /listening tcp:\/\//.test(screen), () => `icqrecv did not start: ${screen}`);
      const sending = runIcqsend(['--peer', `127.0.0.1:${port}`, '--ack-timeout', '60', '1002', path.join(work, 'out', 'asked.bin')]);
      await waitUntil(() => /accept\?|\[y\/N\]|\(y\/n\)/i.test(screen), () => `no prompt: ${screen}`);
      await sleep(20_000);
      term.stdin.write('y\r');
      const { exit, program } = await sending;
      expect(exit.code, program.stderr()).toBe(0);
      const recvExit = await exited;
      expect(crashOf('icqrecv', ['(pty)'], recvExit, screen, new Set())).toBeNull();
      expect(recvExit.code, screen).toBe(0);
      expect(sha256(await readFile(path.join(inbox, 'asked.bin')))).toBe(sha256(files.get('asked.bin')!));
    } finally {
      term.kill('SIGKILL');
    }
  });
});
