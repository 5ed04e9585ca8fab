import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../src/transfer/progress.js';
import type { TransferEvent } from '../../src/transfer/events.js';

describe('ProgressReporter', () => {
  it('emits at most once per interval however often it is ticked', () => {
    const events: TransferEvent[] = [];
    const p = new ProgressReporter(7, 1000, 60_000, (e) => events.push(e));
    p.beginFile('a', 1000, 100);
    for (let i = 0; i < 100; i++) {
      p.add(1);
      p.tick();
    }
    p.stop();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'progress', peer: 7, bytes: 101, total: 1000, name: 'a', fileBytes: 101, fileSize: 1000 });
  });

  it('with interval 0 emits at every tick where something changed, counting offsets as done but not as transferred', () => {
    const events: TransferEvent[] = [];
    const p = new ProgressReporter(1, 300, 0, (e) => events.push(e));
    p.beginFile('a', 100, 40);
    p.add(60);
    p.tick();
    p.tick();
    p.beginFile('b', 200, 0);
    p.add(200);
    p.tick();
    expect(events.map((e) => (e.event === 'progress' ? [e.name, e.bytes, e.fileBytes] : null))).toEqual([
      ['a', 100, 100],
      ['b', 300, 200],
    ]);
    expect(p.transferred).toBe(260);
  });
});
