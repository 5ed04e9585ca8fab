/**
 * Run icqd, icqrecv and icqsend as real child processes, as a user would. Shared by the
 * end-to-end tests, `npm run demo` and `npm run bench`, so all three start, read and stop
 * the programs the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file whose package.json is icqxfer. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'icqxfer') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the icqxfer repository root');
    dir = up;
  }
}

export type Program = 'icqd' | 'icqrecv' | 'icqsend';

/**
 * The node options a bin script's `#!/usr/bin/env -S node FLAGS` line gives it: started as
 * `node bin/x.js` the line is not read, so they are passed here, and tests and benchmarks
 * run the programs exactly as an installed command runs.
 */
export function shebangFlags(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter((f) => f !== '') : [];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProgram {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching re (waiting for it), rejects on exit or timeout. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** stdout lines parsed as JSON (for --json). */
  events(): Array<Record<string, unknown>>;
  readonly exited: Promise<Exit>;
  /** Send a signal on purpose (a child it kills did not crash). */
  kill(signal: NodeJS.Signals): void;
  /** Send a signal (default SIGTERM) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const running = new Set<RunningProgram>();

/**
 * What a crashed child looks like, whatever the test expected of it: killed by a signal
 * nobody here sent, an exit code of 128 or more other than 130 (interrupted, which our
 * programs use for SIGINT and SIGTERM), or a fatal line on stderr (V8's "Check failed", a
 * "FATAL ERROR", an uncaught exception's stack trace).
 */
const FATAL_OUTPUT = /Check failed|FATAL ERROR|Fatal error in|Uncaught |UnhandledPromiseRejection|^\s+at .*\(?(?:file:|node:|\/).*:\d+:\d+\)?$/m;
const crashes: string[] = [];

/** The crashes seen since the last call (test/helpers/crash-guard.ts fails the test on any). */
export function takeCrashes(): string[] {
  return crashes.splice(0);
}

export function crashOf(program: Program, args: string[], exit: Exit, stderr: string, sent: Set<NodeJS.Signals>): string | null {
  const what = `${program} ${args.join(' ')}`.slice(0, 200);
  if (exit.signal !== null && !sent.has(exit.signal)) return `${what}: killed by ${exit.signal}; stderr: ${stderr.slice(-1500)}`;
  if (exit.code !== null && exit.code >= 128 && exit.code !== 130) return `${what}: exit ${exit.code}; stderr: ${stderr.slice(-1500)}`;
  const fatal = FATAL_OUTPUT.exec(stderr);
  if (fatal) return `${what}: printed a fatal error (${JSON.stringify(fatal[0])}); stderr: ${stderr.slice(-1500)}`;
  return null;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Let the child write straight to our stderr (the demo shows its progress bars). */
  inheritStderr?: boolean;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export function start(program: Program, args: string[], options: StartOptions = {}): RunningProgram {
  const bin = path.join(repoRoot(), 'bin', `${program}.js`);
  const child = spawn(process.execPath, [...shebangFlags(bin), ...(options.nodeArgs ?? []), bin, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
  });
  let out = '';
  let err = '';
  /** Signals this harness sent: a child killed by one of them did not crash. */
  const sent = new Set<NodeJS.Signals>();
  const lineWaiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    out += d;
    for (const w of lineWaiters) w();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<Exit>((resolve) => {
    // 'close', not 'exit': by then stderr is read to the end, so it can be judged.
    child.once('close', (code, signal) => {
      for (const w of lineWaiters) w();
      const exit = { code, signal };
      const crash = crashOf(program, args, exit, err, sent);
      if (crash !== null) crashes.push(crash);
      resolve(exit);
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    running.delete(handle);
  });

  const handle: RunningProgram = {
    child,
    kill(signal) {
      sent.add(signal);
      child.kill(signal);
    },
    stdout: () => out,
    stderr: () => err,
    exited,
    events: () =>
      out
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    waitForLine(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          for (const line of out.split('\n')) {
            const m = re.exec(line);
            if (m) {
              done();
              resolve(m);
              return;
            }
          }
          if (hasExited || child.exitCode !== null) {
            done();
            reject(new Error(`${program} exited (${child.exitCode}) before printing ${re}; stderr: ${err.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${program} did not print ${re} within ${timeoutMs} ms; stdout: ${out.slice(-1000)} stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          lineWaiters.delete(check);
        };
        lineWaiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (!hasExited && child.exitCode === null && child.signalCode === null) handle.kill(signal);
      const timer = setTimeout(() => handle.kill('SIGKILL'), 5000);
      const e = await exited;
      clearTimeout(timer);
      return e;
    },
  };
  running.add(handle);
  return handle;
}

/** Stop every program started here that is still running (tests' afterEach, demo's Ctrl-C). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Start icqd on 127.0.0.1 and a free port; resolves once it listens. */
export async function startIcqd(args: string[] = [], options: StartOptions = {}): Promise<{ program: RunningProgram; port: number; address: string }> {
  const program = start('icqd', ['--listen', '127.0.0.1:0', ...args], options);
  const m = await program.waitForLine(/^listening udp:\/\/([\d.]+):(\d+)$/);
  return { program, port: Number(m[2]), address: `${m[1]}:${m[2]}` };
}

/** Start icqrecv; resolves with its message port once it listens (human or --json output). */
export async function startIcqrecv(args: string[], options: StartOptions = {}): Promise<{ program: RunningProgram; port: number }> {
  const program = start('icqrecv', args, options);
  const m = await program.waitForLine(/^listening tcp:\/\/[^:]+:(\d+)$|"event":"online".*"port":(\d+)/);
  return { program, port: Number(m[1] ?? m[2]) };
}

/** Run icqsend to completion. */
export async function runIcqsend(args: string[], options: StartOptions = {}): Promise<{ exit: Exit; program: RunningProgram }> {
  const program = start('icqsend', args, options);
  const exit = await program.exited;
  return { exit, program };
}
