/**
 * Tools for the end-to-end tests that play a hostile or scripted peer against the real
 * icqrecv/icqsend processes (fuzzing, limits, faults): raw TCP connections that speak
 * frames, the packets a peer opens with, a directory listing to prove nothing was written
 * outside a directory, and one real transfer checked by its sha256. Every socket opened
 * here is destroyed by destroySockets() (call it in afterEach).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'vitest';
import { runIcqsend, type RunningProgram } from '../../scripts/processes.js';
import { encodeFrame } from '../../src/wire/framing.js';
import {
  PeerCommand,
  PeerStatus,
  decodePeerMessage,
  encodeInit,
  encodePeerMessage,
  filePortFromAck,
  fileRequest,
  type PeerMessage,
} from '../../src/wire/peer.js';
import { ScriptedPeer } from '../transfer/session-helpers.js';

export { ScriptedPeer };

const sockets = new Set<net.Socket>();

export function destroySockets(): void {
  for (const s of sockets) s.destroy();
  sockets.clear();
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A TCP connection to 127.0.0.1:port (from localAddress when given: any 127.x.y.z on Linux). */
export function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** A scripted peer on a new connection: send frame bodies, read frame bodies. */
export async function rawPeer(port: number, localAddress?: string): Promise<ScriptedPeer> {
  return new ScriptedPeer(await connect(port, localAddress));
}

/** Resolves when socket has closed (the other side closed or dropped it). */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.closed) return resolve();
    socket.once('close', () => resolve());
  });
}

/** The init packet a peer opens every connection with (§3.2). */
export function initBody(uin: number, otherPort = 0, msgPort = 0): Buffer {
  return encodeInit({ version: 2, msgPort, uin, ip: '127.0.0.1', realIp: '127.0.0.1', tcpFlag: 4, otherPort });
}

export interface RequestSpec {
  uin: number;
  name: string;
  size: number;
  seq: number;
  description?: string;
}

/** A file request (§3.4) from uin. */
export function requestMessage(r: RequestSpec): PeerMessage {
  return fileRequest(
    { uin: r.uin, ip: '127.0.0.1', port: 0 },
    { description: r.description ?? '', fileName: r.name, totalSize: r.size, seq: r.seq },
  );
}

export function requestBody(r: RequestSpec): Buffer {
  return encodePeerMessage(requestMessage(r));
}

/** Send a file request on peer's message connection and wait for the ACK with its SEQ. */
export async function request(peer: ScriptedPeer, r: RequestSpec): Promise<{ ack: PeerMessage; filePort: number }> {
  peer.send(requestBody(r));
  for (;;) {
    const ack = decodePeerMessage(await peer.next());
    if (ack.command !== PeerCommand.ACK || ack.seq !== r.seq) continue;
    const filePort = ack.status === PeerStatus.ONLINE && ack.file ? filePortFromAck(ack.file) : 0;
    return { ack, filePort };
  }
}

/**
 * A dedicated file port of icqrecv: a message connection from uin, an init, a valid
 * request for one file of size bytes, and the port from the accepting ACK.
 */
export async function openFilePort(msgPort: number, r: RequestSpec): Promise<{ messages: ScriptedPeer; filePort: number }> {
  const messages = await rawPeer(msgPort);
  messages.send(initBody(r.uin));
  const { ack, filePort } = await request(messages, r);
  if (filePort === 0) throw new Error(`request refused: ${ack.text}`);
  return { messages, filePort };
}

/** Write buf one byte (or n bytes) a time, letting each write leave before the next. */
export async function writeSlowly(socket: net.Socket, buf: Buffer, n = 1): Promise<void> {
  for (let at = 0; at < buf.length && !socket.destroyed; at += n) {
    await new Promise<void>((resolve) => socket.write(buf.subarray(at, at + n), () => resolve()));
  }
}

/** Frame bodies back to back, as one buffer (for slow or split writes). */
export function framed(...bodies: Buffer[]): Buffer {
  return Buffer.concat(bodies.map(encodeFrame));
}

/**
 * Every entry under root, recursively, as "relative/path size" lines (directories as
 * "relative/path/"), leaving out the subtree skip. Compared before and after an attack,
 * it shows that nothing was written outside the directory a process may write to.
 */
export async function listing(root: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (full === skip) continue;
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out.push(`${rel}/`);
        await walk(full);
      } else {
        out.push(`${rel} ${(await stat(full)).size}`);
      }
    }
  };
  await walk(root);
  return out.sort();
}

/**
 * One real transfer: a new random file from outbox, sent with icqsend (extra arguments
 * first, then to and the file); icqsend must exit 0 and the copy in inbox match its sha256.
 * The receiver, running with --json, is waited for until it reports the file done.
 */
export async function transferWorks(options: {
  args: string[];
  to?: number;
  outbox: string;
  inbox: string;
  receiver: RunningProgram;
  name: string;
  size?: number;
}): Promise<void> {
  const data = randomBytes(options.size ?? 70_000);
  const file = path.join(options.outbox, options.name);
  await writeFile(file, data);
  const { exit, program } = await runIcqsend([...options.args, String(options.to ?? 1002), file]);
  expect(exit.code, program.stderr()).toBe(0);
  const done = await options.receiver.waitForLine(new RegExp(`"event":"file-done".*"name":"${options.name}"`));
  expect(done.input).toContain(`"sha256":"${sha256(data)}"`);
  expect(sha256(await readFile(path.join(options.inbox, options.name)))).toBe(sha256(data));
}
