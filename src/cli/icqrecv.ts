import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import { IcqError, ErrorCode } from '../errors.js';
import type { OnExists, ReceiveOptions, ServerAddress, TransferOutcome } from '../transfer/options.js';
import { runAsMain, type CliContext } from './context.js';
import { makeDecider } from './decide.js';
import { ExitCode, errorCodeOf, exitCodeFor } from './exit-codes.js';
import {
  EXIT_CODES_HELP,
  addHiddenTestOptions,
  addLimitOptions,
  addLoginOptions,
  addOutputOptions,
  addTimeoutOptions,
  resolveCommon,
  type SharedCliOptions,
} from './options.js';
import { parseByteSize, parseListen, parseMimeList, parsePort, parseUinList } from './parsers.js';
import { ProgressBars } from './progress-bars.js';
import { SILENT_COMMANDER_ERRORS, createReporter, reportEarlyError, type Reporter } from './reporter.js';
import { versionLine } from './version.js';
import { describeSystemError } from '../system-error.js';
import { TerminalPrompt } from './terminal-prompt.js';

const NAME = 'icqrecv';
const ON_EXISTS: readonly OnExists[] = ['resume', 'rename', 'overwrite', 'skip'];

export interface RecvCliOptions extends SharedCliOptions {
  listen: ServerAddress;
  accept: boolean;
  dir: string;
  from?: number[];
  acceptType?: string[];
  maxSize?: number;
  onExists: OnExists;
  once: boolean;
  advertiseFilePort?: number;
}

const EXAMPLES = `
Examples:
  # online as UIN 1002 through a server (icqd); accept everything into ~/incoming
  $ icqrecv --server 127.0.0.1:4000 --uin 1002 --password secret --accept --dir ~/incoming

  # peer to peer on port 5000: senders run icqsend --peer THIS-HOST:5000 ...
  $ icqrecv --listen 5000 --accept --dir ./inbox

  # only from 1001, only images and PDFs, at most 2 GiB a request; ask on the terminal
  $ icqrecv --server icq.lan:4000 --uin 1002 --password secret --from 1001 --accept-type 'image/*,application/pdf' --max-size 2G

  # for scripts: one transfer, JSON events on stdout, any free port (see the "online" event)
  $ icqrecv --listen 127.0.0.1:0 --accept --once --json --dir /tmp/in
`;

/** icqrecv's command line (docs/architecture.md §7). Construct a new one for every parse. */
export function buildRecvProgram(output?: OutputConfiguration): Command {
  const program = new Command(NAME).description(
    'Receive files from ICQ users, through an ICQ v2 server, or peer to peer without --server.',
  );
  addLoginOptions(program);
  program
    .addOption(
      new Option('--listen <[HOST:]PORT>', 'the message listener (given to the server at login; senders connect to it)')
        .default({ host: '0.0.0.0', port: 0 }, '0: any free port, on every interface')
        .argParser(parseListen),
    )
    .addOption(
      new Option('--accept', 'accept requests without asking (otherwise ask on a terminal, refuse without one)').default(
        false,
      ),
    )
    .addOption(new Option('--dir <DIR>', 'where received files go (created if missing)').default('.'))
    .addOption(
      // No default value (undefined means "no rule"), so the default is stated in the text.
      new Option('--from <UIN,...>', 'accept requests only from these UINs (default: anyone)').argParser(parseUinList),
    )
    .addOption(
      new Option(
        '--accept-type <MIME,...>',
        'receive only files of these types (image/*,application/pdf); skip the rest (default: every type)',
      ).argParser(parseMimeList),
    )
    .addOption(
      new Option(
        '--max-size <BYTES>',
        'refuse requests larger than this: bytes, or with K, M, G, T (binary: 10M = 10 MiB) (default: no limit)',
      ).argParser(parseByteSize),
    )
    .addOption(
      new Option('--on-exists <MODE>', 'a file of that name exists: resume its partial (verified; a finished file of the same size and mtime is skipped, another gets "name (1).ext"), rename, overwrite or skip')
        .choices(ON_EXISTS)
        .default('resume'),
    )
    .addOption(new Option('--once', 'exit after the first transfer ends, with its exit code').default(false));
  addTimeoutOptions(program);
  addLimitOptions(program, 'receive');
  addOutputOptions(program, ' (and the listening line on stdout)');
  addHiddenTestOptions(program);
  program.addOption(
    new Option('--advertise-file-port <PORT>', 'put this file port in the ACK instead of the real one')
      .argParser(parsePort)
      .hideHelp(),
  );
  program.version(versionLine(NAME), '--version', 'print the name and version, then exit');
  program.addHelpText('after', `${EXIT_CODES_HELP}\n${EXAMPLES}`);
  program.exitOverride();
  program.configureOutput({ ...output, ...SILENT_COMMANDER_ERRORS });
  return program;
}

/** What a parsed command line asks for. */
export interface ReceivePlan {
  /** For FileReceiver.start, without decide, onEvent and signal. */
  start: ReceiveOptions;
  accept: boolean;
  from?: number[];
  maxSize?: number;
  once: boolean;
  json: boolean;
  quiet: boolean;
}

export function planReceive(program: Command): ReceivePlan {
  const opts = program.opts<RecvCliOptions>();
  return {
    start: {
      ...resolveCommon(opts, opts.server),
      listenHost: opts.listen.host,
      listenPort: opts.listen.port,
      dir: resolve(opts.dir),
      onExists: opts.onExists,
      ...(opts.acceptType ? { acceptTypes: opts.acceptType } : {}),
      ...(opts.advertiseFilePort !== undefined ? { advertiseFilePort: opts.advertiseFilePort } : {}),
    },
    accept: opts.accept,
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.maxSize !== undefined ? { maxSize: opts.maxSize } : {}),
    once: opts.once,
    json: opts.json,
    quiet: opts.quiet,
  };
}

/** The part of FileReceiver that icqrecv uses; tests stand in a fake. */
export interface ReceiverHandle {
  readonly address: { host: string; port: number };
  on(event: 'transfer-end', listener: (outcome: TransferOutcome) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  close(): Promise<void>;
}

export interface ReceiveEngine {
  start(options: ReceiveOptions): Promise<ReceiverHandle>;
}

/** The real engine, loaded on first use so --help and usage errors stay quick. */
export const fileReceiverEngine: ReceiveEngine = {
  async start(options) {
    const { FileReceiver } = await import('../transfer/receiver.js');
    return FileReceiver.start(options);
  },
};

/** icqrecv as a function: arguments in, exit code out; everything closed on return. */
export async function runRecv(args: string[], ctx: CliContext, engine: ReceiveEngine = fileReceiverEngine): Promise<number> {
  const program = buildRecvProgram({
    writeOut: (s) => ctx.stdout.write(s),
    writeErr: (s) => ctx.stderr.write(s),
  });
  let plan: ReceivePlan;
  try {
    program.parse(args, { from: 'user' });
    plan = planReceive(program);
    await mkdir(plan.start.dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      // mkdir says EEXIST for a file in the way, ENOTDIR for one on the path to it.
      const why = err.code === 'EEXIST' || err.code === 'ENOTDIR' ? 'it, or a part of its path, is not a directory' : describeSystemError(err);
      throw new IcqError(ErrorCode.LOCAL_FILE, `cannot use ${plan.start.dir} for received files: ${why}`, { cause: err });
    });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return ExitCode.OK; // --help, --version
    reportEarlyError(ctx, NAME, err, args);
    return exitCodeFor(err);
  }

  // Ctrl-C typed at the prompt reaches us through the prompt (the terminal is raw then),
  // not as a signal: it stops the command like one.
  const stop = new AbortController();
  const interrupt = AbortSignal.any([ctx.interrupt, stop.signal]);
  const canAsk = !plan.accept && ctx.stdinIsTTY && ctx.stderrIsTTY;
  const prompt = canAsk
    ? new TerminalPrompt({
        input: ctx.stdin,
        output: ctx.stderr,
        interrupt,
        onCtrlC: () => stop.abort(new IcqError(ErrorCode.INTERRUPTED, 'interrupted')),
      })
    : undefined;
  const bars = ctx.stderrIsTTY && !plan.json && !plan.quiet ? new ProgressBars(ctx.stderr) : undefined;
  const reporter = createReporter({
    json: plan.json,
    quiet: plan.quiet,
    program: NAME,
    direction: 'receive',
    dir: plan.start.dir,
    stdout: ctx.stdout,
    // Lines never land on an open question's line: the prompt prints them above it.
    stderr: prompt?.sink ?? ctx.stderr,
    ...(bars ? { bars } : {}),
  });
  try {
    // Not { ...ctx, interrupt }: that would read ctx.stdin, which creates process.stdin.
    return await receive(plan, ctx, interrupt, engine, reporter, prompt);
  } finally {
    reporter.close();
  }
}

async function receive(
  plan: ReceivePlan,
  ctx: CliContext,
  interrupt: AbortSignal,
  engine: ReceiveEngine,
  reporter: Reporter,
  prompt: TerminalPrompt | undefined,
): Promise<number> {
  if (!plan.accept && !prompt && !plan.quiet) {
    // Said on stderr even with --json: stdout stays pure, and the hint is what a user needs.
    ctx.stderr.write(`${NAME}: no terminal to ask on, so every request is refused; add --accept to receive files\n`);
  }
  const decide = makeDecider({
    accept: plan.accept,
    ...(plan.from ? { from: plan.from } : {}),
    ...(plan.maxSize !== undefined ? { maxSize: plan.maxSize } : {}),
    ...(prompt ? { ask: (request, withdrawn) => prompt.ask(request, withdrawn) } : {}),
  });

  let online = false;
  let receiver: ReceiverHandle;
  try {
    receiver = await engine.start({
      ...plan.start,
      decide,
      onEvent: (event) => {
        if (event.event === 'online') online = true;
        reporter.onEvent(event);
      },
      signal: interrupt,
    });
  } catch (err) {
    reporter.error(err);
    return interrupt.aborted ? ExitCode.INTERRUPTED : exitCodeFor(err);
  }

  const finished = new Promise<number>((resolveCode) => {
    receiver.on('transfer-end', (outcome) => {
      // A refusal of ours was already reported as the 'refused' event.
      if (outcome.error && errorCodeOf(outcome.error) !== ErrorCode.REFUSED) reporter.error(outcome.error, outcome.peer);
      if (plan.once) resolveCode(outcome.error ? exitCodeFor(outcome.error) : ExitCode.OK);
    });
    receiver.on('error', (err) => {
      reporter.error(err);
      resolveCode(exitCodeFor(err));
    });
    const onInterrupt = (): void => {
      reporter.error(new IcqError(ErrorCode.INTERRUPTED, 'interrupted'));
      resolveCode(ExitCode.INTERRUPTED);
    };
    if (interrupt.aborted) onInterrupt();
    else interrupt.addEventListener('abort', onInterrupt, { once: true });
  });

  const { host, port } = receiver.address;
  if (plan.json) {
    if (!online) reporter.onEvent({ event: 'online', uin: plan.start.uin ?? 0, host, port });
  } else {
    ctx.stdout.write(`listening tcp://${host}:${port}\n`);
    const login = plan.start.login;
    reporter.note(
      (login ? `online as ${plan.start.uin} via ${login.server.host}:${login.server.port}` : 'peer to peer') +
        `; files go to ${plan.start.dir}`,
    );
  }

  const code = await finished;
  await receiver.close().catch((err: unknown) => reporter.error(err));
  return interrupt.aborted ? ExitCode.INTERRUPTED : code;
}

export async function main(argv: string[]): Promise<void> {
  await runAsMain((args, ctx) => runRecv(args, ctx), argv);
}
