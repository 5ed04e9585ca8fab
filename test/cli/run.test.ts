import { afterAll, afterEach, beforeAll, describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSend } from '../../src/cli/icqsend.js';
import { runRecv } from '../../src/cli/icqrecv.js';
import { IcqError } from '../../src/errors.js';
import { IcqProtocolError } from '../../src/wire/errors.js';
import type { ReceiveOptions } from '../../src/transfer/options.js';
import { Capture, setEnv, testContext, type TestContext } from './helpers.js';
import { FakeReceiver, fakeReceiveEngine, fakeSendEngine, summary } from './fakes.js';

let dir: string;
let a: string;
let b: string;
let restoreEnv: () => void;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'icqxfer-cli-run-'));
  a = join(dir, 'a.txt');
  b = join(dir, 'b c.txt');
  await writeFile(a, 'aaa');
  await writeFile(b, 'bbb');
  restoreEnv = setEnv({ ICQ_SERVER: undefined, ICQ_UIN: undefined, ICQ_PASSWORD: undefined });
});
afterAll(async () => {
  restoreEnv();
  await rm(dir, { recursive: true, force: true });
});

describe('icqsend', () => {
  it('sends once, closes the engine, and exits 0', async () => {
    const ctx = testContext();
    const fake = fakeSendEngine();
    expect(await runSend(['--peer', '127.0.0.1:5000', '1002', a, b], ctx, fake.engine)).toBe(0);
    expect(fake.calls.send).toEqual([{ to: 1002, paths: [a, b], options: { peer: { host: '127.0.0.1', port: 5000 } } }]);
    expect(fake.calls.closed).toBe(1);
    expect(ctx.stdout.text).toBe('');
  });

  it('prints the engine events as JSON lines and nothing else on stdout', async () => {
    const ctx = testContext();
    const fake = fakeSendEngine(async (call, start) => {
      start.onEvent!({ event: 'accepted', peer: call.to, port: 6000 });
      start.onEvent!({ event: 'done', ...summary(call.to) });
      return summary(call.to);
    });
    expect(await runSend(['--peer', 'h:1', '--json', '1002', a], ctx, fake.engine)).toBe(0);
    expect(ctx.stdout.lines().map((l) => JSON.parse(l).event)).toEqual(['accepted', 'done']);
    expect(ctx.stderr.text).toBe('');
  });

  it.each([
    ['ICQ_ERR_REFUSED', 5],
    ['ICQ_ERR_PEER_OFFLINE', 4],
    ['ICQ_ERR_TRANSFER_BROKEN', 6],
    ['ICQ_ERR_ACK_TIMEOUT', 5],
  ] as const)('exits with the mapped code when the send fails with %s', async (code, exit) => {
    const ctx = testContext();
    const fake = fakeSendEngine(async () => {
      throw new IcqError(code, 'it failed');
    });
    expect(await runSend(['--peer', 'h:1', '1002', a], ctx, fake.engine)).toBe(exit);
    expect(ctx.stderr.text).toBe(`icqsend: it failed [${code}]\n`);
    expect(fake.calls.closed).toBe(1);
  });

  it('exits 7 on a protocol error from the peer', async () => {
    const ctx = testContext();
    const fake = fakeSendEngine(async () => {
      throw new IcqProtocolError('ICQ_ERR_SHORT_PACKET', 'short ACK');
    });
    expect(await runSend(['--peer', 'h:1', '--json', '1002', a], ctx, fake.engine)).toBe(7);
    expect(JSON.parse(ctx.stdout.text)).toEqual({ event: 'error', code: 'ICQ_ERR_SHORT_PACKET', message: 'short ACK', peer: 1002 });
  });

  it('exits 3 when the login fails, without sending', async () => {
    const ctx = testContext();
    const fake = fakeSendEngine(undefined, async () => {
      throw new IcqError('ICQ_ERR_WRONG_PASSWORD', 'wrong password for 1001');
    });
    const code = await runSend(['--server', 'h:1', '--uin', '1001', '--password', 'x', '1002', a], ctx, fake.engine);
    expect(code).toBe(3);
    expect(fake.calls.send).toHaveLength(0);
    expect(ctx.stderr.text).toBe('icqsend: wrong password for 1001 [ICQ_ERR_WRONG_PASSWORD]\n');
  });

  it('exits 130 when interrupted, after closing the engine', async () => {
    const ctx = testContext();
    const fake = fakeSendEngine(
      (_call, start) =>
        new Promise((_resolve, reject) => {
          start.signal!.addEventListener('abort', () => reject(new IcqError('ICQ_ERR_INTERRUPTED', 'interrupted')));
          ctx.interrupter.abort();
        }),
    );
    expect(await runSend(['--peer', 'h:1', '1002', a], ctx, fake.engine)).toBe(130);
    expect(fake.calls.closed).toBe(1);
  });
});

describe('icqsend --batch', () => {
  async function batch(text: string, fail: Record<number, IcqError> = {}, extra: string[] = []) {
    const file = join(dir, `batch-${Math.random().toString(16).slice(2)}.txt`);
    await writeFile(file, text);
    const ctx = testContext();
    const fake = fakeSendEngine(async (call) => {
      const err = fail[call.to];
      if (err) throw err;
      return summary(call.to, call.paths.length, 10);
    });
    const code = await runSend(['--server', 'h:1', '--uin', '1', '--password', 'p', ...extra, '--batch', file], ctx, fake.engine);
    return { code, ctx, calls: fake.calls, file };
  }

  it('logs in once and runs the transfers one after another', async () => {
    const { code, ctx, calls } = await batch(`# jobs\n1002 ${a}\n\n1003 '${b}' ${a}\n`);
    expect(code).toBe(0);
    expect(calls.start).toHaveLength(1);
    expect(calls.send.map((c) => [c.to, c.paths])).toEqual([
      [1002, [a]],
      [1003, [b, a]],
    ]);
    expect(calls.closed).toBe(1);
    expect(ctx.stderr.lines().at(-1)).toMatch(/^icqsend: batch: 2 of 2 transfers done; 3 files \(20 B\) in /);
  });

  it('goes on after a failed transfer and exits with the first failure\'s code', async () => {
    const { code, ctx, calls } = await batch(`1002 ${a}\n1003 ${a}\n1004 ${a}\n1005 ${a}\n`, {
      1003: new IcqError('ICQ_ERR_TRANSFER_BROKEN', 'connection lost'),
      1004: new IcqError('ICQ_ERR_REFUSED', 'refused'),
    });
    expect(code).toBe(6);
    expect(calls.send).toHaveLength(4);
    expect(ctx.stderr.text).toContain('icqsend: connection lost [ICQ_ERR_TRANSFER_BROKEN]');
    expect(ctx.stderr.lines().at(-1)).toMatch(/^icqsend: batch: 2 of 4 transfers done, 2 failed;/);
  });

  it('stops when the session is gone', async () => {
    const { code, calls, ctx } = await batch(`1002 ${a}\n1003 ${a}\n`, {
      1002: new IcqError('ICQ_ERR_SERVER_GONE', 'the server stopped answering'),
    });
    expect(code).toBe(3);
    expect(calls.send).toHaveLength(1);
    expect(ctx.stderr.lines().at(-1)).toMatch(/0 of 2 transfers done, 1 failed, 1 not run/);
  });

  it('rejects a bad batch file with exit 2 before anything is sent', async () => {
    const { code, ctx, calls, file } = await batch(`1002 ${a}\nnot-a-uin ${a}\n`);
    expect(code).toBe(2);
    expect(calls.start).toHaveLength(0);
    expect(ctx.stderr.text).toBe(`icqsend: ${file}:2: 'not-a-uin' is not a UIN (expected: UIN FILE...) [ICQ_ERR_USAGE]\n(run icqsend --help for usage)\n`);
  });

  it('rejects a batch naming a missing file with exit 2 before anything is sent', async () => {
    const { code, ctx, calls } = await batch(`1002 ${a}\n1003 ${join(dir, 'nope')}\n`);
    expect(code).toBe(2);
    expect(calls.start).toHaveLength(0);
    expect(ctx.stderr.text).toContain('(batch line 2)');
  });

  it('rejects --batch with a UIN on the command line, and a missing batch file', async () => {
    const ctx = testContext();
    const fake = fakeSendEngine();
    expect(await runSend(['--peer', 'h:1', '--batch', 'x', '1002', a], ctx, fake.engine)).toBe(2);
    expect(await runSend(['--peer', 'h:1', '--batch', join(dir, 'absent.txt')], ctx, fake.engine)).toBe(2);
    expect(ctx.stderr.text).toContain('cannot read the batch file');
    expect(fake.calls.start).toHaveLength(0);
  });

  it('reads the batch from stdin with --batch -', async () => {
    const ctx = testContext();
    ctx.stdin.end(`1002 ${a}\n`);
    const fake = fakeSendEngine();
    expect(await runSend(['--peer', 'h:1', '--batch', '-'], ctx, fake.engine)).toBe(0);
    expect(fake.calls.send.map((c) => c.to)).toEqual([1002]);
  });
});

describe('icqrecv', () => {
  async function start(args: string[], ctx: TestContext = testContext(), onStart?: (o: ReceiveOptions) => void) {
    const fake = fakeReceiveEngine(onStart);
    const running = runRecv(['--dir', dir, ...args], ctx, fake.engine);
    const receiver = await fake.started;
    return { ctx, running, receiver };
  }

  it('prints exactly "listening tcp://HOST:PORT" on stdout, and runs until interrupted (130)', async () => {
    const { ctx, running, receiver } = await start(['--accept']);
    expect(ctx.stdout.text).toBe('listening tcp://127.0.0.1:45678\n');
    receiver.emit('transfer-end', { peer: 1001, summary: summary(1001) });
    receiver.emit('transfer-end', { peer: 1001, error: new IcqError('ICQ_ERR_TRANSFER_BROKEN', 'lost') });
    ctx.interrupter.abort();
    expect(await running).toBe(130);
    expect(receiver.closed).toBe(1);
    expect(ctx.stdout.text).toBe('listening tcp://127.0.0.1:45678\n');
    expect(ctx.stderr.text).toContain('icqrecv: lost [ICQ_ERR_TRANSFER_BROKEN]');
  });

  it.each([
    ['success', undefined, 0],
    ['refused by us', new IcqError('ICQ_ERR_REFUSED', "refused 1001's request"), 5],
    ['cancelled', new IcqError('ICQ_ERR_CANCELLED', '1001 cancelled'), 5],
    ['broken', new IcqError('ICQ_ERR_IDLE_TIMEOUT', 'idle'), 6],
    ['protocol', new IcqProtocolError('ICQ_ERR_BAD_LENGTH', 'bad'), 7],
  ] as const)('--once exits after the first transfer with its code (%s)', async (_name, error, exit) => {
    const { running, receiver } = await start(['--accept', '--once']);
    receiver.emit('transfer-end', error ? { peer: 1001, error } : { peer: 1001, summary: summary(1001) });
    expect(await running).toBe(exit);
    expect(receiver.closed).toBe(1);
  });

  it('does not report its own refusal twice', async () => {
    const { ctx, running, receiver } = await start(['--accept', '--once']);
    receiver.options.onEvent!({ event: 'refused', peer: 1001, reason: 'too large', by: 'local' });
    receiver.emit('transfer-end', { peer: 1001, error: new IcqError('ICQ_ERR_REFUSED', "refused 1001's request: too large") });
    expect(await running).toBe(5);
    expect(ctx.stderr.lines().filter((l) => l.includes('refused'))).toEqual(['icqrecv: refused 1001: too large']);
  });

  it('with --json, prints the engine\'s online event and nothing else on stdout', async () => {
    const ctx = testContext();
    const fake = fakeReceiveEngine((o) => o.onEvent!({ event: 'online', uin: 0, host: '127.0.0.1', port: 45678 }));
    const running = runRecv(['--dir', dir, '--accept', '--once', '--json'], ctx, fake.engine);
    const receiver = await fake.started;
    receiver.emit('transfer-end', { peer: 1001, error: new IcqError('ICQ_ERR_TRANSFER_BROKEN', 'lost') });
    expect(await running).toBe(6);
    expect(ctx.stdout.lines().map((l) => JSON.parse(l))).toEqual([
      { event: 'online', uin: 0, host: '127.0.0.1', port: 45678 },
      { event: 'error', code: 'ICQ_ERR_TRANSFER_BROKEN', message: 'lost', peer: 1001 },
    ]);
  });

  it('with --json, makes up the online event if the engine did not send one', async () => {
    const { ctx, running, receiver } = await start(['--accept', '--json', '--uin', '1002']);
    ctx.interrupter.abort();
    expect(await running).toBe(130);
    expect(receiver.closed).toBe(1);
    expect(JSON.parse(ctx.stdout.lines()[0]!)).toEqual({ event: 'online', uin: 1002, host: '127.0.0.1', port: 45678 });
    expect(JSON.parse(ctx.stdout.lines()[1]!)).toMatchObject({ event: 'error', code: 'ICQ_ERR_INTERRUPTED' });
  });

  it('without --accept and without a terminal, says how to accept and refuses', async () => {
    const { ctx, running, receiver } = await start([]);
    expect(ctx.stderr.text).toContain('add --accept');
    const decision = await receiver.options.decide!({
      peer: 1001, name: 'a', files: 1, bytes: 1, description: '', address: '127.0.0.1',
    });
    expect(decision).toEqual({ accept: false, reason: 'not accepting files (icqrecv runs without --accept)' });
    ctx.interrupter.abort();
    expect(await running).toBe(130);
  });

  it('without --accept on a terminal, asks', async () => {
    const ctx = testContext({ stdinIsTTY: true, stderrIsTTY: true });
    ctx.stderr = Object.assign(new Capture(), { isTTY: false }) as Capture; // no bars in this test
    const { running, receiver } = await start(['--quiet'], ctx);
    const request = { peer: 1001, name: 'a.txt', files: 1, bytes: 3, description: '', address: '127.0.0.1' };
    const decision = receiver.options.decide!(request);
    ctx.stdin.write('y\n');
    expect(await decision).toEqual({ accept: true });
    expect(ctx.stderr.text).toContain('Accept 1 file(s), 3 bytes, from 1001 (a.txt)? [y/N]');
    ctx.interrupter.abort();
    expect(await running).toBe(130);
  });

  it('Ctrl-C at the prompt refuses that request and stops icqrecv with 130 (issue #13)', async () => {
    const ctx = testContext({ stdinIsTTY: true, stderrIsTTY: true });
    ctx.stderr = Object.assign(new Capture(), { isTTY: false }) as Capture; // no bars in this test
    const { running, receiver } = await start([], ctx);
    const decision = receiver.options.decide!({ peer: 1001, name: 'a.txt', files: 1, bytes: 3, description: '', address: '127.0.0.1' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    ctx.stdin.write('\x03'); // raw terminal: Ctrl-C arrives as a byte, not as SIGINT
    expect(await decision).toEqual({ accept: false, reason: 'refused by the user' });
    expect(await running).toBe(130);
    expect(ctx.interrupt.aborted).toBe(false); // nobody sent a signal
    expect(receiver.closed).toBe(1);
  });

  it('prints its messages above an open question, never on its line (issue #13)', async () => {
    const ctx = testContext({ stdinIsTTY: true, stderrIsTTY: true });
    ctx.stderr = Object.assign(new Capture(), { isTTY: false }) as Capture;
    const { running, receiver } = await start([], ctx);
    const decision = receiver.options.decide!({ peer: 1001, name: 'a.txt', files: 1, bytes: 3, description: '', address: '127.0.0.1' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    receiver.options.onEvent!({ event: 'request', peer: 1003, name: 'b.txt', files: 1, bytes: 9, description: '' });
    expect(ctx.stderr.text).not.toMatch(/\[y\/N\] icqrecv:/);
    expect(ctx.stderr.text).toMatch(/\x1b\[2Kicqrecv: 1003 offers b\.txt/);
    ctx.stdin.write('n\n');
    expect(await decision).toMatchObject({ accept: false });
    ctx.interrupter.abort();
    expect(await running).toBe(130);
  });

  it('exits 3 when the login fails', async () => {
    const ctx = testContext();
    const code = await runRecv(['--dir', dir, '--server', 'h:1', '--uin', '1', '--password', 'p'], ctx, {
      start: async () => {
        throw new IcqError('ICQ_ERR_LOGIN_UNREACHABLE', 'no answer from h:1');
      },
    });
    expect(code).toBe(3);
    expect(ctx.stderr.text).toContain('icqrecv: no answer from h:1 [ICQ_ERR_LOGIN_UNREACHABLE]');
    expect(ctx.stdout.text).toBe('');
  });

  it('exits with the code of an error the receiver itself reports', async () => {
    const { running, receiver } = await start(['--accept']);
    receiver.emit('error', new IcqError('ICQ_ERR_LOGGED_OFF', 'logged in elsewhere'));
    expect(await running).toBe(3);
  });

  it('keeps the fake honest: FakeReceiver is a ReceiverHandle', () => {
    expect(new FakeReceiver({ dir }).address.port).toBe(45678);
  });
});
