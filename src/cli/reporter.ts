import { CommanderError } from 'commander';
import { ErrorCode } from '../errors.js';
import type { ErrorEvent, EventSink, TransferEvent } from '../transfer/events.js';
import { systemErrorsInWords } from '../system-error.js';
import { escapeForDisplay } from '../transfer/names.js';
import { errorCodeOf } from './exit-codes.js';
import { HumanReporter, type HumanReporterOptions } from './human-reporter.js';
import { JsonReporter, eventToJsonLine } from './json-reporter.js';

/** Something the CLI writes text to (process.stdout/stderr, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Where everything a command has to say goes. The engine's events come in through onEvent;
 * the command adds its own errors (a rejected send, a usage error) and notes.
 */
export interface Reporter {
  readonly onEvent: EventSink;
  /** Report a failure: an `error` event (JSON) or an error line (always shown, even --quiet). */
  error(err: unknown, peer?: number): void;
  /** An informational line for people (not with --json or --quiet). */
  note(text: string): void;
  /** Stop the progress bars; call before exiting. */
  close(): void;
}

/** The output side of a reporter: what the JSON and the human forms each implement. */
export interface EventWriter {
  write(event: TransferEvent): void;
  note(text: string): void;
  close(): void;
}

export function toErrorEvent(err: unknown, peer?: number): ErrorEvent {
  // Commander starts its messages with "error: "; ours say what went wrong straight away.
  const message = err instanceof CommanderError ? err.message.replace(/^error: /, '') : err instanceof Error ? err.message : String(err);
  return { event: 'error', code: errorCodeOf(err), message, ...(peer !== undefined ? { peer } : {}) };
}

/**
 * Commander prints nothing itself: every usage error, commander's (a bad option value) and
 * ours (options that do not go together), is reported the one way reportEarlyError does.
 */
export const SILENT_COMMANDER_ERRORS = { outputError: (): void => {} };

/**
 * Wraps a writer so that an error the engine already reported as an event is not reported
 * a second time when the same error reaches the command (a rejected send, a failed
 * transfer's outcome).
 */
class DedupingReporter implements Reporter {
  private readonly seen = new Set<string>();

  constructor(private readonly writer: EventWriter) {}

  readonly onEvent: EventSink = (event) => {
    if (event.event === 'error') this.seen.add(`${event.code}\0${event.message}`);
    this.writer.write(event);
  };

  error(err: unknown, peer?: number): void {
    const event = toErrorEvent(err, peer);
    const key = `${event.code}\0${event.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.writer.write(event);
  }

  note(text: string): void {
    this.writer.note(text);
  }

  close(): void {
    this.writer.close();
  }
}

export interface ReporterOptions extends Omit<HumanReporterOptions, 'out'> {
  json: boolean;
  stdout: TextSink;
  stderr: TextSink;
}

/** --json: NDJSON on stdout and nothing else there; otherwise lines (and bars) on stderr. */
export function createReporter(options: ReporterOptions): Reporter {
  const writer: EventWriter = options.json
    ? new JsonReporter(options.stdout)
    : new HumanReporter({ ...options, out: options.stderr });
  return new DedupingReporter(writer);
}

/**
 * Report an error from before a reporter exists (parsing, checking options): a JSON `error`
 * line when the arguments ask for --json, else `PROGRAM: MESSAGE [CODE]` on stderr, and for
 * a usage error a pointer to --help.
 */
export function reportEarlyError(out: { stdout: TextSink; stderr: TextSink }, program: string, err: unknown, args: string[]): void {
  const event = toErrorEvent(err);
  if (args.includes('--json')) {
    out.stdout.write(eventToJsonLine(event));
  } else {
    out.stderr.write(earlyErrorText(program, event));
  }
}

/** The stderr form of an error from before anything ran (also icqd's). */
export function earlyErrorText(program: string, event: Pick<ErrorEvent, 'code' | 'message'>): string {
  const hint = event.code === ErrorCode.USAGE ? `(run ${program} --help for usage)\n` : '';
  return `${program}: ${escapeForDisplay(systemErrorsInWords(event.message))} [${event.code}]\n${hint}`;
}
