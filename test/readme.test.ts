import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CommanderError, type Command, type Option } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot, runIcqsend, startIcqd, startIcqrecv, stopAll } from '../scripts/processes.js';
import { parseBatch } from '../src/cli/batch.js';
import { ExitCode, exitCodeForCode } from '../src/cli/exit-codes.js';
import { buildIcqdProgram } from '../src/cli/icqd.js';
import { buildRecvProgram, planReceive } from '../src/cli/icqrecv.js';
import { buildSendProgram, planSend } from '../src/cli/icqsend.js';
import { ErrorCode } from '../src/errors.js';
import { WireErrorCode } from '../src/wire/errors.js';
import { setEnv } from './cli/helpers.js';
import {
  codeSpans,
  fences,
  headings,
  optionValue,
  section,
  shellCommands,
  tableRows,
  withOption,
  type Binary,
  type ShellCommand,
} from './helpers/readme.js';

// Every example in README.md is checked here: each ```sh command line parses with the real
// commander program, the option and event tables match the programs, and the "Using it for
// real" walkthrough runs for real (the built programs in dist/: `npm test` builds first),
// with the README's addresses replaced by 127.0.0.1 and port 0 and its paths by temp dirs.

const ROOT = repoRoot();
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ICQ_ENV = ['ICQ_SERVER', 'ICQ_UIN', 'ICQ_PASSWORD'] as const;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const collapse = (text: string): string => text.replace(/\s+/g, ' ');

function silent(program: Command): Command {
  return program.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
}

function buildProgram(binary: Binary): Command {
  if (binary === 'icqd') return silent(buildIcqdProgram());
  return silent(binary === 'icqsend' ? buildSendProgram() : buildRecvProgram());
}

function allShellCommands(markdown: string): ShellCommand[] {
  return fences(markdown, 'sh').flatMap((f) => shellCommands(f.text));
}

/** With the command's ICQ_* environment (and no other), as a shell would run it. */
async function withCommandEnv<T>(cmd: ShellCommand, run: () => T | Promise<T>): Promise<T> {
  const restore = setEnv(Object.fromEntries(ICQ_ENV.map((name) => [name, cmd.env[name]])));
  try {
    return await run();
  } finally {
    restore();
  }
}

/** Parse a README command line with the real program, as the command would (usage checks included). */
async function parseCommand(cmd: ShellCommand): Promise<void> {
  await withCommandEnv(cmd, async () => {
    const program = buildProgram(cmd.binary!);
    try {
      program.parse(cmd.args, { from: 'user' });
    } catch (err) {
      if (err instanceof CommanderError && err.exitCode === 0) return; // --help
      throw err;
    }
    // The batch file of a --batch line is only there in the walkthrough run below.
    if (cmd.binary === 'icqsend' && optionValue(cmd.args, '--batch') === undefined) await planSend(program);
    if (cmd.binary === 'icqrecv') planReceive(program);
  });
}

describe('README structure', () => {
  it('has the sections of issue #5, in its order', () => {
    const titles = headings(README)
      .filter((h) => h.level <= 2)
      .map((h) => h.title);
    expect(titles).toEqual([
      'icqxfer',
      'Quick start',
      'Using it for real',
      'Options',
      'JSON events and exit codes',
      'Compatibility notes',
      'Security',
      'Benchmarks',
    ]);
  });

  it('starts with the two commands of the quick start, and CI runs the same install and test commands', () => {
    const blocks = fences(section(README, 'Quick start'), 'sh').map((f) => shellCommands(f.text).map((c) => c.words.join(' ')));
    expect(blocks[0]).toEqual(['npm ci', 'npm run demo']);
    expect(blocks[1]).toEqual(['npm test']);
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('npm '));
    // Then the long-running checks (npm run soak), which the README names too.
    expect(ci).toEqual([blocks[0]![0], blocks[1]![0], 'npm run soak']);
    expect(README).toContain('npm run soak');
  });
});

describe('every ```sh example', () => {
  const commands = allShellCommands(README);
  const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts);

  it('runs only our programs (as node bin/NAME.js), npm scripts that exist, and export ICQ_*', () => {
    expect(commands.filter((c) => c.binary).length).toBeGreaterThanOrEqual(10);
    for (const c of commands) {
      if (c.binary) continue;
      const [cmd, sub, arg] = c.words;
      if (cmd === 'npm') {
        if (sub === 'run') expect(scripts, c.source).toContain(arg);
        else expect(['ci', 'install', 'test'], c.source).toContain(sub);
      } else {
        expect(cmd, `unexpected command in the README: ${c.source}`).toBe('export');
        for (const w of c.words.slice(1)) expect(w).toMatch(/^ICQ_(SERVER|UIN|PASSWORD)=\S+$/);
      }
    }
    // One style for our programs: never a bare name or npx.
    for (const c of commands) expect(c.words[0], c.source).not.toMatch(/^(icqd|icqrecv|icqsend|npx)$/);
  });

  it.each(commands.filter((c) => c.binary).map((c) => [c.source, c] as const))('parses: %s', async (_source, cmd) => {
    await expect(parseCommand(cmd)).resolves.toBeUndefined();
  });

  it('names no hidden test-only option', () => {
    for (const hidden of ['--advertise-port', '--advertise-file-port']) expect(README).not.toContain(hidden);
    // icqd shows its timer options; icqrecv and icqsend hide theirs.
    for (const c of commands.filter((x) => x.binary === 'icqsend' || x.binary === 'icqrecv')) {
      for (const hidden of ['--retransmit-ms', '--retries', '--keepalive-ms']) expect(c.args).not.toContain(hidden);
    }
  });
});

/** What the README's default column must start with, from the option itself. */
function expectedDefault(o: Option): string {
  if (o.envVar) return `$${o.envVar}`;
  if (o.defaultValueDescription) return o.defaultValueDescription.split(':')[0]!;
  if (typeof o.defaultValue === 'boolean') return o.defaultValue ? 'on' : 'off';
  if (o.defaultValue !== undefined && !Array.isArray(o.defaultValue)) return String(o.defaultValue);
  const inText = /\(default: ([^)]*)\)/.exec(o.description);
  return inText ? inText[1]! : '—';
}

describe('the option tables', () => {
  it.each(['icqd', 'icqrecv', 'icqsend'] as const)('list every visible option of %s with its real default, and nothing else', (binary) => {
    const rows = tableRows(section(section(README, 'Options'), binary));
    const visible = buildProgram(binary).options.filter((o) => !o.hidden);
    const documented = rows.map((r) => codeSpans(r[0]!)[0]!);
    expect(documented).toEqual(visible.map((o) => o.flags.replace(/[<>]/g, '')));
    rows.forEach((row, i) => {
      const option = visible[i]!;
      const cell = row[1]!.replace(/`/g, '');
      const expected = expectedDefault(option);
      expect(cell.startsWith(expected) && /^($|[ (])/.test(cell.slice(expected.length)), `${option.flags}: "${cell}" should start with "${expected}"`).toBe(true);
      expect(row[2]!.length, option.flags).toBeGreaterThan(10);
    });
  });
});

// docs/architecture.md §7: the options it names, and the defaults it states.
const DESIGN: Record<Binary, { options: string[]; defaults: Record<string, string> }> = {
  icqd: {
    options: ['--listen', '--db', '--auto-register', '--add-user'],
    defaults: { '--listen': '127.0.0.1:4000', '--db': './icqd.json' },
  },
  icqrecv: {
    options: [
      '--server', '--listen', '--uin', '--password', '--accept', '--dir', '--from', '--accept-type', '--max-size',
      '--on-exists', '--once', '--json', '--quiet', '--connect-timeout', '--ack-timeout', '--idle-timeout',
    ],
    defaults: { '--listen': '0', '--on-exists': 'resume', '--connect-timeout': '10', '--ack-timeout': '120', '--idle-timeout': '60' },
  },
  icqsend: {
    options: [
      '--server', '--peer', '--uin', '--password', '--message', '--wait', '--timeout', '--speed', '--json', '--quiet',
      '--batch', '--connect-timeout', '--ack-timeout', '--idle-timeout',
    ],
    defaults: { '--speed': '100', '--connect-timeout': '10', '--ack-timeout': '120', '--idle-timeout': '60' },
  },
};

function helpText(binary: Binary): string {
  let text = '';
  const capture = { writeOut: (s: string) => void (text += s), writeErr: (s: string) => void (text += s) };
  const program = binary === 'icqd' ? buildIcqdProgram().configureOutput(capture) : binary === 'icqsend' ? buildSendProgram(capture) : buildRecvProgram(capture);
  program.outputHelp();
  return text;
}

/** One option's entry in --help (its line and the wrapped lines under it), blanks collapsed. */
function helpEntry(help: string, option: string): string {
  const lines = help.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^ {2}(-\\w, )?${option}( |$)`).test(l));
  if (i < 0) return '';
  const end = lines.findIndex((l, j) => j > i && !/^ {6,}\S/.test(l));
  return collapse(lines.slice(i, end).join(' '));
}

describe('--help', () => {
  it.each(['icqd', 'icqrecv', 'icqsend'] as const)('%s lists every option of the contract (docs/architecture.md §7) with its default and ends with examples that parse', async (binary) => {
    const help = helpText(binary);
    for (const option of DESIGN[binary].options) expect(helpEntry(help, option), option).not.toBe('');
    for (const [option, value] of Object.entries(DESIGN[binary].defaults)) {
      expect(helpEntry(help, option), option).toMatch(new RegExp(`default: "?${value.replace(/\./g, '\\.')}"?`));
    }

    const tail = help.slice(help.lastIndexOf('\nExamples:\n') + 1).trimEnd().split('\n');
    expect(tail[0]).toBe('Examples:');
    const lines = tail.slice(1).filter((l) => l.trim() !== '');
    for (const line of lines) expect(line).toMatch(/^ {2}(#|\$) /);
    const examples = shellCommands(lines.filter((l) => l.startsWith('  $ ')).map((l) => l.slice(4)).join('\n'))
      .filter((c) => c.words[0] === binary)
      .map((c) => ({ ...c, binary, args: c.words.slice(1) }));
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const example of examples) await expect(parseCommand(example), example.source).resolves.toBeUndefined();
  });
});

interface EventDoc {
  keys: string[];
}
function eventTable(): Map<string, EventDoc> {
  const rows = tableRows(section(README, 'JSON events and exit codes'));
  return new Map(rows.map((r) => [codeSpans(r[0]!)[0]!, { keys: codeSpans(r[1]!) }]));
}

/** An event's keys must be exactly the table's (events.ts: only error's `peer` is optional). */
function expectDocumentedKeys(event: Record<string, unknown>, table: Map<string, EventDoc>): void {
  const name = String(event.event);
  const doc = table.get(name);
  expect(doc, `event "${name}" is not in the README's table`).toBeDefined();
  const keys = Object.keys(event).filter((k) => k !== 'event');
  const required = name === 'error' ? doc!.keys.filter((k) => k !== 'peer') : doc!.keys;
  expect(keys.filter((k) => !doc!.keys.includes(k)), name).toEqual([]);
  expect(required.filter((k) => !keys.includes(k)), name).toEqual([]);
}

describe('the events and exit codes tables', () => {
  it('documents every event type with its keys, in the JSON example too', () => {
    const table = eventTable();
    expect([...table.keys()]).toEqual(['online', 'request', 'accepted', 'refused', 'file-start', 'progress', 'file-done', 'done', 'warning', 'session', 'error']);
    const example = fences(section(README, 'JSON events and exit codes'), 'json')[0]!.text.trim().split('\n');
    expect(example.length).toBeGreaterThanOrEqual(6);
    for (const line of example) expectDocumentedKeys(JSON.parse(line) as Record<string, unknown>, table);
  });

  it('has one row per exit code, and each error code in the row of the exit code it really gives', () => {
    const text = section(README, 'JSON events and exit codes');
    const rows = tableRows(text.slice(text.indexOf('| exit code |')));
    expect(rows.map((r) => Number(r[0]))).toEqual([...new Set(Object.values(ExitCode))].sort((a, b) => a - b));
    const listed: string[] = [];
    for (const row of rows) {
      for (const code of codeSpans(row[2]!)) {
        expect(exitCodeForCode(code), code).toBe(Number(row[0]));
        listed.push(code);
      }
    }
    expect(listed.sort()).toEqual([...Object.values(ErrorCode), ...Object.values(WireErrorCode)].sort());
  });

  it('names each option in the row of the exit code it gives (icqrecv refusals are 5, a frame too large 7)', () => {
    // What each option really leads to: a refusal (decide.ts, receiver.ts: ICQ_ERR_REFUSED)
    // or a dropped connection (ICQ_ERR_FRAME_TOO_LARGE).
    const exitFor: Record<string, number> = {
      '--accept': 5,
      '--from': 5,
      '--max-size': 5,
      '--max-files': 5,
      '--max-pending': 5,
      '--ack-timeout': 5,
      '--max-frame-size': 7,
    };
    const text = section(README, 'JSON events and exit codes');
    const rows = tableRows(text.slice(text.indexOf('| exit code |')));
    const named: string[] = [];
    for (const row of rows) {
      for (const option of codeSpans(row[1]!).filter((c) => c.startsWith('--'))) {
        if (Number(row[0]) === 2) continue; // usage: icqsend's own options, checked before anything is sent
        expect(exitFor[option], `${option} in the row of exit code ${row[0]}`).toBe(Number(row[0]));
        named.push(option);
      }
    }
    expect(named.sort()).toEqual(Object.keys(exitFor).sort());
  });
});

// ---------------------------------------------------------------------------------------
// The walkthrough, for real

const LAN_SERVER = '192.168.1.10:4000';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'icqxfer-readme-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await stopAll();
});

function commandsIn(title: string, predicate: (c: ShellCommand) => boolean): ShellCommand[] {
  return allShellCommands(section(README, title)).filter(predicate);
}

function only(title: string, binary: Binary, predicate: (c: ShellCommand) => boolean = () => true): ShellCommand {
  const found = commandsIn(title, (c) => c.binary === binary && predicate(c));
  expect(found.length, `${binary} commands in "${title}"`).toBeGreaterThanOrEqual(1);
  return found[0]!;
}

/** The ```text block right after the ```sh block holding `cmd` (what the README says it prints). */
function outputAfter(title: string, cmd: ShellCommand, skip = 0): string[] {
  const blocks = fences(section(README, title));
  const i = blocks.findIndex((f) => f.lang === 'sh' && shellCommands(f.text).some((c) => c.source === cmd.source));
  const out = blocks[i + 1 + skip];
  expect(out?.lang, `the output shown after: ${cmd.source}`).toBe('text');
  return out!.text.trim().split('\n');
}

/** Output lines with what differs between runs (numbers, sizes, addresses, directories) blanked. */
function shape(lines: string[], dirs: Record<string, string> = {}): string[] {
  return lines.map((line) => {
    let s = line;
    for (const [from, to] of Object.entries(dirs)) s = s.split(from).join(to);
    return s
      .replace(/\d+\.\d+\.\d+\.\d+/g, 'IP')
      .replace(/\d+(\.\d+)?/g, 'N')
      .replace(/\b[KMG]?B\b/g, 'UNIT');
  });
}

async function makeFile(path: string, size: number): Promise<Buffer> {
  const data = randomBytes(size);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return data;
}

async function expectArrived(dir: string, files: Map<string, Buffer>): Promise<void> {
  // The sender is done when the last byte is out; the receiver renames .part right after.
  await vi.waitFor(
    async () => {
      for (const [name, data] of files) expect(sha256(await readFile(join(dir, name))), name).toBe(sha256(data));
    },
    { timeout: 5000, interval: 50 },
  );
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('the walkthrough of "Using it for real", run for real', () => {
  it('icqd, icqrecv and icqsend with the README commands: a send, a send with ICQ_* variables, a batch file', async () => {
    const serverDir = join(work, 'server');
    const alice = join(work, 'alice');
    const incoming = join(work, 'bob', 'incoming');
    await mkdir(serverDir, { recursive: true });

    // 1. The server. Loopback and any free port instead of 0.0.0.0:4000; a cheaper scrypt cost.
    const icqdCmd = only('1. Start a server', 'icqd');
    expect(optionValue(icqdCmd.args, '--listen')).toBe(`0.0.0.0:${LAN_SERVER.split(':')[1]}`);
    const icqd = await startIcqd([...withOption(icqdCmd.args, '--listen', '127.0.0.1:0'), '--scrypt-cost', '1024'], { cwd: serverDir });
    const server = icqd.address;

    // 2. The receiver, on loopback only.
    const recvCmd = only('2. Receive', 'icqrecv', (c) => c.args.includes('--server'));
    expect(optionValue(recvCmd.args, '--server')).toBe(LAN_SERVER);
    expect(optionValue(recvCmd.args, '--dir')).toMatch(/^~\//);
    const recv = await startIcqrecv([
      ...withOption(withOption(recvCmd.args, '--server', server), '--dir', incoming),
      '--listen', '127.0.0.1:0',
    ]);

    // 3. The send, from Alice's directory.
    const sendCmd = only('3. Send', 'icqsend', (c) => c.args.includes('--server'));
    expect(optionValue(sendCmd.args, '--server')).toBe(LAN_SERVER);
    const sent = new Map([
      ['report.pdf', await makeFile(join(alice, 'report.pdf'), 245_760)],
      ['photos/beach.jpg', await makeFile(join(alice, 'photos', 'beach.jpg'), 1_572_864)],
      ['photos/1998/party.jpg', await makeFile(join(alice, 'photos', '1998', 'party.jpg'), 838_861)],
    ]);
    const send = await runIcqsend(withOption(sendCmd.args, '--server', server), { cwd: alice });
    expect(send.exit.code, send.program.stderr()).toBe(0);
    await expectArrived(incoming, sent);
    expect(shape(lines(send.program.stderr()))).toEqual(shape(outputAfter('3. Send', sendCmd)));

    // What Bob's icqrecv printed: the listening line (stdout), then stderr.
    const recvShown = outputAfter('3. Send', sendCmd, 1);
    await vi.waitFor(() => expect(lines(recv.program.stderr()).length).toBeGreaterThanOrEqual(recvShown.length - 1), { timeout: 5000 });
    const recvPrinted = [...lines(recv.program.stdout()), ...lines(recv.program.stderr())].slice(0, recvShown.length);
    expect(shape(recvPrinted, { [incoming]: '/home/bob/incoming' })).toEqual(shape(recvShown));

    // The login from the environment.
    const envCmd = only('3. Send', 'icqsend', (c) => c.env.ICQ_SERVER !== undefined);
    expect(envCmd.env).toMatchObject({ ICQ_SERVER: LAN_SERVER, ICQ_UIN: '1001' });
    expect(envCmd.args).not.toContain('--server');
    const notes = new Map([['notes.txt', await makeFile(join(alice, 'notes.txt'), 23)]]);
    const envSend = await runIcqsend(envCmd.args, { cwd: alice, env: { ...envCmd.env, ICQ_SERVER: server } });
    expect(envSend.exit.code, envSend.program.stderr()).toBe(0);
    await expectArrived(incoming, notes);

    // The batch file, as the README shows it.
    const batchTitle = 'Many transfers, one login: batch files';
    const batchCmd = only(batchTitle, 'icqsend', (c) => c.args.includes('--batch'));
    const jobsText = fences(section(README, batchTitle), 'text')[0]!.text;
    await writeFile(join(alice, optionValue(batchCmd.args, '--batch')!), `${jobsText}\n`);
    const batchFiles = new Map<string, Buffer>();
    for (const job of parseBatch(jobsText)) {
      expect(job.to).toBe(1002);
      for (const p of job.paths) batchFiles.set(p.split('/').at(-1)!, await makeFile(join(alice, p), 40_000 + batchFiles.size * 2000));
    }
    const batch = await runIcqsend(withOption(batchCmd.args, '--server', server), { cwd: alice });
    expect(batch.exit.code, batch.program.stderr()).toBe(0);
    await expectArrived(incoming, batchFiles);
    expect(shape(lines(batch.program.stderr()))).toEqual(shape(outputAfter(batchTitle, batchCmd)));

    // Ctrl-C on both: icqrecv reports the interruption, icqd saves and exits 0.
    expect((await recv.program.stop('SIGINT')).code).toBe(ExitCode.INTERRUPTED);
    expect((await icqd.program.stop('SIGINT')).code).toBe(0);
    expect(await readFile(join(serverDir, optionValue(icqdCmd.args, '--db')!), 'utf8')).toContain('"uin": 1002');
  });

  it('peer to peer: icqrecv --listen and icqsend --peer', async () => {
    const title = 'Without a server: peer to peer';
    const bob = join(work, 'p2p-bob');
    const alice = join(work, 'p2p-alice');
    await mkdir(bob, { recursive: true });
    const recvCmd = only(title, 'icqrecv');
    const sendCmd = only(title, 'icqsend');
    const port = optionValue(recvCmd.args, '--listen')!;
    expect(recvCmd.args).not.toContain('--server');
    expect(optionValue(sendCmd.args, '--peer')).toMatch(new RegExp(`:${port}$`));

    const recv = await startIcqrecv(withOption(recvCmd.args, '--listen', '127.0.0.1:0'), { cwd: bob });
    const name = sendCmd.args.at(-1)!;
    const file = new Map([[name, await makeFile(join(alice, name), 300_000)]]);
    const send = await runIcqsend(withOption(sendCmd.args, '--peer', `127.0.0.1:${recv.port}`), { cwd: alice });
    expect(send.exit.code, send.program.stderr()).toBe(0);
    await expectArrived(join(bob, optionValue(recvCmd.args, '--dir')!), file);
  });

  it('the --json example prints the documented events, and a refusal gives "refused", "error" and exit code 5', async () => {
    const title = 'JSON events and exit codes';
    const table = eventTable();
    const dir = join(work, 'json');
    const recvCmd = only(title, 'icqrecv');
    const sendCmd = only(title, 'icqsend');
    expect(optionValue(sendCmd.args, '--peer')).toBe(optionValue(recvCmd.args, '--listen'));

    const inbox = join(dir, 'in');
    const recv = await startIcqrecv(withOption(withOption(recvCmd.args, '--listen', '127.0.0.1:0'), '--dir', inbox));
    const name = sendCmd.args.at(-1)!;
    const file = new Map([[name, await makeFile(join(dir, name), 1_048_576)]]);
    const send = await runIcqsend(withOption(sendCmd.args, '--peer', `127.0.0.1:${recv.port}`), { cwd: dir });
    expect(send.exit.code, send.program.stderr()).toBe(0);
    expect((await recv.program.exited).code, recv.program.stderr()).toBe(0); // --once
    await expectArrived(inbox, file);

    const received = recv.program.events();
    const shown = fences(section(README, title), 'json')[0]!.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const names = (events: Array<Record<string, unknown>>): unknown[] => events.map((e) => e.event).filter((e) => e !== 'progress');
    expect(names(received)).toEqual(names(shown));
    const events = [...received, ...send.program.events()];

    // Without --accept and without a terminal, icqrecv refuses.
    const refuser = await startIcqrecv(['--listen', '127.0.0.1:0', '--once', '--json', '--dir', join(dir, 'refused')]);
    const refused = await runIcqsend(['--peer', `127.0.0.1:${refuser.port}`, '--json', '1002', join(dir, name)]);
    expect(refused.exit.code).toBe(ExitCode.REFUSED);
    expect((await refuser.program.exited).code).toBe(ExitCode.REFUSED);
    events.push(...refuser.program.events(), ...refused.program.events());

    const seen = new Set(events.map((e) => e.event));
    for (const name of ['online', 'request', 'accepted', 'refused', 'file-start', 'file-done', 'done', 'error']) expect(seen).toContain(name);
    for (const event of events) expectDocumentedKeys(event, table);
    const error = refused.program.events().find((e) => e.event === 'error')!;
    expect(exitCodeForCode(String(error.code))).toBe(ExitCode.REFUSED);
  });
});

describe('npm run demo', () => {
  it('exits 0 and ends with what the README shows', async () => {
    // The script npm run demo runs after its build; its temporary directory goes under ours.
    const { stderr } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'scripts', 'demo.js')], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: work },
      timeout: 20_000,
    });
    const shown = fences(section(README, 'Quick start'), 'text')[0]!.text.split('\n').filter((l) => l !== '');
    const printed = lines(stderr);
    const from = printed.indexOf(shown[0]!);
    expect(from, stderr).toBeGreaterThan(0);
    const blank = (l: string[]): string[] => shape(l.map((x) => x.replace(/\S*icqxfer-demo-\w+/g, 'DIR').replace(/[0-9a-f]{16}…/g, 'SUM')));
    expect(blank(printed.slice(from, from + shown.length))).toEqual(blank(shown));
  });
});
