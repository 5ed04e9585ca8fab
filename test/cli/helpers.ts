import { PassThrough, Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';

/** A writable that keeps everything written to it as text. */
export class Capture extends Writable {
  text = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }

  lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

export interface TestContext extends CliContext {
  stdout: Capture;
  stderr: Capture;
  stdin: PassThrough;
  interrupter: AbortController;
}

export function testContext(overrides: Partial<Pick<CliContext, 'stdinIsTTY' | 'stderrIsTTY'>> = {}): TestContext {
  const interrupter = new AbortController();
  return {
    stdout: new Capture(),
    stderr: new Capture(),
    stdin: new PassThrough(),
    stdinIsTTY: false,
    stderrIsTTY: false,
    interrupt: interrupter.signal,
    interrupter,
    ...overrides,
  };
}

/** Set environment variables for one test; returns a function that puts them back. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
