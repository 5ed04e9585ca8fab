import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIcqsend, startIcqd, startIcqrecv, stopAll, type RunningProgram } from '../../scripts/processes.js';
import { encodeFilePacket } from '../../src/wire/file.js';
import {
  PeerCommand,
  PeerStatus,
  cancelFor,
  decodePeerMessage,
  encodePeerMessage,
  textMessage,
} from '../../src/wire/peer.js';
import {
  ScriptedPeer,
  closed,
  connect,
  destroySockets,
  framed,
  initBody,
  openFilePort,
  rawPeer,
  request,
  requestMessage,
  sha256,
  transferWorks,
} from '../helpers/e2e-peer.js';
import { TestClient } from '../server/udp-client.js';

// Every limit against hostile peers, through the real icqrecv and icqsend (`npm run build`
// first), each set by its command-line option: the limit holds, and it costs only the
// connection or request that broke it.

let work: string;
let cases = 0;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'icqxfer-e2e-limits-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));
afterEach(async () => {
  destroySockets();
  await stopAll();
});

interface Receiver {
  program: RunningProgram;
  port: number;
  inbox: string;
  outbox: string;
}

/** icqrecv --accept --json on 127.0.0.1, peer to peer, with extra options. */
async function receiver(args: string[]): Promise<Receiver> {
  const dir = path.join(work, `case-${++cases}`);
  const inbox = path.join(dir, 'inbox');
  const outbox = path.join(dir, 'outbox');
  await mkdir(outbox, { recursive: true });
  const { program, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox, ...args]);
  return { program, port, inbox, outbox };
}

const ME = { uin: 1001, ip: '127.0.0.1', port: 0 };
let seq = 0xffff_fff0;

/** A text message on a message connection, answered by its ACK: the connection is served. */
async function served(peer: ScriptedPeer): Promise<boolean> {
  const s = seq--;
  peer.send(encodePeerMessage(textMessage(ME, 'still there?', s)));
  try {
    for (;;) {
      const m = decodePeerMessage(await peer.next());
      if (m.command === PeerCommand.ACK && m.seq === s) return true;
    }
  } catch {
    return false;
  }
}

/** A new message connection with its init, once the receiver serves it. */
async function talkingPeer(port: number, uin = 1001, localAddress?: string): Promise<ScriptedPeer> {
  const peer = await rawPeer(port, localAddress);
  peer.send(initBody(uin));
  expect(await served(peer)).toBe(true);
  return peer;
}

/** Whether a new connection from 127.0.0.1 gets served now. */
async function canTalk(port: number): Promise<boolean> {
  const peer = await rawPeer(port);
  peer.send(initBody(1001));
  const ok = await served(peer);
  peer.socket.destroy();
  return ok;
}

/** Retries a check that depends on the receiver having noticed a close (no fixed sleeps). */
async function eventually(check: () => Promise<boolean>, tries = 50): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

const isLinux = process.platform === 'linux';

describe('connections per listener and per address', () => {
  it('200 silent connections to the message port do not stop a real transfer (default limits)', async () => {
    const r = await receiver([]);
    const crowd = await Promise.all(Array.from({ length: 200 }, () => connect(r.port)));
    let dropped = 0;
    for (const s of crowd) s.once('close', () => dropped++);

    await transferWorks({ args: ['--peer', `127.0.0.1:${r.port}`], outbox: r.outbox, inbox: r.inbox, receiver: r.program, name: 'crowd.bin' });
    // All came from 127.0.0.1, whose limit is 8: the listener kept no more than that.
    expect(await eventually(async () => dropped >= 200 - 8)).toBe(true);
    expect(r.program.child.exitCode).toBeNull();
  });

  it('200 idle connections from 127.0.0.1, half after an init, and a real sender from 127.0.0.1 still gets through', async () => {
    const r = await receiver([]);
    // One after another; every other one sends its init and a message, and waits until it is
    // served (so it has truly been handed over), then says nothing more; the rest send nothing.
    let dropped = 0;
    for (let i = 0; i < 200; i++) {
      const peer = await rawPeer(r.port);
      peer.socket.once('close', () => dropped++);
      if (i % 2 === 0) {
        peer.send(initBody(1001));
        await served(peer);
      }
    }

    await transferWorks({ args: ['--peer', `127.0.0.1:${r.port}`], outbox: r.outbox, inbox: r.inbox, receiver: r.program, name: 'idle-crowd.bin' });
    expect(await eventually(async () => dropped >= 200 - 8)).toBe(true);
    // The receiver said why, as warnings (a few, not one per drop).
    const warnings = r.program.events().filter((e) => e.event === 'warning');
    expect(warnings.some((e) => /dropped a connection from 127\.0\.0\.1 that (sent no init|was idle) for [\d.]+ s, to make room/.test(String(e.message)))).toBe(true);
    expect(warnings.length).toBeLessThanOrEqual(11);
    expect(r.program.child.exitCode).toBeNull();
  });

  it('at --max-connections-per-address the connection idle longest makes room, init or not; one with a request waiting never does', async () => {
    const r = await receiver(['--max-connections-per-address', '2']);
    const first = await talkingPeer(r.port);
    const second = await talkingPeer(r.port);
    // Both sent an init and are idle: the one idle longest (first) makes room.
    const third = await talkingPeer(r.port);
    await closed(first.socket);
    expect(await served(second)).toBe(true);
    expect(await served(third)).toBe(true);
    // Two connections whose request was accepted (waiting for the file connection) are busy:
    // they push out the idle ones, and then nothing pushes them out.
    const busy1 = await openFilePort(r.port, { uin: 1001, name: 'a.bin', size: 10, seq: seq-- });
    const busy2 = await openFilePort(r.port, { uin: 1001, name: 'b.bin', size: 10, seq: seq-- });
    await closed(second.socket);
    await closed(third.socket);
    const refused = await connect(r.port);
    await closed(refused);
    expect(busy1.messages.socket.destroyed).toBe(false);
    expect(busy2.messages.socket.destroyed).toBe(false);
    expect(await served(busy1.messages)).toBe(true);
    await r.program.waitForLine(/"event":"warning".*refused a connection from 127\.0\.0\.1: connection limit reached and every connection is busy/);
    if (isLinux) {
      // Another address still gets in (Linux answers on all of 127.0.0.0/8).
      await talkingPeer(r.port, 1003, '127.0.0.2');
    }
    busy1.messages.socket.destroy();
    expect(await eventually(() => canTalk(r.port))).toBe(true);
  });

  it('past --max-connections the idle one makes room, whatever its address; with every one busy the next is closed', async () => {
    const r = await receiver(['--max-connections', '2']);
    const idle = await talkingPeer(r.port, 1003, isLinux ? '127.0.0.2' : undefined);
    const busy = await openFilePort(r.port, { uin: 1001, name: 'a.bin', size: 10, seq: seq-- });
    const next = await talkingPeer(r.port, 1004, isLinux ? '127.0.0.3' : undefined);
    await closed(idle.socket);
    expect(await served(busy.messages)).toBe(true);
    const busy2 = await openFilePort(r.port, { uin: 1001, name: 'b.bin', size: 10, seq: seq-- });
    await closed(next.socket);
    const refused = await connect(r.port, isLinux ? '127.0.0.4' : undefined);
    await closed(refused);
    expect(await served(busy.messages)).toBe(true);
    expect(await served(busy2.messages)).toBe(true);
  });

  it('a silent connection makes room for one that talks, at the limit', async () => {
    const r = await receiver(['--max-connections', '2']);
    const silent = await connect(r.port);
    const alsoSilent = await connect(r.port);
    const talker = await talkingPeer(r.port);
    expect(await served(talker)).toBe(true);
    // The oldest silent one went.
    await closed(silent);
    expect(alsoSilent.destroyed).toBe(false);
  });

  it('a sender dropped at the limit hears it with the address and exit 4 (PEER_UNREACHABLE), and the receiver logs it', async () => {
    const r = await receiver(['--max-connections-per-address', '1']);
    const busy = await openFilePort(r.port, { uin: 1001, name: 'a.bin', size: 10, seq: seq-- });
    const file = path.join(r.outbox, 'limited.bin');
    await writeFile(file, randomBytes(100));
    const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${r.port}`, '--json', '1002', file]);
    expect(exit.code, program.stderr()).toBe(4);
    const error = program.events().filter((e) => e.event === 'error').at(-1)!;
    expect(error.code).toBe('ICQ_ERR_PEER_UNREACHABLE');
    expect(String(error.message)).toMatch(new RegExp(`^1002 at 127\\.0\\.0\\.1:${r.port} closed the message connection before answering the file request \\(it may be at its connection limit`));
    expect(String(error.message)).not.toContain('?:?');
    await r.program.waitForLine(/"event":"warning".*refused a connection from 127\.0\.0\.1: connection limit reached/);
    expect(await served(busy.messages)).toBe(true);
  });
});

describe('--idle-timeout', () => {
  // A sender or receiver that stalls mid-transfer is in hostile-peer.test.ts; here, the
  // connections that never get that far.
  it('drops a silent connection to the message port (before and after its init) and to a file port', async () => {
    const r = await receiver(['--idle-timeout', '0.3']);
    const silent = await connect(r.port);
    const quietAfterInit = await rawPeer(r.port);
    quietAfterInit.send(initBody(1001));
    await closed(silent);
    await quietAfterInit.closedPromise;

    const { filePort } = await openFilePort(r.port, { uin: 1001, name: 'never.bin', size: 10, seq: seq-- });
    await closed(await connect(filePort));
    expect(r.program.child.exitCode).toBeNull();
    expect(await canTalk(r.port)).toBe(true);
  });
});

describe('--max-frame-size', () => {
  it('a frame over the limit closes that connection only', async () => {
    const r = await receiver(['--max-frame-size', '4096']);
    const good = await talkingPeer(r.port);
    const bad = await talkingPeer(r.port, 1003);
    bad.socket.write(framed(Buffer.alloc(5000, 0x41)));
    await bad.closedPromise;
    expect(await served(good)).toBe(true);
    // A real transfer (2049-byte data frames) is within the limit.
    await transferWorks({ args: ['--peer', `127.0.0.1:${r.port}`], outbox: r.outbox, inbox: r.inbox, receiver: r.program, name: 'framed.bin' });
  });

  it('the decoder never waits for the body of an oversized frame: its length alone is enough', async () => {
    const r = await receiver(['--max-frame-size', '4096']);
    const bad = await talkingPeer(r.port);
    // Only the 2-byte length of a 65535-byte frame, no body.
    bad.socket.write(Buffer.from('FFFF', 'hex'));
    await bad.closedPromise;
    expect(r.program.child.exitCode).toBeNull();
  });
});

describe('--max-pending', () => {
  it('refuses requests beyond the limit from one UIN or one address; a cancel makes room', async () => {
    const r = await receiver(['--max-pending', '2']);
    const peer = await talkingPeer(r.port);
    const spec = (name: string) => ({ uin: 1001, name, size: 10, seq: seq-- });
    const first = spec('one.bin');
    expect((await request(peer, first)).filePort).toBeGreaterThan(0);
    expect((await request(peer, spec('two.bin'))).filePort).toBeGreaterThan(0);
    const third = await request(peer, spec('three.bin'));
    expect(third.ack.status).toBe(PeerStatus.REFUSE);
    expect(third.ack.text).toMatch(/too many pending requests \(limit 2\)/);

    // A UIN is only a claim: another one from the same address counts as the same peer.
    const other = await talkingPeer(r.port, 1005);
    const fourth = await request(other, { ...spec('four.bin'), uin: 1005 });
    expect(fourth.ack.status).toBe(PeerStatus.REFUSE);

    // Cancelling one pending request (§3.6) frees its place.
    peer.send(encodePeerMessage(cancelFor(ME, requestMessage(first))));
    expect((await request(peer, spec('five.bin'))).filePort).toBeGreaterThan(0);
    const refused = r.program.events().filter((e) => e.event === 'refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ by: 'local', peer: 1001 });
  });
});

describe('--max-files', () => {
  it('refuses a request announcing more files, and fails a batch init that announces more than its request', async () => {
    const r = await receiver(['--max-files', '3']);
    const peer = await talkingPeer(r.port);
    const tooMany = await request(peer, { uin: 1001, name: '4 Files', size: 4, seq: seq-- });
    expect(tooMany.ack.status).toBe(PeerStatus.REFUSE);
    expect(tooMany.ack.text).toMatch(/too many files: 4 \(limit 3\)/);

    const { filePort } = await request(peer, { uin: 1001, name: '2 Files', size: 2, seq: seq-- });
    const file = await rawPeer(filePort);
    file.send(initBody(1001, filePort), encodeFilePacket({ kind: 'batch-init', count: 5, total: 2, speed: 100, nick: 'x' }));
    await file.closedPromise;
    await r.program.waitForLine(/"event":"error".*"code":"ICQ_ERR_PROTOCOL".*more than the limit of 3/);
    expect(r.program.child.exitCode).toBeNull();
  });

  it('icqsend --max-files stops before sending anything', async () => {
    const r = await receiver([]);
    const files = await Promise.all(
      ['a', 'b', 'c'].map(async (n) => {
        const f = path.join(r.outbox, `${n}.txt`);
        await writeFile(f, n);
        return f;
      }),
    );
    const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${r.port}`, '--max-files', '2', '1002', ...files]);
    // Our own limit on what we send is a usage error (2), not the peer's fault (7).
    expect(exit.code).toBe(2);
    expect(program.stderr()).toContain('more than 2 files to send (--max-files) [ICQ_ERR_USAGE]');
    expect(r.program.events().filter((e) => e.event === 'request')).toEqual([]);
  });
});

describe('--max-name-length', () => {
  it('shortens received file and sub-directory names, keeping the extension', async () => {
    const r = await receiver(['--max-name-length', '20']);
    const longDir = path.join(r.outbox, 'a-directory-with-a-long-name');
    await mkdir(longDir);
    const data = randomBytes(3000);
    await writeFile(path.join(longDir, 'a-file-with-a-rather-long-name.txt'), data);
    const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${r.port}`, '1002', longDir]);
    expect(exit.code, program.stderr()).toBe(0);
    const done = await r.program.waitForLine(/"event":"file-done"/);
    const received = (JSON.parse(done.input!) as { path: string }).path;
    const [dirName, fileName] = path.relative(r.inbox, received).split(path.sep);
    expect(Buffer.byteLength(dirName!)).toBeLessThanOrEqual(20);
    expect(Buffer.byteLength(fileName!)).toBeLessThanOrEqual(20);
    expect(dirName).toMatch(/^a-directory/);
    expect(fileName).toMatch(/^a-file.*\.txt$/);
    expect(sha256(await readFile(received))).toBe(sha256(data));
    expect((await stat(received)).size).toBe(data.length);
  });
});

describe('reverse-connect requests relayed by the server', () => {
  it('open no more message connections per requester than --max-connections-per-address', async () => {
    const { address, port: serverPort } = await startIcqd(['--no-db', '--add-user', '1001:pw1', '--add-user', '1002:pw2', '--add-user', '1003:pw3', '--quiet']);
    const r = await receiver(['--server', address, '--uin', '1002', '--password', 'pw2', '--max-connections-per-address', '3']);
    const server = { host: '127.0.0.1', port: serverPort };
    const clients = await Promise.all([TestClient.open(1001, server), TestClient.open(1003, server)]);
    const listeners: net.Server[] = [];
    try {
      await clients[0]!.login('pw1');
      await clients[1]!.login('pw3');
      // Where the requests ask icqrecv to connect: connections are kept open there.
      const arrived = [0, 0];
      const ports = await Promise.all(
        [0, 1].map(async (i) => {
          const l = net.createServer(() => arrived[i]!++);
          listeners.push(l);
          await new Promise<void>((resolve) => l.listen(0, '127.0.0.1', resolve));
          return (l.address() as net.AddressInfo).port;
        }),
      );
      const ask = (client: TestClient, port: number): number =>
        client.send({ kind: 'tcp-request', target: 1002, ip: '127.0.0.1', port, tcpFlag: 4, otherPort: r.port, port2: port, tcpVersion: 2 });
      for (let i = 0; i < 10; i++) ask(clients[0]!, ports[0]!);
      // Relayed and handled in order: once the other requester's connection is in, the ten are behind it.
      ask(clients[1]!, ports[1]!);
      expect(await eventually(async () => arrived[1] === 1)).toBe(true);
      expect(await eventually(async () => arrived[0] === 3)).toBe(true);
      // One more round trip through the server, so no connection to the first port is still on its way.
      ask(clients[1]!, ports[1]!);
      expect(await eventually(async () => arrived[1] === 2)).toBe(true);
      expect(arrived[0]).toBe(3);
      expect(r.program.child.exitCode).toBeNull();
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      for (const l of listeners) l.close();
    }
  });
});
