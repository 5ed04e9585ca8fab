import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { runIcqsend, start, startIcqd, startIcqrecv, stopAll, type RunningProgram } from '../../scripts/processes.js';
import { RECEIVER, SENDER, eventsOf, listTree, login, makeFiles, removeTempDirs, sha256, startServer, tempDir, waitForEvents, waitUntil } from './helpers.js';

// Real icqd, icqrecv and icqsend processes on 127.0.0.1 (from dist/: `npm run build` first).

afterEach(async () => {
  await stopAll();
});
afterAll(removeTempDirs);

/** icqrecv 1002 online through the server, accepting into inbox; --json --once. */
async function receiver(server: string, inbox: string, extra: string[] = []): Promise<RunningProgram> {
  const { program } = await startIcqrecv([
    ...login(server, RECEIVER),
    '--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox, ...extra,
  ]);
  return program;
}

async function send(server: string, paths: string[], extra: string[] = []): Promise<RunningProgram> {
  const { exit, program } = await runIcqsend([...login(server, SENDER), '--json', ...extra, String(RECEIVER.uin), ...paths]);
  expect(exit.code, program.stderr()).toBe(0);
  return program;
}

/**
 * Both sides report every file with the source's sha256 (and the receiver's files on disk
 * have it too); both end with a `done` that counts them all.
 */
async function expectDelivered(
  files: Map<string, Buffer>,
  inbox: string,
  sender: RunningProgram,
  recv: RunningProgram,
  arrivesAs: (rel: string) => string = (rel) => rel,
): Promise<void> {
  const recvExit = await recv.exited;
  expect(recvExit.code, recv.stderr()).toBe(0);
  const total = [...files.values()].reduce((n, d) => n + d.length, 0);
  for (const program of [sender, recv]) {
    const done = eventsOf(program.events(), 'file-done');
    expect(done).toHaveLength(files.size);
    const byName = new Map(done.map((e) => [e.name as string, e]));
    for (const [rel, data] of files) {
      expect(byName.get(arrivesAs(rel)), `file-done for ${arrivesAs(rel)}`).toMatchObject({
        bytes: data.length,
        sha256: sha256(data),
        skipped: false,
      });
    }
    expect(program.events().at(-1)).toMatchObject({ event: 'done', peer: program === sender ? RECEIVER.uin : SENDER.uin, files: files.size, bytes: total, transferred: total, skipped: 0 });
  }
  for (const [rel, data] of files) {
    const onDisk = path.join(inbox, ...arrivesAs(rel).split('/'));
    expect(sha256(await readFile(onDisk)), onDisk).toBe(sha256(data));
  }
  for (const e of eventsOf(recv.events(), 'file-done')) {
    expect(path.isAbsolute(e.path as string)).toBe(true);
    expect(sha256(await readFile(e.path as string))).toBe(e.sha256);
  }
  // Nothing left behind half-written.
  expect((await listTree(inbox)).filter((p) => p.endsWith('.part'))).toEqual([]);
  // --json: stdout holds JSON events and nothing else.
  for (const program of [sender, recv]) {
    for (const line of program.stdout().split('\n').filter((l) => l !== '')) {
      expect(JSON.parse(line) as unknown, line).toHaveProperty('event');
    }
  }
}

/** The reverse-connect cases advertise port 1: they prove something only if nothing listens there. */
async function expectPortClosed(port: number): Promise<void> {
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
  expect(refused, `something listens on 127.0.0.1:${port}`).toBe(true);
}

describe('through icqd (server mode)', () => {
  it('sends one file', async () => {
    const work = await tempDir('one');
    const files = await makeFiles(path.join(work, 'out'), { 'report.pdf': 70_001 });
    const inbox = path.join(work, 'in');
    const server = await startServer();
    const recv = await receiver(server, inbox);

    const sender = await send(server, [path.join(work, 'out', 'report.pdf')], ['--message', 'the report']);
    await expectDelivered(files, inbox, sender, recv);

    expect(eventsOf(recv.events(), 'request')).toEqual([
      { event: 'request', peer: SENDER.uin, name: 'report.pdf', files: 1, bytes: 70_001, description: 'the report' },
    ]);
    expect(eventsOf(recv.events(), 'file-start')[0]).toMatchObject({ name: 'report.pdf', size: 70_001, offset: 0, type: 'application/pdf', index: 1, files: 1 });
    expect(eventsOf(sender.events(), 'accepted')).toHaveLength(1);
  });

  it('sends a batch of 20 files around the 2048-byte chunk size as one "20 Files" request', async () => {
    const work = await tempDir('batch');
    const sizes = [0, 1, 2, 7, 1000, 2047, 2048, 2049, 4095, 4096, 4097, 6143, 6144, 6145, 30_000, 65_535, 65_536, 65_537, 131_077, 1024 * 1024];
    const spec: Record<string, number> = {};
    sizes.forEach((size, i) => (spec[`f${String(i).padStart(2, '0')}-${size}.bin`] = size));
    const out = path.join(work, 'out');
    const files = await makeFiles(out, spec);
    const inbox = path.join(work, 'in');
    const server = await startServer();
    const recv = await receiver(server, inbox);

    const sender = await send(server, Object.keys(spec).map((n) => path.join(out, n)));
    await expectDelivered(files, inbox, sender, recv);

    const total = sizes.reduce((a, b) => a + b, 0);
    expect(eventsOf(recv.events(), 'request')).toEqual([
      { event: 'request', peer: SENDER.uin, name: '20 Files', files: 20, bytes: total, description: '' },
    ]);
    expect(eventsOf(recv.events(), 'file-start').map((e) => e.index)).toEqual(sizes.map((_, i) => i + 1));
    // The empty file exists, empty.
    expect((await stat(path.join(inbox, 'f00-0.bin'))).size).toBe(0);
  });

  it('sends a nested directory under its own name (dir/ arrives as DIR/dir/...)', async () => {
    const work = await tempDir('tree');
    const out = path.join(work, 'out');
    const files = await makeFiles(path.join(out, 'photos'), {
      'a.txt': 'first\n',
      'b.png': 3000,
      'sub/c.bin': 2048,
      'sub/deeper/d.bin': 9000,
      'sub/deeper/empty.dat': Buffer.alloc(0),
      'z/e.txt': 'last\n',
    });
    const inbox = path.join(work, 'in');
    const server = await startServer();
    const recv = await receiver(server, inbox);

    const sender = await send(server, [`${path.join(out, 'photos')}/`]);
    await expectDelivered(files, inbox, sender, recv, (rel) => `photos/${rel}`);
    expect(await listTree(inbox)).toEqual([
      'photos/',
      'photos/a.txt',
      'photos/b.png',
      'photos/sub/',
      'photos/sub/c.bin',
      'photos/sub/deeper/',
      'photos/sub/deeper/d.bin',
      'photos/sub/deeper/empty.dat',
      'photos/z/',
      'photos/z/e.txt',
    ]);
  });

  it('reverse-connects the message connection when the advertised message port is closed (--advertise-port 1)', async () => {
    const work = await tempDir('rev-msg');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'one.bin': 50_000, 'two.txt': 'two\n' });
    const inbox = path.join(work, 'in');
    const server = await startServer();
    await expectPortClosed(1);
    const recv = await receiver(server, inbox, ['--advertise-port', '1']);

    const sender = await send(server, [path.join(out, 'one.bin'), path.join(out, 'two.txt')], ['--connect-timeout', '2']);
    await expectDelivered(files, inbox, sender, recv);
  });

  it('reverse-connects the file connection when the ACK names a closed file port (--advertise-file-port 1)', async () => {
    const work = await tempDir('rev-file');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'one.bin': 50_000, 'dir/two.txt': 'two\n' });
    const inbox = path.join(work, 'in');
    const server = await startServer();
    await expectPortClosed(1);
    const recv = await receiver(server, inbox, ['--advertise-file-port', '1']);

    const sender = await send(server, [path.join(out, 'one.bin'), path.join(out, 'dir')], ['--connect-timeout', '2']);
    await expectDelivered(files, inbox, sender, recv);
    // The ACK named port 1; the sender was told so, and still got the files across.
    expect(eventsOf(sender.events(), 'accepted')).toEqual([{ event: 'accepted', peer: RECEIVER.uin, port: 1 }]);
  });

  it('reverse-connects both connections at once', async () => {
    const work = await tempDir('rev-both');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'x.bin': 20_000 });
    const inbox = path.join(work, 'in');
    const server = await startServer();
    await expectPortClosed(1);
    const recv = await receiver(server, inbox, ['--advertise-port', '1', '--advertise-file-port', '1']);

    const sender = await send(server, [path.join(out, 'x.bin')], ['--connect-timeout', '2']);
    await expectDelivered(files, inbox, sender, recv);
  });

  it('logs in with --auto-register accounts', async () => {
    const work = await tempDir('auto');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'hello.txt': 'hello\n' });
    const inbox = path.join(work, 'in');
    const { address } = await startIcqd(['--no-db', '--auto-register']);
    const recv = await receiver(address, inbox);

    const sender = await send(address, [path.join(out, 'hello.txt')]);
    await expectDelivered(files, inbox, sender, recv);
  });

  it('sends the transfers of a --batch file after one login', async () => {
    const work = await tempDir('batch-file');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'one.txt': 'one\n', 'two words.bin': 3000, 'tree/three.txt': 'three\n' });
    const jobs = path.join(work, 'jobs.txt');
    await writeFile(jobs, `# two transfers to the same receiver\n1002 '${path.join(out, 'one.txt')}'\n1002 '${path.join(out, 'two words.bin')}' ${path.join(out, 'tree')}\n`);
    const inbox = path.join(work, 'in');
    const server = await startServer();
    const { program: recv } = await startIcqrecv([...login(server, RECEIVER), '--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);

    const { exit, program: sender } = await runIcqsend([...login(server, SENDER), '--json', '--batch', jobs]);
    expect(exit.code, sender.stderr()).toBe(0);
    expect(eventsOf(sender.events(), 'done').map((e) => e.files)).toEqual([1, 2]);
    expect((await waitForEvents(recv, (e) => e.event === 'done', 2)).map((e) => e.files)).toEqual([1, 2]);
    for (const [rel, data] of files) {
      expect(sha256(await readFile(path.join(inbox, ...rel.split('/'))))).toBe(sha256(data));
    }
  });

  it('waits with --wait for a receiver that comes online later', async () => {
    const work = await tempDir('wait');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'later.txt': 'worth the wait\n' });
    const inbox = path.join(work, 'in');
    const icqd = await startIcqd(['--no-db', '--add-user', `${SENDER.uin}:${SENDER.password}`, '--add-user', `${RECEIVER.uin}:${RECEIVER.password}`]);
    const sending = start('icqsend', [...login(icqd.address, SENDER), '--json', '--wait', '20', String(RECEIVER.uin), path.join(out, 'later.txt')]);
    // icqd logs each login on stderr: the receiver starts once the sender is in.
    await waitUntil(() => icqd.program.stderr().includes(`${SENDER.uin}: logged in`), () => `the sender never logged in: ${icqd.program.stderr()}`);
    expect(icqd.program.stderr()).not.toContain(`${RECEIVER.uin}: logged in`);
    const recv = await receiver(icqd.address, inbox);

    const code = (await sending.exited).code;
    expect(code, sending.stderr()).toBe(0);
    await expectDelivered(files, inbox, sending, recv);
  });

  it('receives from two senders at once, files of the same name side by side', async () => {
    const work = await tempDir('two-senders');
    const a = await makeFiles(path.join(work, 'a'), { 'same.bin': 700_000, 'only-a.txt': 'a\n' });
    const b = await makeFiles(path.join(work, 'b'), { 'same.bin': 600_000 });
    const inbox = path.join(work, 'in');
    const third = { uin: 1003, password: 'pw3' };
    const server = await startServer(['--add-user', `${third.uin}:${third.password}`]);
    const { program: recv } = await startIcqrecv([...login(server, RECEIVER), '--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);

    // Paced (4 × 256 KiB/s) so that the two transfers overlap.
    const [fromA, fromB] = await Promise.all([
      runIcqsend([...login(server, SENDER), '--json', '--speed', '4', String(RECEIVER.uin), path.join(work, 'a', 'same.bin'), path.join(work, 'a', 'only-a.txt')]),
      runIcqsend([...login(server, third), '--json', '--speed', '4', String(RECEIVER.uin), path.join(work, 'b', 'same.bin')]),
    ]);
    expect(fromA.exit.code, fromA.program.stderr()).toBe(0);
    expect(fromB.exit.code, fromB.program.stderr()).toBe(0);
    const done = await waitForEvents(recv, (e) => e.event === 'done', 2);
    expect(done.map((e) => e.peer).sort()).toEqual([SENDER.uin, third.uin]);

    expect(await listTree(inbox)).toEqual(['only-a.txt', 'same (1).bin', 'same.bin']);
    const byPeer = new Map<unknown, Array<Record<string, unknown>>>();
    for (const e of eventsOf(recv.events(), 'file-done')) byPeer.set(e.peer, [...(byPeer.get(e.peer) ?? []), e]);
    for (const [peer, files] of [[SENDER.uin, a], [third.uin, b]] as const) {
      const events = byPeer.get(peer)!;
      expect(events).toHaveLength(files.size);
      for (const e of events) {
        const source = files.get(e.name === 'only-a.txt' ? 'only-a.txt' : 'same.bin')!;
        expect(e.sha256).toBe(sha256(source));
        expect(sha256(await readFile(e.path as string))).toBe(sha256(source));
      }
    }
  });
});

describe('peer to peer (no icqd)', () => {
  it('sends files and directories mixed in one request, with the description', async () => {
    const work = await tempDir('p2p-mixed');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'a.txt': 'a', 'docs/b.txt': 'bb', 'docs/more/c.bin': 4097 });
    const inbox = path.join(work, 'in');
    const { program: recv, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);

    const { exit, program: sender } = await runIcqsend([
      '--peer', `127.0.0.1:${port}`, '--uin', String(SENDER.uin), '--json', '--message', 'mixed',
      String(RECEIVER.uin), path.join(out, 'a.txt'), path.join(out, 'docs'),
    ]);
    expect(exit.code, sender.stderr()).toBe(0);
    await expectDelivered(files, inbox, sender, recv);
    expect(eventsOf(recv.events(), 'request')[0]).toMatchObject({ name: '3 Files', files: 3, description: 'mixed' });
  });

  it('gives a second copy of a finished file a new name (--on-exists resume), and overwrites with --on-exists overwrite', async () => {
    const work = await tempDir('p2p-exists');
    const out = path.join(work, 'out');
    await makeFiles(out, { 'same.txt': 'version 1\n' });
    const inbox = path.join(work, 'in');
    await makeFiles(inbox, { 'same.txt': 'already here\n' });

    const { program: recv, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox]);
    const peer = ['--peer', `127.0.0.1:${port}`, '--uin', String(SENDER.uin), String(RECEIVER.uin), path.join(out, 'same.txt')];
    expect((await runIcqsend(peer)).exit.code).toBe(0);
    await recv.stop();
    expect(await readFile(path.join(inbox, 'same.txt'), 'utf8')).toBe('already here\n');
    expect(await readFile(path.join(inbox, 'same (1).txt'), 'utf8')).toBe('version 1\n');
    expect(eventsOf(recv.events(), 'file-done')[0]).toMatchObject({ name: 'same (1).txt', path: path.join(inbox, 'same (1).txt') });

    const { program: recv2, port: port2 } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--on-exists', 'overwrite', '--dir', inbox]);
    peer[1] = `127.0.0.1:${port2}`;
    expect((await runIcqsend(peer)).exit.code).toBe(0);
    expect((await recv2.exited).code).toBe(0);
    expect(await readFile(path.join(inbox, 'same.txt'), 'utf8')).toBe('version 1\n');
    expect(await listTree(inbox)).toEqual(['same (1).txt', 'same.txt']);
  });

  it('keeps names outside ASCII: latin1 as it is, the rest as UTF-8', async () => {
    const work = await tempDir('p2p-names');
    const out = path.join(work, 'out');
    const files = await makeFiles(out, { 'résumé.txt': 'latin1\n', 'Фото 写真/日本語.txt': 'utf-8\n' });
    const inbox = path.join(work, 'in');
    const { program: recv, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--once', '--json', '--dir', inbox]);

    const { exit, program: sender } = await runIcqsend([
      '--peer', `127.0.0.1:${port}`, '--uin', String(SENDER.uin), '--json', '--message', 'Grüße, 写真',
      String(RECEIVER.uin), path.join(out, 'résumé.txt'), path.join(out, 'Фото 写真'),
    ]);
    expect(exit.code, sender.stderr()).toBe(0);
    await expectDelivered(files, inbox, sender, recv);
    expect(eventsOf(recv.events(), 'request')[0]).toMatchObject({ description: 'Grüße, 写真' });
    expect(await listTree(inbox)).toEqual(['résumé.txt', 'Фото 写真/', 'Фото 写真/日本語.txt']);
  });
});
