import { CommanderError } from 'commander';
import { describe, it, expect } from 'vitest';
import { createReporter, reportEarlyError, toErrorEvent } from '../../src/cli/reporter.js';
import { eventToJsonLine } from '../../src/cli/json-reporter.js';
import { IcqError } from '../../src/errors.js';
import type { TransferEvent } from '../../src/transfer/events.js';
import { Capture } from './helpers.js';

const ESC = '\x1b';

const samples: TransferEvent[] = [
  { event: 'online', uin: 1002, host: '0.0.0.0', port: 4321 },
  { event: 'request', peer: 1001, name: '3 Files', files: 3, bytes: 1234, description: 'the scans' },
  { event: 'accepted', peer: 1001, port: 5555 },
  { event: 'refused', peer: 1001, reason: 'no thanks', by: 'peer' },
  {
    event: 'file-start', peer: 1001, name: 'photos/a.jpg', path: '/tmp/in/photos/a.jpg',
    size: 1000, offset: 0, type: 'image/jpeg', index: 1, files: 3,
  },
  { event: 'progress', peer: 1001, bytes: 500, total: 1234, name: 'photos/a.jpg', fileBytes: 500, fileSize: 1000, rate: 1e6 },
  {
    event: 'file-done', peer: 1001, name: 'photos/a.jpg', path: '/tmp/in/photos/a.jpg', bytes: 1000,
    sha256: 'ab'.repeat(32), type: 'image/jpeg', skipped: false,
  },
  { event: 'done', peer: 1001, files: 3, bytes: 1234, transferred: 1234, skipped: 0, seconds: 0.25 },
  { event: 'error', code: 'ICQ_ERR_TRANSFER_BROKEN', message: 'connection closed', peer: 1001 },
  { event: 'warning', message: '1002 is not known to read sub-directories: 2 file(s) from directories go flat under their base names', peer: 1002 },
];

function reporters(options: { json: boolean; quiet?: boolean; direction?: 'send' | 'receive' }) {
  const stdout = new Capture();
  const stderr = new Capture();
  const reporter = createReporter({
    json: options.json,
    quiet: options.quiet ?? false,
    program: options.direction === 'send' ? 'icqsend' : 'icqrecv',
    direction: options.direction ?? 'receive',
    dir: '/tmp/in',
    stdout,
    stderr,
  });
  return { reporter, stdout, stderr };
}

describe('JSON reporter', () => {
  it('prints exactly one parseable line per event, with exactly the event\'s keys', () => {
    const { reporter, stdout, stderr } = reporters({ json: true });
    for (const event of samples) reporter.onEvent(event);
    const lines = stdout.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(samples.length);
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line);
      expect(parsed).toEqual(samples[i]);
      expect(Object.keys(parsed)).toEqual(Object.keys(samples[i]!));
    });
    expect(stderr.text).toBe('');
  });

  it('writes notes nowhere', () => {
    const { reporter, stdout, stderr } = reporters({ json: true });
    reporter.note('hello');
    expect(stdout.text + stderr.text).toBe('');
  });

  it('escapes characters a terminal would act on, and the line still parses to the same value', () => {
    const name = `evil\u009b2J\u202etxt.exe\u2028${ESC}[31m`;
    const event: TransferEvent = { event: 'request', peer: 1, name, files: 1, bytes: 1, description: '' };
    const line = eventToJsonLine(event);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u202e]/);
    expect(line).toContain('\\u009b');
    expect(line).toContain('\\u202e');
    expect(JSON.parse(line)).toEqual(event);
  });

  it('reports an error once, even when the engine already emitted it as an event', () => {
    const { reporter, stdout } = reporters({ json: true });
    reporter.onEvent({ event: 'error', code: 'ICQ_ERR_REFUSED', message: '1002 refused: busy', peer: 1002 });
    reporter.error(new IcqError('ICQ_ERR_REFUSED', '1002 refused: busy'), 1002);
    reporter.error(new IcqError('ICQ_ERR_INTERRUPTED', 'interrupted'));
    expect(stdout.lines().map((l) => JSON.parse(l))).toEqual([
      { event: 'error', code: 'ICQ_ERR_REFUSED', message: '1002 refused: busy', peer: 1002 },
      { event: 'error', code: 'ICQ_ERR_INTERRUPTED', message: 'interrupted' },
    ]);
  });

  it('gives errors without a known code the internal code', () => {
    expect(toErrorEvent(new TypeError('oops'))).toEqual({ event: 'error', code: 'ICQ_ERR_INTERNAL', message: 'oops' });
    expect(toErrorEvent('text', 7)).toEqual({ event: 'error', code: 'ICQ_ERR_INTERNAL', message: 'text', peer: 7 });
  });
});

describe('human reporter', () => {
  it('writes nothing to stdout', () => {
    const { reporter, stdout } = reporters({ json: false });
    for (const event of samples) reporter.onEvent(event);
    reporter.error(new Error('x'));
    expect(stdout.text).toBe('');
  });

  it('escapes control characters in everything a peer chose', () => {
    const { reporter, stderr } = reporters({ json: false });
    reporter.onEvent({ event: 'request', peer: 1001, name: `a${ESC}[2Jb`, files: 1, bytes: 10, description: `hi\r\nthere${ESC}]0;x\x07` });
    reporter.onEvent({ event: 'refused', peer: 1001, reason: `bad\u009bname`, by: 'local' });
    reporter.onEvent({
      event: 'file-done', peer: 1001, name: `x\ty`, path: '/p', bytes: 1, sha256: '', type: 'text/plain', skipped: false,
    });
    reporter.onEvent({ event: 'error', code: 'ICQ_ERR_PROTOCOL', message: `peer said ${ESC}c` });
    expect(stderr.text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(stderr.lines()).toEqual([
      'icqrecv: 1001 offers a\\x1b[2Jb (1 file, 10 B): "hi\\x0d\\x0athere\\x1b]0;x\\x07"',
      'icqrecv: refused 1001: bad\\x9bname',
      'icqrecv: received x\\x09y (1 B)',
      'icqrecv: peer said \\x1bc [ICQ_ERR_PROTOCOL]',
    ]);
  });

  it('prints a warning as one escaped line on stderr', () => {
    const { reporter, stdout, stderr } = reporters({ json: false, direction: 'send' });
    reporter.onEvent({ event: 'warning', message: `dir went flat ${ESC}[2J`, peer: 1002 });
    expect(stderr.lines()).toEqual(['icqsend: warning: dir went flat \\x1b[2J']);
    expect(stdout.text).toBe('');
  });

  it('summarises a received batch in one line', () => {
    const { reporter, stderr } = reporters({ json: false });
    const mb = 1258291; // 1.2 MB
    reporter.onEvent({ event: 'done', peer: 1001, files: 3, bytes: mb, transferred: mb, skipped: 0, seconds: 0.4 });
    expect(stderr.text).toBe('icqrecv: 3 files (1.2 MB) from 1001 → /tmp/in (0.4 s, 3.0 MB/s)\n');
  });

  it('summarises a send, with skipped and resumed files', () => {
    const { reporter, stderr } = reporters({ json: false, direction: 'send' });
    reporter.onEvent({ event: 'done', peer: 1002, files: 1, bytes: 2048, transferred: 1024, skipped: 1, seconds: 2 });
    expect(stderr.text).toBe('icqsend: 1 file (2.0 KB, 1 skipped, 1.0 KB transferred) to 1002 (2.0 s, 512 B/s)\n');
  });

  it('says nothing but errors with --quiet', () => {
    const { reporter, stderr } = reporters({ json: false, quiet: true });
    for (const event of samples) reporter.onEvent(event);
    reporter.note('a note');
    reporter.error(new IcqError('ICQ_ERR_PEER_OFFLINE', '1002 is offline'));
    expect(stderr.lines()).toEqual([
      'icqrecv: connection closed [ICQ_ERR_TRANSFER_BROKEN]',
      'icqrecv: 1002 is offline [ICQ_ERR_PEER_OFFLINE]',
    ]);
  });

  it('leaves the peer\'s own refusal to the error that follows it', () => {
    const { reporter, stderr } = reporters({ json: false, direction: 'send' });
    reporter.onEvent({ event: 'refused', peer: 1002, reason: 'busy', by: 'peer' });
    reporter.error(new IcqError('ICQ_ERR_REFUSED', '1002 refused the files: busy'));
    expect(stderr.lines()).toEqual(['icqsend: 1002 refused the files: busy [ICQ_ERR_REFUSED]']);
  });
});

describe('reportEarlyError', () => {
  it('prints a JSON error line when the arguments ask for --json, else a line on stderr', () => {
    const stdout = new Capture();
    const stderr = new Capture();
    reportEarlyError({ stdout, stderr }, 'icqsend', new IcqError('ICQ_ERR_USAGE', 'missing UIN'), ['--json']);
    expect(JSON.parse(stdout.text)).toEqual({ event: 'error', code: 'ICQ_ERR_USAGE', message: 'missing UIN' });
    reportEarlyError({ stdout, stderr }, 'icqsend', new IcqError('ICQ_ERR_USAGE', 'missing UIN'), []);
    expect(stderr.text).toBe('icqsend: missing UIN [ICQ_ERR_USAGE]\n(run icqsend --help for usage)\n');
  });

  it("words commander's errors like ours: no \"error: \", the code, the pointer to --help", () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const err = new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'");
    reportEarlyError({ stdout, stderr }, 'icqrecv', err, []);
    expect(stderr.text).toBe("icqrecv: unknown option '--bogus' [ICQ_ERR_USAGE]\n(run icqrecv --help for usage)\n");
    reportEarlyError({ stdout, stderr }, 'icqrecv', err, ['--json']);
    expect(JSON.parse(stdout.text)).toEqual({ event: 'error', code: 'ICQ_ERR_USAGE', message: "unknown option '--bogus'" });
  });

  it('gives a missing file no pointer to --help: it is not a usage mistake', () => {
    const stderr = new Capture();
    reportEarlyError({ stdout: new Capture(), stderr }, 'icqsend', new IcqError('ICQ_ERR_LOCAL_FILE', 'x: no such file or directory'), []);
    expect(stderr.text).toBe('icqsend: x: no such file or directory [ICQ_ERR_LOCAL_FILE]\n');
  });
});
