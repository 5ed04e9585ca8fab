import { isatty } from 'node:tty';
import { IcqError, ErrorCode } from '../errors.js';
import { ExitCode } from './exit-codes.js';

/**
 * Everything a command touches outside its arguments, so tests can run a whole command in
 * process with buffers for streams and their own interrupt.
 */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Aborted on Ctrl-C / SIGTERM (the reason is an INTERRUPTED IcqError). */
  interrupt: AbortSignal;
}

/** A command: user arguments (without node and the script) in, exit code out. */
export type CommandRunner = (args: string[], ctx: CliContext) => Promise<number>;

/** After the command is done, how long open handles may keep the process alive. */
const EXIT_GRACE_MS = 3000;

/**
 * The process side of a command: signals abort the context's interrupt (a second one exits
 * at once with 130), the exit code is set once the command has closed everything, and a
 * handle left open by mistake cannot keep the process alive past a short grace period.
 */
export async function runAsMain(run: CommandRunner, argv: string[]): Promise<void> {
  ignoreLostOutput();
  const interrupt = new AbortController();
  const onSignal = (): void => {
    if (interrupt.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    interrupt.abort(new IcqError(ErrorCode.INTERRUPTED, 'interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code: number;
  try {
    code = await run(argv.slice(2), {
      stdout: process.stdout,
      stderr: process.stderr,
      // process.stdin is created on first use; only a prompt or `--batch -` needs it.
      get stdin() {
        return process.stdin;
      },
      stdinIsTTY: isatty(0),
      stderrIsTTY: process.stderr.isTTY === true,
      interrupt: interrupt.signal,
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    code = ExitCode.INTERNAL;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

/**
 * A reader that went away (`icqrecv --json | head -1`: EPIPE) stops our output, not the
 * transfer: without a listener the stream's 'error' would kill the process mid-file with a
 * stack trace. Writes after that go nowhere; the command ends as it would have, partial
 * files kept, with its exit code from the table.
 */
export function ignoreLostOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  }
}
