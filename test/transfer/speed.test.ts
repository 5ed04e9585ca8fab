import { describe, expect, it } from 'vitest';
import { Pacer, SpeedControl, SPEED_STEP_BYTES_PER_SECOND, clampSpeed, pacedBlockBytes } from '../../src/transfer/speed.js';

describe('SpeedControl', () => {
  it('combines our speed and the peer 05 as the minimum', () => {
    const s = new SpeedControl(40);
    expect(s.effective).toBe(40);
    expect(s.setPeer(10)).toBe(true);
    expect(s.effective).toBe(10);
    expect(s.setPeer(90)).toBe(true);
    expect(s.effective).toBe(40);
    expect(s.setPeer(70)).toBe(false);
  });

  it('treats 0 as paused and 100 (or more) as unlimited', () => {
    const s = new SpeedControl();
    expect(s.bytesPerSecond).toBe(Infinity);
    s.setPeer(0);
    expect(s.paused).toBe(true);
    expect(s.bytesPerSecond).toBe(0);
    s.setPeer(250);
    expect(s.effective).toBe(100);
    s.setPeer(3);
    expect(s.bytesPerSecond).toBe(3 * SPEED_STEP_BYTES_PER_SECOND);
  });

  it('a local 0 starts paused and the first non-zero 05 from the peer lifts it', () => {
    const s = new SpeedControl(0);
    expect(s.paused).toBe(true);
    expect(s.setPeer(0)).toBe(false);
    expect(s.paused).toBe(true);
    expect(s.setPeer(30)).toBe(true);
    expect(s.effective).toBe(30);
    expect(s.setPeer(100)).toBe(true);
    expect(s.effective).toBe(100);
    // A later 05 with 0 pauses again, like any peer pause.
    s.setPeer(0);
    expect(s.paused).toBe(true);
  });

  it('clamps hostile values', () => {
    expect([-1, NaN, 0, 0.5, 1, 99.9, 100, 0xffffffff].map(clampSpeed)).toEqual([0, 0, 0, 0, 1, 99, 100, 100]);
  });
});

describe('Pacer', () => {
  it('asks to wait until the bytes sent are paid for at the rate', () => {
    const p = new Pacer();
    p.reset(1000);
    expect(p.delay(1000, 1000)).toBe(0);
    p.add(500);
    expect(p.delay(1000, 1000)).toBe(500);
    expect(p.delay(1000, 1400)).toBe(100);
    expect(p.delay(1000, 1600)).toBe(0);
    expect(p.delay(Infinity, 1000)).toBe(0);
    p.reset(2000);
    expect(p.delay(1000, 2000)).toBe(0);
  });

  it('sizes paced blocks at about a tenth of a second, in whole chunks', () => {
    expect(pacedBlockBytes(Infinity, 131072, 2048)).toBe(131072);
    expect(pacedBlockBytes(SPEED_STEP_BYTES_PER_SECOND, 131072, 2048)).toBe(12 * 2048);
    expect(pacedBlockBytes(1000, 131072, 2048)).toBe(2048);
    expect(pacedBlockBytes(99 * SPEED_STEP_BYTES_PER_SECOND, 131072, 2048)).toBe(131072);
  });
});
