/**
 * Fixtures for the file-session tests: real loopback sockets, a scripted raw peer that
 * writes and reads frames, a simple ReceiveTarget, and temporary directories. Everything
 * made here is closed or removed by cleanUp() (call it in afterEach).
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, renameSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FrameDecoder, encodeFrame } from '../../src/wire/framing.js';
import { PeerConnection } from '../../src/transfer/connection.js';
import type { IncomingFileInfo, ReceiveTarget } from '../../src/transfer/receive-session.js';
import type { TransferEvent } from '../../src/transfer/events.js';

const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
const dirs: string[] = [];

export async function cleanUp(): Promise<void> {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'icqxfer-session-'));
  dirs.push(dir);
  return dir;
}

/** Two connected sockets on 127.0.0.1: [the connecting side, the accepted side]. */
export async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  sockets.push(client);
  await new Promise<void>((r, j) => client.once('connect', r).once('error', j));
  const other = await accepted;
  sockets.push(other);
  server.close();
  return [client, other];
}

/** A PeerConnection on one end, a scripted raw peer on the other. */
export async function connectionAndPeer(options: { idleTimeoutMs?: number } = {}): Promise<[PeerConnection, ScriptedPeer]> {
  const [a, b] = await socketPair();
  return [new PeerConnection(a, options), new ScriptedPeer(b)];
}

/** Plays the other side byte by byte: sends frame bodies, reads frame bodies in order. */
export class ScriptedPeer {
  readonly frames: Buffer[] = [];
  private waiting: (() => void) | null = null;
  private readonly decoder = new FrameDecoder();
  closed = false;
  readonly closedPromise: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) =>
      this.decoder.push(chunk, (f) => {
        this.frames.push(Buffer.from(f));
        this.notify();
      }),
    );
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((r) =>
      socket.on('close', () => {
        this.closed = true;
        this.notify();
        r();
      }),
    );
  }

  private notify(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  send(...bodies: Buffer[]): void {
    for (const b of bodies) this.socket.write(encodeFrame(b));
  }

  /** The next frame body; rejects if the connection closes first. */
  async next(): Promise<Buffer> {
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed while waiting for a frame');
      await new Promise<void>((r) => (this.waiting = r));
    }
    return this.frames.shift()!;
  }

  /** Frame bodies until `bytes` bytes of 06 payload have arrived; returns them all. */
  async data(bytes: number): Promise<Buffer[]> {
    const out: Buffer[] = [];
    let got = 0;
    while (got < bytes) {
      const f = await this.next();
      if (f[0] !== 0x06) throw new Error(`expected a data frame, got ${f.toString('hex')}`);
      out.push(f);
      got += f.length - 1;
    }
    return out;
  }

  end(): void {
    this.socket.end();
  }
}

export interface FakeTargetOptions {
  offset?: number;
  skip?: boolean;
  /** open() hands out a descriptor that cannot be written (every write fails with EBADF). */
  readOnly?: boolean;
}

/** A plain ReceiveTarget: DIR/subdir/name, .part beside it, positional writes at offset. */
export function fakeTarget(dir: string, info: IncomingFileInfo, options: FakeTargetOptions = {}): ReceiveTarget & { released: number } {
  const name = info.subdir === '' ? info.name : `${info.subdir}/${info.name}`;
  const finalPath = path.join(dir, ...name.split('/'));
  const offset = options.skip ? info.size : (options.offset ?? 0);
  return {
    name,
    path: finalPath,
    partPath: `${finalPath}.part`,
    offset,
    skip: options.skip ?? false,
    type: 'application/octet-stream',
    released: 0,
    open() {
      mkdirSync(path.dirname(finalPath), { recursive: true });
      const fd = openSync(`${finalPath}.part`, offset > 0 ? 'r+' : 'w');
      ftruncateSync(fd, offset);
      if (!options.readOnly) return fd;
      closeSync(fd);
      return openSync(`${finalPath}.part`, 'r');
    },
    finish() {
      renameSync(`${finalPath}.part`, finalPath);
      return finalPath;
    },
    release() {
      this.released++;
    },
  };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sizeOf(p: string): Promise<number | null> {
  try {
    return (await stat(p)).size;
  } catch {
    return null;
  }
}

/** Deterministic pseudo-random bytes (so failures reproduce). */
export function bytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function eventsOf<K extends TransferEvent['event']>(events: TransferEvent[], kind: K): Extract<TransferEvent, { event: K }>[] {
  return events.filter((e): e is Extract<TransferEvent, { event: K }> => e.event === kind);
}

/** Settles a promise into { value } or { error }, so a test can await it without an unhandled rejection. */
export function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}
