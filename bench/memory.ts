/**
 * Benchmark 2: peak RSS of icqsend and of icqrecv for a 64 MiB and a 512 MiB file, with the
 * plain Node TCP copy's peaks beside them. Targets: each side's peak flat in the file size
 * (512 MiB within 10 % of 64 MiB) and at most 64 MiB.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { copyWithIcqxfer, copyWithNode } from './copy-runs.js';
import { MiB, type BenchContext, type BenchResult, makeFile, median, mib, say, verdict } from './common.js';
import { checkCopy } from './throughput.js';

export const MEMORY_SIZES = [64 * MiB, 512 * MiB] as const;
export const MEMORY_FLATNESS = 1.1;
export const MEMORY_LIMIT = 64 * MiB;

interface Peaks {
  sender: number;
  receiver: number;
  plainSender: number;
  plainReceiver: number;
}

export async function memoryBenchmark(ctx: BenchContext): Promise<BenchResult> {
  say(`== memory: peak RSS of each side, ${MEMORY_SIZES.map((s) => `${s / MiB} MiB`).join(' and ')}, ${ctx.runs} runs each (medians)`);
  const bySize: Peaks[] = [];
  for (const size of MEMORY_SIZES) {
    const source = path.join(ctx.dir, `file-${size}.bin`);
    await makeFile(source, size);
    const runs: Peaks[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const out = path.join(ctx.dir, `out-${size}-${i}`);
      await mkdir(out, { recursive: true });
      const plain = await copyWithNode(source, path.join(out, 'plain.bin'), { scratch: ctx.dir, rss: true });
      const icq = await copyWithIcqxfer(source, out, { scratch: ctx.dir, rss: true });
      await checkCopy(path.join(out, path.basename(source)), size, null);
      runs.push({ sender: icq.senderPeak, receiver: icq.receiverPeak, plainSender: plain.senderPeak, plainReceiver: plain.receiverPeak });
      await rm(out, { recursive: true, force: true });
    }
    await rm(source, { force: true });
    const peaks: Peaks = {
      sender: median(runs.map((r) => r.sender)),
      receiver: median(runs.map((r) => r.receiver)),
      plainSender: median(runs.map((r) => r.plainSender)),
      plainReceiver: median(runs.map((r) => r.plainReceiver)),
    };
    bySize.push(peaks);
    say(
      `  ${String(size / MiB).padStart(3)} MiB  icqsend ${mib(peaks.sender)} (plain sender ${mib(peaks.plainSender)}, ratio ${(peaks.sender / peaks.plainSender).toFixed(2)})` +
        `   icqrecv ${mib(peaks.receiver)} (plain receiver ${mib(peaks.plainReceiver)}, ratio ${(peaks.receiver / peaks.plainReceiver).toFixed(2)})`,
    );
  }
  const small = bySize[0]!;
  const large = bySize[bySize.length - 1]!;
  const growthSend = large.sender / small.sender;
  const growthRecv = large.receiver / small.receiver;
  const flat = growthSend <= MEMORY_FLATNESS && growthRecv <= MEMORY_FLATNESS;
  const worst = Math.max(...bySize.flatMap((p) => [p.sender, p.receiver]));
  const small64 = worst <= MEMORY_LIMIT;
  say(`  512 MiB / 64 MiB: icqsend ${growthSend.toFixed(2)}, icqrecv ${growthRecv.toFixed(2)} (target ≤ ${MEMORY_FLATNESS})   ${verdict(flat)}`);
  say(`  largest peak ${mib(worst)} (target ≤ ${mib(MEMORY_LIMIT)})   ${verdict(small64)}`);
  return {
    name: 'memory',
    pass: flat && small64,
    summary:
      `peak RSS 64 → 512 MiB: icqsend ${mib(small.sender)} → ${mib(large.sender)}, icqrecv ${mib(small.receiver)} → ${mib(large.receiver)} ` +
      `(plain copy ${mib(large.plainSender)} / ${mib(large.plainReceiver)}); growth ≤ ${MEMORY_FLATNESS}, peak ≤ ${mib(MEMORY_LIMIT)}`,
  };
}
