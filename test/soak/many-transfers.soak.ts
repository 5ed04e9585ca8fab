import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';
import { makeFiles, removeTempDirs, sha256, tempDir } from '../e2e/helpers.js';
import { rssKiB } from './helpers.js';

afterEach(stopAll);
afterAll(removeTempDirs);

describe('one icqrecv, many transfers', () => {
  it('100 transfers in a row: all arrive, and once warm its RSS does not grow with their number', async () => {
    const work = await tempDir('soak-many');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'm.bin': 2 << 20, 's.txt': 'small\n' });
    const inbox = path.join(work, 'in');
    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--quiet', '--on-exists', 'rename', '--dir', inbox]);
    const peaks: number[] = [];
    for (let i = 0; i < 100; i++) {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(recv.program.child.pid) ?? 0)), 20);
      const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--quiet', '1002', path.join(out, 'm.bin'), path.join(out, 's.txt')]);
      clearInterval(sampler);
      peaks.push(Math.max(peak, rssKiB(recv.program.child.pid) ?? 0));
      expect(exit.code, program.stderr()).toBe(0);
    }
    expect(sha256(await readFile(path.join(inbox, 'm (99).bin')))).toBe(sha256(files.get('m.bin')!));
    // V8 sizes its heap up over the first ~50 transfers (measured: 72 → 87 MiB, flat after).
    // After that, a leak of even 100 KiB a transfer would add 4 MiB between the two windows;
    // GC timing moves a peak by a few MiB at most, hence 8 MiB of slack.
    const early = Math.max(...peaks.slice(50, 60));
    const late = Math.max(...peaks.slice(90, 100));
    expect(late, `peak RSS (KiB) by transfer: ${peaks.join(' ')}`).toBeLessThan(early + 8 * 1024);
    expect(recv.program.child.exitCode).toBeNull();
  });
});
