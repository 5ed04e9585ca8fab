import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSend } from '../../src/cli/icqsend.js';
import { IcqError } from '../../src/errors.js';
import { Capture, testContext } from './helpers.js';
import { fakeSendEngine, summary } from './fakes.js';

/** Looks like a terminal to cli-progress: it draws with cursor escapes into the text. */
class FakeTerminal extends Capture {
  readonly isTTY = true;
  readonly columns = 120;
}

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'icqxfer-cli-bars-'));
  file = join(dir, 'a.bin');
  await writeFile(file, Buffer.alloc(4096));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sendWithBars(args: string[], fail?: IcqError) {
  const ctx = testContext({ stderrIsTTY: true });
  const terminal = new FakeTerminal();
  ctx.stderr = terminal;
  const fake = fakeSendEngine(async (call, start) => {
    const emit = start.onEvent!;
    emit({ event: 'file-start', peer: 1002, name: 'a.bin', path: file, size: 4096, offset: 0, type: 'application/octet-stream', index: 1, files: 1 });
    emit({ event: 'progress', peer: 1002, bytes: 2048, total: 4096, name: 'a.bin', fileBytes: 2048, fileSize: 4096, rate: 1e6 });
    await sleep(150); // let the bars draw at least once
    if (fail) throw fail;
    emit({ event: 'file-done', peer: 1002, name: 'a.bin', path: file, bytes: 4096, sha256: '00', type: 'application/octet-stream', skipped: false });
    emit({ event: 'done', ...summary(call.to, 1, 4096) });
    return summary(call.to, 1, 4096);
  });
  const code = await runSend(['--peer', 'h:1', ...args, '1002', file], ctx, fake.engine);
  return { code, terminal };
}

describe('progress bars', () => {
  it('draw a total and a file bar on a terminal, and stop before the summary line', async () => {
    const { code, terminal } = await sendWithBars([]);
    expect(code).toBe(0);
    expect(terminal.text).toContain('total [');
    expect(terminal.text).toContain('0/1 files');
    expect(terminal.text).toContain('| a.bin');
    expect(terminal.text.endsWith('icqsend: 1 file (4.0 KB) to 1002 (0.5 s, 8.0 KB/s)\n')).toBe(true);
    const after = terminal.text;
    await sleep(250);
    expect(terminal.text).toBe(after); // nothing drawn after the end
  });

  it('stop before an error line', async () => {
    const { code, terminal } = await sendWithBars([], new IcqError('ICQ_ERR_TRANSFER_BROKEN', 'connection lost'));
    expect(code).toBe(6);
    expect(terminal.text.endsWith('icqsend: connection lost [ICQ_ERR_TRANSFER_BROKEN]\n')).toBe(true);
    const after = terminal.text;
    await sleep(250);
    expect(terminal.text).toBe(after);
  });

  it('are not drawn with --quiet or --json', async () => {
    expect((await sendWithBars(['--quiet'])).terminal.text).toBe('');
    expect((await sendWithBars(['--json'])).terminal.text).toBe('');
  });
});
