import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore, IcqServerError, startServer, writeFileAtomic } from '../../src/server/index.js';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/server/passwords.js';
import { TestClient } from './udp-client.js';

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'icqd-accounts-'));
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const STORE = { scryptCost: 1024, maxStoredMessages: 10 };

async function expectDatabaseError(promise: Promise<unknown>, path: string): Promise<IcqServerError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IcqServerError);
  expect((err as IcqServerError).code).toBe('ICQ_ERR_DATABASE');
  expect((err as IcqServerError).message).toContain(path);
  return err as IcqServerError;
}

describe('password hashes', () => {
  it('are salted scrypt, verify the right password only, and carry their own cost', async () => {
    const a = await hashPassword('secret', 1024);
    const b = await hashPassword('secret', 2048);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(a).not.toBe(await hashPassword('secret', 1024));
    expect(a).not.toContain('secret');
    expect(await verifyPassword('secret', a)).toBe(true);
    expect(await verifyPassword('secret', b)).toBe(true);
    expect(await verifyPassword('Secret', a)).toBe(false);
    expect(isPasswordHash(a)).toBe(true);
    expect(isPasswordHash('secret')).toBe(false);
    expect(await verifyPassword('secret', 'scrypt$3$8$1$AAAA$AAAA')).toBe(false);
  });
});

describe('the --db file', () => {
  it('keeps accounts (hashed, never in clear) and stored messages across restarts', async () => {
    const dbPath = join(dir, 'icqd.json');
    let server = await startServer({ port: 0, dbPath, scryptCost: 1024, users: [{ uin: 1001, password: 'pw-alice', nick: 'Alice' }, { uin: 1002, password: 'pw-bob' }] });
    const bob = await TestClient.open(1002, server.address);
    await bob.login('pw-bob');
    bob.send({ kind: 'send-message', target: 1001, type: 1, text: 'stored' });
    const seq = bob.send({ kind: 'keep-alive', command: 0x042e });
    await bob.next((p) => p.kind === 'ack' && p.seq === seq);
    await bob.close();
    await server.close();

    const text = await readFile(dbPath, 'utf8');
    expect(text).not.toContain('pw-alice');
    expect(text).not.toContain('pw-bob');
    expect(JSON.parse(text).accounts).toEqual([
      expect.objectContaining({ uin: 1001, nick: 'Alice', passwordHash: expect.stringMatching(/^scrypt\$/) }),
      expect.objectContaining({ uin: 1002, passwordHash: expect.stringMatching(/^scrypt\$/) }),
    ]);

    server = await startServer({ port: 0, dbPath });
    try {
      const alice = await TestClient.open(1001, server.address);
      expect(await alice.login('pw-alice')).toMatchObject({ uin: 1001 });
      alice.send({ kind: 'req-offline-messages' });
      expect(await alice.next((p) => p.kind === 'offline-message')).toMatchObject({ from: 1002, text: 'stored' });
      await alice.close();
    } finally {
      await server.close();
    }
  });

  it('refuses to start on a corrupt file, naming it, and leaves it alone', async () => {
    const dbPath = join(dir, 'broken.json');
    await writeFile(dbPath, '{"format":"icqd-db","version":1,"accounts":[');
    await expectDatabaseError(startServer({ port: 0, dbPath }), dbPath);
    expect(await readFile(dbPath, 'utf8')).toBe('{"format":"icqd-db","version":1,"accounts":[');
  });

  it('refuses JSON that is not an icqd database, and clear-text passwords', async () => {
    const dbPath = join(dir, 'other.json');
    await writeFile(dbPath, JSON.stringify({ hello: 'world' }));
    await expectDatabaseError(startServer({ port: 0, dbPath }), dbPath);
    await writeFile(
      dbPath,
      JSON.stringify({
        format: 'icqd-db',
        version: 1,
        nextUin: 100000,
        nextMessageId: 1,
        accounts: [{ uin: 1, passwordHash: 'plain', nick: '', first: '', last: '', email: '', auth: 1 }],
        messages: [],
      }),
    );
    const err = await expectDatabaseError(startServer({ port: 0, dbPath }), dbPath);
    expect(err.message).toContain('password hash');
  });

  it('refuses an unreadable path', async () => {
    const dbPath = join(dir, 'a-directory');
    await mkdir(dbPath);
    await expectDatabaseError(startServer({ port: 0, dbPath }), dbPath);
  });

  it('keeps the old content when a write fails between the temporary file and the rename', async () => {
    const dbPath = join(dir, 'icqd.json');
    let fail = false;
    const hooks = {
      beforeRename: () => {
        if (fail) throw new Error('injected crash before rename');
      },
    };
    const store = await AccountStore.open(dbPath, { ...STORE, writeHooks: hooks });
    await store.upsert(1001, 'one');
    await store.flush();
    const before = await readFile(dbPath, 'utf8');

    fail = true;
    await store.upsert(1002, 'two');
    await expect(store.flush()).rejects.toThrow('injected crash before rename');
    expect(await readFile(dbPath, 'utf8')).toBe(before);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    const reloaded = await AccountStore.open(dbPath, STORE);
    expect(reloaded.get(1001)).toBeDefined();
    expect(reloaded.get(1002)).toBeUndefined();
    expect(await reloaded.verify(1001, 'one')).toBe(true);

    // Once writing works again, the unsaved change goes out.
    fail = false;
    await store.flush();
    expect((await AccountStore.open(dbPath, STORE)).get(1002)).toBeDefined();
  });

  it('removes temporary files a crashed writer left behind', async () => {
    const dbPath = join(dir, 'icqd.json');
    await writeFile(join(dir, '.icqd.json.123.abcdef.tmp'), 'half a write');
    await writeFile(join(dir, 'unrelated.tmp'), 'keep');
    await AccountStore.open(dbPath, STORE);
    expect((await readdir(dir)).sort()).toEqual(['unrelated.tmp']);
  });

  const built = resolve('dist/src/server/atomic-file.js');
  it.skipIf(!existsSync(built))('survives SIGKILL in the middle of writes: the file is always one whole version', async () => {
    const path = join(dir, 'db.json');
    await writeFileAtomic(path, JSON.stringify({ i: 0, pad: '' }));
    // The child rewrites the file as fast as it can; each version is self-checking.
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(pathToFileURL(built).href)};
      const path = process.argv[1];
      for (let i = 1; ; i++) {
        await writeFileAtomic(path, JSON.stringify({ i, pad: String(i % 10).repeat(50000 + (i % 13) * 5000) }));
        if (i === 2) process.stdout.write('writing\\n');
      }`;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, 3 + ((round * 7) % 20)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const v = JSON.parse(await readFile(path, 'utf8')) as { i: number; pad: string };
      expect(v.pad).toBe(String(v.i % 10).repeat(50000 + (v.i % 13) * 5000));
      expect(v.i).toBeGreaterThanOrEqual(2);
    }
  });
});
