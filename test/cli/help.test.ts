import { afterEach, describe, it, expect } from 'vitest';
import { buildSendProgram, runSend } from '../../src/cli/icqsend.js';
import { buildRecvProgram, runRecv } from '../../src/cli/icqrecv.js';
import { splitWords } from '../../src/cli/batch.js';
import { setEnv, testContext } from './helpers.js';

// The contract (docs/architecture.md §7, README.md), option by option.
const SEND_OPTIONS = [
  '--server <HOST:PORT>', '--peer <HOST:PORT>', '--uin <N>', '--password <P>', '--message <TEXT>',
  '--wait <SECONDS>', '--timeout <SECONDS>', '--speed <0-100>', '--json', '--quiet', '--batch <FILE>',
  '--connect-timeout <SECONDS>', '--ack-timeout <SECONDS>', '--idle-timeout <SECONDS>',
];
const RECV_OPTIONS = [
  '--server <HOST:PORT>', '--listen <[HOST:]PORT>', '--uin <N>', '--password <P>', '--accept', '--dir <DIR>',
  '--from <UIN,...>', '--accept-type <MIME,...>', '--max-size <BYTES>', '--on-exists <MODE>', '--once', '--json',
  '--quiet', '--connect-timeout <SECONDS>', '--ack-timeout <SECONDS>', '--idle-timeout <SECONDS>',
];
const HIDDEN = ['--advertise-port', '--advertise-file-port', '--retransmit-ms', '--keepalive-ms', '--retries'];

let restoreEnv: (() => void) | undefined;
afterEach(() => restoreEnv?.());

async function help(run: typeof runSend | typeof runRecv): Promise<string> {
  const ctx = testContext();
  expect(await run(['--help'], ctx)).toBe(0);
  expect(ctx.stderr.text).toBe('');
  return ctx.stdout.text;
}

/** The "$ command ..." lines of the Examples block, as argument lists. */
function examples(text: string, command: string): string[][] {
  const block = text.slice(text.lastIndexOf('\nExamples:\n'));
  return block
    .split('\n')
    .filter((l) => l.trim().startsWith(`$ ${command} `))
    .map((l) => splitWords(l.trim().slice(2).split(' | ')[0]!).slice(1));
}

describe.each([
  ['icqsend', runSend, SEND_OPTIONS, buildSendProgram],
  ['icqrecv', runRecv, RECV_OPTIONS, buildRecvProgram],
] as const)('%s --help', (command, run, options, build) => {
  it('lists every option of the contract (docs/architecture.md §7), with defaults and environment variables', async () => {
    // Commander wraps descriptions to the terminal width: compare with blanks collapsed.
    const text = (await help(run)).replace(/\s+/g, ' ');
    for (const option of options) expect(text).toContain(option);
    for (const option of HIDDEN) expect(text).not.toContain(option);
    expect(text).toContain('(default: 10)');
    expect(text).toContain('(default: 120)');
    expect(text).toContain('(default: 60)');
    expect(text).toContain('(env: ICQ_SERVER)');
    expect(text).toContain('(env: ICQ_UIN)');
    expect(text).toContain('(env: ICQ_PASSWORD)');
    expect(text).toContain('Exit codes:');
  });

  it('ends with an Examples: block of invocations that parse', async () => {
    const text = await help(run);
    const tail = text.slice(text.lastIndexOf('\nExamples:\n') + 1).trimEnd().split('\n');
    expect(tail[0]).toBe('Examples:');
    for (const line of tail.slice(1)) expect(line).toMatch(/^$|^ {2}(#|\$) /);
    const invocations = examples(text, command);
    expect(invocations.length).toBeGreaterThanOrEqual(4);
    const joined = invocations.map((a) => a.join(' ')).join('\n');
    expect(joined).toContain('--json');
    if (command === 'icqsend') {
      expect(joined).toContain('--server');
      expect(joined).toContain('--peer');
      expect(joined).toContain('--batch');
    } else {
      expect(joined).toContain('--server');
      expect(joined).toContain('--listen');
    }
    restoreEnv = setEnv({ ICQ_SERVER: undefined, ICQ_UIN: undefined, ICQ_PASSWORD: undefined });
    for (const args of invocations) {
      expect(() => build().parse(args, { from: 'user' }), args.join(' ')).not.toThrow();
    }
  });
});

describe('icqsend --help', () => {
  it('says that --timeout is an alias of --ack-timeout', async () => {
    expect((await help(runSend)).replace(/\s+/g, ' ')).toContain('--timeout <SECONDS> the same as --ack-timeout');
  });
});

describe('icqrecv --help', () => {
  it('shows the --on-exists choices and default, and how --max-size is written', async () => {
    const text = (await help(runRecv)).replace(/\s+/g, ' ');
    expect(text).toContain('choices: "resume", "rename", "overwrite", "skip", default: "resume"');
    expect(text).toContain('10M = 10 MiB');
  });
});
