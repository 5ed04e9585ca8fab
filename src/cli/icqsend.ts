import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import { IcqError, ErrorCode } from '../errors.js';
import type { CommonOptions, SendOptions, ServerAddress, TransferSummary } from '../transfer/options.js';
import { parseBatch, type BatchJob } from './batch.js';
import { runAsMain, type CliContext } from './context.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { formatBytes, formatSeconds, plural } from './format.js';
import {
  EXIT_CODES_HELP,
  addHiddenTestOptions,
  addLimitOptions,
  addLoginOptions,
  addOutputOptions,
  addTimeoutOptions,
  resolveCommon,
  usageError,
  type SharedCliOptions,
} from './options.js';
import { parseDescription, parsePeer, parseSpeed, parseTimeoutSeconds, parseUin, parseWaitSeconds } from './parsers.js';
import { MAX_DESCRIPTION_BYTES } from '../wire/peer.js';
import { ProgressBars } from './progress-bars.js';
import { SILENT_COMMANDER_ERRORS, createReporter, reportEarlyError, type Reporter } from './reporter.js';
import { versionLine } from './version.js';

const NAME = 'icqsend';

export interface SendCliOptions extends SharedCliOptions {
  peer?: ServerAddress;
  message: string;
  wait: number;
  timeout?: number;
  speed: number;
  batch?: string;
}

const EXAMPLES = `
Examples:
  # through a server (icqd), as UIN 1001, to UIN 1002: files and whole directories
  $ icqsend --server 127.0.0.1:4000 --uin 1001 --password secret 1002 report.pdf photos/

  # credentials from the environment; wait up to 5 minutes for 1002 to come online
  $ export ICQ_SERVER=icq.lan:4000 ICQ_UIN=1001 ICQ_PASSWORD=secret
  $ icqsend --wait 300 --message "the scans" 1002 scans/

  # peer to peer, straight to a receiver started with: icqrecv --listen 5000 --accept
  $ icqsend --peer 192.168.1.20:5000 1002 movie.mkv

  # many transfers, one login; each line of jobs.txt is "UIN FILE..." ('quotes' and # comments work)
  $ icqsend --server 127.0.0.1:4000 --uin 1001 --password secret --batch jobs.txt

  # for scripts: one JSON event a line on stdout, the exit code says how it went
  $ icqsend --peer 127.0.0.1:5000 --json 1002 backup.tar | grep '"event":"done"'
`;

/** icqsend's command line (docs/architecture.md §7). Construct a new one for every parse. */
export function buildSendProgram(output?: OutputConfiguration): Command {
  const program = new Command(NAME)
    .description('Send files and directories to an ICQ user, through an ICQ v2 server or straight to a peer.')
    .usage('[options] UIN FILE|DIR...\n       icqsend [options] --batch FILE')
    .argument('[UIN]', "the receiver's UIN", parseUin)
    .argument('[FILE|DIR...]', 'what to send; a directory is sent with everything in it, under its own name');
  addLoginOptions(program);
  program
    .addOption(
      new Option('--peer <HOST:PORT>', "peer to peer: connect straight to the receiver's listener (icqrecv --listen)").argParser(
        parsePeer,
      ),
    )
    .addOption(new Option('--message <TEXT>', `a description sent with the request (at most ${MAX_DESCRIPTION_BYTES} bytes)`).argParser(parseDescription).default('', 'empty'))
    .addOption(
      new Option('--wait <SECONDS>', 'wait this long for the receiver to come online (only with --server)')
        .default(0, '0: the receiver must be online')
        .argParser(parseWaitSeconds),
    )
    .addOption(
      new Option('--timeout <SECONDS>', 'the same as --ack-timeout (the last one given wins)').argParser(parseTimeoutSeconds),
    )
    .addOption(
      new Option('--speed <0-100>', '100 full speed, 1-99 at most N x 256 KiB/s, 0 paused')
        .default(100)
        .argParser(parseSpeed),
    )
    .addOption(
      new Option(
        '--batch <FILE>',
        'send the transfers listed in FILE (- for stdin), one "UIN FILE..." a line, after one login; paths are relative to the current directory',
      ),
    );
  addTimeoutOptions(program);
  addLimitOptions(program, 'send');
  addOutputOptions(program);
  addHiddenTestOptions(program);
  program.version(versionLine(NAME), '--version', 'print the name and version, then exit');
  // --timeout is an alias: whichever of the two comes last on the command line wins.
  program.on('option:timeout', () => {
    program.setOptionValueWithSource('ackTimeout', program.getOptionValue('timeout'), 'cli');
  });
  program.addHelpText('after', `${EXIT_CODES_HELP}\n${EXAMPLES}`);
  program.exitOverride();
  program.configureOutput({ ...output, ...SILENT_COMMANDER_ERRORS });
  return program;
}

/** What a parsed command line asks for. */
export interface SendPlan {
  /** For FileSender.start, without onEvent and signal. */
  start: CommonOptions;
  /** For each send(). */
  send: Pick<SendOptions, 'message' | 'waitMs' | 'peer'>;
  jobs: BatchJob[];
  batch: boolean;
  json: boolean;
  quiet: boolean;
}

/** Check the parsed options against each other and turn them into engine options. */
export async function planSend(program: Command, stdin?: NodeJS.ReadableStream): Promise<SendPlan> {
  const opts = program.opts<SendCliOptions>();
  const [to, paths] = program.processedArgs as [number | undefined, string[]];

  let server = opts.server;
  if (opts.peer !== undefined && server !== undefined) {
    // A server from ICQ_SERVER is a default; an explicit --peer overrides it.
    if (program.getOptionValueSource('server') !== 'env') throw usageError('give either --server or --peer, not both');
    server = undefined;
  }
  if (opts.peer !== undefined && program.getOptionValueSource('wait') === 'cli') {
    // Without a server nobody says when the receiver comes online: there is nothing to wait for.
    throw usageError('--wait needs --server: peer to peer, the receiver must be listening already');
  }
  if (opts.peer === undefined && server === undefined) {
    throw usageError('no way to reach the receiver: give --server HOST:PORT (or set ICQ_SERVER) or --peer HOST:PORT');
  }

  let jobs: BatchJob[];
  if (opts.batch !== undefined) {
    if (to !== undefined) throw usageError('--batch takes the receivers and files from its file: give no UIN or FILE');
    jobs = parseBatch(await readBatch(opts.batch, stdin), opts.batch === '-' ? 'stdin' : opts.batch);
  } else {
    if (to === undefined) throw usageError('missing the receiver: UIN FILE|DIR...');
    if (paths.length === 0) throw usageError('missing what to send: UIN FILE|DIR...');
    jobs = [{ line: 0, to, paths }];
  }

  return {
    start: { ...resolveCommon(opts, server), speed: opts.speed },
    send: {
      ...(opts.message !== '' ? { message: opts.message } : {}),
      ...(opts.wait > 0 ? { waitMs: opts.wait } : {}),
      ...(opts.peer !== undefined ? { peer: opts.peer } : {}),
    },
    jobs,
    batch: opts.batch !== undefined,
    json: opts.json,
    quiet: opts.quiet,
  };
}

async function readBatch(file: string, stdin?: NodeJS.ReadableStream): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    if (!stdin) throw new Error('no standard input');
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    throw usageError(`cannot read the batch file ${file}: ${(err as Error).message}`);
  }
}

/**
 * Every file of every job (directories walked) must exist and open for reading before
 * anything is sent, so a typo or an unreadable file in a batch costs no transfer and leaves
 * no `.part` at the receiver. A failure is LOCAL_FILE (exit 2) naming the file.
 */
async function checkPaths(jobs: BatchJob[], maxFiles: number | undefined): Promise<void> {
  const { checkReadable, collectFiles } = await import('../transfer/sources.js');
  for (const job of jobs) {
    try {
      await checkReadable(await collectFiles(job.paths, maxFiles));
    } catch (err) {
      if (job.line === 0 || !(err instanceof IcqError)) throw err;
      throw new IcqError(err.code, `${err.message} (batch line ${job.line})`, { cause: err });
    }
  }
}

/** The part of FileSender that icqsend uses; tests stand in a fake. */
export interface SenderHandle {
  send(to: number, paths: string[], options?: SendPlan['send']): Promise<TransferSummary>;
  close(): Promise<void>;
}

export interface SendEngine {
  start(options: CommonOptions): Promise<SenderHandle>;
}

/** The real engine, loaded on first use so --help and usage errors stay quick. */
export const fileSenderEngine: SendEngine = {
  async start(options) {
    const { FileSender } = await import('../transfer/sender.js');
    return FileSender.start(options);
  },
};

/** Failures after which the rest of a batch cannot go on (no session, or Ctrl-C). */
function endsBatch(code: number): boolean {
  return code === ExitCode.LOGIN_FAILED || code === ExitCode.INTERRUPTED;
}

/** icqsend as a function: arguments in, exit code out; everything closed on return. */
export async function runSend(args: string[], ctx: CliContext, engine: SendEngine = fileSenderEngine): Promise<number> {
  const program = buildSendProgram({
    writeOut: (s) => ctx.stdout.write(s),
    writeErr: (s) => ctx.stderr.write(s),
  });
  let plan: SendPlan;
  try {
    program.parse(args, { from: 'user' });
    plan = await planSend(program, ctx.stdin);
    await checkPaths(plan.jobs, plan.start.maxFiles);
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return ExitCode.OK; // --help, --version
    reportEarlyError(ctx, NAME, err, args);
    return exitCodeFor(err);
  }

  const bars = ctx.stderrIsTTY && !plan.json && !plan.quiet ? new ProgressBars(ctx.stderr) : undefined;
  const reporter = createReporter({
    json: plan.json,
    quiet: plan.quiet,
    program: NAME,
    direction: 'send',
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    ...(bars ? { bars } : {}),
  });
  try {
    return await sendAll(plan, ctx, engine, reporter);
  } finally {
    reporter.close();
  }
}

async function sendAll(plan: SendPlan, ctx: CliContext, engine: SendEngine, reporter: Reporter): Promise<number> {
  const finalCode = (code: number): number => (ctx.interrupt.aborted ? ExitCode.INTERRUPTED : code);
  let sender: SenderHandle;
  try {
    sender = await engine.start({ ...plan.start, onEvent: reporter.onEvent, signal: ctx.interrupt });
  } catch (err) {
    reporter.error(err);
    return finalCode(exitCodeFor(err));
  }

  const started = Date.now();
  const done: TransferSummary[] = [];
  let firstFailure: number | undefined;
  let failed = 0;
  try {
    for (const job of plan.jobs) {
      if (ctx.interrupt.aborted) break;
      try {
        done.push(await sender.send(job.to, job.paths, plan.send));
      } catch (err) {
        failed++;
        reporter.error(err, job.to);
        const code = exitCodeFor(err);
        firstFailure ??= code;
        if (endsBatch(code)) break;
      }
    }
  } finally {
    await sender.close().catch((err: unknown) => reporter.error(err));
  }

  if (plan.batch) {
    reporter.close();
    const files = done.reduce((n, s) => n + s.files, 0);
    const bytes = done.reduce((n, s) => n + s.bytes, 0);
    const notRun = plan.jobs.length - done.length - failed;
    reporter.note(
      `batch: ${done.length} of ${plural(plan.jobs.length, 'transfer')} done` +
        (failed > 0 ? `, ${failed} failed` : '') +
        (notRun > 0 ? `, ${notRun} not run` : '') +
        `; ${plural(files, 'file')} (${formatBytes(bytes)}) in ${formatSeconds((Date.now() - started) / 1000)}`,
    );
  }
  return finalCode(firstFailure ?? ExitCode.OK);
}

export async function main(argv: string[]): Promise<void> {
  await runAsMain((args, ctx) => runSend(args, ctx), argv);
}
