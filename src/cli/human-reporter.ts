import type { DoneEvent, TransferEvent } from '../transfer/events.js';
import { systemErrorsInWords } from '../system-error.js';
import { escapeForDisplay } from '../transfer/names.js';
import { formatBytes, formatRate, formatSeconds, plural } from './format.js';
import type { ProgressBars } from './progress-bars.js';
import type { EventWriter, TextSink } from './reporter.js';

export interface HumanReporterOptions {
  /** The command name that starts every line ("icqsend"). */
  program: string;
  /** 'receive' words the summary "from UIN → DIR", 'send' "to UIN". */
  direction: 'send' | 'receive';
  /** Where received files go (shown in the summary). */
  dir?: string;
  /** --quiet: errors only. */
  quiet: boolean;
  /** Progress bars, when stderr is a terminal and neither --json nor --quiet. */
  bars?: ProgressBars;
  out: TextSink;
}

/**
 * Output for people, on stderr: a few short lines (request, refusal, one line a file when
 * there are no bars, a summary) and progress bars on a terminal. Everything a peer chose
 * (names, descriptions, reasons, messages) is escaped before it reaches the terminal.
 */
export class HumanReporter implements EventWriter {
  constructor(private readonly options: HumanReporterOptions) {}

  private line(text: string): void {
    this.options.out.write(`${this.options.program}: ${text}\n`);
  }

  private info(text: string): void {
    if (!this.options.quiet) this.line(text);
  }

  write(event: TransferEvent): void {
    const bars = this.options.bars;
    switch (event.event) {
      case 'online':
      case 'accepted':
        return;
      case 'request': {
        if (this.options.direction !== 'receive') return;
        const description = event.description !== '' ? `: "${escapeForDisplay(event.description)}"` : '';
        this.info(
          `${event.peer} offers ${escapeForDisplay(event.name)} (${plural(event.files, 'file')}, ${formatBytes(event.bytes)})${description}`,
        );
        return;
      }
      case 'refused':
        // A refusal by the peer reaches us again as the command's error; say it once.
        if (event.by === 'local') this.info(`refused ${event.peer}: ${escapeForDisplay(event.reason)}`);
        return;
      case 'file-start':
        bars?.fileStart(event);
        return;
      case 'progress':
        bars?.progress(event);
        return;
      case 'file-done':
        if (bars) {
          bars.fileDone(event);
        } else {
          const verb = event.skipped ? 'skipped' : this.options.direction === 'receive' ? 'received' : 'sent';
          this.info(`${verb} ${escapeForDisplay(event.name)} (${formatBytes(event.bytes)})`);
        }
        return;
      case 'done':
        bars?.finish(event.peer);
        this.info(this.summary(event));
        return;
      case 'warning':
        this.info(`warning: ${escapeForDisplay(event.message)}`);
        return;
      case 'session':
        this.info(event.message);
        return;
      case 'error':
        bars?.stop();
        // The errno name stays in --json; people read the words.
        this.line(`${escapeForDisplay(systemErrorsInWords(event.message))} [${event.code}]`);
        return;
    }
  }

  private summary(e: DoneEvent): string {
    const extras = [formatBytes(e.bytes)];
    if (e.skipped > 0) extras.push(`${e.skipped} skipped`);
    if (e.transferred !== e.bytes && e.transferred > 0) extras.push(`${formatBytes(e.transferred)} transferred`);
    const where =
      this.options.direction === 'receive'
        ? `from ${e.peer}${this.options.dir !== undefined ? ` → ${escapeForDisplay(this.options.dir)}` : ''}`
        : `to ${e.peer}`;
    const timing = [formatSeconds(e.seconds)];
    if (e.seconds > 0 && e.transferred > 0) timing.push(formatRate(e.transferred / e.seconds));
    return `${plural(e.files, 'file')} (${extras.join(', ')}) ${where} (${timing.join(', ')})`;
  }

  note(text: string): void {
    this.info(text);
  }

  close(): void {
    this.options.bars?.stop();
  }
}
