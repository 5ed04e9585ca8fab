import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningProgram, start, stopAll } from '../../scripts/processes.js';
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

describe('icqd --add-user', () => {
  it('refuses an empty password (exit 2), saying so, and creates no database', async () => {
    const db = join(dir, 'icqd.json');
    const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db, '--add-user', '1001:']);
    expect((await icqd.exited).code).toBe(2);
    expect(icqd.stdout()).toBe('');
    expect(icqd.stderr()).toContain('the password is empty');
    await expect(readFile(db, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

async function waitForStderr(program: RunningProgram, re: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!re.test(program.stderr())) {
    if (Date.now() > deadline) throw new Error(`no ${re} on stderr; it has:\n${program.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('icqd and its database', () => {
  it('refuses to start when it cannot write the database: exit 1, one line with ICQ_ERR_DATABASE, no stack trace', async () => {
    // A regular file where the directory should be: unwritable for every user, root included.
    await writeFile(join(dir, 'not-a-dir'), '');
    const db = join(dir, 'not-a-dir', 'icqd.json');
    for (const extra of [['--add-user', '1001:pw'], ['--auto-register']]) {
      const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db, '--scrypt-cost', '1024', ...extra]);
      expect((await icqd.exited).code, extra.join(' ')).toBe(1);
      expect(icqd.stdout()).toBe('');
      expect(icqd.stderr()).toBe(`icqd: cannot read accounts file ${db}: a part of the path is not a directory [ICQ_ERR_DATABASE]\n`);
    }
  });

  it('refuses to start when the database would be new but its directory is missing (the read is fine, the write is not)', async () => {
    const db = join(dir, 'missing', 'icqd.json');
    const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db, '--auto-register']);
    expect((await icqd.exited).code).toBe(1);
    expect(icqd.stderr()).toBe(
      `icqd: cannot write accounts file ${db}: no such file or directory (icqd replaces the file, so its directory must take new files) [ICQ_ERR_DATABASE]\n`,
    );
  });

  it('logs every failed save with ICQ_ERR_DATABASE and exits 1 at SIGTERM when the last save failed', async () => {
    const sub = join(dir, 'vanishing');
    await mkdir(sub);
    const db = join(sub, 'icqd.json');
    const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db, '--auto-register', '--scrypt-cost', '1024']);
    const port = Number((await icqd.waitForLine(/^listening udp:\/\/127\.0\.0\.1:(\d+)$/))[1]);
    await rm(sub, { recursive: true });

    const c = await TestClient.open(1005, { host: '127.0.0.1', port });
    clients.push(c);
    expect(await c.login('auto')).toMatchObject({ uin: 1005 });
    await waitForStderr(icqd, /cannot save accounts file .*icqd\.json: no such file or directory \(will retry on the next change\) \[ICQ_ERR_DATABASE\]/);

    expect((await icqd.stop('SIGTERM')).code).toBe(1);
    expect(icqd.stderr()).toMatch(/icqd: stopped, but .*icqd\.json could not be saved \(no such file or directory\): what changed since the last good save is lost \[ICQ_ERR_DATABASE\]\n/);
    expect(icqd.stderr()).not.toMatch(/\n\s+at /);
  });

  it('--quiet still shows a failed save, and a later good save makes the exit 0', async () => {
    const sub = join(dir, 'back');
    await mkdir(sub);
    const db = join(sub, 'icqd.json');
    const icqd = start('icqd', ['--listen', '127.0.0.1:0', '--db', db, '--auto-register', '--quiet', '--scrypt-cost', '1024']);
    const port = Number((await icqd.waitForLine(/^listening udp:\/\/127\.0\.0\.1:(\d+)$/))[1]);
    await rm(sub, { recursive: true });
    const c = await TestClient.open(1006, { host: '127.0.0.1', port });
    clients.push(c);
    await c.login('auto');
    await waitForStderr(icqd, /icqd: cannot save .*: no such file or directory \[ICQ_ERR_DATABASE\]/);
    // The directory is back: the save at shutdown works, nothing is lost.
    await mkdir(sub);
    expect((await icqd.stop('SIGTERM')).code).toBe(0);
    expect(await readFile(db, 'utf8')).toContain('"uin": 1006');
  });

  it('a UDP address in use is ICQ_ERR_BIND, in words', async () => {
    const first = start('icqd', ['--listen', '127.0.0.1:0', '--no-db']);
    const port = Number((await first.waitForLine(/^listening udp:\/\/127\.0\.0\.1:(\d+)$/))[1]);
    const second = start('icqd', ['--listen', `127.0.0.1:${port}`, '--no-db']);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toBe(`icqd: cannot listen on udp://127.0.0.1:${port}: the address is already in use [ICQ_ERR_BIND]\n`);
  });

  it('a bad option is one line in the style of every usage error, with a pointer to --help', async () => {
    const icqd = start('icqd', ['--bogus']);
    expect((await icqd.exited).code).toBe(2);
    expect(icqd.stderr()).toBe("icqd: unknown option '--bogus' [ICQ_ERR_USAGE]\n(run icqd --help for usage)\n");
  });
});
