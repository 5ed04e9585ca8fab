import { afterEach, describe, expect, it } from 'vitest';
import { RecentSeqs } from '../../src/login/dedup.js';
import { RetransmitQueue } from '../../src/login/retransmit.js';

const queues: RetransmitQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.clear(new Error('test over'));
});

function queue(retries: number, onGiveUp: (seq: number) => void = () => {}) {
  const sent: string[] = [];
  const q = new RetransmitQueue((p) => sent.push(p.toString('hex')), { retransmitMs: 10, retries }, onGiveUp);
  queues.push(q);
  return { q, sent };
}

describe('RetransmitQueue', () => {
  it('sends at once and resolves on the ACK of that SEQ only', async () => {
    const { q, sent } = queue(6);
    const p = q.send(7, Buffer.from('0700', 'hex'));
    expect(sent).toEqual(['0700']);
    expect(q.ack(8)).toBe(false);
    expect(q.ack(7)).toBe(true);
    await expect(p).resolves.toBeUndefined();
    expect(q.ack(7)).toBe(false);
    expect(q.size).toBe(0);
  });

  it('sends the same bytes `retries` times in all, then gives up once with that SEQ', async () => {
    let giveUp!: (seq: number) => void;
    const gaveUp = new Promise<number>((resolve) => (giveUp = resolve));
    const { q, sent } = queue(3, (seq) => giveUp(seq));
    const p = q.send(4, Buffer.from('aa', 'hex'));
    expect(await gaveUp).toBe(4);
    expect(sent).toEqual(['aa', 'aa', 'aa']);
    // Still pending: the owner decides (here: clear).
    q.clear(new Error('gone'));
    await expect(p).rejects.toThrow('gone');
  });

  it('clear rejects every waiting send', async () => {
    const { q } = queue(6);
    const a = q.send(1, Buffer.alloc(1));
    const b = q.send(2, Buffer.alloc(1));
    q.clear(new Error('closed'));
    await expect(a).rejects.toThrow('closed');
    await expect(b).rejects.toThrow('closed');
    expect(q.size).toBe(0);
  });
});

describe('RecentSeqs', () => {
  it('reports a SEQ seen again as a duplicate', () => {
    const r = new RecentSeqs(4);
    expect(r.add(0)).toBe(true);
    expect(r.add(1)).toBe(true);
    expect(r.add(0)).toBe(false);
  });

  it('forgets the oldest SEQ beyond its capacity, and everything on reset', () => {
    const r = new RecentSeqs(2);
    r.add(1);
    r.add(2);
    r.add(3);
    expect(r.add(1)).toBe(true);
    expect(r.add(3)).toBe(false);
    r.reset();
    expect(r.add(3)).toBe(true);
  });
});
