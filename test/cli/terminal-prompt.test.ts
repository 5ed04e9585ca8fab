import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { TerminalPrompt } from '../../src/cli/terminal-prompt.js';
import type { FileRequestInfo } from '../../src/transfer/options.js';
import { Capture } from './helpers.js';

const request: FileRequestInfo = { peer: 1001, name: 'a.txt', files: 1, bytes: 3, description: '', address: '127.0.0.1' };
const QUESTION_1001 = 'Accept 1 file(s), 3 bytes, from 1001 (a.txt)? [y/N] ';
const QUESTION_1002 = 'Accept 1 file(s), 3 bytes, from 1002 (a.txt)? [y/N] ';
// What node:readline's cursorTo(0) and clearLine(0) write.
const CLEAR_LINE = '\x1b[1G\x1b[2K';

function setUp(onCtrlC?: () => void) {
  const input = new PassThrough();
  const output = new Capture();
  const interrupt = new AbortController();
  const prompt = new TerminalPrompt({ input, output, interrupt: interrupt.signal, ...(onCtrlC ? { onCtrlC } : {}) });
  return { input, output, interrupt, prompt };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('TerminalPrompt (issue #13)', () => {
  it('a request withdrawn while asked: its question is replaced at once, the next gets its own, the answer goes to it', async () => {
    const { input, output, prompt } = setUp();
    const cancelled = new AbortController();
    const first = prompt.ask(request, cancelled.signal);
    const second = prompt.ask({ ...request, peer: 1002 });
    await tick();
    expect(output.text).toContain(QUESTION_1001);
    cancelled.abort();
    expect(await first).toBe(false);
    expect(output.text).toContain(`${CLEAR_LINE}Accept 1 file(s), 3 bytes, from 1001 (a.txt)? withdrawn\n`);
    await tick();
    expect(output.text.lastIndexOf(QUESTION_1002)).toBeGreaterThan(output.text.indexOf('withdrawn'));
    input.write('y\n');
    expect(await second).toBe(true);
  });

  it('N withdrawn requests swallow no answer', async () => {
    const { input, prompt } = setUp();
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const c = new AbortController();
      answers.push(prompt.ask(request, c.signal));
      await tick();
      c.abort();
    }
    const live = prompt.ask({ ...request, peer: 1002 });
    await tick();
    input.write('y\n');
    expect(await Promise.all(answers)).toEqual([false, false, false]);
    expect(await live).toBe(true);
  });

  it('a request withdrawn before its turn is never asked', async () => {
    const { input, output, prompt } = setUp();
    const first = prompt.ask(request);
    const gone = new AbortController();
    const second = prompt.ask({ ...request, peer: 1002 }, gone.signal);
    gone.abort();
    await tick();
    input.write('n\n');
    expect(await first).toBe(false);
    expect(await second).toBe(false);
    await tick();
    expect(output.text).not.toContain('from 1002');
  });

  it('Ctrl-C at a question refuses it, ends the line and calls onCtrlC once', async () => {
    let ctrlC = 0;
    const { input, output, prompt } = setUp(() => ctrlC++);
    const answer = prompt.ask(request);
    await tick();
    input.write('y\x03'); // typed y, then Ctrl-C before Enter
    expect(await answer).toBe(false);
    await tick();
    expect(ctrlC).toBe(1);
    expect(output.text.endsWith('\n')).toBe(true);
  });

  it('an interrupt from outside refuses the open question and every queued one', async () => {
    const { output, interrupt, prompt } = setUp();
    const first = prompt.ask(request);
    const second = prompt.ask({ ...request, peer: 1002 });
    await tick();
    interrupt.abort();
    expect(await first).toBe(false);
    expect(await second).toBe(false);
    expect(output.text).not.toContain('from 1002');
    expect(output.text.endsWith('\n')).toBe(true);
  });

  it('other output while a question is open gets its own line, and the question is drawn again under it', async () => {
    const { input, output, prompt } = setUp();
    const answer = prompt.ask(request);
    await tick();
    input.write('ye');
    await tick();
    prompt.sink.write('icqrecv: 1002 offers b.txt (1 file, 9 B)\n');
    const after = output.text.slice(output.text.indexOf(`${CLEAR_LINE}icqrecv: 1002 offers`));
    expect(after.startsWith(`${CLEAR_LINE}icqrecv: 1002 offers b.txt (1 file, 9 B)\n`)).toBe(true);
    // Redrawn with what was typed so far; the message never follows "[y/N] " on its line.
    expect(after).toContain(`${QUESTION_1001}ye`);
    expect(output.text).not.toMatch(/\[y\/N\] (ye)?icqrecv/);
    input.write('s\n');
    expect(await answer).toBe(true);
    // With no question open, text goes straight through.
    prompt.sink.write('icqrecv: done\n');
    expect(output.text.endsWith('icqrecv: done\n')).toBe(true);
  });

  it('shows a description on its own line above the one-line question', async () => {
    const { input, output, prompt } = setUp();
    const answer = prompt.ask({ ...request, description: 'the scans' });
    await tick();
    expect(output.text).toContain('  "the scans"\n');
    expect(output.text.indexOf('  "the scans"\n')).toBeLessThan(output.text.indexOf(QUESTION_1001));
    input.write('n\n');
    expect(await answer).toBe(false);
  });
});
