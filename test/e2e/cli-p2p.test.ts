import { afterEach, beforeAll, describe, it, expect } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIcqsend, startIcqrecv, stopAll } from '../../scripts/processes.js';

// Real icqrecv and icqsend processes (from dist/: `npm run build` first), peer to peer on
// 127.0.0.1, as a script would run them.

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'icqxfer-e2e-cli-'));
  return () => rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await stopAll();
});

async function fresh(name: string): Promise<{ outbox: string; inbox: string }> {
  const outbox = join(work, name, 'outbox');
  const inbox = join(work, name, 'inbox');
  await mkdir(outbox, { recursive: true });
  return { outbox, inbox };
}

describe('icqsend --peer → icqrecv --listen (peer to peer)', () => {
  it('moves a file; both exit 0 and report the sha256 of the source', async () => {
    const { outbox, inbox } = await fresh('one');
    const data = randomBytes(300_000 + 17);
    const file = join(outbox, 'data.bin');
    await writeFile(file, data);

    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);
    const { exit, program: send } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--json', '1002', file]);
    const recvExit = await recv.program.exited;

    expect(exit.code, send.stderr()).toBe(0);
    expect(recvExit.code, recv.program.stderr()).toBe(0);

    const received = await readFile(join(inbox, 'data.bin'));
    expect(sha256(received)).toBe(sha256(data));
    for (const events of [send.events(), recv.program.events()]) {
      const done = events.filter((e) => e.event === 'file-done');
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({ name: 'data.bin', bytes: data.length, sha256: sha256(data), skipped: false });
      expect(events.at(-1)).toMatchObject({ event: 'done', files: 1, bytes: data.length });
    }
    expect(recv.program.events()[0]).toMatchObject({ event: 'online', host: '127.0.0.1', port: recv.port });
    // --json keeps stdout to JSON lines only.
    for (const out of [send.stdout(), recv.program.stdout()]) {
      for (const line of out.split('\n').filter((l) => l !== '')) expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  it('prints "listening tcp://HOST:PORT" without --json, and sends a directory under its own name', async () => {
    const { outbox, inbox } = await fresh('dir');
    const a = Buffer.from('first\n');
    const b = randomBytes(5000);
    await mkdir(join(outbox, 'photos', 'deeper'), { recursive: true });
    await writeFile(join(outbox, 'photos', 'a.txt'), a);
    await writeFile(join(outbox, 'photos', 'deeper', 'b.bin'), b);

    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--dir', inbox]);
    expect(recv.program.stdout()).toBe(`listening tcp://127.0.0.1:${recv.port}\n`);
    const { exit, program: send } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '1002', join(outbox, 'photos')]);
    const recvExit = await recv.program.exited;

    expect(exit.code, send.stderr()).toBe(0);
    expect(recvExit.code, recv.program.stderr()).toBe(0);
    expect(send.stdout()).toBe('');
    expect(recv.program.stdout()).toBe(`listening tcp://127.0.0.1:${recv.port}\n`);
    expect(await readFile(join(inbox, 'photos', 'a.txt'))).toEqual(a);
    expect(await readFile(join(inbox, 'photos', 'deeper', 'b.bin'))).toEqual(b);
    expect(send.stderr()).toMatch(/icqsend: 2 files \(.*\) to 1002/);
    expect(recv.program.stderr()).toMatch(/icqrecv: 2 files \(.*\) from \d+ → /);
  });

  it('refuses without --accept and without a terminal: both exit 5', async () => {
    const { outbox, inbox } = await fresh('refuse');
    const file = join(outbox, 'x.txt');
    await writeFile(file, 'x');

    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--once', '--dir', inbox]);
    const { exit, program: send } = await runIcqsend(['--peer', `127.0.0.1:${recv.port}`, '--uin', '1001', '1002', file]);
    const recvExit = await recv.program.exited;

    expect(exit.code, send.stderr()).toBe(5);
    expect(recvExit.code, recv.program.stderr()).toBe(5);
    expect(send.stderr()).toContain('not accepting files (icqrecv runs without --accept)');
    expect(send.stderr()).toContain('[ICQ_ERR_REFUSED]');
    expect(recv.program.stderr()).toContain('add --accept');
  });

  it('exits 130 on SIGINT and 2 on a usage error', async () => {
    const { inbox } = await fresh('signal');
    const recv = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--dir', inbox]);
    expect((await recv.program.stop('SIGINT')).code).toBe(130);

    const { exit, program } = await runIcqsend(['--peer', '127.0.0.1:1', '--speed', '400', '1002', 'x']);
    expect(exit.code).toBe(2);
    expect(program.stderr()).toContain('--speed');
  });
});
