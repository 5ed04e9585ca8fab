import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, IcqError } from '../../src/errors.js';
import { LoginSession } from '../../src/login/session.js';
import type { LoginSessionOptions } from '../../src/login/options.js';
import type { IncomingMessage, PeerPresence, ReverseConnectRequest } from '../../src/login/types.js';
import type { ClientPacket } from '../../src/wire/udp.js';
import { hex, toHex } from '../helpers/hex.js';
import { FakeServer } from './fake-server.js';
import { rejection } from '../helpers/errors.js';

const UIN = 1001; // E9 03 00 00
const PEER = 1002; // EA 03 00 00

let server: FakeServer | undefined;
const sessions: LoginSession[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await server?.close();
  server = undefined;
});

async function fakeServer(autoAck?: (p: ClientPacket) => boolean): Promise<FakeServer> {
  server = await FakeServer.start(autoAck);
  return server;
}

function session(srv: FakeServer, options: Partial<LoginSessionOptions> = {}): LoginSession {
  const s = new LoginSession({
    server: srv.address,
    uin: UIN,
    password: 'secret',
    tcpPort: 0x1234,
    lanIp: '10.0.0.7',
    retransmitMs: 100,
    retries: 3,
    keepAliveMs: 60_000,
    loginTimeoutMs: 5_000,
    ...options,
  });
  sessions.push(s);
  return s;
}

/** A session logged in against the fake server (server SEQ 0 used by the LOGIN_REPLY). */
async function loggedIn(
  options: Partial<LoginSessionOptions> = {},
  autoAck?: (p: ClientPacket) => boolean,
): Promise<{ srv: FakeServer; s: LoginSession }> {
  const srv = await fakeServer(autoAck);
  const s = session(srv, options);
  const result = s.login();
  await srv.acceptLogin(UIN);
  await result;
  return { srv, s };
}

describe('login', () => {
  it('sends a byte-exact LOGIN with SEQ 1 and resolves with the address the server saw', async () => {
    const srv = await fakeServer();
    const s = session(srv);
    const result = s.login();
    const login = await srv.next('login');
    expect(toHex(login.bytes)).toBe(
      toHex(
        hex(`02 00 E8 03 01 00 E9 03 00 00
             34 12 00 00
             07 00 73 65 63 72 65 74 00
             72 00 04 00
             0A 00 00 07
             04
             00 00 00 00
             02 00 00 00
             02 00
             00 00 00 00
             04 00 72 00`),
      ),
    );
    expect(login.bytes.length).toBe(43 + 7);
    srv.ack(1);
    srv.send({ kind: 'login-reply', seq: 0, uin: UIN, ip: '192.0.2.9', loginSeq: 2 });
    await expect(result).resolves.toEqual({ uin: UIN, ip: '192.0.2.9' });
    expect(s.observedIp).toBe('192.0.2.9');
    expect(s.state).toBe('online');
    // The LOGIN_REPLY (server SEQ 0) is ACKed with our UIN.
    const ack = await srv.next('ack');
    expect(toHex(ack.bytes)).toBe('02 00 0A 00 00 00 E9 03 00 00');
  });

  it('defaults USER_IP to the socket address and TCP_FLAG to 06 without a listener', async () => {
    const srv = await fakeServer();
    const s = new LoginSession({ server: srv.address, uin: UIN, password: 'pw', tcpPort: 0, loginTimeoutMs: 5_000 });
    sessions.push(s);
    void s.login().catch(() => {});
    const login = await srv.next('login');
    expect(login.packet).toMatchObject({ port: 0, ip: '127.0.0.1', tcpFlag: 0x06, status: 0, tcpVersion: 2 });
    expect(toHex(login.bytes.subarray(10))).toBe(
      '00 00 00 00 03 00 70 77 00 72 00 04 00 7F 00 00 01 06 00 00 00 00 02 00 00 00 02 00 00 00 00 00 04 00 72 00',
    );
  });

  it('after login sends the contact list, asks for stored messages, and keeps alive', async () => {
    const { srv } = await loggedIn({ contacts: [PEER], keepAliveMs: 50 });
    const list = await srv.next('contact-list');
    expect(toHex(list.bytes)).toBe('02 00 06 04 02 00 E9 03 00 00 01 EA 03 00 00');
    const offline = await srv.next('req-offline-messages');
    expect(toHex(offline.bytes)).toBe('02 00 4C 04 03 00 E9 03 00 00');
    const keepAlive = await srv.next('keep-alive');
    expect(toHex(keepAlive.bytes.subarray(0, 4))).toBe('02 00 2E 04');
    expect(toHex(keepAlive.bytes.subarray(6))).toBe('E9 03 00 00');
    expect(keepAlive.packet.seq).toBeGreaterThan(3);
  });

  it('splits a long contact list into packets of at most 100 UINs', async () => {
    const contacts = Array.from({ length: 250 }, (_, i) => 5000 + i);
    const { srv } = await loggedIn({ contacts });
    const lists = [await srv.next('contact-list'), await srv.next('contact-list'), await srv.next('contact-list')];
    expect(lists.map((l) => l.packet.uins.length)).toEqual([100, 100, 50]);
    expect(lists.flatMap((l) => l.packet.uins)).toEqual(contacts);
  });

  it('retransmits the LOGIN with the same SEQ and rejects LOGIN_UNREACHABLE at loginTimeoutMs', async () => {
    const srv = await fakeServer();
    const s = session(srv, { retransmitMs: 30, loginTimeoutMs: 300 });
    const result = s.login();
    const first = await srv.next('login');
    const second = await srv.next('login');
    expect(second.bytes).toEqual(first.bytes);
    expect((await rejection(result)).code).toBe(ErrorCode.LOGIN_UNREACHABLE);
    expect(s.state).toBe('closed');
  });

  it('rejects LOGIN_UNREACHABLE when nobody listens on the server port', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const log: string[] = [];
    const s = new LoginSession({
      server: { host: '127.0.0.1', port },
      uin: UIN,
      password: 'secret',
      tcpPort: 0,
      retransmitMs: 50,
      loginTimeoutMs: 300,
      log: (l) => log.push(l),
    });
    sessions.push(s);
    const err = await rejection(s.login());
    expect(err.code).toBe(ErrorCode.LOGIN_UNREACHABLE);
    expect(s.state).toBe('closed');
  });

  it('rejects WRONG_PASSWORD on 0x0064 and SERVER_BUSY on 0x00FA', async () => {
    const srv = await fakeServer();
    const a = session(srv);
    const wrong = a.login();
    await srv.next('login');
    srv.send({ kind: 'wrong-password', seq: 0, loginSeq: 2, uin: UIN });
    expect((await rejection(wrong)).code).toBe(ErrorCode.WRONG_PASSWORD);
    // 0x0064 is sent once and never ACKed.
    expect(srv.all('ack')).toEqual([]);

    const b = session(srv);
    const busy = b.login();
    await srv.next('login');
    srv.send({ kind: 'busy', seq: 0 });
    expect((await rejection(busy)).code).toBe(ErrorCode.SERVER_BUSY);
  });
});

describe('ACKs and duplicates', () => {
  it('ACKs every reliable server packet with its SEQ and drops a duplicate', async () => {
    const { srv, s } = await loggedIn();
    const online: PeerPresence[] = [];
    s.on('online', (p) => online.push(p));
    const userOnline = hex(`02 00 6E 00 05 00 EA 03 00 00 7F 00 00 01 39 30 00 00 0A 00 00 08 04 00 00 00 00 02 00 00 00`);
    srv.send(userOnline);
    srv.send(userOnline);
    const acks = [await srv.next('ack', (p) => p.seq === 5), await srv.next('ack', (p) => p.seq === 5)];
    expect(acks.map((a) => toHex(a.bytes))).toEqual(['02 00 0A 00 05 00 E9 03 00 00', '02 00 0A 00 05 00 E9 03 00 00']);
    // Datagrams from one socket arrive in order: once 0x0078 is seen, the duplicate was too.
    const offline = once(s, 'offline');
    srv.send({ kind: 'user-offline', seq: 6, uin: PEER });
    expect(await offline).toEqual([{ uin: PEER }]);
    expect(online).toEqual([
      { uin: PEER, ip: '127.0.0.1', port: 12345, realIp: '10.0.0.8', tcpFlag: 4, status: 0, tcpVersion: 2 },
    ]);
    expect(s.getPresence(PEER)).toBeUndefined();
  });

  it('does not ACK the once-only server packets', async () => {
    const { srv, s } = await loggedIn();
    srv.send({ kind: 'busy', seq: 7 });
    srv.send(hex('02 00 46 00 08 00 01 00 E9 03 00 00')); // NEW_UIN
    srv.send({ kind: 'ack', seq: 99 });
    const status = once(s, 'status');
    srv.send({ kind: 'status-update', seq: 9, uin: PEER, status: 1 });
    expect(await status).toEqual([{ uin: PEER, status: 1 }]);
    await srv.next('ack', (p) => p.seq === 9);
    expect(srv.all('ack').map((a) => a.seq)).toEqual([0, 9]);
  });

  it('retransmits an unACKed packet with the same SEQ until the ACK comes', async () => {
    const { srv, s } = await loggedIn({}, (p) => p.kind !== 'send-message');
    const sent = s.sendMessage(PEER, 'hi there');
    const first = await srv.next('send-message');
    const again = await srv.next('send-message');
    expect(again.bytes).toEqual(first.bytes);
    expect(toHex(first.bytes)).toBe(
      `02 00 0E 01 ${toHex(first.bytes.subarray(4, 6))} E9 03 00 00 EA 03 00 00 01 00 09 00 68 69 20 74 68 65 72 65 00`,
    );
    srv.ack(first.packet.seq);
    await expect(sent).resolves.toBeUndefined();
  });

  it('gives up after `retries` tries: server-gone, then a new LOGIN, relogin and the contact list again', async () => {
    const { srv, s } = await loggedIn({ contacts: [PEER], retransmitMs: 100, retries: 2 }, () => false);
    // Nothing is ACKed: the contact list and 0x044C run out of tries.
    const [err] = (await once(s, 'server-gone')) as [IcqError];
    expect(err.code).toBe(ErrorCode.SERVER_GONE);
    const list = await srv.next('contact-list');
    expect((await srv.next('contact-list')).bytes).toEqual(list.bytes);
    const relogin = once(s, 'relogin');
    const login = await srv.acceptLogin(UIN, 0);
    expect(login.seq).toBeGreaterThan(list.packet.seq);
    await relogin;
    expect(s.state).toBe('online');
    const list2 = await srv.next('contact-list');
    expect(list2.packet.uins).toEqual([PEER]);
  });

  it('rejects a pending send with SERVER_GONE when the server goes', async () => {
    const { srv, s } = await loggedIn({ retransmitMs: 40, retries: 2 }, (p) => p.kind !== 'send-message');
    const sent = s.sendMessage(PEER, 'lost');
    await srv.next('send-message');
    expect((await rejection(sent)).code).toBe(ErrorCode.SERVER_GONE);
  });
});

describe('session loss', () => {
  it('0x00F0 makes it log in again by itself and emit relogin', async () => {
    const { srv, s } = await loggedIn({ contacts: [PEER] });
    const list = await srv.next('contact-list');
    const gone: unknown[] = [];
    s.on('server-gone', (e) => gone.push(e));
    srv.send({ kind: 'not-connected', seq: list.packet.seq });
    const relogin = once(s, 'relogin');
    const login = await srv.acceptLogin(UIN, 0, '198.51.100.4');
    expect(login.seq).toBeGreaterThan(list.packet.seq);
    await relogin;
    expect(s.observedIp).toBe('198.51.100.4');
    expect((await srv.next('contact-list')).packet.uins).toEqual([PEER]);
    expect(gone).toEqual([]);
    // 0x00F0 is never ACKed.
    expect(srv.all('ack').map((a) => a.seq)).toEqual([0, 0]);
  });

  it('0x0028 is server-gone LOGGED_OFF, and it does not log in again', async () => {
    const { srv, s } = await loggedIn();
    const gone = once(s, 'server-gone');
    srv.send({ kind: 'logged-off', seq: 3 });
    const [err] = (await gone) as [IcqError];
    expect(err.code).toBe(ErrorCode.LOGGED_OFF);
    expect(s.state).toBe('logged-off');
    expect(srv.all('login')).toHaveLength(1);
    await expect(s.sendMessage(PEER, 'x')).rejects.toMatchObject({ code: ErrorCode.LOGGED_OFF });
  });
});

describe('a session lost for good (issue #13)', () => {
  it('0x0028: lost says "logged in elsewhere"; waiting and later calls reject with it, never "offline" or INTERRUPTED', async () => {
    const { srv, s } = await loggedIn({}, (p) => p.kind !== 'contact-list');
    const query = s.queryPresence(PEER, 60_000);
    await srv.next('contact-list');
    const waiting = s.waitForOnline(PEER + 1, 60_000);
    const lost = once(s, 'lost');
    srv.send(hex('02 00 28 00 05 00')); // 0x0028, sent once
    const [err] = (await lost) as [IcqError];
    expect(err.code).toBe(ErrorCode.LOGGED_OFF);
    expect(err.message).toContain('1001 logged in elsewhere');
    expect((await rejection(query)).code).toBe(ErrorCode.LOGGED_OFF);
    expect((await rejection(waiting)).code).toBe(ErrorCode.LOGGED_OFF);
    expect((await rejection(s.queryPresence(PEER, 1000))).code).toBe(ErrorCode.LOGGED_OFF);
    expect((await rejection(s.waitForOnline(PEER, 1000))).code).toBe(ErrorCode.LOGGED_OFF);
    expect((await rejection(s.sendReverseConnect({ targetUin: PEER, ip: '0.0.0.0', port: 1, otherPort: 2 }))).code).toBe(
      ErrorCode.LOGGED_OFF,
    );
  });

  it('a refused login after 0x00F0 is lost WRONG_PASSWORD, and nothing is tried again', async () => {
    const { srv, s } = await loggedIn();
    const relogging = once(s, 'relogging');
    srv.send(hex('02 00 F0 00 01 00'));
    await relogging;
    const login = await srv.next('login', (p) => p.seq !== srv.all('login')[0]!.seq);
    const lost = once(s, 'lost');
    srv.send({ kind: 'wrong-password', seq: 0, loginSeq: 2, uin: UIN });
    const [err] = (await lost) as [IcqError];
    expect(err.code).toBe(ErrorCode.WRONG_PASSWORD);
    expect(err.message).toContain('logging in again was refused');
    expect(s.state).toBe('logged-off');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(srv.all('login').filter((p) => p.seq !== login.packet.seq && p.seq !== srv.all('login')[0]!.seq)).toEqual([]);
  });
});

describe('a session lost for a while (issue #13)', () => {
  it('an idle session probes every probeMs: a restarted server answers 0x00F0 and it is back at once', async () => {
    const { srv, s } = await loggedIn({ probeMs: 50 });
    const probe = await srv.next('keep-alive');
    // The probe is a plain keep-alive: 02 00 2E 04 SEQ UIN.
    expect(toHex(probe.bytes.subarray(0, 4))).toBe('02 00 2E 04');
    expect(toHex(probe.bytes.subarray(6))).toBe('E9 03 00 00');
    const reasons: IcqError[] = [];
    s.on('relogging', (r) => reasons.push(r));
    const relogin = once(s, 'relogin');
    srv.send({ kind: 'not-connected', seq: probe.packet.seq });
    const started = Date.now();
    await srv.acceptLogin(UIN, 0);
    await relogin;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(reasons.map((r) => r.code)).toEqual([ErrorCode.SERVER_GONE]);
    expect(reasons[0]!.message).toContain('no longer knows this session');
  });

  it('a silent server is noticed by the probes, and the LOGIN is then resent every probeMs', async () => {
    const { srv, s } = await loggedIn({ probeMs: 30, retransmitMs: 100, retries: 2 });
    await srv.next('req-offline-messages'); // ACKed, like everything up to here
    srv.autoAck = () => false; // then the server falls silent: only the probes can tell
    const [reason] = (await once(s, 'relogging')) as [IcqError];
    expect(reason.code).toBe(ErrorCode.SERVER_GONE);
    expect(reason.message).toContain('has not answered');
    const first = await srv.next('login', (p) => p.seq !== srv.all('login')[0]!.seq);
    const t0 = Date.now();
    await srv.next('login', (p) => p.seq === first.packet.seq);
    await srv.next('login', (p) => p.seq === first.packet.seq);
    // Two resends at the 30 ms probe pace, not the 100 ms retransmit one.
    expect(Date.now() - t0).toBeLessThan(190);
    const relogin = once(s, 'relogin');
    srv.autoAck = () => true;
    srv.ack(first.packet.seq);
    srv.send({ kind: 'login-reply', seq: 0, uin: UIN, ip: '127.0.0.1', loginSeq: 2 });
    await relogin;
    expect(s.state).toBe('online');
  });

  it('a presence query open across a new login is answered by the new contact list, not taken for "offline"', async () => {
    const { srv, s } = await loggedIn({}, (p) => p.kind !== 'contact-list');
    const query = s.queryPresence(PEER, 60_000);
    const list = await srv.next('contact-list');
    srv.send({ kind: 'not-connected', seq: list.packet.seq });
    await srv.acceptLogin(UIN, 0);
    const again = await srv.next('contact-list');
    expect(again.packet.uins).toEqual([PEER]);
    srv.ack(again.packet.seq);
    srv.send({ kind: 'user-online', seq: 1, uin: PEER, ip: '127.0.0.1', port: 4321, realIp: '127.0.0.1', tcpFlag: 4, status: 0, tcpVersion: 2 });
    srv.send({ kind: 'end-of-contacts', seq: 2, uin: UIN });
    expect(await query).toMatchObject({ uin: PEER, port: 4321 });
  });

  it('--wait running out while logging in again says the server is the trouble (SERVER_GONE, not PEER_OFFLINE)', async () => {
    const { srv, s } = await loggedIn();
    const waiting = s.waitForOnline(PEER, 200);
    srv.send({ kind: 'not-connected', seq: 1 });
    await srv.next('login', (p) => p.seq !== srv.all('login')[0]!.seq); // never answered
    const err = await rejection(waiting);
    expect(err.code).toBe(ErrorCode.SERVER_GONE);
    expect(err.message).toContain('could not log in again');
  });
});

describe('session loss, more', () => {
  it('keeps trying after BUSY while logging in again, and a close() stops it', async () => {
    const { srv, s } = await loggedIn({ loginTimeoutMs: 100 });
    srv.send({ kind: 'not-connected', seq: 1 });
    await srv.next('login');
    srv.send({ kind: 'busy', seq: 0 });
    // After BUSY the next LOGIN comes loginTimeoutMs later, with a new SEQ.
    const again = await srv.next('login', (p) => p.seq !== srv.all('login')[1]!.seq);
    expect(s.state).toBe('relogging');
    expect(again.packet.seq).toBeGreaterThan(srv.all('login')[1]!.seq);
    s.close();
    expect(s.state).toBe('closed');
  });

  it('logs in again after a lost server even when the first attempts go unanswered', async () => {
    const { srv, s } = await loggedIn({ retransmitMs: 40, retries: 2, loginTimeoutMs: 150 }, () => false);
    await once(s, 'server-gone');
    const first = await srv.next('login', (p) => p.seq !== srv.all('login')[0]!.seq);
    // Let that attempt time out; the next one has a new SEQ.
    const second = await srv.next('login', (p) => p.seq !== first.packet.seq);
    srv.autoAck = () => true;
    srv.ack(second.packet.seq);
    const relogin = once(s, 'relogin');
    srv.send({ kind: 'login-reply', seq: 0, uin: UIN, ip: '127.0.0.1', loginSeq: 2 });
    await relogin;
    expect(s.state).toBe('online');
  });
});

describe('presence and requests', () => {
  it('turns a relayed 0x015E into a reverse-connect event', async () => {
    const { srv, s } = await loggedIn();
    const event = once(s, 'reverse-connect');
    srv.send(
      hex(`02 00 5E 01 04 00 EA 03 00 00
           E9 03 00 00 C0 A8 01 05 88 13 00 00 04 70 17 00 00 88 13 00 00 02 00
           00 00 00 00 00 00 00 00`),
    );
    const [request] = (await event) as [ReverseConnectRequest];
    expect(request).toEqual({
      requesterUin: PEER,
      ip: '192.168.1.5',
      port: 5000,
      tcpFlag: 4,
      otherPort: 6000,
      tcpVersion: 2,
    });
    expect(toHex((await srv.next('ack', (p) => p.seq === 4)).bytes)).toBe('02 00 0A 00 04 00 E9 03 00 00');
  });

  it('sends 0x015E byte for byte and resolves on its ACK', async () => {
    const { srv, s } = await loggedIn();
    const sent = s.sendReverseConnect({ targetUin: PEER, ip: '0.0.0.0', port: 5000, otherPort: 6000 });
    const req = await srv.next('tcp-request');
    expect(toHex(req.bytes.subarray(6))).toBe(
      'E9 03 00 00 EA 03 00 00 00 00 00 00 88 13 00 00 04 70 17 00 00 88 13 00 00 02 00',
    );
    await expect(sent).resolves.toBeUndefined();
  });

  it('emits messages from 0x0104 and 0x00DC and answers 0x00E6 with 0x0442', async () => {
    const { srv, s } = await loggedIn();
    const messages: IncomingMessage[] = [];
    s.on('message', (m) => messages.push(m));
    srv.send({ kind: 'recv-message', seq: 1, from: PEER, type: 1, text: 'hello' });
    srv.send({ kind: 'offline-message', seq: 2, from: PEER, year: 1998, month: 11, day: 3, hour: 14, minute: 5, type: 1, text: 'stored' });
    srv.send({ kind: 'end-offline-messages', seq: 3, uin: UIN });
    const done = await srv.next('ack-offline-messages');
    expect(toHex(done.bytes)).toBe(`02 00 42 04 ${toHex(done.bytes.subarray(4, 6))} E9 03 00 00`);
    expect(messages).toEqual([
      { from: PEER, type: 1, text: 'hello' },
      { from: PEER, type: 1, text: 'stored', time: new Date(Date.UTC(1998, 10, 3, 14, 5)) },
    ]);
  });

  it('waitForOnline adds the contact with 0x053C and resolves on its 0x006E', async () => {
    const { srv, s } = await loggedIn();
    const waiting = s.waitForOnline(PEER, 10_000);
    const add = await srv.next('add-to-list');
    expect(toHex(add.bytes.subarray(6))).toBe('E9 03 00 00 EA 03 00 00');
    srv.send({ kind: 'user-online', seq: 1, uin: PEER, ip: '127.0.0.1', port: 4321, realIp: '127.0.0.1', tcpFlag: 4, status: 0, tcpVersion: 2 });
    await expect(waiting).resolves.toMatchObject({ uin: PEER, port: 4321 });
    // Already online: at once, no new 0x053C.
    await expect(s.waitForOnline(PEER, 1)).resolves.toMatchObject({ uin: PEER });
    expect(srv.all('add-to-list')).toHaveLength(1);
  });

  it('waitForOnline rejects PEER_OFFLINE on timeout', async () => {
    const { s } = await loggedIn();
    expect((await rejection(s.waitForOnline(PEER, 50))).code).toBe(ErrorCode.PEER_OFFLINE);
  });
});

describe('logout, close and hostile input', () => {
  it('logout sends the exact 0x0438 once and closes', async () => {
    const { srv, s } = await loggedIn();
    await s.logout();
    const out = await srv.next('logout');
    expect(toHex(out.bytes)).toBe(
      `02 00 38 04 ${toHex(out.bytes.subarray(4, 6))} E9 03 00 00 14 00 42 5F 55 53 45 52 5F 44 49 53 43 4F 4E 4E 45 43 54 45 44 00 05 00`,
    );
    expect(out.bytes.length).toBe(34);
    expect(s.state).toBe('closed');
  });

  it('close rejects whatever waits and stops retransmitting', async () => {
    const { srv, s } = await loggedIn({}, (p) => p.kind !== 'send-message');
    const sent = s.sendMessage(PEER, 'x');
    const waiting = s.waitForOnline(PEER, 60_000);
    await srv.next('send-message');
    s.close();
    expect((await rejection(sent)).code).toBe(ErrorCode.INTERRUPTED);
    expect((await rejection(waiting)).code).toBe(ErrorCode.INTERRUPTED);
    expect(s.state).toBe('closed');
  });

  it('leaves no timer or socket behind after close', async () => {
    const srv = await fakeServer((p) => p.kind !== 'send-message');
    const resources = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'UDPWrap').length;
    const before = resources();
    const s = session(srv, { contacts: [PEER], keepAliveMs: 50 });
    const result = s.login();
    await srv.acceptLogin(UIN);
    await result;
    const pending = [s.sendMessage(PEER, 'x'), s.waitForOnline(PEER + 1, 60_000)].map((p) => p.catch(() => {}));
    await srv.next('keep-alive');
    expect(resources()).toBeGreaterThan(before);
    s.close();
    await Promise.all(pending);
    await new Promise((resolve) => setImmediate(resolve));
    expect(resources()).toBeLessThanOrEqual(before);
  });

  it('ignores garbage, truncated packets, other versions and unknown commands', async () => {
    const log: string[] = [];
    const { srv, s } = await loggedIn({ log: (l) => log.push(l) });
    const online: PeerPresence[] = [];
    s.on('online', (p) => online.push(p));
    srv.send(Buffer.alloc(0));
    srv.send(hex('FF'));
    srv.send(hex('02 00 6E'));
    srv.send(hex('03 00 6E 00 01 00 EA 03 00 00')); // version 3
    srv.send(hex('02 00 6E 00 02 00 EA 03 00')); // 0x006E cut short
    srv.send(hex('02 00 5E 01 03 00 EA 03')); // 0x015E cut short
    srv.send(hex('02 00 99 99 04 00 DE AD BE EF')); // unknown command
    srv.send(Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff)));
    const offline = once(s, 'offline');
    srv.send({ kind: 'user-offline', seq: 5, uin: PEER });
    await offline;
    expect(online).toEqual([]);
    expect(s.state).toBe('online');
    // Our datagrams arrive in order: once the ACK of 5 is in, all the earlier ones are.
    await srv.next('ack', (p) => p.seq === 5);
    // Well-formed headers of reliable commands are ACKed even when the body is not.
    expect(srv.all('ack').map((a) => a.seq)).toEqual([0, 2, 3, 4, 5]);
    expect(log.some((l) => l.includes('dropped'))).toBe(true);
  });

  it('a listener that throws does not break the session', async () => {
    const { srv, s } = await loggedIn({ log: () => {} });
    s.on('message', () => {
      throw new Error('listener bug');
    });
    srv.send({ kind: 'recv-message', seq: 1, from: PEER, type: 1, text: 'boom' });
    const offline = once(s, 'offline');
    srv.send({ kind: 'user-offline', seq: 2, uin: PEER });
    await offline;
    expect(s.state).toBe('online');
  });
});
