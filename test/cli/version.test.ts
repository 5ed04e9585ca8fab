import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, start, stopAll } from '../../scripts/processes.js';
import { runRecv } from '../../src/cli/icqrecv.js';
import { runSend } from '../../src/cli/icqsend.js';
import { packageVersion } from '../../src/cli/version.js';
import { testContext } from './helpers.js';

const VERSION = (JSON.parse(readFileSync(`${repoRoot()}/package.json`, 'utf8')) as { version: string }).version;

afterEach(() => stopAll());

describe('--version', () => {
  it("reads package.json's version", () => {
    expect(packageVersion()).toBe(VERSION);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    ['icqsend', runSend],
    ['icqrecv', runRecv],
  ] as const)('%s --version prints "%s VERSION" on stdout and exits 0', async (name, run) => {
    const ctx = testContext();
    expect(await run(['--version'], ctx)).toBe(0);
    expect(ctx.stdout.text).toBe(`${name} ${VERSION}\n`);
    expect(ctx.stderr.text).toBe('');
  });

  // The built programs (bin/*.js → dist/), as installed: package.json is found from dist/ too.
  it.each(['icqd', 'icqsend', 'icqrecv'] as const)('the real %s --version', async (name) => {
    const program = start(name, ['--version']);
    expect(await program.exited).toEqual({ code: 0, signal: null });
    expect(program.stdout()).toBe(`${name} ${VERSION}\n`);
  });
});
