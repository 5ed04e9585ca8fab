import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIcqsend, start, startIcqrecv, stopAll, type RunningProgram } from '../../scripts/processes.js';
import { sha256 } from '../helpers/e2e-peer.js';

// Processes dying under a transfer, with the real programs (`npm run build` first). A killed
// sender (the receiver exits 6, keeps the .part, a rerun resumes) is in resume.test.ts; here:
// a killed receiver, and a killed server.

let work: string;
let cases = 0;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'icqxfer-e2e-faults-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));
afterEach(async () => {
  await stopAll();
});

async function caseDir(): Promise<{ dir: string; inbox: string; outbox: string }> {
  const dir = path.join(work, `case-${++cases}`);
  const outbox = path.join(dir, 'outbox');
  await mkdir(outbox, { recursive: true });
  return { dir, inbox: path.join(dir, 'inbox'), outbox };
}

type Event = Record<string, unknown>;
const eventsOf = (program: RunningProgram, kind: string): Event[] => program.events().filter((e) => e.event === kind);

/** Polls until check holds (for stderr, which has no waitForLine); false if it never does. */
async function eventually(check: () => boolean, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  return check();
}

describe('the receiver killed mid-file', () => {
  it('icqsend exits 6; a receiver restarted on the same --dir resumes the .part on the rerun', async () => {
    const { inbox, outbox } = await caseDir();
    const data = randomBytes(4 * 1024 * 1024);
    const file = path.join(outbox, 'big.bin');
    await writeFile(file, data);

    const first = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);
    // --speed 8 (2 MiB/s) keeps the file in flight long enough to kill the receiver in it,
    // once it had time to write its first 1 MiB block.
    const sender = start('icqsend', ['--peer', `127.0.0.1:${first.port}`, '--json', '--speed', '8', '1002', file]);
    expect(await eventually(() => eventsOf(first.program, 'progress').some((e) => (e.fileBytes as number) >= 2 * 1024 * 1024))).toBe(true);
    expect((await first.program.stop('SIGKILL')).signal).toBe('SIGKILL');

    const senderExit = await sender.exited;
    expect(senderExit.code, sender.stderr()).toBe(6);
    expect(eventsOf(sender, 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN' });
    // What the receiver had written is kept, and is the start of the file.
    const part = await readFile(path.join(inbox, '.big.bin.part'));
    expect(part.length).toBeGreaterThan(0);
    expect(part.length).toBeLessThan(data.length);
    expect(part.equals(data.subarray(0, part.length))).toBe(true);

    const second = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);
    const { exit, program: rerun } = await runIcqsend(['--peer', `127.0.0.1:${second.port}`, '--json', '1002', file]);
    expect(exit.code, rerun.stderr()).toBe(0);
    expect((await second.program.exited).code, second.program.stderr()).toBe(0);
    for (const program of [rerun, second.program]) {
      expect(eventsOf(program, 'file-start')).toEqual([expect.objectContaining({ name: 'big.bin', offset: Math.max(0, part.length - 64 * 1024) })]);
      expect(eventsOf(program, 'file-done')).toEqual([expect.objectContaining({ name: 'big.bin', sha256: sha256(data) })]);
      expect(eventsOf(program, 'done').at(-1)).toMatchObject({ transferred: data.length - Math.max(0, part.length - 64 * 1024) });
    }
    expect(sha256(await readFile(path.join(inbox, 'big.bin')))).toBe(sha256(data));
    await expect(stat(path.join(inbox, '.big.bin.part'))).rejects.toThrow();
  });
});

describe('icqd killed and restarted', () => {
  it('does not interrupt a transfer flowing peer to peer; both clients log in again by themselves and the next transfer works', async () => {
    const { dir, inbox, outbox } = await caseDir();
    const serverDir = path.join(dir, 'server');
    await mkdir(serverDir);
    const db = path.join(serverDir, 'icqd.json');
    const serverTimers = ['--retransmit-ms', '100', '--retries', '2', '--scrypt-cost', '1024'];
    const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db, '--add-user', '1001:pw1', '--add-user', '1002:pw2', ...serverTimers], {
      cwd: serverDir,
    });
    const port = Number((await icqd.waitForLine(/^listening udp:\/\/[\d.]+:(\d+)$/))[1]);
    const server = `127.0.0.1:${port}`;
    // Short client timers: a keep-alive every 200 ms, given up on after 2 tries 100 ms apart.
    const clientTimers = ['--retransmit-ms', '100', '--retries', '2', '--keepalive-ms', '200'];

    const recv = await startIcqrecv(['--server', server, '--uin', '1002', '--password', 'pw2', '--accept', '--json', '--dir', inbox, ...clientTimers]);
    const big = randomBytes(512 * 1024);
    const small = randomBytes(20_000);
    await writeFile(path.join(outbox, 'big.bin'), big);
    await writeFile(path.join(outbox, 'small.bin'), small);
    const batch = path.join(dir, 'jobs.txt');
    await writeFile(batch, `1002 ${path.join(outbox, 'big.bin')}\n1002 ${path.join(outbox, 'small.bin')}\n`);
    // One login for both transfers: the second starts only after the server came back.
    const sender = start('icqsend', [
      '--server', server, '--uin', '1001', '--password', 'pw1', '--json', '--speed', '1', '--wait', '10', ...clientTimers, '--batch', batch,
    ]);

    await recv.program.waitForLine(/"event":"progress".*"name":"big.bin"/);
    expect((await icqd.stop('SIGKILL')).signal).toBe('SIGKILL');
    // (At 256 KiB/s the 512 KiB file is still on its way.)
    expect(eventsOf(recv.program, 'file-done')).toEqual([]);
    // Same port, same database (the accounts come from it: no --add-user this time).
    const again = start('icqd', ['--listen', server, '--db', db, ...serverTimers], { cwd: serverDir });
    await again.waitForLine(/^listening udp:\/\//);

    expect(await eventually(() => /1002: logged in/.test(again.stderr())), again.stderr()).toBe(true);
    expect(await eventually(() => /1001: logged in/.test(again.stderr())), again.stderr()).toBe(true);

    const exit = await sender.exited;
    expect(exit.code, sender.stderr()).toBe(0);
    expect(eventsOf(sender, 'file-done')).toEqual([
      expect.objectContaining({ name: 'big.bin', sha256: sha256(big) }),
      expect.objectContaining({ name: 'small.bin', sha256: sha256(small) }),
    ]);
    // The first transfer went on untouched: one file-start, from offset 0.
    expect(eventsOf(recv.program, 'file-start').map((e) => [e.name, e.offset])).toEqual([
      ['big.bin', 0],
      ['small.bin', 0],
    ]);
    await recv.program.waitForLine(/"event":"file-done".*"name":"small.bin"/);
    expect(sha256(await readFile(path.join(inbox, 'big.bin')))).toBe(sha256(big));
    expect(sha256(await readFile(path.join(inbox, 'small.bin')))).toBe(sha256(small));
    expect(eventsOf(recv.program, 'error')).toEqual([]);
    expect(recv.program.child.exitCode).toBeNull();
  });
});
