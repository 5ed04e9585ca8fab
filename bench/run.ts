/**
 * npm run bench: builds (npm does) and runs the four benchmarks of issue #7, or the ones
 * named on the command line, each printing its figure, the baseline measured in the same
 * run, the ratio and PASS/FAIL; the last line is the verdict.
 *
 *   node dist/bench/run.js [throughput|memory|small-files|server]... [--runs N] [--cpu-prof DIR]
 *
 * --runs: timed repetitions of every figure (default 3; the median is reported).
 * --cpu-prof DIR: CPU profiles of icqsend and icqrecv (throughput, small-files) and icqd go to DIR.
 * Everything runs on 127.0.0.1 in a temporary directory that is removed at the end; every
 * child is killed on exit or Ctrl-C.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BenchContext, type BenchResult, benchTempRoot, cleanUp, loadLine, say, silence } from './common.js';
import { memoryBenchmark } from './memory.js';
import { serverBenchmark } from './server.js';
import { smallFilesBenchmark } from './small-files.js';
import { throughputBenchmark } from './throughput.js';

type Name = 'throughput' | 'memory' | 'small-files' | 'server';
const ALL: Name[] = ['throughput', 'memory', 'small-files', 'server'];
/** The whole run is stopped after this long, whatever it is doing. */
const RUN_LIMIT_MS = 30 * 60_000;

interface Args {
  names: Name[];
  runs: number;
  profileDir?: string;
}

function parseArgs(argv: string[]): Args {
  const names: Name[] = [];
  let runs = 3;
  let profileDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs takes a whole number from 1 to 50');
    } else if (a === '--cpu-prof') {
      const dir = argv[++i];
      if (dir === undefined) throw new Error('--cpu-prof takes a directory');
      profileDir = path.resolve(dir);
    } else if ((ALL as string[]).includes(a)) {
      names.push(a as Name);
    } else {
      throw new Error(`unknown argument ${a}; benchmarks: ${ALL.join(', ')}; options: --runs N, --cpu-prof DIR`);
    }
  }
  return { names: names.length > 0 ? names : ALL, runs, ...(profileDir !== undefined ? { profileDir } : {}) };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.profileDir !== undefined) await mkdir(args.profileDir, { recursive: true });
  const root = await benchTempRoot();
  say(`icqxfer benchmarks on ${process.platform}/${process.arch}, Node ${process.version}; ${loadLine()}`);
  const results: BenchResult[] = [];
  const t0 = performance.now();
  for (const name of args.names) {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    const ctx: BenchContext = { dir, runs: args.runs };
    const prof = args.profileDir !== undefined ? { profileDir: args.profileDir } : {};
    try {
      if (name === 'throughput') results.push(await throughputBenchmark(ctx, prof));
      else if (name === 'memory') results.push(await memoryBenchmark(ctx));
      else if (name === 'small-files') results.push(await smallFilesBenchmark(ctx, prof));
      else results.push(await serverBenchmark(ctx, prof));
    } catch (err) {
      say(`  ${name} failed: ${(err as Error).message}   FAIL`);
      results.push({ name, pass: false, summary: `${name}: failed (${(err as Error).message})` });
    }
    say();
  }
  say(`${loadLine()}; ${((performance.now() - t0) / 1000).toFixed(0)} s in all`);
  for (const r of results) say(`  ${r.pass ? 'PASS' : 'FAIL'}  ${r.summary}`);
  const passed = results.filter((r) => r.pass).length;
  const failed = results.filter((r) => !r.pass).map((r) => r.name);
  say(
    failed.length === 0
      ? `verdict: PASS, all ${passed} targets met`
      : `verdict: FAIL, ${passed} of ${results.length} targets met (missed: ${failed.join(', ')})`,
  );
  return failed.length === 0 ? 0 : 1;
}

let finishing = false;
async function finish(code: number): Promise<void> {
  if (finishing) return;
  finishing = true;
  await cleanUp().catch(() => undefined);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    silence();
    process.stderr.write(`\n${signal}: stopping the benchmark\n`);
    void finish(130);
  });
}
const limit = setTimeout(() => {
  process.stderr.write(`the benchmark ran longer than ${RUN_LIMIT_MS / 60_000} minutes: stopped\n`);
  void finish(1);
}, RUN_LIMIT_MS);
limit.unref();

main().then(
  (code) => finish(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    void finish(2);
  },
);
