import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReliableSender, type ReliableSenderOptions } from '../../src/server/reliable.js';
import { decodeServerPacket } from '../../src/wire/udp.js';

let sent: Buffer[];
let giveUps: string[];

function sender(options: Partial<ReliableSenderOptions> = {}): ReliableSender {
  return new ReliableSender({
    retransmitMs: 100,
    retries: 2,
    window: 8,
    maxPending: 100,
    transmit: (d) => sent.push(Buffer.from(d)),
    onGiveUp: (reason) => giveUps.push(reason),
    ...options,
  });
}

const seqs = (): number[] => sent.map((d) => d.readUInt16LE(4));
const offline = (uin: number) => ({ kind: 'user-offline', uin }) as const;

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  giveUps = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ReliableSender', () => {
  it('numbers packets from 0, once-only packets included, and never resends those', () => {
    const s = sender();
    s.send({ kind: 'login-reply', uin: 1, ip: '127.0.0.1', loginSeq: 2 });
    s.send({ kind: 'logged-off' });
    s.send(offline(5));
    expect(seqs()).toEqual([0, 1, 2]);
    expect(decodeServerPacket(sent[2]!)).toEqual({ kind: 'user-offline', seq: 2, uin: 5 });
    s.ack(0);
    s.ack(2);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(3);
    expect(s.pendingCount).toBe(0);
  });

  it('resends an unacknowledged packet every retransmitMs, then gives up after 1 + retries sends', () => {
    const s = sender({ retries: 2 });
    s.send(offline(5));
    vi.advanceTimersByTime(99);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(3);
    expect(sent[2]!.equals(sent[0]!)).toBe(true);
    expect(giveUps).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(3);
    expect(giveUps).toHaveLength(1);
    expect(giveUps[0]).toContain('0x0078');
  });

  it('keeps at most `window` packets unacknowledged and sends the rest in order as ACKs arrive', () => {
    const s = sender({ window: 2 });
    for (let i = 0; i < 5; i++) s.send(offline(100 + i));
    expect(seqs()).toEqual([0, 1]);
    expect(s.pendingCount).toBe(5);
    s.ack(1);
    expect(seqs()).toEqual([0, 1, 2]);
    expect(decodeServerPacket(sent[2]!)).toMatchObject({ seq: 2, uin: 102 });
    s.ack(0);
    s.ack(2);
    expect(seqs()).toEqual([0, 1, 2, 3, 4]);
    expect(decodeServerPacket(sent[4]!)).toMatchObject({ seq: 4, uin: 104 });
  });

  it('resends at once a packet that 3 later packets overtook', () => {
    const s = sender({ window: 5 });
    for (let i = 0; i < 5; i++) s.send(offline(i));
    s.ack(1);
    s.ack(2);
    expect(sent).toHaveLength(5);
    s.ack(3);
    expect(seqs()).toEqual([0, 1, 2, 3, 4, 0]);
    // Once only; after that the normal timer takes over.
    s.ack(4);
    expect(sent).toHaveLength(6);
    vi.advanceTimersByTime(100);
    expect(seqs()).toEqual([0, 1, 2, 3, 4, 0, 0]);
  });

  it('gives up when too many packets wait', () => {
    const s = sender({ window: 1, maxPending: 3 });
    for (let i = 0; i < 4; i++) s.send(offline(i));
    expect(giveUps).toHaveLength(1);
    expect(s.pendingCount).toBe(3);
  });

  it('sends nothing after close', () => {
    const s = sender({ window: 1 });
    s.send(offline(1));
    s.send(offline(2));
    s.close();
    s.send(offline(3));
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    expect(s.pendingCount).toBe(0);
  });

  it('sendEncoded stamps its own SEQ on a copy of the template', () => {
    const s = sender();
    s.send({ kind: 'logged-off' });
    const template = Buffer.from('02006e00ffff' + 'e9030000' + '7f000001' + '00000000' + '7f000001' + '04' + '00000000' + '02000000', 'hex');
    s.sendEncoded(template);
    expect(seqs()).toEqual([0, 1]);
    expect(template.readUInt16LE(4)).toBe(0xffff);
  });
});
