import type { TransferEvent } from '../transfer/events.js';
import type { EventWriter, TextSink } from './reporter.js';

// Characters JSON.stringify leaves raw that a terminal could act on (C1 controls such as
// CSI U+009B, DEL, bidi overrides, line separators). In JSON text they can only occur
// inside strings, so writing them as \u escapes keeps the value and makes lines safe to cat.
const UNSAFE_IN_TERMINAL = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

export function eventToJsonLine(event: TransferEvent): string {
  const json = JSON.stringify(event).replace(
    UNSAFE_IN_TERMINAL,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${json}\n`;
}

/** --json: every event as one line on stdout, exactly its keys; nothing else ever. */
export class JsonReporter implements EventWriter {
  constructor(private readonly stdout: TextSink) {}

  write(event: TransferEvent): void {
    this.stdout.write(eventToJsonLine(event));
  }

  note(): void {}

  close(): void {}
}
