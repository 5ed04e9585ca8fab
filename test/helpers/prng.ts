/**
 * The seeded generator every fuzz and property test shares, so a failure reproduces
 * exactly from its seed (print the seed with the failure).
 */

/** mulberry32: a tiny, fast, seeded 32-bit PRNG; each call returns an unsigned 32-bit integer. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same sequence as floats in [0, 1), for code written against Math.random. */
export function uniform(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

export class Random {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  /** An unsigned 32-bit integer. */
  u32(): number {
    return this.next();
  }

  /** 0 ≤ n < max */
  int(max: number): number {
    return this.next() % max;
  }

  /** true with probability 1/n. */
  oneIn(n: number): boolean {
    return this.int(n) === 0;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }

  /** Mostly short, sometimes longer: most decoders fail early, the long ones reach the tails. */
  length(): number {
    return this.int(4) === 0 ? this.int(300) : this.int(48);
  }

  /** 1–4 bit flips, or a byte replaced by a value that tends to matter (0, FF, lengths). */
  mutate(valid: Buffer): Buffer {
    const out = Buffer.from(valid);
    if (out.length === 0) return out;
    const flips = 1 + this.int(4);
    for (let i = 0; i < flips; i++) {
      const at = this.int(out.length);
      if (this.int(3) === 0) out[at] = [0x00, 0xff, 0x01, 0x7f, 0x80, 0xfe][this.int(6)]!;
      else out[at]! ^= 1 << this.int(8);
    }
    return out;
  }

  /** buf cut into 1–max pieces at random places (every piece non-empty). */
  split(buf: Buffer, max = 8): Buffer[] {
    if (buf.length <= 1) return [buf];
    const cuts = new Set<number>();
    const n = this.int(Math.min(max, buf.length));
    for (let i = 0; i < n; i++) cuts.add(1 + this.int(buf.length - 1));
    const points = [0, ...[...cuts].sort((a, b) => a - b), buf.length];
    const out: Buffer[] = [];
    for (let i = 1; i < points.length; i++) out.push(buf.subarray(points[i - 1]!, points[i]!));
    return out;
  }
}
