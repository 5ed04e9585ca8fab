import { afterEach, describe, expect, it } from 'vitest';
import { type IcqServer, type ServerOptions, startServer } from '../../src/server/index.js';
import { type ServerPacket, encodeClientPacket, tcpRequestPacket } from '../../src/wire/udp.js';
import { TestClient } from './udp-client.js';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function toHex(b: Buffer): string {
  return b.toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
}

function seqHex(seq: number): string {
  return toHex(Buffer.from([seq & 0xff, seq >> 8]));
}

// docs/protocol.md §6: Licq 0.70 logging in as 0x0020768F with password "[cePabC", SEQ 8.
const LICQ_UIN = 0x0020768f;
const LICQ_PASSWORD = '[cePabC';
const LICQ_LOGIN = hex(`02 00 E8 03 08 00 8F 76 20 00 34 4A 00 00 08 00 5B 63 65 50 61 62 43 00 72 00 04 00
  7F 00 00 01 04 00 00 00 00 03 00 00 00 02 00 00 00 00 00 04 00 72 00`);

const ALICE = { uin: 1001, password: 'alice1', nick: 'Alice' };
const BOB = { uin: 1002, password: 'bob2', nick: 'Bob' };
const CAROL = { uin: 1003, password: 'carol3', nick: 'Carol' };

let server: IcqServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

async function start(options: ServerOptions = {}): Promise<IcqServer> {
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dbPath: null,
    users: [ALICE, BOB, CAROL, { uin: LICQ_UIN, password: LICQ_PASSWORD }],
    ...options,
  });
  return server;
}

async function client(uin: number): Promise<TestClient> {
  const c = await TestClient.open(uin, server!.address);
  clients.push(c);
  return c;
}

async function online(user: { uin: number; password: string }, extra = {}): Promise<TestClient> {
  const c = await client(user.uin);
  await c.login(user.password, extra);
  return c;
}

/**
 * Waits until the server has handled everything c sent so far: it answers in order, so
 * once a keep-alive is ACKed, any reply to earlier packets has been sent.
 */
async function sync(c: TestClient): Promise<void> {
  const seq = c.send({ kind: 'keep-alive', command: 0x042e });
  await c.next((p) => p.kind === 'ack' && p.seq === seq);
}

const is =
  <K extends ServerPacket['kind']>(kind: K, more: (p: Extract<ServerPacket, { kind: K }>) => boolean = () => true) =>
  (p: ServerPacket): boolean =>
    p.kind === kind && more(p as Extract<ServerPacket, { kind: K }>);

describe('login', () => {
  it('answers the Licq 0.70 capture with ACK SEQ 8, then LOGIN_REPLY with the UIN and observed IP', async () => {
    await start();
    const c = await client(LICQ_UIN);
    c.sendRaw(LICQ_LOGIN);
    const reply = await c.nextReceived(is('login-reply'));
    const first = c.received[0]!;
    expect(toHex(first.raw)).toBe('02 00 0A 00 08 00');
    expect(reply.packet).toEqual({ kind: 'login-reply', seq: 0, uin: LICQ_UIN, ip: '127.0.0.1', loginSeq: 2 });
    expect(toHex(reply.raw)).toBe(
      toHex(hex('02 00 5A 00 00 00 8F 76 20 00 7F 00 00 01 02 00 01 00 01 00 13 00 16 00 8C 00 00 00 78 00 05 00 0A 00 05 00 01 00')),
    );
    expect(server!.isOnline(LICQ_UIN)).toBe(true);
  });

  it('refuses a wrong password and an unknown UIN with 0x0064', async () => {
    await start();
    const a = await client(ALICE.uin);
    a.send({ kind: 'login', port: 0, password: 'nope', x1: 0x00040072, ip: '0.0.0.0', tcpFlag: 6, status: 0, tcpVersion: 2, loginSeq: 7, x4: 0, x5: 0x00720004 });
    expect(await a.next(is('wrong-password'))).toMatchObject({ loginSeq: 7, uin: ALICE.uin });
    const x = await client(424242);
    x.send({ kind: 'login', port: 0, password: 'x', x1: 0, ip: '0.0.0.0', tcpFlag: 6, status: 0, tcpVersion: 2, loginSeq: 2, x4: 0, x5: 0 });
    expect(await x.next(is('wrong-password'))).toMatchObject({ uin: 424242 });
    expect(server!.sessionCount).toBe(0);
  });

  it('creates the account on first login with autoRegister, then checks the password', async () => {
    await start({ autoRegister: true });
    const x = await client(555555);
    expect(await x.login('first')).toMatchObject({ uin: 555555 });
    const y = await client(555555);
    y.send({ kind: 'login', port: 0, password: 'other', x1: 0, ip: '0.0.0.0', tcpFlag: 6, status: 0, tcpVersion: 2, loginSeq: 2, x4: 0, x5: 0 });
    expect(await y.next(is('wrong-password'))).toMatchObject({ uin: 555555 });
  });

  it('answers a packet from an address without a session with 0x00F0 carrying its SEQ', async () => {
    await start();
    const a = await client(ALICE.uin);
    const seq = a.send({ kind: 'contact-list', uins: [BOB.uin] }, 0x1234);
    const refused = await a.nextReceived(is('not-connected'));
    expect(seq).toBe(0x1234);
    expect(toHex(refused.raw)).toBe('02 00 F0 00 34 12');
    // ACKed first, like every packet.
    expect(a.received[0]!.packet).toEqual({ kind: 'ack', seq: 0x1234 });
  });

  it('replaces the session when the same UIN logs in again, with 0x0028 to the old address', async () => {
    await start();
    const old = await online(ALICE);
    const fresh = await online(ALICE);
    await old.next(is('logged-off'));
    expect(server!.sessionCount).toBe(1);
    // The old address no longer has a session; the new one does.
    const seq = old.send({ kind: 'keep-alive', command: 0x042e });
    expect(await old.next(is('not-connected'))).toEqual({ kind: 'not-connected', seq });
    await sync(fresh);
    expect(fresh.all(is('not-connected'))).toEqual([]);
  });

  it('treats a repeated LOGIN (same SEQ) as one login', async () => {
    await start();
    const a = await client(ALICE.uin);
    const login = encodeClientPacket({ kind: 'login', seq: 1, uin: ALICE.uin, port: 0, password: ALICE.password, x1: 0, ip: '0.0.0.0', tcpFlag: 6, status: 0, tcpVersion: 2, loginSeq: 2, x4: 0, x5: 0 });
    a.seq = 2;
    a.sendRaw(login);
    a.sendRaw(login);
    await a.next(is('login-reply'));
    a.sendRaw(login);
    await sync(a);
    expect(a.all(is('ack', (p) => p.seq === 1))).toHaveLength(3);
    expect(a.all(is('login-reply'))).toHaveLength(1);
    expect(a.all(is('logged-off'))).toHaveLength(0);
  });
});

describe('presence', () => {
  it('answers a contact list with a byte-exact 0x006E and a 0x021C', async () => {
    await start();
    // Alice logs in as the Licq capture did: TCP port 0x503F, LAN IP 127.0.0.1, flag 04, TCP version 3.
    await online(ALICE, { port: 0x503f, ip: '127.0.0.1', tcpFlag: 4, status: 0, tcpVersion: 3 });
    const b = await online(BOB);
    b.send({ kind: 'contact-list', uins: [ALICE.uin, CAROL.uin] });
    const on = await b.nextReceived(is('user-online'));
    // Bob's server SEQ: 0 was the LOGIN_REPLY.
    expect(toHex(on.raw)).toBe(
      toHex(hex(`02 00 6E 00 01 00 E9 03 00 00 7F 00 00 01 3F 50 00 00 7F 00 00 01 04 00 00 00 00 03 00 00 00`)),
    );
    const end = await b.nextReceived(is('end-of-contacts'));
    expect(toHex(end.raw)).toBe(`02 00 1C 02 02 00 ${toHex(hex('EA 03 00 00'))}`);
    // Carol is offline: only Alice was announced.
    expect(b.all(is('user-online'))).toHaveLength(1);
  });

  it('tells watchers when a contact logs in, changes status, goes invisible and logs out', async () => {
    await start();
    const b = await online(BOB);
    b.send({ kind: 'contact-list', uins: [ALICE.uin] });
    await b.next(is('end-of-contacts'));
    const a = await online(ALICE, { port: 4321 });
    expect(await b.next(is('user-online'))).toMatchObject({ uin: ALICE.uin, ip: '127.0.0.1', port: 4321, tcpFlag: 4 });
    a.send({ kind: 'status-change', status: 1 });
    expect(await b.next(is('status-update'))).toMatchObject({ uin: ALICE.uin, status: 1 });
    a.send({ kind: 'status-change', status: 0x100 });
    expect(await b.next(is('user-offline'))).toMatchObject({ uin: ALICE.uin });
    a.send({ kind: 'status-change', status: 0 });
    expect(await b.next(is('user-online'))).toMatchObject({ uin: ALICE.uin, status: 0 });
    const logoutSeq = a.send({ kind: 'logout', text: 'B_USER_DISCONNECTED' });
    expect(await b.next(is('user-offline'))).toMatchObject({ uin: ALICE.uin });
    expect(server!.isOnline(ALICE.uin)).toBe(false);
    // The logout was not ACKed (and the session is gone: the next packet gets 0x00F0).
    await sync(a);
    expect(a.all(is('ack', (p) => p.seq === logoutSeq))).toEqual([]);
    expect(await a.next(is('not-connected'))).toBeDefined();
  });

  it('hides an invisible user from contact lists and logins', async () => {
    await start();
    const b = await online(BOB);
    b.send({ kind: 'contact-list', uins: [ALICE.uin] });
    await b.next(is('end-of-contacts'));
    await online(ALICE, { status: 0x100 });
    const c = await online(CAROL);
    c.send({ kind: 'contact-list', uins: [ALICE.uin] });
    await c.next(is('end-of-contacts'));
    await sync(b);
    expect(b.all(is('user-online'))).toEqual([]);
    expect(c.all(is('user-online'))).toEqual([]);
  });

  it('ADD_TO_LIST announces one online contact', async () => {
    await start();
    await online(ALICE);
    const b = await online(BOB);
    b.send({ kind: 'add-to-list', target: ALICE.uin });
    expect(await b.next(is('user-online'))).toMatchObject({ uin: ALICE.uin });
  });

  it('sends an unacknowledged 0x006E again with the same SEQ, and drops a client that never ACKs', async () => {
    await start({ retransmitMs: 40, retries: 2 });
    await online(ALICE);
    const b = await online(BOB);
    b.autoAck = false;
    b.send({ kind: 'contact-list', uins: [ALICE.uin] });
    const first = await b.nextReceived(is('user-online'));
    const again = await b.nextReceived(is('user-online'));
    expect(toHex(again.raw)).toBe(toHex(first.raw));
    // 1 + retries sends, then the session is dropped.
    const third = await b.nextReceived(is('user-online'));
    expect(toHex(third.raw)).toBe(toHex(first.raw));
    for (;;) {
      const seq = b.send({ kind: 'keep-alive', command: 0x042e });
      await b.next(is('ack', (p) => p.seq === seq));
      if (!server!.isOnline(BOB.uin)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(b.all(is('user-online', (p) => p.seq === first.packet.seq)).length).toBe(3);
  });

  it('stops resending once ACKed', async () => {
    await start({ retransmitMs: 30, retries: 50 });
    await online(ALICE);
    const b = await online(BOB);
    b.send({ kind: 'contact-list', uins: [ALICE.uin] });
    await b.next(is('end-of-contacts'));
    // Auto-ACKed: wait a few retransmit periods, synchronising through keep-alives.
    for (let i = 0; i < 5; i++) {
      await sync(b);
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(b.all(is('user-online'))).toHaveLength(1);
  });

  it('expires a silent session and tells its watchers', async () => {
    await start({ keepAliveMs: 30 });
    const a = await online(ALICE);
    const b = await online(BOB);
    b.send({ kind: 'contact-list', uins: [ALICE.uin] });
    await b.next(is('end-of-contacts'));
    // Bob keeps alive; Alice says nothing.
    let offline = false;
    void b.next(is('user-offline', (p) => p.uin === ALICE.uin), 5000).then(() => (offline = true));
    while (!offline) {
      await sync(b);
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(server!.isOnline(ALICE.uin)).toBe(false);
    expect(server!.isOnline(BOB.uin)).toBe(true);
    void a;
  });
});

describe('de-duplication', () => {
  it('ACKs a duplicate again and acts once', async () => {
    await start();
    const a = await online(ALICE);
    const b = await online(BOB);
    const seq = b.send({ kind: 'send-message', target: ALICE.uin, type: 1, text: 'hello' });
    b.send({ kind: 'send-message', target: ALICE.uin, type: 1, text: 'hello' }, seq);
    await sync(b);
    await sync(a);
    expect(b.all(is('ack', (p) => p.seq === seq))).toHaveLength(2);
    expect(a.all(is('recv-message'))).toEqual([expect.objectContaining({ from: BOB.uin, type: 1, text: 'hello' })]);
  });
});

describe('messages', () => {
  it('relays a message to an online target as 0x0104', async () => {
    await start();
    const a = await online(ALICE);
    const b = await online(BOB);
    b.send({ kind: 'send-message', target: ALICE.uin, type: 4, text: 'desc\u00feurl' });
    expect(await a.next(is('recv-message'))).toMatchObject({ from: BOB.uin, type: 4, text: 'desc\u00feurl' });
  });

  it('stores a message for an offline user, delivers it on 0x044C and deletes it on 0x0442', async () => {
    await start();
    const b = await online(BOB);
    const before = new Date();
    b.send({ kind: 'send-message', target: CAROL.uin, type: 1, text: 'while you were out' });
    await sync(b);
    const c = await online(CAROL);
    c.send({ kind: 'req-offline-messages' });
    const m = await c.next(is('offline-message'));
    expect(m).toMatchObject({ from: BOB.uin, type: 1, text: 'while you were out', year: before.getUTCFullYear() });
    expect(await c.next(is('end-offline-messages'))).toMatchObject({ uin: CAROL.uin });
    c.send({ kind: 'ack-offline-messages' });
    c.send({ kind: 'req-offline-messages' });
    await c.next(is('end-offline-messages'));
    expect(c.all(is('offline-message'))).toHaveLength(1);
  });

  it('keeps stored messages until 0x0442', async () => {
    await start();
    const b = await online(BOB);
    b.send({ kind: 'send-message', target: CAROL.uin, type: 1, text: 'one' });
    await sync(b);
    const c = await online(CAROL);
    c.send({ kind: 'req-offline-messages' });
    await c.next(is('end-offline-messages'));
    c.send({ kind: 'req-offline-messages' });
    await c.next(is('end-offline-messages'));
    expect(c.all(is('offline-message'))).toHaveLength(2);
  });
});

describe('registration and info', () => {
  it('registers a new UIN (0x0046, once per request) that can then log in', async () => {
    await start();
    const r = await client(0);
    const seq = r.send({ kind: 'register', password: 'newpass' });
    const reply = await r.next(is('new-uin'));
    expect(reply).toMatchObject({ word: seq });
    expect(r.received[0]!.packet).toEqual({ kind: 'ack', seq });
    const uin = (reply as Extract<ServerPacket, { kind: 'new-uin' }>).uin;
    expect(uin).toBeGreaterThanOrEqual(100000);
    // A repeat gets the same answer, not a second account.
    r.send({ kind: 'register', password: 'newpass' }, seq);
    expect(await r.next(is('new-uin'))).toMatchObject({ uin });
    const x = await client(uin);
    expect(await x.login('newpass')).toMatchObject({ uin });
  });

  it('answers INFO_REQ with 0x0118, or 0x012C for an unknown UIN', async () => {
    await start();
    const b = await online(BOB);
    b.send({ kind: 'info-req', infoSeq: 77, target: ALICE.uin });
    expect(await b.next(is('info-reply'))).toEqual({
      kind: 'info-reply',
      seq: expect.any(Number),
      infoSeq: 77,
      uin: ALICE.uin,
      nick: 'Alice',
      first: '',
      last: '',
      email: '',
      auth: 1,
    });
    b.send({ kind: 'info-req', infoSeq: 78, target: 999 });
    expect(await b.next(is('info-none'))).toMatchObject({ uin: 999 });
  });
});

describe('reverse connect', () => {
  it('relays 0x015E to the target in the long form, filling in the observed IP', async () => {
    await start();
    const a = await online(ALICE);
    const b = await online(BOB);
    const seq = b.seq++;
    b.sendRaw(encodeClientPacket(tcpRequestPacket({ seq, uin: BOB.uin, target: ALICE.uin, ip: '0.0.0.0', port: 0x1388, otherPort: 0x1770 })));
    const relayed = await a.nextReceived(is('tcp-request-relayed'));
    // Alice's server SEQ 1 (0 was her LOGIN_REPLY).
    expect(toHex(relayed.raw)).toBe(
      toHex(hex(`02 00 5E 01 01 00 EA 03 00 00
        E9 03 00 00 7F 00 00 01 88 13 00 00 04 70 17 00 00 88 13 00 00 02 00
        00 00 00 00 00 00 00 00`)),
    );
    expect(seqHex(seq)).toBe(toHex(b.received.find((r) => r.packet.kind === 'ack' && r.packet.seq === seq)!.raw.subarray(4)));
  });

  it('keeps a requester IP that is not 0.0.0.0, and drops requests to offline users', async () => {
    await start();
    const a = await online(ALICE);
    const b = await online(BOB);
    b.send({ kind: 'tcp-request', target: CAROL.uin, ip: '10.1.2.3', port: 1, tcpFlag: 4, otherPort: 2, port2: 1, tcpVersion: 2 });
    b.send({ kind: 'tcp-request', target: ALICE.uin, ip: '10.1.2.3', port: 1, tcpFlag: 4, otherPort: 2, port2: 1, tcpVersion: 2 });
    expect(await a.next(is('tcp-request-relayed'))).toMatchObject({ requesterUin: BOB.uin, target: ALICE.uin, ip: '10.1.2.3' });
  });
});

describe('hostile input', () => {
  it('ACKs unknown commands and malformed bodies, ignores bad versions and oversized datagrams', async () => {
    await start({ maxPacketSize: 512 });
    const a = await online(ALICE);
    const unknown = a.send({ kind: 'unknown', command: 0x7777, body: hex('01 02') });
    await a.next(is('ack', (p) => p.seq === unknown));
    // A contact list that promises 9 UINs and carries one.
    const seq = a.seq++;
    a.sendRaw(hex(`02 00 06 04 ${seqHex(seq)} E9 03 00 00 09 EA 03 00 00`));
    await a.next(is('ack', (p) => p.seq === seq));
    a.sendRaw(hex('05 00 E8 03 01 00 E9 03 00 00'));
    a.sendRaw(Buffer.alloc(513, 2));
    await sync(a);
    expect(a.all(is('end-of-contacts'))).toEqual([]);
    expect(server!.isOnline(ALICE.uin)).toBe(true);
  });

  it('caps the contact list size', async () => {
    await start({ maxContacts: 2 });
    await online(CAROL);
    const b = await online(BOB);
    b.send({ kind: 'contact-list', uins: [ALICE.uin, 5, CAROL.uin] });
    await b.next(is('end-of-contacts'));
    expect(b.all(is('user-online'))).toEqual([]);
  });

  it('refuses logins beyond maxSessions with 0x00FA', async () => {
    await start({ maxSessions: 1 });
    await online(ALICE);
    const b = await client(BOB.uin);
    b.send({ kind: 'login', port: 0, password: BOB.password, x1: 0, ip: '0.0.0.0', tcpFlag: 6, status: 0, tcpVersion: 2, loginSeq: 2, x4: 0, x5: 0 });
    await b.next(is('busy'));
  });
});
