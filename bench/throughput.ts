/**
 * Benchmark 1: one 512 MiB file over 127.0.0.1, icqsend → icqrecv (peer to peer) against
 * the plain Node TCP copy of the same file, runs alternating so all see the same load.
 * Target: icqxfer at ≥ 80 % of the plain copy's rate (docs/architecture.md §8), as a script
 * runs it (--quiet). The same copy with --json, where both sides also compute the sha256
 * that file-done reports, is measured beside it and printed for information.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { copyWithIcqxfer, copyWithNode } from './copy-runs.js';
import { MiB, type BenchContext, type BenchResult, list, makeFile, mbps, median, say, verdict } from './common.js';

export const THROUGHPUT_FILE_SIZE = 512 * MiB;
export const THROUGHPUT_TARGET = 0.8;

type Variant = 'plain' | 'quiet' | 'json';
/** The plain copy, icqxfer as a script runs it (--quiet), and icqxfer with --json (sha256 on both sides). */
const VARIANTS: Variant[] = ['plain', 'quiet', 'json'];

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export async function sha256OfPath(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function throughputBenchmark(ctx: BenchContext, options: { profileDir?: string } = {}): Promise<BenchResult> {
  const size = THROUGHPUT_FILE_SIZE;
  say(`== throughput: one ${size / MiB} MiB file over 127.0.0.1, ${ctx.runs} runs each, order turning round`);
  const source = path.join(ctx.dir, 'big.bin');
  await makeFile(source, size);
  const expected = await sha256OfPath(source);
  const times: Record<Variant, number[]> = { plain: [], quiet: [], json: [] };
  for (let i = 0; i < ctx.runs; i++) {
    // Every copy leaves work behind in the kernel (dirty pages, freed blocks) that slows the
    // next one: the order turns round each run so every variant takes every place equally,
    // and each copy starts from an empty directory with the others' output gone.
    for (const variant of rotate(VARIANTS, i)) {
      const out = path.join(ctx.dir, `out-${i}-${variant}`);
      await mkdir(out, { recursive: true });
      if (variant === 'plain') {
        times.plain.push((await copyWithNode(source, path.join(out, 'big.bin'), { scratch: ctx.dir })).seconds);
      } else {
        const run = await copyWithIcqxfer(source, out, {
          scratch: ctx.dir,
          json: variant === 'json',
          ...(options.profileDir !== undefined && variant === 'quiet' ? { profileDir: options.profileDir } : {}),
        });
        times[variant].push(run.seconds);
      }
      // Every icqxfer copy is checked whole on the first run, by size after that.
      await checkCopy(path.join(out, 'big.bin'), size, i === 0 && variant !== 'plain' ? expected : null);
      await rm(out, { recursive: true, force: true });
    }
  }
  const { plain, quiet: icq, json: icqJson } = times;
  // Rates are size / seconds, so the ratio of rates is the inverse ratio of times.
  const ratio = median(plain) / median(icq);
  const pass = ratio >= THROUGHPUT_TARGET;
  say(`  plain Node TCP copy   ${mbps(size, median(plain))}   (seconds per run: ${list(plain)})`);
  say(`  icqsend → icqrecv     ${mbps(size, median(icq))}   (seconds per run: ${list(icq)})`);
  say(`  ratio ${ratio.toFixed(2)} (target ≥ ${THROUGHPUT_TARGET})   ${verdict(pass)}`);
  const jsonRatio = median(plain) / median(icqJson);
  say(`  with --json            ${mbps(size, median(icqJson))}   (seconds per run: ${list(icqJson)})`);
  say(`  ratio ${jsonRatio.toFixed(2)} with --json: both sides also compute the sha256 file-done reports (information, no target)`);
  await rm(source, { force: true });
  return {
    name: 'throughput',
    pass,
    summary: `512 MiB: icqxfer ${mbps(size, median(icq))}, plain TCP copy ${mbps(size, median(plain))}, ratio ${ratio.toFixed(2)} (≥ ${THROUGHPUT_TARGET}); with --json and sha256 ${jsonRatio.toFixed(2)}`,
  };
}

/** The copy is there, at full size, and (when a hash is given) byte for byte the same. */
export async function checkCopy(file: string, size: number, sha256: string | null): Promise<void> {
  const s = await stat(file);
  if (s.size !== size) throw new Error(`${file} has ${s.size} bytes, expected ${size}`);
  if (sha256 !== null && (await sha256OfPath(file)) !== sha256) throw new Error(`${file} differs from the source`);
}
