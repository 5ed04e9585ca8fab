/**
 * What every benchmark shares: a temporary directory removed at the end, children killed on
 * exit or Ctrl-C, peak-RSS measurement of a child, medians, and the one way a result is
 * printed (figure, baseline, ratio, PASS/FAIL against the target).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stopAll } from '../scripts/processes.js';

export const MiB = 1024 * 1024;

/** One benchmark's outcome: printed lines are already out; this is for the final verdict. */
export interface BenchResult {
  name: string;
  pass: boolean;
  /** One line for the verdict and the README. */
  summary: string;
}

export interface BenchContext {
  /** A directory of its own under the run's temporary directory. */
  dir: string;
  /** Timed repetitions of each figure (the median is reported). */
  runs: number;
}

// ---------------------------------------------------------------------------------------
// Temporary files and children

let tempRoot: string | null = null;
const children = new Set<ChildProcess>();

export async function benchTempRoot(): Promise<string> {
  tempRoot ??= await mkdtemp(path.join(os.tmpdir(), 'icqxfer-bench-'));
  return tempRoot;
}

/** Kill every child still running and remove the temporary directory. */
export async function cleanUp(): Promise<void> {
  for (const c of children) c.kill('SIGKILL');
  await stopAll().catch(() => undefined);
  if (tempRoot !== null) await rm(tempRoot, { recursive: true, force: true });
  tempRoot = null;
}

/** Node children that are not our three programs (the baseline copy), killed by cleanUp. */
export function spawnNode(script: string, args: string[], nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A script beside this one in dist/bench. */
export function benchScript(name: string): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), name);
}

/** Resolves when the child exits; rejects when it exits non-zero or outlives timeoutMs (then it is killed). */
export function childExit(child: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} exited with ${code ?? signal}: ${stderr.slice(-1000)}`));
    };
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
    else child.once('exit', done);
  });
}

/** The first stdout line of child matching re. */
export function childLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => finish(new Error(`no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = re.exec(out);
      if (m) finish(undefined, m);
    };
    const onExit = (): void => finish(new Error(`child exited before printing ${re}`));
    function finish(err?: Error, m?: RegExpMatchArray): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Settles like work, or rejects after ms. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------
// Peak resident memory of a child

/**
 * Peak RSS of one child process, from two sources: VmHWM in /proc/PID/status, polled while
 * it runs, and the same field read by the child itself at exit (rss-probe.js, loaded with
 * --import and told where to write by ICQXFER_BENCH_RSS_FILE), which catches a peak after
 * the last poll. The larger of the two is the answer.
 */
export class PeakRss {
  private polled = 0;
  private timer: NodeJS.Timeout | null = null;
  readonly file: string;

  constructor(dir: string, label: string) {
    this.file = path.join(dir, `rss-${label}-${process.hrtime.bigint()}.txt`);
  }

  /** Node flags and environment that make the child report its own peak at exit. */
  get nodeArgs(): string[] {
    return ['--import', pathToFileURL(benchScript('rss-probe.js')).href];
  }

  get env(): NodeJS.ProcessEnv {
    return { ICQXFER_BENCH_RSS_FILE: this.file };
  }

  watch(pid: number | undefined): void {
    if (pid === undefined) return;
    const poll = (): void => {
      const hwm = readVmHwm(`/proc/${pid}/status`);
      if (hwm > this.polled) this.polled = hwm;
    };
    poll();
    this.timer = setInterval(poll, 20);
  }

  /** Bytes; call after the child has exited. */
  peak(): number {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    return Math.max(this.polled, this.report()[0] ?? 0);
  }

  /** CPU seconds (user + system, all threads) the child reported at exit; 0 when it did not. */
  cpuSeconds(): number {
    const [, user = 0, system = 0] = this.report();
    return (user + system) / 1e6;
  }

  private report(): number[] {
    try {
      return readFileSync(this.file, 'utf8').trim().split(' ').map(Number);
    } catch {
      // The child died before its exit handler: the polled figure is all there is.
      return [];
    }
  }
}

/** VmHWM (peak resident set) from a /proc status file, in bytes; 0 when unreadable. */
export function readVmHwm(statusPath: string): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(statusPath, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------
// Files

/**
 * A file of `size` pseudo-random bytes (incompressible, different in every MiB), written in
 * 8 MiB pieces so making it costs little memory.
 */
export async function makeFile(file: string, size: number): Promise<void> {
  const piece = Buffer.allocUnsafe(Math.min(size, 8 * MiB));
  randomFillSync(piece);
  const handle = await open(file, 'w');
  try {
    let written = 0;
    while (written < size) {
      const n = Math.min(piece.length, size - written);
      // Stamp each MiB with its offset so no two MiB of the file are alike.
      for (let at = 0; at < n; at += MiB) piece.writeUInt32LE((written + at) >>> 0, at);
      await handle.write(piece, 0, n, written);
      written += n;
    }
    // On disk before any timed run: otherwise the kernel writes it back ~30 s later, in the
    // middle of whichever copy is running then.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------
// Numbers and printing

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mbps(bytes: number, seconds: number): string {
  return `${(bytes / seconds / 1e6).toFixed(0)} MB/s`;
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}

/** Every run's figure, for the record: "1.23 1.31 1.19". */
export function list(xs: number[], digits = 2): string {
  return xs.map((x) => x.toFixed(digits)).join(' ');
}

let silent = false;

export function say(line = ''): void {
  if (!silent) process.stdout.write(`${line}\n`);
}

/** Stop printing results (the run was interrupted: what fails now is the interruption). */
export function silence(): void {
  silent = true;
}

export function loadLine(): string {
  const [one, five] = os.loadavg();
  return `load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min) on ${os.cpus().length} CPUs`;
}
