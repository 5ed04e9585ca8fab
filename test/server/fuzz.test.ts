import { afterEach, describe, expect, it } from 'vitest';
import { type IcqServer, startServer } from '../../src/server/index.js';
import { UdpCommand } from '../../src/wire/udp.js';
import { TestClient } from './udp-client.js';
import { mulberry32 as rng } from '../helpers/prng.js';

let server: IcqServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

describe('icqd under random datagrams', () => {
  it('survives a few thousand hostile datagrams and still logs a client in', async () => {
    const lines: string[] = [];
    server = await startServer({
      port: 0,
      dbPath: null,
      autoRegister: true,
      retransmitMs: 20,
      retries: 1,
      users: [{ uin: 1001, password: 'pw' }, { uin: 1002, password: 'pw2' }],
      log: (l) => lines.push(l),
    });
    // A logged-in user the garbage can name as a target, so that fan-out paths run too.
    const watcher = await TestClient.open(1002, server.address);
    clients.push(watcher);
    await watcher.login('pw2');
    watcher.send({ kind: 'contact-list', uins: [1001, 1003, 1004] });

    const attacker = await TestClient.open(1001, server.address);
    clients.push(attacker);
    attacker.autoAck = false;
    const next = rng(0x1cc0);
    const commands = Object.values(UdpCommand);
    for (let i = 0; i < 3000; i++) {
      const len = next() % 120;
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = next() & 0xff;
      // Mostly valid headers with known commands and small UINs, so that bodies, logins
      // and session lookups are exercised, not only the version check.
      if (len >= 10 && next() % 4 !== 0) {
        b.writeUInt16LE(2, 0);
        b.writeUInt16LE(commands[next() % commands.length]!, 2);
        b.writeUInt32LE(1000 + (next() % 6), 6);
      }
      attacker.sendRaw(b);
      // Server and attacker share this process: pause now and then so that the garbage
      // reaches the server instead of overflowing the socket buffer.
      if (i % 25 === 24) await new Promise((r) => setTimeout(r, 1));
    }
    // A normal client still gets in, and the logged-in watcher is still served.
    const fresh = await TestClient.open(1001, server.address);
    clients.push(fresh);
    expect(await fresh.login('pw', { port: 1234 })).toMatchObject({ uin: 1001, ip: '127.0.0.1' });
    const seq = watcher.send({ kind: 'keep-alive', command: 0x042e });
    await watcher.next((p) => p.kind === 'ack' && p.seq === seq);
    // The garbage did reach the server (not dropped by the kernel), and most was refused.
    expect(server.stats.datagrams).toBeGreaterThan(2500);
    expect(server.stats.malformed).toBeGreaterThan(1000);
    // Hostile input is logged, but bounded.
    expect(lines.some((l) => l.includes('malformed'))).toBe(true);
    expect(lines.length).toBeLessThan(3000);
  });
});
