import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { start, stopAll } from '../../scripts/processes.js';
import { TestClient } from '../server/udp-client.js';

// Runs the built program (bin/icqd.js → dist/); `npm test` builds first.

let dir: string;
const clients: TestClient[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'icqd-cli-'));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

describe('icqd (real process)', () => {
  it('prints "listening udp://HOST:PORT" first, serves a login, and exits 0 on SIGTERM', async () => {
    const db = join(dir, 'icqd.json');
    const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db, '--add-user', '1001:s3cret:Alice', '--scrypt-cost', '1024']);
    const m = await icqd.waitForLine(/^listening udp:\/\/(127\.0\.0\.1):(\d+)$/);
    expect(icqd.stdout().split('\n')[0]).toBe(m[0]);
    const port = Number(m[2]);
    expect(port).toBeGreaterThan(0);

    const c = await TestClient.open(1001, { host: '127.0.0.1', port });
    clients.push(c);
    expect(await c.login('s3cret')).toMatchObject({ uin: 1001, ip: '127.0.0.1' });

    const exit = await icqd.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    // Only the one line on stdout; logs went to stderr.
    expect(icqd.stdout()).toBe(`${m[0]}\n`);
    expect(icqd.stderr()).toContain('1001: logged in');
    const saved = await readFile(db, 'utf8');
    expect(saved).toContain('"uin": 1001');
    expect(saved).not.toContain('s3cret');
  });

  it('fails clearly on a corrupt database, naming the file', async () => {
    const db = join(dir, 'corrupt.json');
    await writeFile(db, 'not json at all');
    const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db]);
    const exit = await icqd.exited;
    expect(exit.code).toBe(1);
    expect(icqd.stdout()).toBe('');
    expect(icqd.stderr()).toContain(db);
    expect(await readFile(db, 'utf8')).toBe('not json at all');
  });

  it('exits 2 on a bad option value', async () => {
    const icqd = start('icqd', ['--listen', 'nowhere', '--no-db']);
    expect((await icqd.exited).code).toBe(2);
    expect(icqd.stderr()).toContain('HOST:PORT');
  });

  it('lists every option with its default and ends with examples', async () => {
    const icqd = start('icqd', ['--help']);
    expect((await icqd.exited).code).toBe(0);
    const help = icqd.stdout();
    for (const opt of ['--listen', '--db', '--no-db', '--auto-register', '--add-user', '--retransmit-ms', '--retries', '--keepalive-ms']) {
      expect(help).toContain(opt);
    }
    const flat = help.replace(/\s+/g, ' ');
    expect(flat).toContain('(default: "127.0.0.1:4000")');
    expect(flat).toContain('(default: "./icqd.json")');
    expect(flat).toContain('(default: 10000)');
    expect(flat).toContain('(default: 120000)');
    expect(help.trimEnd().split('\n').slice(-6)[0]).toBe('Examples:');
  });
});
