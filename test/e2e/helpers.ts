/**
 * Fixtures for the end-to-end tests: temporary directories, files with known sha256,
 * icqd with two accounts, and scripted raw TCP peers that speak the protocol through the
 * real codecs (src/wire), so a test reads like docs/protocol.md. Everything opened here is
 * closed by closeRawPeers() / removeTempDirs() (call them in afterEach / afterAll).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FrameDecoder, encodeFrame } from '../../src/wire/framing.js';
import { decodeFilePacket, encodeFilePacket, type FilePacket } from '../../src/wire/file.js';
import {
  TCP_FLAG_DIRECT,
  TCP_VERSION,
  decodeInit,
  decodePeerMessage,
  encodeInit,
  encodePeerMessage,
  type InitPacket,
  type PeerEndpoint,
  type PeerMessage,
} from '../../src/wire/peer.js';
import { startIcqd, type RunningProgram } from '../../scripts/processes.js';

export const SENDER = { uin: 1001, password: 'pw1' };
export const RECEIVER = { uin: 1002, password: 'pw2' };

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(p: string): Promise<string> {
  return sha256(await readFile(p));
}

// ---------------------------------------------------------------------------------------
// Temporary directories and files

const tempDirs: string[] = [];

export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `icqxfer-e2e-${label}-`));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A file to create: its bytes, or a size for random bytes. */
export type FileSpec = Buffer | string | number;

/** Creates the files (relative paths, '/'-separated) under root; returns each one's bytes. */
export async function makeFiles(root: string, spec: Record<string, FileSpec>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const [rel, s] of Object.entries(spec)) {
    const data = typeof s === 'number' ? randomBytes(s) : Buffer.from(s);
    const p = path.join(root, ...rel.split('/'));
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, data);
    out.set(rel, data);
  }
  return out;
}

/** Every file and directory under root, relative and '/'-separated, sorted ('dir/' for directories). */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        await walk(path.join(dir, e.name), r);
      } else {
        out.push(r);
      }
    }
  };
  await walk(root, '');
  return out.sort();
}

// ---------------------------------------------------------------------------------------
// Servers and ports

/** icqd on 127.0.0.1:0 with 1001:pw1 and 1002:pw2, nothing on disk. */
export async function startServer(extra: string[] = []): Promise<string> {
  const { address } = await startIcqd([
    '--no-db',
    '--add-user', `${SENDER.uin}:${SENDER.password}`,
    '--add-user', `${RECEIVER.uin}:${RECEIVER.password}`,
    ...extra,
  ]);
  return address;
}

/** --server ADDRESS --uin N --password P */
export function login(server: string, who: { uin: number; password: string }): string[] {
  return ['--server', server, '--uin', String(who.uin), '--password', who.password];
}

/** A UDP port on 127.0.0.1 that nobody listens on (bound, read, released). */
export async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------
// Scripted raw peers

const openSockets = new Set<net.Socket>();
const openServers = new Set<net.Server>();

export async function closeRawPeers(): Promise<void> {
  for (const s of openSockets) s.destroy();
  openSockets.clear();
  await Promise.all([...openServers].map((s) => new Promise((resolve) => s.close(resolve))));
  openServers.clear();
}

/**
 * One side of a TCP connection played by the test: writes frame bodies, reads frame bodies
 * in order, and keeps every byte it received (to look for a packet after the fact).
 */
export class RawPeer {
  readonly frames: Buffer[] = [];
  /** Every frame body received so far, in order, including those already read with next(). */
  readonly received: Buffer[] = [];
  private readonly decoder = new FrameDecoder();
  private wake: (() => void) | null = null;
  closed = false;
  readonly closedPromise: Promise<void>;

  constructor(readonly socket: net.Socket) {
    openSockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (f) => {
          const body = Buffer.from(f);
          this.frames.push(body);
          this.received.push(body);
        });
      } catch {
        socket.destroy();
      }
      this.notify();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        openSockets.delete(socket);
        this.notify();
        resolve();
      }),
    );
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Our side of this socket, as message packets carry it. */
  endpoint(uin: number): PeerEndpoint {
    return { uin, ip: '127.0.0.1', port: this.socket.localPort ?? 0 };
  }

  /** Frames the bodies and writes them all in one write (so they arrive together). */
  send(...bodies: Buffer[]): void {
    this.socket.write(Buffer.concat(bodies.map((b) => encodeFrame(b))));
  }

  sendInit(init: { uin: number; msgPort?: number; otherPort?: number }): void {
    const p: InitPacket = {
      version: TCP_VERSION,
      msgPort: init.msgPort ?? 0,
      uin: init.uin,
      ip: '127.0.0.1',
      realIp: '127.0.0.1',
      tcpFlag: TCP_FLAG_DIRECT,
      otherPort: init.otherPort ?? 0,
    };
    this.send(encodeInit(p));
  }

  sendMessage(m: PeerMessage): void {
    this.send(encodePeerMessage(m));
  }

  sendFile(...packets: FilePacket[]): void {
    this.send(...packets.map(encodeFilePacket));
  }

  /** The next frame body; rejects when the connection closes first or after timeoutMs. */
  async next(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.frames.shift()!;
  }

  async nextInit(): Promise<InitPacket> {
    return decodeInit(await this.next());
  }

  async nextMessage(): Promise<PeerMessage> {
    return decodePeerMessage(await this.next());
  }

  async nextFile(): Promise<FilePacket> {
    return decodeFilePacket(await this.next());
  }

  /** 06 payloads until `bytes` bytes have arrived (other packets are returned apart). */
  async data(bytes: number): Promise<{ data: Buffer; others: FilePacket[] }> {
    const parts: Buffer[] = [];
    const others: FilePacket[] = [];
    let got = 0;
    while (got < bytes) {
      const p = await this.nextFile();
      if (p.kind === 'data') {
        parts.push(Buffer.from(p.data));
        got += p.data.length;
      } else {
        others.push(p);
      }
    }
    return { data: Buffer.concat(parts), others };
  }

  /** Resolves once the other side has closed (or reset) the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export async function rawConnect(port: number, host = '127.0.0.1'): Promise<RawPeer> {
  const socket = net.connect({ host, port });
  openSockets.add(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return new RawPeer(socket);
}

/** A TCP listener on 127.0.0.1:0 played by the test; accept() takes connections in order. */
export class RawListener {
  private readonly accepted: RawPeer[] = [];
  private wake: (() => void) | null = null;

  private constructor(
    readonly server: net.Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      this.accepted.push(new RawPeer(socket));
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  static async open(): Promise<RawListener> {
    const server = net.createServer();
    openServers.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RawListener(server, (server.address() as net.AddressInfo).port);
  }

  async accept(timeoutMs = 10_000): Promise<RawPeer> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no connection within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.accepted.shift()!;
  }
}

/** Parsed JSON events of one kind from a program's stdout. */
export function eventsOf(events: Array<Record<string, unknown>>, kind: string): Array<Record<string, unknown>> {
  return events.filter((e) => e.event === kind);
}

/** Polls cond every 25 ms until it holds; rejects with why() after timeoutMs. */
export async function waitUntil(cond: () => boolean, why: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Polls a program's JSON events until `count` of them match (the program's own pace decides
 * when); resolves with the matching ones. Rejects when the program exits first or after timeoutMs.
 */
export async function waitForEvents(
  program: RunningProgram,
  match: (e: Record<string, unknown>) => boolean,
  count = 1,
  timeoutMs = 15_000,
): Promise<Array<Record<string, unknown>>> {
  let exited = false;
  await waitUntil(
    () => program.events().filter(match).length >= count || (exited = program.child.exitCode !== null),
    () => `not ${count} matching events within ${timeoutMs} ms; stdout: ${program.stdout().slice(-2000)}`,
    timeoutMs,
  );
  const found = program.events().filter(match);
  if (found.length < count && exited) throw new Error(`exited (${program.child.exitCode}) first; stderr: ${program.stderr()}`);
  return found;
}

/** n bytes of a repeating pattern that a seed shifts: file contents for replay tests. */
export function pattern(n: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
}
