import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { runIcqsend, start, startIcqrecv, stopAll, type RunningProgram } from '../../scripts/processes.js';
import { RECEIVER, SENDER, eventsOf, listTree, makeFiles, removeTempDirs, sha256, tempDir, waitForEvents } from './helpers.js';

// Resume after a killed sender, and skipping by type. Peer to peer, real processes.

afterEach(async () => {
  await stopAll();
});
afterAll(removeTempDirs);

const BIG = 1536 * 1024;

function receive(inbox: string, extra: string[] = []): Promise<{ program: RunningProgram; port: number }> {
  return startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox, ...extra]);
}

function sendArgs(port: number, files: string[], extra: string[] = []): string[] {
  return ['--peer', `127.0.0.1:${port}`, '--uin', String(SENDER.uin), '--json', ...extra, String(RECEIVER.uin), ...files];
}

/** Starts a paced send (--speed 1: 256 KiB/s) and SIGKILLs it once the receiver has some of the file. */
async function killMidFile(recv: RunningProgram, port: number, file: string): Promise<void> {
  const sender = start('icqsend', sendArgs(port, [file], ['--speed', '1']));
  await waitForEvents(recv, (e) => e.event === 'progress' && (e.fileBytes as number) >= 256 * 1024);
  const exit = await sender.stop('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
}

/** The rerun: it must send only what the partial lacks and the 64 KiB overlap that verifies it, and end with the whole file. */
async function expectResumed(sender: RunningProgram, recv: RunningProgram, data: Buffer, kept: number, target: string): Promise<void> {
  const partSize = Math.max(0, kept - 64 * 1024);
  for (const program of [sender, recv]) {
    expect(eventsOf(program.events(), 'file-start')).toEqual([expect.objectContaining({ name: 'big.bin', size: BIG, offset: partSize })]);
    expect(eventsOf(program.events(), 'file-done')).toEqual([
      expect.objectContaining({ name: 'big.bin', bytes: BIG, sha256: sha256(data), skipped: false }),
    ]);
    expect(eventsOf(program.events(), 'done').at(-1)).toMatchObject({ files: 1, bytes: BIG, transferred: BIG - partSize });
  }
  expect(sha256(await readFile(target))).toBe(sha256(data));
}

describe('resume', () => {
  it('keeps NAME.part when the sender is killed mid-file, and a rerun sends only the missing bytes', async () => {
    const work = await tempDir('resume');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'big.bin': BIG });
    const data = files.get('big.bin')!;
    const file = path.join(out, 'big.bin');
    const inbox = path.join(work, 'in');

    const first = await receive(inbox, ['--once']);
    await killMidFile(first.program, first.port, file);
    expect((await first.program.exited).code, first.program.stderr()).toBe(6);
    expect(eventsOf(first.program.events(), 'error').at(-1)).toMatchObject({ code: 'ICQ_ERR_TRANSFER_BROKEN', peer: SENDER.uin });
    expect(await listTree(inbox)).toEqual(['.big.bin.part']);
    const partSize = (await stat(path.join(inbox, '.big.bin.part'))).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(BIG);
    // What is kept is exactly the start of the file.
    expect((await readFile(path.join(inbox, '.big.bin.part'))).equals(data.subarray(0, partSize))).toBe(true);

    const second = await receive(inbox, ['--once']);
    const { exit, program: sender } = await runIcqsend(sendArgs(second.port, [file]));
    expect(exit.code, sender.stderr()).toBe(0);
    expect((await second.program.exited).code, second.program.stderr()).toBe(0);
    await expectResumed(sender, second.program, data, partSize, path.join(inbox, 'big.bin'));
    expect(await listTree(inbox)).toEqual(['big.bin']);
  });

  it('resumes into a receiver that stayed up after the broken transfer', async () => {
    const work = await tempDir('resume-up');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'big.bin': BIG });
    const data = files.get('big.bin')!;
    const file = path.join(out, 'big.bin');
    const inbox = path.join(work, 'in');

    const recv = await receive(inbox);
    await killMidFile(recv.program, recv.port, file);
    await waitForEvents(recv.program, (e) => e.event === 'error');
    const partSize = (await stat(path.join(inbox, '.big.bin.part'))).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(BIG);

    const before = recv.program.events().length;
    const { exit, program: sender } = await runIcqsend(sendArgs(recv.port, [file]));
    expect(exit.code, sender.stderr()).toBe(0);
    await waitForEvents(recv.program, (e) => e.event === 'done');
    const rerun = { events: () => recv.program.events().slice(before) } as RunningProgram;
    await expectResumed(sender, rerun, data, partSize, path.join(inbox, 'big.bin'));
    expect(await listTree(inbox)).toEqual(['big.bin']);
  });
});

describe('Ctrl-C mid-file', () => {
  it('exits 130 on the interrupted side and 6 on the other, keeping the .part either way', async () => {
    const work = await tempDir('sigint');
    const out = path.join(work, 'out');
    await makeFiles(out, { 'big.bin': BIG });
    const file = path.join(out, 'big.bin');

    // Both cases at once: SIGINT to the sender in one pair, to the receiver in the other.
    await Promise.all(
      (['sender', 'receiver'] as const).map(async (interrupted) => {
        const inbox = path.join(work, `in-${interrupted}`);
        const recv = await receive(inbox, ['--once']);
        const sender = start('icqsend', sendArgs(recv.port, [file], ['--speed', '1']));
        await waitForEvents(recv.program, (e) => e.event === 'progress' && (e.fileBytes as number) >= 256 * 1024);
        const [victim, other] = interrupted === 'sender' ? [sender, recv.program] : [recv.program, sender];
        victim.kill('SIGINT');
        expect((await victim.exited).code, victim.stderr()).toBe(130);
        expect((await other.exited).code, other.stderr()).toBe(6);
        expect(eventsOf(victim.events(), 'error').map((e) => e.code)).toContain('ICQ_ERR_INTERRUPTED');
        // An interrupted receiver resets the connection, so its sender knows nothing was stored.
        const expected = interrupted === 'receiver' ? 'ICQ_ERR_NOT_DELIVERED' : 'ICQ_ERR_TRANSFER_BROKEN';
        expect(eventsOf(other.events(), 'error').at(-1)).toMatchObject({ code: expected });
        expect(await listTree(inbox)).toEqual(['.big.bin.part']);
        expect((await stat(path.join(inbox, '.big.bin.part'))).size).toBeGreaterThan(0);
      }),
    );
  });
});

describe('--accept-type', () => {
  it('skips files of other types (offset = size, nothing written) and receives the rest', async () => {
    const work = await tempDir('types');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'notes.txt': 'not an image\n', 'pic.png': 5000, 'more/photo.jpg': 2049, 'more/data.json': '{}' });
    const inbox = path.join(work, 'in');
    const recv = await receive(inbox, ['--once', '--accept-type', 'image/*']);

    const { exit, program: sender } = await runIcqsend(sendArgs(recv.port, [path.join(out, 'notes.txt'), path.join(out, 'pic.png'), path.join(out, 'more')]));
    expect(exit.code, sender.stderr()).toBe(0);
    expect((await recv.program.exited).code, recv.program.stderr()).toBe(0);

    expect(await listTree(inbox)).toEqual(['more/', 'more/photo.jpg', 'pic.png']);
    expect(sha256(await readFile(path.join(inbox, 'pic.png')))).toBe(sha256(files.get('pic.png')!));
    expect(sha256(await readFile(path.join(inbox, 'more', 'photo.jpg')))).toBe(sha256(files.get('more/photo.jpg')!));

    const wanted = 5000 + 2049;
    const total = [...files.values()].reduce((n, d) => n + d.length, 0);
    for (const program of [sender, recv.program]) {
      const done = new Map(eventsOf(program.events(), 'file-done').map((e) => [e.name, e]));
      expect(done.get('notes.txt')).toMatchObject({ skipped: true, bytes: 13, type: 'text/plain' });
      expect(done.get('more/data.json')).toMatchObject({ skipped: true, type: 'application/json' });
      expect(done.get('pic.png')).toMatchObject({ skipped: false, sha256: sha256(files.get('pic.png')!), type: 'image/png' });
      expect(done.get('more/photo.jpg')).toMatchObject({ skipped: false, type: 'image/jpeg' });
      const skippedStart = eventsOf(program.events(), 'file-start').find((e) => e.name === 'notes.txt');
      expect(skippedStart).toMatchObject({ size: 13, offset: 13 });
      expect(eventsOf(program.events(), 'done').at(-1)).toMatchObject({ files: 4, bytes: total, transferred: wanted, skipped: 2 });
    }
  });
});
