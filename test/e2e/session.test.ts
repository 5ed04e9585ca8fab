import { afterAll, afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { runIcqsend, start, startIcqd, startIcqrecv, stopAll } from '../../scripts/processes.js';
import {
  RECEIVER,
  SENDER,
  eventsOf,
  listTree,
  login,
  makeFiles,
  removeTempDirs,
  tempDir,
  waitUntil,
} from './helpers.js';

// The server session of the real commands (issue #13): lost for good (the UIN logs in
// elsewhere), lost for a while (icqd restarted on the same port), and one UIN used by
// several icqsend at once. Real processes on 127.0.0.1.

afterEach(stopAll);
afterAll(removeTempDirs);

const THIRD = { uin: 1003, password: 'pw3' };
const ACCOUNTS = ['--no-db', '--add-user', `${SENDER.uin}:${SENDER.password}`, '--add-user', `${RECEIVER.uin}:${RECEIVER.password}`, '--add-user', `${THIRD.uin}:${THIRD.password}`];
/** Short session timers: a restart is noticed within 200 ms, a silent server after 1 s. */
const FAST = ['--probe-ms', '200', '--retransmit-ms', '250', '--retries', '4'];

describe('a session lost for good', () => {
  it('icqrecv whose UIN logs in elsewhere says so (error event, stderr) and exits 3', async () => {
    const { address: server } = await startIcqd(ACCOUNTS);
    const inbox = await tempDir('lost');
    const { program: first } = await startIcqrecv([...login(server, RECEIVER), '--accept', '--json', '--dir', inbox]);
    const { program: second } = await startIcqrecv([...login(server, RECEIVER), '--accept', '--dir', inbox]);

    expect((await first.exited).code, first.stderr()).toBe(3);
    expect(eventsOf(first.events(), 'error')).toEqual([
      { event: 'error', code: 'ICQ_ERR_LOGGED_OFF', message: expect.stringContaining('1002 logged in elsewhere') as unknown },
    ]);

    // The second one is replaced in turn, and says it on stderr.
    await startIcqrecv([...login(server, RECEIVER), '--accept', '--quiet', '--dir', inbox]);
    expect((await second.exited).code, second.stderr()).toBe(3);
    expect(second.stderr()).toMatch(/icqrecv: 1002 logged in elsewhere: .* \[ICQ_ERR_LOGGED_OFF\]\n/);
  });
});

describe('a session lost for a while: icqd restarted on the same port', () => {
  it('icqrecv logs in again within seconds, says so, and receives again', async () => {
    const icqd = await startIcqd(ACCOUNTS);
    const work = await tempDir('restart');
    await makeFiles(work, { 'a.txt': 'after the restart\n' });
    const inbox = path.join(work, 'in');
    const { program: recv } = await startIcqrecv([...login(icqd.address, RECEIVER), ...FAST, '--accept', '--dir', inbox]);

    await icqd.program.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const restarted = await startIcqd([...ACCOUNTS, '--listen', icqd.address]);
    expect(restarted.address).toBe(icqd.address);
    const back = Date.now();
    await waitUntil(() => recv.stderr().includes('logged in again as 1002'), () => recv.stderr(), 5_000);
    expect(Date.now() - back).toBeLessThan(3_000);
    expect(recv.stderr()).toMatch(/icqrecv: lost the session with 127\.0\.0\.1:\d+ \(.*\); logging in again\n/);

    const { exit, program: send } = await runIcqsend([...login(icqd.address, SENDER), String(RECEIVER.uin), path.join(work, 'a.txt')]);
    expect(exit.code, send.stderr()).toBe(0);
    expect(await listTree(inbox)).toEqual(['a.txt']);
  });

  it('icqsend --wait notices the restart, logs in again and sends once the receiver is there', async () => {
    const icqd = await startIcqd(ACCOUNTS);
    const work = await tempDir('wait-restart');
    await makeFiles(work, { 'b.txt': 'waited\n' });
    const inbox = path.join(work, 'in');
    const send = start('icqsend', [...login(icqd.address, SENDER), ...FAST, '--json', '--wait', '30', String(THIRD.uin), path.join(work, 'b.txt')]);
    await new Promise((resolve) => setTimeout(resolve, 700)); // logged in, waiting for 1003

    await icqd.program.stop();
    await startIcqd([...ACCOUNTS, '--listen', icqd.address]);
    await waitUntil(() => eventsOf(send.events(), 'session').some((e) => e.state === 'online'), () => send.stdout() + send.stderr(), 5_000);
    expect(eventsOf(send.events(), 'session')).toEqual([
      { event: 'session', state: 'relogging', message: expect.stringContaining('logging in again') as unknown },
      { event: 'session', state: 'online', message: `logged in again as 1001 via ${icqd.address}` },
    ]);

    await startIcqrecv([...login(icqd.address, THIRD), '--accept', '--dir', inbox]);
    expect((await send.exited).code, send.stderr()).toBe(0);
    expect(await listTree(inbox)).toEqual(['b.txt']);
  });
});

describe('one UIN, several icqsend at once', () => {
  it('each ends 0, or 3 "logged in elsewhere": never 130 nor "not online"', async () => {
    const { address: server } = await startIcqd(ACCOUNTS);
    const work = await tempDir('parallel');
    await makeFiles(work, { 'p.txt': 'parallel\n' });
    await startIcqrecv([...login(server, RECEIVER), '--accept', '--on-exists', 'overwrite', '--quiet', '--dir', path.join(work, 'in')]);

    const runs = await Promise.all(
      Array.from({ length: 5 }, () => runIcqsend([...login(server, SENDER), String(RECEIVER.uin), path.join(work, 'p.txt')])),
    );
    const codes = runs.map((r) => r.exit.code);
    expect(codes.filter((c) => c !== 0 && c !== 3), runs.map((r) => r.program.stderr()).join('')).toEqual([]);
    expect(codes).toContain(0);
    for (const r of runs) {
      if (r.exit.code === 3) expect(r.program.stderr()).toMatch(/1001 logged in elsewhere.*\[ICQ_ERR_LOGGED_OFF\]/);
      expect(r.program.stderr()).not.toContain('ICQ_ERR_INTERRUPTED');
      expect(r.program.stderr()).not.toContain('is not online');
    }
  });
});
