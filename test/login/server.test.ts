import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { LoginSession } from '../../src/login/session.js';
import type { LoginSessionOptions } from '../../src/login/options.js';
import type { IncomingMessage, PeerPresence, ReverseConnectRequest } from '../../src/login/types.js';
import { startServer } from '../../src/server/index.js';
import { rejection } from '../helpers/errors.js';

const ALICE = 1001;
const BOB = 1002;
const CAROL = 1003;
const USERS = [
  { uin: ALICE, password: 'alice', nick: 'alice' },
  { uin: BOB, password: 'bob', nick: 'bob' },
  { uin: CAROL, password: 'carol', nick: 'carol' },
];
const TIMERS = { retransmitMs: 100, retries: 5, keepAliveMs: 200 };

type Server = Awaited<ReturnType<typeof startServer>>;
let server: Server | undefined;
const sessions: LoginSession[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await server?.close();
  server = undefined;
});

async function icqd(port = 0): Promise<Server> {
  server = await startServer({ host: '127.0.0.1', port, users: USERS, dbPath: null, ...TIMERS });
  return server;
}

function session(srv: Server, uin: number, options: Partial<LoginSessionOptions> = {}): LoginSession {
  const user = USERS.find((u) => u.uin === uin)!;
  const s = new LoginSession({
    server: srv.address,
    uin,
    password: user.password,
    tcpPort: 5000 + (uin % 1000),
    loginTimeoutMs: 5_000,
    ...TIMERS,
    ...options,
  });
  sessions.push(s);
  return s;
}

/** The next 'online' for uin (others are skipped). */
function nextOnline(s: LoginSession, uin: number): Promise<PeerPresence> {
  return new Promise((resolve) => {
    const listener = (p: PeerPresence) => {
      if (p.uin !== uin) return;
      s.off('online', listener);
      resolve(p);
    };
    s.on('online', listener);
  });
}

describe('LoginSession against icqd', () => {
  it('queryPresence gets the server\'s answer: the presence when online, undefined when not', async () => {
    const srv = await icqd();
    const alice = session(srv, ALICE, { contacts: [CAROL] });
    await alice.login();
    // Asked straight after login, while the login's own contact list is still unanswered.
    await expect(alice.queryPresence(BOB, 5_000)).resolves.toBeUndefined();
    const bob = session(srv, BOB);
    await bob.login();
    const presence = await alice.queryPresence(BOB, 5_000);
    expect(presence).toMatchObject({ uin: BOB, ip: '127.0.0.1', port: 5002 });
    // Two queries in flight at once are answered in order.
    const [carol, bobAgain] = await Promise.all([alice.queryPresence(CAROL, 5_000), alice.queryPresence(BOB, 5_000)]);
    expect(carol).toBeUndefined();
    expect(bobAgain?.uin).toBe(BOB);
  });

  it('two sessions see each other come and go', async () => {
    const srv = await icqd();
    const alice = session(srv, ALICE, { contacts: [BOB] });
    await expect(alice.login()).resolves.toEqual({ uin: ALICE, ip: '127.0.0.1' });
    expect(alice.observedIp).toBe('127.0.0.1');

    const bob = session(srv, BOB, { contacts: [ALICE], tcpFlag: 0x06 });
    const bobSeen = nextOnline(alice, BOB);
    const aliceSeen = nextOnline(bob, ALICE);
    await bob.login();
    expect(await bobSeen).toEqual({
      uin: BOB,
      ip: '127.0.0.1',
      port: 5002,
      realIp: '127.0.0.1',
      tcpFlag: 0x06,
      status: 0,
      tcpVersion: 2,
    });
    expect(await aliceSeen).toEqual({
      uin: ALICE,
      ip: '127.0.0.1',
      port: 5001,
      realIp: '127.0.0.1',
      tcpFlag: 0x04,
      status: 0,
      tcpVersion: 2,
    });
    expect(alice.getPresence(BOB)).toMatchObject({ port: 5002 });

    const bobGone = once(alice, 'offline');
    await bob.logout();
    expect(await bobGone).toEqual([{ uin: BOB }]);
    expect(alice.getPresence(BOB)).toBeUndefined();
  });

  it('waitForOnline resolves for a user who logs in later, and rejects PEER_OFFLINE on timeout', async () => {
    const srv = await icqd();
    const alice = session(srv, ALICE);
    await alice.login();
    const waiting = alice.waitForOnline(BOB, 10_000);
    const bob = session(srv, BOB);
    // The 0x053C must reach the server before Bob does, or there is nothing to tell Alice
    // when he arrives; the contact answer covers the other order, so both orders pass.
    await bob.login();
    await expect(waiting).resolves.toMatchObject({ uin: BOB, ip: '127.0.0.1', port: 5002, tcpFlag: 4, tcpVersion: 2 });
    expect((await rejection(alice.waitForOnline(CAROL, 200))).code).toBe(ErrorCode.PEER_OFFLINE);
  });

  it('a wrong password is WRONG_PASSWORD', async () => {
    const srv = await icqd();
    const s = session(srv, ALICE, { password: 'not-it' });
    expect((await rejection(s.login())).code).toBe(ErrorCode.WRONG_PASSWORD);
  });

  it('relays a reverse-connect request and a message', async () => {
    const srv = await icqd();
    const alice = session(srv, ALICE, { contacts: [BOB] });
    const bob = session(srv, BOB);
    await alice.login();
    const bobSeen = nextOnline(alice, BOB);
    await bob.login();
    await bobSeen;

    const request = once(bob, 'reverse-connect');
    await alice.sendReverseConnect({ targetUin: BOB, ip: '0.0.0.0', port: 6001, otherPort: 6002 });
    expect(((await request) as [ReverseConnectRequest])[0]).toEqual({
      requesterUin: ALICE,
      ip: '127.0.0.1',
      port: 6001,
      tcpFlag: 4,
      otherPort: 6002,
      tcpVersion: 2,
    });

    const message = once(bob, 'message');
    await alice.sendMessage(BOB, 'hello bob');
    expect(((await message) as [IncomingMessage])[0]).toEqual({ from: ALICE, type: 1, text: 'hello bob' });
  });

  it('a message to an offline user arrives at its next login', async () => {
    const srv = await icqd();
    const alice = session(srv, ALICE);
    await alice.login();
    await alice.sendMessage(CAROL, 'while you were out');
    const carol = session(srv, CAROL);
    const message = once(carol, 'message');
    await carol.login();
    const [m] = (await message) as [IncomingMessage];
    expect(m).toMatchObject({ from: ALICE, type: 1, text: 'while you were out' });
    expect(m.time).toBeInstanceOf(Date);
  });

  it('logs in again by itself when the server restarts (0x00F0 on the keep-alive)', async () => {
    const first = await icqd();
    const port = first.address.port;
    const alice = session(first, ALICE, { keepAliveMs: 100 });
    await alice.login();
    await first.close();
    server = undefined;
    const relogin = once(alice, 'relogin');
    await icqd(port);
    await relogin;
    expect(alice.state).toBe('online');
  });
});
