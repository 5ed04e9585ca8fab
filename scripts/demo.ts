/**
 * npm run demo: a real transfer between real processes on 127.0.0.1. Starts icqd with two
 * accounts, icqrecv --accept into a temporary directory, sends generated files (one of
 * several MB) with icqsend showing its progress bars, checks every sha256, and stops
 * everything it started, also on Ctrl-C. Exits non-zero if anything failed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runIcqsend, startIcqd, startIcqrecv, stopAll } from './processes.js';

const SENDER = { uin: 1001, password: 'alice-pw', nick: 'alice' };
const RECEIVER = { uin: 1002, password: 'bob-pw', nick: 'bob' };

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function makeFiles(root: string): Promise<Map<string, string>> {
  const files = new Map<string, Buffer>([
    ['hello.txt', Buffer.from('Hello from 1998! Sent with icqxfer over the ICQ v2 protocol.\n')],
    ['photo.jpg', randomBytes(12 * 1024 * 1024 + 123)],
    ['empty.dat', Buffer.alloc(0)],
    ['letters/a.txt', Buffer.from('first letter\n')],
    ['letters/deeper/b.txt', randomBytes(70_000)],
  ]);
  const sums = new Map<string, string>();
  for (const [rel, data] of files) {
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, data);
    sums.set(rel, sha256(data));
  }
  return sums;
}

async function main(): Promise<number> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'icqxfer-demo-'));
  const outbox = path.join(work, 'outbox');
  const inbox = path.join(work, 'inbox');
  const db = path.join(work, 'icqd.json');
  say(`icqxfer demo — working in ${work}`);

  const sums = await makeFiles(outbox);
  const server = await startIcqd([
    '--db', db,
    '--add-user', `${SENDER.uin}:${SENDER.password}:${SENDER.nick}`,
    '--add-user', `${RECEIVER.uin}:${RECEIVER.password}:${RECEIVER.nick}`,
  ]);
  say(`1. icqd is listening on udp://${server.address} with accounts ${SENDER.uin} and ${RECEIVER.uin}`);

  const receiver = await startIcqrecv([
    '--server', server.address, '--uin', String(RECEIVER.uin), '--password', RECEIVER.password,
    '--listen', '127.0.0.1:0', '--accept', '--dir', inbox, '--once', '--quiet',
  ]);
  say(`2. icqrecv (${RECEIVER.uin}) is online, message port ${receiver.port}, saving into ${inbox}`);

  say(`3. icqsend (${SENDER.uin}) sends ${sums.size} files to ${RECEIVER.uin}:`);
  const { exit } = await runIcqsend(
    [
      '--server', server.address, '--uin', String(SENDER.uin), '--password', SENDER.password,
      '--message', 'demo files', String(RECEIVER.uin),
      path.join(outbox, 'hello.txt'), path.join(outbox, 'photo.jpg'), path.join(outbox, 'empty.dat'), path.join(outbox, 'letters'),
    ],
    { inheritStderr: true },
  );
  if (exit.code !== 0) throw new Error(`icqsend exited with ${exit.code ?? exit.signal}`);
  const recvExit = await receiver.program.exited;
  if (recvExit.code !== 0) throw new Error(`icqrecv exited with ${recvExit.code ?? recvExit.signal}: ${receiver.program.stderr()}`);

  say('4. checking sha256 of every received file:');
  let bad = 0;
  for (const [rel, sum] of sums) {
    const got = sha256(await readFile(path.join(inbox, rel)).catch(() => Buffer.from('missing')));
    const ok = got === sum;
    if (!ok) bad++;
    say(`   ${ok ? 'ok ' : 'BAD'} ${rel}  ${got.slice(0, 16)}…`);
  }
  await server.program.stop();
  if (bad > 0) throw new Error(`${bad} file(s) differ`);

  say(`\nAll ${sums.size} files arrived intact in ${inbox}`);
  say('\nRun the three commands by hand (three terminals):');
  say(`  node bin/icqd.js --listen 127.0.0.1:4000 --db ${db}`);
  say(`  node bin/icqrecv.js --server 127.0.0.1:4000 --uin ${RECEIVER.uin} --password ${RECEIVER.password} --accept --dir ${inbox}`);
  say(`  node bin/icqsend.js --server 127.0.0.1:4000 --uin ${SENDER.uin} --password ${SENDER.password} ${RECEIVER.uin} ${path.join(outbox, 'photo.jpg')}`);
  return 0;
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted = true;
    say('\ninterrupted: stopping everything the demo started');
    void stopAll().then(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (err: Error) => {
    await stopAll();
    if (!interrupted) say(`demo failed: ${err.message}`);
    process.exit(interrupted ? 130 : 1);
  },
);
