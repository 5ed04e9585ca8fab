/**
 * One timed copy of a file or directory over 127.0.0.1, either with icqxfer (icqrecv
 * --listen … --once, then icqsend --peer …) or with the plain Node TCP copy
 * (baseline-copy.js). Both are timed the same way: from starting the sender until the
 * receiver has exited (its file complete and closed); the receiver is up and listening
 * before the clock starts.
 */
import { performance } from 'node:perf_hooks';
import { start, startIcqrecv } from '../scripts/processes.js';
import { PeakRss, benchScript, childExit, childLine, spawnNode } from './common.js';

export interface CopyOptions {
  /** Measure each side's peak RSS (costs a 20 ms poll in this process). */
  rss?: boolean;
  /** Write CPU profiles of both children here (node --cpu-prof). */
  profileDir?: string;
  /** A whole run may take this long (default 300 s). */
  timeoutMs?: number;
  /** Scratch directory for RSS reports. */
  scratch: string;
  /** icqxfer: run both sides with --json instead of --quiet (each then hashes every file). */
  json?: boolean;
  /** Extra node flags for each side (experiments: `--max-semi-space-size=1`). */
  senderNodeArgs?: string[];
  receiverNodeArgs?: string[];
}

export interface CopyRun {
  seconds: number;
  /** Peak RSS in bytes (0 unless rss was asked for). */
  senderPeak: number;
  receiverPeak: number;
  /** CPU seconds of each side, all threads (0 unless rss was asked for). */
  senderCpu: number;
  receiverCpu: number;
}

function childFlags(o: CopyOptions, label: string, extra: string[] = []): { rss: PeakRss | null; nodeArgs: string[]; env: NodeJS.ProcessEnv } {
  const rss = o.rss ? new PeakRss(o.scratch, label) : null;
  const nodeArgs = [...extra, ...(rss?.nodeArgs ?? [])];
  if (o.profileDir !== undefined) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', o.profileDir, '--cpu-prof-name', `${label}-${Date.now()}.cpuprofile`);
  return { rss, nodeArgs, env: rss?.env ?? {} };
}

/** icqsend SOURCE (a file or a directory) → icqrecv --dir outDir, peer to peer. */
export async function copyWithIcqxfer(source: string, outDir: string, o: CopyOptions): Promise<CopyRun> {
  const timeoutMs = o.timeoutMs ?? 300_000;
  const recvFlags = childFlags(o, 'icqrecv', o.receiverNodeArgs);
  const sendFlags = childFlags(o, 'icqsend', o.senderNodeArgs);
  const output = o.json ? '--json' : '--quiet';
  const { program: receiver, port } = await startIcqrecv(
    ['--listen', '127.0.0.1:0', '--accept', '--once', output, '--dir', outDir, '--idle-timeout', '30'],
    { nodeArgs: recvFlags.nodeArgs, env: recvFlags.env },
  );
  recvFlags.rss?.watch(receiver.child.pid);
  const t0 = performance.now();
  const sender = start('icqsend', ['--peer', `127.0.0.1:${port}`, output, '1002', source], {
    nodeArgs: sendFlags.nodeArgs,
    env: sendFlags.env,
  });
  sendFlags.rss?.watch(sender.child.pid);
  const timer = setTimeout(() => {
    void sender.stop('SIGKILL');
    void receiver.stop('SIGKILL');
  }, timeoutMs);
  try {
    const [recvExit, sendExit] = await Promise.all([receiver.exited, sender.exited]);
    const seconds = (performance.now() - t0) / 1000;
    if (recvExit.code !== 0 || sendExit.code !== 0) {
      throw new Error(
        `icqxfer copy failed (icqsend ${sendExit.code ?? sendExit.signal}, icqrecv ${recvExit.code ?? recvExit.signal}): ${sender.stderr().slice(-500)} ${receiver.stderr().slice(-500)}`,
      );
    }
    // The receiver exits once the last file is in place: that is the end of the copy.
    return measured(seconds, sendFlags.rss, recvFlags.rss);
  } finally {
    clearTimeout(timer);
  }
}

/** The plain Node TCP copy of one file to outFile. */
export async function copyWithNode(source: string, outFile: string, o: CopyOptions): Promise<CopyRun> {
  const timeoutMs = o.timeoutMs ?? 300_000;
  const script = benchScript('baseline-copy.js');
  const recvFlags = childFlags(o, 'baseline-recv', o.receiverNodeArgs);
  const sendFlags = childFlags(o, 'baseline-send', o.senderNodeArgs);
  const receiver = spawnNode(script, ['recv', outFile], recvFlags.nodeArgs, recvFlags.env);
  const receiverDone = childExit(receiver, timeoutMs, 'baseline receiver');
  receiverDone.catch(() => undefined);
  const m = await childLine(receiver, /listening (\d+)/, 15_000);
  recvFlags.rss?.watch(receiver.pid);
  const t0 = performance.now();
  const sender = spawnNode(script, ['send', '127.0.0.1', m[1]!, source], sendFlags.nodeArgs, sendFlags.env);
  sendFlags.rss?.watch(sender.pid);
  await Promise.all([receiverDone, childExit(sender, timeoutMs, 'baseline sender')]);
  const seconds = (performance.now() - t0) / 1000;
  return measured(seconds, sendFlags.rss, recvFlags.rss);
}

function measured(seconds: number, sender: PeakRss | null, receiver: PeakRss | null): CopyRun {
  return {
    seconds,
    senderPeak: sender?.peak() ?? 0,
    receiverPeak: receiver?.peak() ?? 0,
    senderCpu: sender?.cpuSeconds() ?? 0,
    receiverCpu: receiver?.cpuSeconds() ?? 0,
  };
}
