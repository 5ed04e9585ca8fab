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
  /** Ask a person (only when stdin and stderr are a terminal); withdrawn ends the question. */
  ask?: (request: FileRequestInfo, withdrawn?: AbortSignal) => Promise<boolean>;
  /** Called when a request is refused because nobody can be asked and --accept is off. */
  onNoAccept?: (request: FileRequestInfo) => void;
}

export const NO_ACCEPT_REASON = 'not accepting files (icqrecv runs without --accept)';
export const USER_REFUSED_REASON = 'refused by the user';

/** The decide callback of ReceiveOptions. Rules go first, so a prompt is never shown for a request they refuse. */
export function makeDecider(
  rules: DecideRules,
): (request: FileRequestInfo, withdrawn?: AbortSignal) => Promise<RequestDecision> {
  return async (request, withdrawn) => {
    if (rules.from !== undefined && !rules.from.includes(request.peer)) {
      return { accept: false, reason: `not accepting files from ${request.peer} (--from ${rules.from.join(',')})` };
    }
    if (rules.maxSize !== undefined && request.bytes > rules.maxSize) {
      return { accept: false, reason: `too large: ${request.bytes} bytes, limit ${rules.maxSize}` };
    }
    if (rules.accept) return { accept: true };
    if (rules.ask) {
      return (await rules.ask(request, withdrawn)) ? { accept: true } : { accept: false, reason: USER_REFUSED_REASON };
    }
    rules.onNoAccept?.(request);
    return { accept: false, reason: NO_ACCEPT_REASON };
  };
}

/** The line shown above the question when the request has a description ('' without). */
export function descriptionText(request: FileRequestInfo): string {
  return request.description !== '' ? `  "${escapeForDisplay(request.description)}"\n` : '';
}

/** The question itself: one line, so the prompt can redraw it when other output comes. */
export function questionText(request: FileRequestInfo): string {
  return `Accept ${request.files} file(s), ${request.bytes} bytes, from ${request.peer} (${escapeForDisplay(request.name)})? [y/N] `;
}

export function promptText(request: FileRequestInfo): string {
  return descriptionText(request) + questionText(request);
}

export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}
