import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIcqsend, start, startIcqrecv, stopAll, type RunningProgram } from '../../scripts/processes.js';
import { encodeFilePacket, type FilePacket } from '../../src/wire/file.js';
import {
  PeerMessageType,
  PeerStatus,
  ackFor,
  cancelFor,
  decodePeerMessage,
  encodePeerMessage,
  fileRefuse,
  textMessage,
  type PeerMessage,
} from '../../src/wire/peer.js';
import {
  UdpCommand,
  encodeClientPacket,
  loginPacket,
  logoutPacket,
  tcpRequestPacket,
  type ClientPacket,
} from '../../src/wire/udp.js';
import {
  ScriptedPeer,
  closed,
  connect,
  destroySockets,
  framed,
  initBody,
  listing,
  openFilePort,
  rawPeer,
  request,
  requestMessage,
  sha256,
  transferWorks,
  writeSlowly,
} from '../helpers/e2e-peer.js';
import { Random } from '../helpers/prng.js';

/**
 * Every listener of the real programs (`npm run build` first) under bursts of hostile input:
 * icqd's UDP port, icqrecv's message port, and a dedicated file port. After each burst the
 * process is alive, nothing appeared outside the directory it may write to, and a normal
 * transfer still completes with the right sha256. Bursts are seeded and bounded in count;
 * a failure names its seed.
 */

const SENDER = { uin: 1001, ip: '127.0.0.1', port: 0 };
/** The announced size of the files the scripted senders offer on a file port. */
const SIZE = 3000;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'icqxfer-e2e-fuzz-'));
});
afterAll(async () => {
  destroySockets();
  await stopAll();
  await rm(work, { recursive: true, force: true });
});

/** One hostile connection: the chunks written in order, then our end; waits for the close. */
type Attack = Buffer[];

/** Writes each attack on its own connection, a few at a time, and waits until each is closed. */
async function play(port: number, attacks: Attack[], rnd: Random, parallel = 6): Promise<void> {
  const queue = [...attacks];
  const worker = async (): Promise<void> => {
    for (let attack = queue.shift(); attack; attack = queue.shift()) {
      const socket = await connect(port);
      // Read (and drop) whatever comes back, or the close would wait behind unread data.
      socket.resume();
      for (const chunk of attack) {
        // Split further at random, so frames straddle writes.
        for (const piece of rnd.split(chunk, 4)) {
          if (socket.destroyed) break;
          await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
        }
      }
      socket.end();
      await closed(socket);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** A frame whose length says n but whose body is what is given (shorter, or longer). */
function lyingFrame(n: number, body: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16LE(n);
  return Buffer.concat([head, body]);
}

function u16At(buf: Buffer, at: number, value: number): Buffer {
  const out = Buffer.from(buf);
  if (at + 2 <= out.length) out.writeUInt16LE(value, at);
  return out;
}

// --- Message packets (§3.3) ------------------------------------------------------------

let seq = 0xffff_0000;
const offer = (name: string, size: number): PeerMessage => requestMessage({ uin: 1001, name, size, seq: seq-- });

function validMessages(): PeerMessage[] {
  const req = offer('fuzz.bin', 1234);
  const text = textMessage(SENDER, 'hello', seq--);
  return [
    req,
    offer('7 Files', 99),
    offer('4294967295 Files', 0xffffffff),
    text,
    { ...textMessage(SENDER, 'a link\u00fehttp://example.com/', seq--), type: PeerMessageType.URL },
    { ...textMessage(SENDER, 'chat?', seq--), type: PeerMessageType.CHAT, chat: { text: '', portBe: 0, pad: 0, port: 0 } },
    { ...textMessage(SENDER, '', seq--), type: PeerMessageType.READ_AWAY },
    ackFor(SENDER, text),
    cancelFor(SENDER, req),
  ];
}

/** The offsets of the LNTS length WORD of TEXT, and of FILENAME in a file request. */
const TEXT_LENGTH_AT = 16;

function messagePortAttacks(rnd: Random, burst: 'bytes' | 'frames' | 'states'): Attack[] {
  const init = framed(initBody(1001));
  const out: Attack[] = [];
  const valid = validMessages().map(encodePeerMessage);
  for (let i = 0; i < 60; i++) {
    switch (burst) {
      case 'bytes': {
        // Random bytes, truncated packets, zero and 0xFFFF lengths.
        const pick = rnd.int(7);
        if (pick === 0) out.push([rnd.bytes(rnd.length())]);
        else if (pick === 1) out.push([init, rnd.bytes(rnd.length())]);
        else if (pick === 2) out.push([framed(initBody(1001).subarray(0, 1 + rnd.int(25)))]);
        else if (pick === 3) {
          const body = rnd.pick(valid);
          out.push([init, framed(body.subarray(0, 1 + rnd.int(body.length - 1)))]);
        } else if (pick === 4) out.push([rnd.oneIn(2) ? init : Buffer.alloc(0), Buffer.from('0000', 'hex')].filter((b) => b.length > 0));
        else if (pick === 5) out.push([init, lyingFrame(0xffff, rnd.bytes(rnd.int(2000)))]);
        else out.push([init, lyingFrame(0xffff, rnd.bytes(0xffff))]);
        break;
      }
      case 'frames': {
        // Valid frames with random or mutated bodies; unknown commands, types and versions.
        const pick = rnd.int(6);
        if (pick === 0) out.push([init, framed(rnd.bytes(1 + rnd.length()))]);
        else if (pick === 1) out.push([init, framed(rnd.mutate(rnd.pick(valid)))]);
        else if (pick === 2) out.push([init, framed(u16At(rnd.pick(valid), 6, rnd.int(0x10000)))]); // COMMAND
        else if (pick === 3) out.push([init, framed(u16At(rnd.pick(valid), 14, rnd.int(0x10000)))]); // TYPE
        else if (pick === 4) out.push([framed(rnd.mutate(initBody(1001))), framed(rnd.pick(valid))]);
        else out.push([init, framed(u16At(rnd.pick(valid), TEXT_LENGTH_AT, rnd.pick([0, 1, 0xfffe, 0xffff])))]);
        break;
      }
      case 'states': {
        // Packets where they do not belong: messages before the init, file-direct packets on
        // the message port, ACKs and cancels for nothing, a second init.
        const pick = rnd.int(5);
        if (pick === 0) out.push([framed(rnd.pick(valid)), init]);
        else if (pick === 1) out.push([init, framed(rnd.pick(fileSessionPackets()))]);
        else if (pick === 2) {
          const stray = rnd.pick([ackFor(SENDER, textMessage(SENDER, '', 1)), cancelFor(SENDER, offer('nothing.bin', 1))]);
          out.push([init, framed(encodePeerMessage(stray))]);
        } else if (pick === 3) out.push([init, init, framed(rnd.pick(valid))]);
        else out.push([init, framed(encodePeerMessage(offer('x.bin', 10))), framed(encodePeerMessage(cancelFor(SENDER, offer('x.bin', 10))))]);
        break;
      }
    }
  }
  return out;
}

// --- File-direct packets (§5) ----------------------------------------------------------

const HOSTILE_NAMES = ['../../escape.txt', '/etc/passwd', '..', '.', 'CON', 'a\u001b[2Jb', 'x\u202etxt.exe', '..\\..\\win.ini', '.hidden', 'x'.repeat(400)];
const HOSTILE_DIRS = ['', '../..', '/tmp', 'C:\\Windows', '..\\..', 'a/../../b', './.', 'ok/sub'];

function fileSessionPackets(): Buffer[] {
  const packets: FilePacket[] = [
    { kind: 'batch-init', count: 1, total: SIZE, speed: 100, nick: 'fuzz' },
    { kind: 'init-ack', speed: 100, nick: 'fuzz' },
    { kind: 'file-info', name: 'f.bin', text: '', size: SIZE, mtime: 0, speed: 100 },
    { kind: 'start', offset: 0, speed: 100 },
    { kind: 'stop-file', fileNo: 1 },
    { kind: 'speed', speed: 50 },
    { kind: 'data', data: Buffer.alloc(100, 1) },
  ];
  return packets.map(encodeFilePacket);
}

const batchInit = (count = 1, total = SIZE): Buffer => encodeFilePacket({ kind: 'batch-init', count, total, speed: 100, nick: 'fuzz' });
const fileInfo = (name: string, text = '', size = SIZE): Buffer =>
  encodeFilePacket({ kind: 'file-info', name, text, size, mtime: 0, speed: 100 });
const data = (n: number, fill = 0x61): Buffer => encodeFilePacket({ kind: 'data', data: Buffer.alloc(n, fill) });

/** What one connection sends after its init on a file port. */
function filePortAttack(rnd: Random, burst: 'bytes' | 'frames' | 'states'): Buffer[] {
  const packets = fileSessionPackets();
  switch (burst) {
    case 'bytes': {
      const pick = rnd.int(5);
      if (pick === 0) return [rnd.bytes(rnd.length())];
      if (pick === 1) return [framed(batchInit().subarray(0, 1 + rnd.int(20)))];
      if (pick === 2) return [Buffer.from('0000', 'hex')];
      if (pick === 3) return [framed(batchInit()), lyingFrame(0xffff, rnd.bytes(rnd.int(3000)))];
      return [framed(batchInit(), fileInfo('f.bin')), lyingFrame(1 + rnd.int(2048), rnd.bytes(rnd.int(100)))];
    }
    case 'frames': {
      const pick = rnd.int(6);
      if (pick === 0) return [framed(batchInit()), framed(rnd.bytes(1 + rnd.length()))];
      if (pick === 1) return [framed(batchInit(), rnd.mutate(fileInfo('mutated.bin')))];
      if (pick === 2) return [framed(rnd.mutate(batchInit()))];
      if (pick === 3) return [framed(batchInit(), Buffer.concat([Buffer.from([7 + rnd.int(0xf8)]), rnd.bytes(rnd.int(20))]))];
      if (pick === 4) return [framed(batchInit(), u16At(fileInfo('lengths.bin'), 2, rnd.pick([0, 0xffff])))];
      // Hostile names with a whole, valid file: it arrives, inside the directory.
      return [framed(batchInit(), fileInfo(rnd.pick(HOSTILE_NAMES), rnd.pick(HOSTILE_DIRS)), data(SIZE))];
    }
    case 'states': {
      const pick = rnd.int(7);
      if (pick === 0) return [framed(fileInfo('early.bin'))];
      if (pick === 1) return [framed(batchInit(), data(10))];
      if (pick === 2) return [framed(batchInit(), fileInfo('over.bin'), data(SIZE + 10))];
      if (pick === 3) return [framed(batchInit(), batchInit())];
      if (pick === 4) return [framed(batchInit(), packets[3]!, packets[1]!)];
      if (pick === 5) return [framed(batchInit(), fileInfo('two.bin'), data(SIZE), fileInfo('one-too-many.bin'))];
      return [framed(batchInit(1, SIZE + 1), fileInfo('wrong-total.bin'))];
    }
  }
}

// --- The checks after each burst -------------------------------------------------------

interface Site {
  program: RunningProgram;
  /** Where the process may write (skipped in the listing). */
  own: string;
  /** Above it: nothing here may change. */
  root: string;
  before: string[];
}

async function expectUnharmed(site: Site, label: string): Promise<void> {
  expect(site.program.child.exitCode, `${label}: ${site.program.stderr().slice(-2000)}`).toBeNull();
  expect(await listing(site.root, site.own), label).toEqual(site.before);
}

/** An icqrecv --accept --json in ROOT/recv/inbox, its current directory ROOT/recv. */
async function receiverSite(name: string, args: string[] = []): Promise<Site & { port: number; inbox: string; outbox: string }> {
  const root = path.join(work, name);
  const cwd = path.join(root, 'recv');
  const inbox = path.join(cwd, 'inbox');
  const outbox = path.join(work, `${name}-outbox`);
  await mkdir(inbox, { recursive: true });
  await mkdir(outbox, { recursive: true });
  // Requests the bursts leave pending come from 127.0.0.1 too, like the real sender after
  // them; limits.test.ts shows --max-pending, here it must not get in the way.
  const { program, port } = await startIcqrecv(
    ['--listen', '127.0.0.1:0', '--accept', '--json', '--dir', inbox, '--idle-timeout', '1', '--ack-timeout', '5', '--max-pending', '100000', ...args],
    { cwd },
  );
  return { program, port, inbox, outbox, own: inbox, root, before: await listing(root, inbox) };
}

describe("icqrecv's message port", () => {
  let site: Awaited<ReturnType<typeof receiverSite>>;
  beforeAll(async () => {
    site = await receiverSite('message-port');
  });

  async function afterBurst(label: string): Promise<void> {
    await expectUnharmed(site, label);
    await transferWorks({ args: ['--peer', `127.0.0.1:${site.port}`], outbox: site.outbox, inbox: site.inbox, receiver: site.program, name: `after-${label}.bin` });
  }

  it.each(['bytes', 'frames', 'states'] as const)('survives a burst of %s', async (burst) => {
    const rnd = new Random(0x3e55a9e + burst.length);
    await play(site.port, messagePortAttacks(rnd, burst), rnd);
    await afterBurst(burst);
  });

  it('assembles a file request written one byte at a time, and answers it', async () => {
    const peer = await rawPeer(site.port);
    const req = offer('slowly.bin', 10);
    await writeSlowly(peer.socket, framed(initBody(1001), encodePeerMessage(req)));
    const ack = decodePeerMessage(await peer.next());
    expect(ack).toMatchObject({ seq: req.seq, status: PeerStatus.ONLINE });
    peer.send(encodePeerMessage(cancelFor(SENDER, req)));
    peer.socket.end();
    await peer.closedPromise;
    await afterBurst('one-byte-writes');
  });
});

describe('a dedicated file port of icqrecv', () => {
  let site: Awaited<ReturnType<typeof receiverSite>>;
  beforeAll(async () => {
    site = await receiverSite('file-port');
  });

  /** A fresh file port: a valid request for one file of SIZE bytes, accepted. */
  async function filePort(): Promise<number> {
    const { messages, filePort } = await openFilePort(site.port, { uin: 1001, name: 'offered.bin', size: SIZE, seq: seq-- });
    messages.socket.destroy();
    return filePort;
  }

  it.each(['bytes', 'frames', 'states'] as const)('survives a burst of %s', async (burst) => {
    const rnd = new Random(0xf11e + burst.length);
    for (let round = 0; round < 16; round++) {
      const port = await filePort();
      // Before any init: junk, and inits from someone else, are dropped; the port stays open.
      await play(port, [[rnd.bytes(1 + rnd.length())], [framed(initBody(4242, port))], [Buffer.from('0000', 'hex')]], rnd, 1);
      await play(port, [[framed(initBody(1001, port)), ...filePortAttack(rnd, burst)]], rnd, 1);
    }
    await expectUnharmed(site, burst);
    await transferWorks({ args: ['--peer', `127.0.0.1:${site.port}`], outbox: site.outbox, inbox: site.inbox, receiver: site.program, name: `after-file-${burst}.bin` });
  });

  it('takes a whole file session written one byte at a time', async () => {
    const port = await filePort();
    const socket = await connect(port);
    socket.resume();
    const content = Buffer.alloc(SIZE, 0x5a);
    await writeSlowly(socket, framed(initBody(1001, port), batchInit(), fileInfo('byte-by-byte.bin'), encodeFilePacket({ kind: 'data', data: content })));
    socket.end();
    const done = await site.program.waitForLine(/"event":"file-done".*"name":"byte-by-byte.bin"/);
    expect(done.input).toContain(`"sha256":"${sha256(content)}"`);
    await closed(socket);
    await expectUnharmed(site, 'one-byte-writes');
  });
});

// --- icqd's UDP port -------------------------------------------------------------------

describe("icqd's UDP port", () => {
  let server: Site & { port: number };
  let recv: Awaited<ReturnType<typeof receiverSite>>;
  const udp = createSocket('udp4');
  afterAll(() => udp.close());

  beforeAll(async () => {
    const root = path.join(work, 'icqd');
    const own = path.join(root, 'server');
    await mkdir(own, { recursive: true });
    const program = start(
      'icqd',
      ['--listen', '127.0.0.1:0', '--db', path.join(own, 'icqd.json'), '--add-user', '1001:pw1', '--add-user', '1002:pw2', '--scrypt-cost', '1024', '--quiet'],
      { cwd: own },
    );
    const m = await program.waitForLine(/^listening udp:\/\/[\d.]+:(\d+)$/);
    server = { program, port: Number(m[1]), own, root, before: await listing(root, own) };
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    // 1002 stays online through the bursts, so spoofed packets in its name have a session to hit.
    recv = await receiverSite('icqd-recv', ['--server', `127.0.0.1:${server.port}`, '--uin', '1002', '--password', 'pw2']);
  });

  function datagrams(rnd: Random, burst: 'bytes' | 'frames' | 'states'): Buffer[] {
    const uins = [1001, 1002, 0, 0xffffffff, 4242];
    const valid = (): Buffer => {
      const uin = rnd.pick(uins);
      const s = rnd.int(0x10000);
      const packets: ClientPacket[] = [
        loginPacket({ seq: s, uin, password: rnd.pick(['wrong', '', 'x'.repeat(300)]) }),
        { kind: 'contact-list', seq: s, uin, uins: [1001, 1002, rnd.u32()] },
        { kind: 'send-message', seq: s, uin, target: 1002, type: 1, text: 'spoofed' },
        { kind: 'keep-alive', seq: s, uin, command: UdpCommand.KEEP_ALIVE },
        { kind: 'status-change', seq: s, uin, status: rnd.u32() },
        logoutPacket(s, uin),
        tcpRequestPacket({ seq: s, uin, target: 1002, ip: '127.0.0.1', port: 1, otherPort: recv.port }),
        { kind: 'register', seq: s, password: 'fuzz' },
      ] as ClientPacket[];
      return encodeClientPacket(rnd.pick(packets));
    };
    const out: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      switch (burst) {
        case 'bytes': {
          // Random datagrams, truncated packets, empty and oversized ones, LNTS lengths 0 and 0xFFFF.
          const pick = rnd.int(5);
          if (pick === 0) out.push(rnd.bytes(rnd.length()));
          else if (pick === 1) {
            const v = valid();
            out.push(v.subarray(0, rnd.int(v.length)));
          } else if (pick === 2) out.push(rnd.oneIn(2) ? Buffer.alloc(0) : rnd.bytes(5000));
          else if (pick === 3) out.push(u16At(valid(), 14, rnd.pick([0, 0xffff]))); // LOGIN PASSWORD, MESSAGE TYPE/TEXT…
          else out.push(u16At(valid(), 20, rnd.pick([0, 0xffff])));
          break;
        }
        case 'frames': {
          // Valid headers with random bodies, unknown commands and versions, mutations.
          const pick = rnd.int(4);
          const header = Buffer.alloc(10);
          header.writeUInt16LE(rnd.pick([2, 2, 3, 5]), 0);
          header.writeUInt16LE(rnd.oneIn(2) ? rnd.int(0x10000) : rnd.pick(Object.values(UdpCommand) as number[]), 2);
          header.writeUInt16LE(rnd.int(0x10000), 4);
          header.writeUInt32LE(rnd.pick(uins), 6);
          if (pick === 0) out.push(Buffer.concat([header, rnd.bytes(rnd.length())]));
          else if (pick === 1) out.push(rnd.mutate(valid()));
          else if (pick === 2) out.push(header);
          else out.push(u16At(valid(), 2, rnd.int(0x10000)));
          break;
        }
        case 'states': {
          // Session packets with no session (some in the name of 1001 and 1002), ACKs for
          // nothing, repeats of one SEQ, a logout for someone else.
          const v = valid();
          out.push(v);
          if (rnd.oneIn(3)) out.push(v);
          if (rnd.oneIn(4)) {
            const ack = Buffer.alloc(10);
            ack.writeUInt16LE(2, 0);
            ack.writeUInt16LE(UdpCommand.ACK, 2);
            ack.writeUInt16LE(rnd.int(0x10000), 4);
            ack.writeUInt32LE(rnd.pick(uins), 6);
            out.push(ack);
          }
          break;
        }
      }
    }
    return out;
  }

  it.each(['bytes', 'frames', 'states'] as const)('survives a burst of %s', async (burst) => {
    const rnd = new Random(0x1cd + burst.length);
    for (const d of datagrams(rnd, burst)) {
      await new Promise<void>((resolve) => udp.send(d, server.port, '127.0.0.1', () => resolve()));
    }
    // The server reads datagrams in order: once it ACKs a fresh one, the burst is behind it.
    await new Promise<void>((resolve, reject) => {
      const probeSeq = 0xbeef;
      const probe = encodeClientPacket({ kind: 'keep-alive', seq: probeSeq, uin: 31337, command: UdpCommand.KEEP_ALIVE });
      const timer = setTimeout(() => reject(new Error('icqd does not answer')), 10_000);
      udp.on('message', function onReply(msg) {
        if (msg.length < 6 || msg.readUInt16LE(2) !== UdpCommand.ACK || msg.readUInt16LE(4) !== probeSeq) return;
        clearTimeout(timer);
        udp.off('message', onReply);
        resolve();
      });
      udp.send(probe, server.port, '127.0.0.1');
    });
    await expectUnharmed(server, burst);
    await expectUnharmed(recv, `receiver after ${burst}`);
    await transferWorks({
      args: ['--server', `127.0.0.1:${server.port}`, '--uin', '1001', '--password', 'pw1', '--wait', '5'],
      outbox: recv.outbox,
      inbox: recv.inbox,
      receiver: recv.program,
      name: `after-udp-${burst}.bin`,
    });
  });
});

// --- What a peer's strings can do on a terminal ----------------------------------------

describe("a peer's strings in the human output", () => {
  /** Raw C0/C1 controls (but the newlines between lines), bidi overrides and isolates. */
  const RAW_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

  it('icqrecv shows a request whose name and description carry \\x1b[2J and a bidi override, escaped', async () => {
    const inbox = path.join(work, 'display-recv');
    // No --accept and no terminal: the request is shown, then refused.
    const { program, port } = await startIcqrecv(['--listen', '127.0.0.1:0', '--once', '--dir', inbox]);
    const peer = await rawPeer(port);
    peer.send(initBody(1001));
    const { ack } = await request(peer, {
      uin: 1001,
      name: 'evil\u001b[2J\u202etxt.exe',
      size: 10,
      seq: seq--,
      description: 'look\r\u001b]0;owned\u0007 \u2066here',
    });
    expect(ack.status).toBe(PeerStatus.REFUSE);
    expect((await program.exited).code).toBe(5);
    const shown = program.stderr();
    expect(shown).toContain('1001 offers evil\\x1b[2J\\u202etxt.exe (1 file, 10 B): "look\\x0d\\x1b]0;owned\\x07 \\u2066here"');
    expect(shown).not.toMatch(RAW_CONTROLS);
  });

  it('icqsend shows a refusal reason that carries \\x1b[2J and a bidi override, escaped', async () => {
    const outbox = path.join(work, 'display-send');
    await mkdir(outbox, { recursive: true });
    const file = path.join(outbox, 'x.txt');
    await writeFile(file, 'x');
    // A scripted receiver that refuses every request with a hostile reason.
    const server = net.createServer((socket) => {
      const peer = new ScriptedPeer(socket);
      void (async () => {
        await peer.next(); // init
        const req = decodePeerMessage(await peer.next());
        peer.send(encodePeerMessage(fileRefuse({ uin: 1002, ip: '127.0.0.1', port: 0 }, req, 'no\u001b[2J\u202eyaw\u0007')));
      })().catch(() => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const { exit, program } = await runIcqsend(['--peer', `127.0.0.1:${port}`, '1002', file]);
      expect(exit.code).toBe(5);
      const shown = program.stderr();
      expect(shown).toContain('1002 refused: no\\x1b[2J\\u202eyaw\\x07 [ICQ_ERR_REFUSED]');
      expect(shown).not.toMatch(RAW_CONTROLS);
    } finally {
      destroySockets();
      server.close();
    }
  });
});
