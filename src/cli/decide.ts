import type { FileRequestInfo, RequestDecision } from '../transfer/options.js';
import { escapeForDisplay } from '../transfer/names.js';

/** icqrecv's policy for incoming requests, from its options. */
export interface DecideRules {
  /** --from: only these senders (undefined: anyone). */
  from?: number[];
  /** --max-size: refuse requests whose total is larger (bytes). */
  maxSize?: number;
  /** --accept: accept whatever passes the rules above without asking. */
  accept: boolean;
  /** Ask a person (only when stdin and stderr are a terminal). */
  ask?: (request: FileRequestInfo) => Promise<boolean>;
  /** Called when a request is refused because nobody can be asked and --accept is off. */
  onNoAccept?: (request: FileRequestInfo) => void;
}

export const NO_ACCEPT_REASON = 'not accepting files (icqrecv runs without --accept)';
export const USER_REFUSED_REASON = 'refused by the user';

/** The decide callback of ReceiveOptions. Rules go first, so a prompt is never shown for a request they refuse. */
export function makeDecider(rules: DecideRules): (request: FileRequestInfo) => Promise<RequestDecision> {
  return async (request) => {
    if (rules.from !== undefined && !rules.from.includes(request.peer)) {
      return { accept: false, reason: `not accepting files from ${request.peer} (--from ${rules.from.join(',')})` };
    }
    if (rules.maxSize !== undefined && request.bytes > rules.maxSize) {
      return { accept: false, reason: `too large: ${request.bytes} bytes, limit ${rules.maxSize}` };
    }
    if (rules.accept) return { accept: true };
    if (rules.ask) {
      return (await rules.ask(request)) ? { accept: true } : { accept: false, reason: USER_REFUSED_REASON };
    }
    rules.onNoAccept?.(request);
    return { accept: false, reason: NO_ACCEPT_REASON };
  };
}

export function promptText(request: FileRequestInfo): string {
  const description = request.description !== '' ? `  "${escapeForDisplay(request.description)}"\n` : '';
  return (
    description +
    `Accept ${request.files} file(s), ${request.bytes} bytes, from ${request.peer} (${escapeForDisplay(request.name)})? [y/N] `
  );
}

export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * Asks on a terminal, one question at a time (requests arriving together wait their turn).
 * An interrupt answers "no" to the open question.
 */
export function terminalPrompt(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  signal: AbortSignal,
): (request: FileRequestInfo) => Promise<boolean> {
  let queue: Promise<unknown> = Promise.resolve();
  const ask = async (request: FileRequestInfo): Promise<boolean> => {
    if (signal.aborted) return false;
    // Loaded on the first question: most runs (--accept, no terminal) never ask one.
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input, output, terminal: true });
    try {
      return isYes(await rl.question(promptText(request), { signal }));
    } catch {
      return false;
    } finally {
      rl.close();
    }
  };
  return (request) => {
    const answer = queue.then(() => ask(request));
    queue = answer.catch(() => undefined);
    return answer;
  };
}
