/**
 * Benchmark 3: 2000 files of 4 KiB in one batch (a directory), icqsend → icqrecv peer to
 * peer. The protocol has one round trip per file (02 → 03) and no other per-file wait, so
 * the floor is one loopback round trip a file; the benchmark prints the time a file costs
 * against that round trip, measured in the same run between two processes.
 * Target: ≥ 1000 files/s, start-up of both programs included.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { copyWithIcqxfer } from './copy-runs.js';
import { type BenchContext, type BenchResult, benchScript, childLine, list, median, say, spawnNode, verdict } from './common.js';

export const SMALL_FILE_COUNT = 2000;
export const SMALL_FILE_SIZE = 4096;
export const SMALL_FILES_TARGET = 1000;

export async function smallFilesBenchmark(ctx: BenchContext, options: { profileDir?: string } = {}): Promise<BenchResult> {
  say(`== many small files: ${SMALL_FILE_COUNT} files of ${SMALL_FILE_SIZE / 1024} KiB in one batch, ${ctx.runs} runs (medians)`);
  const source = path.join(ctx.dir, 'many');
  await mkdir(source, { recursive: true });
  const content = Buffer.alloc(SMALL_FILE_SIZE, 0x5a);
  for (let i = 0; i < SMALL_FILE_COUNT; i++) {
    content.writeUInt32LE(i, 0);
    await writeFile(path.join(source, `file-${String(i).padStart(5, '0')}.bin`), content);
  }
  const one = path.join(ctx.dir, 'one.bin');
  await writeFile(one, content);

  const batch: number[] = [];
  const single: number[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    const out = path.join(ctx.dir, `out-${i}`);
    await mkdir(out, { recursive: true });
    // One file alone: the fixed cost (start-up, handshake, exit) the batch also pays once.
    single.push((await copyWithIcqxfer(one, out, { scratch: ctx.dir })).seconds);
    const run = await copyWithIcqxfer(source, out, {
      scratch: ctx.dir,
      timeoutMs: 120_000,
      ...(options.profileDir !== undefined ? { profileDir: options.profileDir } : {}),
    });
    batch.push(run.seconds);
    const got = (await readdir(path.join(out, 'many'))).filter((n) => !n.endsWith('.part')).length;
    if (got !== SMALL_FILE_COUNT) throw new Error(`received ${got} of ${SMALL_FILE_COUNT} files`);
    // The copies stay until the end: deleting thousands of files right before creating
    // thousands more slows ext4's inode allocation (it skips recently deleted inodes), which
    // would measure the benchmark's own clean-up.
  }
  const rtt = await loopbackRoundTrip(ctx);
  const seconds = median(batch);
  const filesPerSecond = SMALL_FILE_COUNT / seconds;
  const perFile = (seconds - median(single)) / (SMALL_FILE_COUNT - 1);
  const pass = filesPerSecond >= SMALL_FILES_TARGET;
  say(`  one 4 KiB file alone    ${median(single).toFixed(3)} s (start-up, handshake and exit of both programs; runs: ${list(single, 3)})`);
  say(`  ${SMALL_FILE_COUNT} files              ${seconds.toFixed(3)} s (runs: ${list(batch, 3)})`);
  say(`  time per file beyond the first ${(perFile * 1e6).toFixed(0)} µs; one loopback round trip ${(rtt * 1e6).toFixed(0)} µs: ${(perFile / rtt).toFixed(1)} round trips a file`);
  say(`  ${filesPerSecond.toFixed(0)} files/s, start-up included (target ≥ ${SMALL_FILES_TARGET})   ${verdict(pass)}`);
  await rm(ctx.dir, { recursive: true, force: true });
  return {
    name: 'small-files',
    pass,
    summary: `${SMALL_FILE_COUNT} × 4 KiB: ${filesPerSecond.toFixed(0)} files/s with start-up (≥ ${SMALL_FILES_TARGET}); ${(perFile * 1e6).toFixed(0)} µs a file = ${(perFile / rtt).toFixed(1)} loopback round trips of ${(rtt * 1e6).toFixed(0)} µs`,
  };
}

/** Median time of a 1-byte TCP round trip to another process over 127.0.0.1, in seconds. */
async function loopbackRoundTrip(_ctx: BenchContext, rounds = 2000): Promise<number> {
  const echo = spawnNode(benchScript('echo.js'), []);
  try {
    const m = await childLine(echo, /listening (\d+)/, 15_000);
    const socket = net.connect({ host: '127.0.0.1', port: Number(m[1]) });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const times: number[] = [];
    const byte = Buffer.from([1]);
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        socket.once('data', () => resolve());
        socket.write(byte);
      });
      times.push((performance.now() - t0) / 1000);
    }
    socket.destroy();
    return median(times);
  } finally {
    echo.kill();
  }
}
