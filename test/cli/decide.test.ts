import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { NO_ACCEPT_REASON, USER_REFUSED_REASON, isYes, makeDecider, promptText } from '../../src/cli/decide.js';
import { TerminalPrompt } from '../../src/cli/terminal-prompt.js';
import type { FileRequestInfo } from '../../src/transfer/options.js';
import { Capture } from './helpers.js';

const request: FileRequestInfo = {
  peer: 1001,
  name: 'report.pdf',
  files: 1,
  bytes: 5000,
  description: '',
  address: '127.0.0.1',
};

describe('makeDecider', () => {
  it('accepts with --accept', async () => {
    expect(await makeDecider({ accept: true })(request)).toEqual({ accept: true });
  });

  it('refuses senders outside --from, naming the rule, before asking anyone', async () => {
    let asked = false;
    const decide = makeDecider({
      accept: false,
      from: [1002, 1003],
      ask: async () => (asked = true),
    });
    expect(await decide(request)).toEqual({ accept: false, reason: 'not accepting files from 1001 (--from 1002,1003)' });
    expect(asked).toBe(false);
  });

  it('refuses requests over --max-size with the sizes', async () => {
    const decide = makeDecider({ accept: true, maxSize: 4999 });
    expect(await decide(request)).toEqual({ accept: false, reason: 'too large: 5000 bytes, limit 4999' });
    expect(await makeDecider({ accept: true, maxSize: 5000 })(request)).toEqual({ accept: true });
  });

  it('asks when it can, and refuses when the answer is no', async () => {
    expect(await makeDecider({ accept: false, ask: async () => true })(request)).toEqual({ accept: true });
    expect(await makeDecider({ accept: false, ask: async () => false })(request)).toEqual({
      accept: false,
      reason: USER_REFUSED_REASON,
    });
  });

  it('refuses with a clear reason and a callback when nobody can be asked', async () => {
    const seen: number[] = [];
    const decide = makeDecider({ accept: false, onNoAccept: (r) => seen.push(r.peer) });
    expect(await decide(request)).toEqual({ accept: false, reason: 'not accepting files (icqrecv runs without --accept)' });
    expect(NO_ACCEPT_REASON).toBe('not accepting files (icqrecv runs without --accept)');
    expect(seen).toEqual([1001]);
  });
});

describe('the terminal question', () => {
  it('reads "Accept N file(s), X bytes, from UIN (name)? [y/N]" with peer text escaped', () => {
    expect(promptText(request)).toBe('Accept 1 file(s), 5000 bytes, from 1001 (report.pdf)? [y/N] ');
    expect(promptText({ ...request, name: '2 Files\x1b[2J', files: 2, description: 'look\x07' })).toBe(
      '  "look\\x07"\nAccept 2 file(s), 5000 bytes, from 1001 (2 Files\\x1b[2J)? [y/N] ',
    );
  });

  it('takes y and yes as yes, anything else as no', () => {
    for (const a of ['y', 'Y', 'yes', ' YES ']) expect(isYes(a)).toBe(true);
    for (const a of ['', 'n', 'no', 'yess', 'ok']) expect(isYes(a)).toBe(false);
  });

  it('asks one question at a time and reads the answers in order', async () => {
    const input = new PassThrough();
    const output = new Capture();
    const ask = TerminalPrompt.asker({ input, output, interrupt: new AbortController().signal });
    const first = ask(request);
    const second = ask({ ...request, peer: 1002 });
    input.write('y\n');
    expect(await first).toBe(true);
    input.write('n\n');
    expect(await second).toBe(false);
    expect(output.text).toContain('from 1001');
    expect(output.text).toContain('from 1002');
    expect(output.text.indexOf('from 1001')).toBeLessThan(output.text.indexOf('from 1002'));
  });

  it('answers no when interrupted', async () => {
    const input = new PassThrough();
    const interrupt = new AbortController();
    const ask = TerminalPrompt.asker({ input, output: new Capture(), interrupt: interrupt.signal });
    const answer = ask(request);
    interrupt.abort();
    expect(await answer).toBe(false);
    expect(await ask(request)).toBe(false);
  });
});
