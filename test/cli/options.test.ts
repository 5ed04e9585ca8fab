import { afterAll, afterEach, beforeAll, describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSend } from '../../src/cli/icqsend.js';
import { runRecv } from '../../src/cli/icqrecv.js';
import type { ReceiveOptions } from '../../src/transfer/options.js';
import { setEnv, testContext } from './helpers.js';
import { fakeReceiveEngine, fakeSendEngine } from './fakes.js';

let dir: string;
let file: string;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'icqxfer-cli-'));
  file = join(dir, 'a.txt');
  await writeFile(file, 'hello');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  restoreEnv?.();
  restoreEnv = undefined;
});

const noEnv = { ICQ_SERVER: undefined, ICQ_UIN: undefined, ICQ_PASSWORD: undefined };

async function send(args: string[], env: Record<string, string | undefined> = {}) {
  restoreEnv = setEnv({ ...noEnv, ...env });
  const ctx = testContext();
  const fake = fakeSendEngine();
  const code = await runSend(args, ctx, fake.engine);
  return { code, ctx, calls: fake.calls };
}

/** Runs icqrecv until it has started the (fake) engine, then interrupts it. */
async function recv(args: string[], env: Record<string, string | undefined> = {}) {
  restoreEnv = setEnv({ ...noEnv, ...env });
  const ctx = testContext();
  let options: ReceiveOptions | undefined;
  const fake = fakeReceiveEngine((o) => {
    options = o;
  });
  const running = runRecv(args, ctx, fake.engine);
  const stopper = fake.started.then(() => ctx.interrupter.abort());
  const code = await running;
  // A usage error never starts the engine: stop waiting for it.
  void stopper;
  return { code, ctx, options };
}

describe('icqsend options', () => {
  it('fills --server, --uin and --password from ICQ_SERVER, ICQ_UIN and ICQ_PASSWORD', async () => {
    const { code, calls } = await send(['1002', file], { ICQ_SERVER: '127.0.0.1:4001', ICQ_UIN: '1001', ICQ_PASSWORD: 'pw' });
    expect(code).toBe(0);
    expect(calls.start[0]).toMatchObject({ uin: 1001, login: { server: { host: '127.0.0.1', port: 4001 }, password: 'pw' } });
    expect(calls.send[0]).toEqual({ to: 1002, paths: [file], options: {} });
  });

  it('lets the command line override the environment', async () => {
    const { calls } = await send(['--server', 'srv:4002', '--uin', '7', '1002', file], {
      ICQ_SERVER: '127.0.0.1:4001',
      ICQ_UIN: '1001',
      ICQ_PASSWORD: 'pw',
    });
    expect(calls.start[0]).toMatchObject({ uin: 7, login: { server: { host: 'srv', port: 4002 }, password: 'pw' } });
  });

  it('uses --peer over a server that only comes from the environment', async () => {
    const { code, calls } = await send(['--peer', '127.0.0.1:5000', '1002', file], { ICQ_SERVER: '127.0.0.1:4001' });
    expect(code).toBe(0);
    expect(calls.start[0]!.login).toBeUndefined();
    expect(calls.send[0]!.options).toEqual({ peer: { host: '127.0.0.1', port: 5000 } });
  });

  it('refuses --server and --peer together (exit 2)', async () => {
    const { code, ctx, calls } = await send(['--server', 'a:1', '--peer', 'b:2', '--uin', '1', '--password', 'p', '1002', file]);
    expect(code).toBe(2);
    expect(ctx.stderr.text).toContain('either --server or --peer');
    expect(calls.start).toHaveLength(0);
  });

  it('needs --server or --peer (exit 2)', async () => {
    const { code, ctx } = await send(['1002', file]);
    expect(code).toBe(2);
    expect(ctx.stderr.text).toMatch(/^icqsend: no way to reach the receiver.*\[ICQ_ERR_USAGE\]\n\(run icqsend --help for usage\)\n$/);
  });

  it('needs --uin and --password with a server (exit 2)', async () => {
    const noUin = await send(['--server', 'h:1', '--password', 'p', '1002', file]);
    expect(noUin.code).toBe(2);
    expect(noUin.ctx.stderr.text).toContain('--uin is required');
    const noPassword = await send(['--server', 'h:1', '--uin', '5', '1002', file]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.ctx.stderr.text).toContain('--password is required');
  });

  it('needs a UIN and something to send', async () => {
    expect((await send(['--peer', 'h:1'])).code).toBe(2);
    expect((await send(['--peer', 'h:1', '1002'])).code).toBe(2);
  });

  it.each([
    [['--peer', 'h:99999', '1002']],
    [['--peer', 'h:1', 'notauin']],
    [['--peer', 'h:1', '--speed', '101', '1002']],
    [['--peer', 'h:1', '--uin', '0', '1002']],
    [['--peer', 'h:1', '--wait', 'soon', '1002']],
    [['--peer', 'h:1', '--connect-timeout', '0', '1002']],
    [['--peer', 'h:1', '--bogus', '1002']],
  ])('rejects %j with exit 2 and a message', async (args) => {
    const { code, ctx, calls } = await send([...args, file]);
    expect(code).toBe(2);
    // One style for every usage error, commander's and ours: a line, then where the help is.
    expect(ctx.stderr.text).toMatch(/^icqsend: (?!error: )[^\n]+ \[ICQ_ERR_USAGE\]\n\(run icqsend --help for usage\)\n$/);
    expect(ctx.stdout.text).toBe('');
    expect(calls.start).toHaveLength(0);
  });

  it('refuses --wait with --peer (exit 2): peer to peer, nothing says when the receiver comes online', async () => {
    for (const env of [{}, { ICQ_SERVER: 'h:4000' }]) {
      const { code, ctx, calls } = await send(['--peer', 'h:1', '--wait', '5', '1002', file], env);
      expect(code).toBe(2);
      expect(ctx.stderr.text).toBe(
        'icqsend: --wait needs --server: peer to peer, the receiver must be listening already [ICQ_ERR_USAGE]\n(run icqsend --help for usage)\n',
      );
      expect(calls.start).toHaveLength(0);
    }
    // The default (0) is not a --wait given.
    expect((await send(['--peer', 'h:1', '1002', file])).code).toBe(0);
  });

  it('rejects a bad ICQ_UIN from the environment (exit 2)', async () => {
    const { code, ctx } = await send(['--peer', 'h:1', '1002', file], { ICQ_UIN: 'me' });
    expect(code).toBe(2);
    expect(ctx.stderr.text).toContain('ICQ_UIN');
  });

  it('has the documented defaults, in milliseconds for the engine', async () => {
    const { calls } = await send(['--peer', 'h:1', '1002', file]);
    expect(calls.start[0]).toMatchObject({ connectTimeoutMs: 10_000, ackTimeoutMs: 120_000, idleTimeoutMs: 60_000, speed: 100 });
    expect(calls.send[0]!.options).not.toHaveProperty('waitMs');
  });

  it('passes --message, --wait, --speed and the timeouts through', async () => {
    const { calls } = await send([
      '--server', 'h:1', '--uin', '1001', '--password', 'p', '--message', 'hi there', '--wait', '2.5', '--speed', '0',
      '--connect-timeout', '1', '--idle-timeout', '0.5', '1002', file,
    ]);
    expect(calls.start[0]).toMatchObject({ speed: 0, connectTimeoutMs: 1000, idleTimeoutMs: 500 });
    expect(calls.send[0]!.options).toMatchObject({ message: 'hi there', waitMs: 2500 });
  });

  it('asks the engine for sha256s only with --json, the one output that shows them', async () => {
    for (const [args, sha256] of [[[], false], [['--quiet'], false], [['--json'], true]] as const) {
      const { calls } = await send(['--peer', 'h:1', ...args, '1002', file]);
      expect(calls.start[0], args.join(' ')).toMatchObject({ sha256 });
    }
    for (const [args, sha256] of [[[], false], [['--quiet'], false], [['--json'], true]] as const) {
      const { options } = await recv([...args]);
      expect(options, args.join(' ')).toMatchObject({ sha256 });
    }
  });

  it('treats --timeout as --ack-timeout, the last one given winning', async () => {
    expect((await send(['--peer', 'h:1', '--timeout', '5', '1002', file])).calls.start[0]!.ackTimeoutMs).toBe(5000);
    expect((await send(['--peer', 'h:1', '--timeout', '5', '--ack-timeout', '7', '1002', file])).calls.start[0]!.ackTimeoutMs).toBe(7000);
    expect((await send(['--peer', 'h:1', '--ack-timeout', '7', '--timeout', '5', '1002', file])).calls.start[0]!.ackTimeoutMs).toBe(5000);
  });

  it('passes the hidden test options through', async () => {
    const { calls } = await send([
      '--server', 'h:1', '--uin', '1', '--password', 'p', '--advertise-port', '9',
      '--retransmit-ms', '50', '--retries', '2', '--keepalive-ms', '100', '1002', file,
    ]);
    expect(calls.start[0]).toMatchObject({
      advertisePort: 9,
      login: { retransmitMs: 50, retries: 2, keepAliveMs: 100 },
    });
  });

  it('reports a usage error as a JSON error line with --json, and keeps stdout to JSON', async () => {
    const { code, ctx } = await send(['--json', '1002', file]);
    expect(code).toBe(2);
    const lines = ctx.stdout.lines();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'error', code: 'ICQ_ERR_USAGE' });
  });

  it('refuses a missing file before logging in (exit 2)', async () => {
    const { code, ctx, calls } = await send(['--peer', 'h:1', '1002', join(dir, 'missing.txt')]);
    expect(code).toBe(2);
    expect(ctx.stderr.text).toContain('[ICQ_ERR_LOCAL_FILE]');
    expect(calls.start).toHaveLength(0);
  });
});

describe('icqrecv options', () => {
  it('defaults: any free port on 0.0.0.0, resume, the current directory, peer to peer', async () => {
    const { code, options } = await recv([]);
    expect(code).toBe(130);
    expect(options).toMatchObject({
      listenHost: '0.0.0.0',
      listenPort: 0,
      onExists: 'resume',
      dir: process.cwd(),
      connectTimeoutMs: 10_000,
      ackTimeoutMs: 120_000,
      idleTimeoutMs: 60_000,
    });
    expect(options!.login).toBeUndefined();
    expect(options!.acceptTypes).toBeUndefined();
  });

  it('takes --listen as PORT or HOST:PORT', async () => {
    expect((await recv(['--listen', '5000'])).options).toMatchObject({ listenHost: '0.0.0.0', listenPort: 5000 });
    expect((await recv(['--listen', '127.0.0.1:0'])).options).toMatchObject({ listenHost: '127.0.0.1', listenPort: 0 });
    expect((await recv(['--listen', '70000'])).code).toBe(2);
  });

  it('logs in when ICQ_SERVER is set, with ICQ_UIN and ICQ_PASSWORD', async () => {
    const { options } = await recv([], { ICQ_SERVER: 'icq.lan', ICQ_UIN: '1002', ICQ_PASSWORD: 'pw' });
    expect(options).toMatchObject({ uin: 1002, login: { server: { host: 'icq.lan', port: 4000 }, password: 'pw' } });
  });

  it('needs --uin and --password with a server (exit 2)', async () => {
    const { code, ctx } = await recv(['--server', 'h:1', '--uin', '5']);
    expect(code).toBe(2);
    expect(ctx.stderr.text).toContain('--password is required');
  });

  it('offers exactly resume, rename, overwrite and skip for --on-exists', async () => {
    for (const mode of ['resume', 'rename', 'overwrite', 'skip']) {
      expect((await recv(['--on-exists', mode])).options!.onExists).toBe(mode);
    }
    const bad = await recv(['--on-exists', 'append']);
    expect(bad.code).toBe(2);
    expect(bad.ctx.stderr.text).toContain('Allowed choices are resume, rename, overwrite, skip');
  });

  it('resolves --dir, creates it, and passes --accept-type', async () => {
    const target = join(dir, 'in', 'deeper');
    const { options } = await recv(['--dir', target, '--accept-type', 'image/*,application/pdf']);
    expect(options).toMatchObject({ dir: target, acceptTypes: ['image/*', 'application/pdf'] });
  });

  it.each([
    [['--from', '1001,x']],
    [['--max-size', 'big']],
    [['--accept-type', 'pdf']],
    [['--uin', '4294967296']],
    [['extra-argument']],
  ])('rejects %j with exit 2', async (args) => {
    expect((await recv(args)).code).toBe(2);
  });

  it('turns --from and --max-size into the decide callback', async () => {
    const { options } = await recv(['--accept', '--from', '1001', '--max-size', '10M']);
    const decide = options!.decide!;
    const request = { peer: 1001, name: 'a.bin', files: 1, bytes: 10 * 1024 * 1024, description: '', address: '127.0.0.1' };
    expect(await decide(request)).toEqual({ accept: true });
    expect(await decide({ ...request, bytes: 10 * 1024 * 1024 + 1 })).toEqual({
      accept: false,
      reason: `too large: ${10 * 1024 * 1024 + 1} bytes, limit ${10 * 1024 * 1024}`,
    });
    expect(await decide({ ...request, peer: 1003 })).toEqual({
      accept: false,
      reason: 'not accepting files from 1003 (--from 1001)',
    });
  });

  it('passes --advertise-file-port (hidden)', async () => {
    expect((await recv(['--advertise-file-port', '7'])).options!.advertiseFilePort).toBe(7);
  });
});
