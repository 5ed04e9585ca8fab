import { createRequire } from 'node:module';
import type { MultiBar, SingleBar } from 'cli-progress';
import type { FileDoneEvent, FileStartEvent, ProgressEvent } from '../transfer/events.js';
import { escapeForDisplay } from '../transfer/names.js';
import { formatBytes, formatRate } from './format.js';

/** The bars of one transfer: the whole batch, and the file in flight. */
interface TransferBars {
  total: SingleBar;
  file: SingleBar;
  files: number;
  filesDone: number;
}

const NAME_WIDTH = 40;
const TOTAL_FORMAT = 'total [{bar}] {percentage}% | {done}/{size} | {filesDone}/{files} files | {rate} | ETA {eta_formatted}';
const FILE_FORMAT = '      [{bar}] {percentage}% | {name}';

function shortName(name: string): string {
  const shown = escapeForDisplay(name);
  return shown.length <= NAME_WIDTH ? shown : `…${shown.slice(shown.length - NAME_WIDTH + 1)}`;
}

/**
 * Progress bars on a terminal (stderr), two per transfer: a total bar (bytes done of the
 * total, files done of the total, rate, ETA) and one for the current file. Transfers are
 * keyed by peer, so a receiver serving two peers at once shows both. stop() must run before
 * any final line is printed, and on errors and interrupts.
 */
export class ProgressBars {
  private readonly multi: MultiBar;
  private readonly transfers = new Map<number, TransferBars>();

  constructor(stream: NodeJS.WritableStream) {
    // Loaded only when bars are drawn: cli-progress and its emoji tables cost ~4 MiB of RSS
    // that --json, --quiet and non-terminal runs never need.
    const { MultiBar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
    this.multi = new MultiBar({
      stream,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      // Our own SIGINT handling stops the bars; cli-progress must not add listeners.
      gracefulExit: false,
      autopadding: true,
      emptyOnZero: true,
      linewrap: false,
    });
  }

  private bars(peer: number, files: number): TransferBars {
    let bars = this.transfers.get(peer);
    if (!bars) {
      bars = {
        total: this.multi.create(1, 0, { done: '', size: '', filesDone: 0, files, rate: '' }, { format: TOTAL_FORMAT }),
        file: this.multi.create(1, 0, { name: '' }, { format: FILE_FORMAT }),
        files,
        filesDone: 0,
      };
      this.transfers.set(peer, bars);
    }
    bars.files = files;
    return bars;
  }

  fileStart(e: FileStartEvent): void {
    const bars = this.bars(e.peer, e.files);
    bars.filesDone = e.index - 1;
    bars.file.setTotal(e.size);
    bars.file.update(e.offset, { name: shortName(e.name) });
  }

  progress(e: ProgressEvent): void {
    const bars = this.transfers.get(e.peer);
    if (!bars) return;
    bars.total.setTotal(e.total);
    bars.total.update(e.bytes, {
      done: formatBytes(e.bytes),
      size: formatBytes(e.total),
      filesDone: bars.filesDone,
      files: bars.files,
      rate: formatRate(e.rate),
    });
    bars.file.setTotal(e.fileSize);
    bars.file.update(e.fileBytes, { name: shortName(e.name) });
  }

  fileDone(e: FileDoneEvent): void {
    const bars = this.transfers.get(e.peer);
    if (!bars) return;
    bars.filesDone++;
    bars.file.update(bars.file.getTotal());
    bars.total.update({ filesDone: bars.filesDone });
  }

  /** One transfer ended: remove its bars; stop drawing when none is left. */
  finish(peer: number): void {
    const bars = this.transfers.get(peer);
    if (bars) {
      this.multi.remove(bars.total);
      this.multi.remove(bars.file);
      this.transfers.delete(peer);
    }
    if (this.transfers.size === 0) this.stop();
  }

  /** Idempotent: stopping twice would write cursor escapes after the final line. */
  stop(): void {
    this.transfers.clear();
    if (this.multi.isActive) this.multi.stop();
  }
}
