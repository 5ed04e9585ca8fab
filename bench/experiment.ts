/**
 * Ad-hoc measurements while optimising (not part of npm run bench):
 *   node dist/bench/experiment.js SIZE_MIB RUNS [icqxfer|plain] [-- NODE_FLAGS_FOR_BOTH_SIDES...]
 * prints seconds and each side's peak RSS per run, then the medians. BENCH_SOURCE=FILE
 * copies that file instead of making one of SIZE_MIB.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { copyWithIcqxfer, copyWithNode } from './copy-runs.js';
import { MiB, benchTempRoot, cleanUp, list, makeFile, mbps, median, mib, say } from './common.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const flags = dash >= 0 ? argv.slice(dash + 1) : [];
  const [sizeArg = '512', runsArg = '3', kind = 'icqxfer'] = dash >= 0 ? argv.slice(0, dash) : argv;
  const size = Number(sizeArg) * MiB;
  const dir = await benchTempRoot();
  const given = process.env.BENCH_SOURCE;
  const source = given ?? path.join(dir, 'src.bin');
  if (given === undefined) await makeFile(source, size);
  const secs: number[] = [];
  const send: number[] = [];
  const recv: number[] = [];
  const cpuS: number[] = [];
  const cpuR: number[] = [];
  for (let i = 0; i < Number(runsArg); i++) {
    const out = path.join(dir, `out-${i}`);
    await mkdir(out);
    const o = { scratch: dir, rss: true, senderNodeArgs: flags, receiverNodeArgs: flags };
    const r = kind === 'plain' ? await copyWithNode(source, path.join(out, 'x'), o) : await copyWithIcqxfer(source, out, o);
    secs.push(r.seconds);
    send.push(r.senderPeak / MiB);
    recv.push(r.receiverPeak / MiB);
    cpuS.push(r.senderCpu);
    cpuR.push(r.receiverCpu);
    await rm(out, { recursive: true, force: true });
  }
  say(`${kind} ${flags.join(' ')}: ${mbps(size, median(secs))} (s: ${list(secs)}) send ${mib(median(send) * MiB)} (${list(send, 1)}) recv ${mib(median(recv) * MiB)} (${list(recv, 1)}) cpu send ${list(cpuS)} recv ${list(cpuR)}`);
}

main().then(
  () => cleanUp(),
  async (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    await cleanUp();
    process.exitCode = 1;
  },
);
