import { ignoreLostOutput } from './context.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ErrorCode } from '../errors.js';
import { IcqServerError, ServerErrorCode } from '../server/errors.js';
import { SERVER_DEFAULTS, type ServerUser, isScryptCost } from '../server/options.js';
import { type IcqServer, startServer } from '../server/server.js';
import { ExitCode } from './exit-codes.js';
import { MAX_TIMER_MS, parseUin } from './parsers.js';
import { describeSystemError } from '../system-error.js';
import { SILENT_COMMANDER_ERRORS, earlyErrorText, toErrorEvent } from './reporter.js';
import { versionLine } from './version.js';

const NAME = 'icqd';
const MAX_COUNT = 2 ** 31 - 1;

interface ListenAddress {
  host: string;
  port: number;
}

/** HOST:PORT, or PORT on the default host (127.0.0.1, not every interface); port 0 = any. */
function parseListen(value: string): ListenAddress {
  const m = /^(?:([A-Za-z0-9._-]*):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new InvalidArgumentError('expected HOST:PORT (or PORT), e.g. 127.0.0.1:4000');
  return { host: m[1] || SERVER_DEFAULTS.host, port };
}

function parseInteger(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** UIN:PASSWORD[:NICK]; the password cannot contain ':', the nick can. */
function parseUser(value: string, previous: ServerUser[] = []): ServerUser[] {
  const first = value.indexOf(':');
  if (first <= 0) throw new InvalidArgumentError('expected UIN:PASSWORD[:NICK]');
  const uin = parseUin(value.slice(0, first));
  const rest = value.slice(first + 1);
  const second = rest.indexOf(':');
  const password = second === -1 ? rest : rest.slice(0, second);
  const nick = second === -1 ? undefined : rest.slice(second + 1);
  // An empty password would let anyone log in as this UIN with an empty one.
  if (password === '') throw new InvalidArgumentError('the password is empty: expected UIN:PASSWORD[:NICK]');
  return [...previous, nick === undefined ? { uin, password } : { uin, password, nick }];
}

/** icqd's command line (docs/architecture.md §7). Construct a new one for every parse. */
export function buildIcqdProgram(): Command {
  const d = SERVER_DEFAULTS;
  return new Command()
    .name('icqd')
    .description('A compatible ICQ v2 (1998) server: logins, presence, messages and the reverse-connect relay, over UDP.')
    .addOption(
      new Option('--listen <HOST:PORT>', 'UDP address to listen on; port 0 picks a free one (printed on stdout)')
        .default(`${d.host}:${d.port}`)
        .argParser(parseListen),
    )
    .addOption(new Option('--db <FILE>', 'accounts and stored messages (JSON, written atomically)').default(d.dbPath))
    .addOption(new Option('--no-db', 'keep accounts and stored messages in memory only'))
    .addOption(new Option('--auto-register', 'create the account when an unknown UIN logs in').default(false))
    .addOption(
      new Option('--add-user <UIN:PASSWORD[:NICK]>', 'add an account, or set its password and nick (repeatable; the password cannot be empty)')
        .argParser(parseUser)
        .default([], 'none'),
    )
    .addOption(
      new Option('--retransmit-ms <MS>', 'resend an unacknowledged packet after this long')
        .default(d.retransmitMs)
        .argParser(parseInteger(1, MAX_TIMER_MS)),
    )
    .addOption(
      new Option('--retries <N>', 'resends before a silent client is dropped').default(d.retries).argParser(parseInteger(0, 1000)),
    )
    .addOption(
      new Option('--keepalive-ms <MS>', `client keep-alive period; silent sessions expire after 3× this`)
        .default(d.keepAliveMs)
        .argParser(parseInteger(1, MAX_TIMER_MS)),
    )
    .addOption(
      new Option('--scrypt-cost <N>', 'scrypt cost for new password hashes (power of two)')
        .default(d.scryptCostFile)
        .argParser((v) => {
          const n = parseInteger(2, 1_048_576)(v);
          if (!isScryptCost(n)) throw new InvalidArgumentError('expected a power of two, e.g. 16384');
          return n;
        }),
    )
    .addOption(
      new Option('--max-sessions <N>', 'most clients online at once').default(d.maxSessions).argParser(parseInteger(1, MAX_COUNT)),
    )
    .addOption(
      new Option('--max-contacts <N>', 'most UINs one client may watch').default(d.maxContacts).argParser(parseInteger(0, MAX_COUNT)),
    )
    .addOption(
      new Option('--max-stored-messages <N>', 'most offline messages kept per user')
        .default(d.maxStoredMessages)
        .argParser(parseInteger(0, MAX_COUNT)),
    )
    .addOption(
      new Option('--send-window <N>', 'most unacknowledged packets on the wire to one client')
        .default(d.sendWindow)
        .argParser(parseInteger(1, 32768)),
    )
    .addOption(new Option('--quiet', 'log nothing but errors to stderr').default(false))
    .version(versionLine('icqd'), '--version', 'print the name and version, then exit')
    .addHelpText(
      'after',
      `
The first line on stdout is "listening udp://HOST:PORT"; logs go to stderr.
SIGINT or SIGTERM stops the server (exit 0) after saving the database.

Examples:
  $ icqd
  $ icqd --listen 0.0.0.0:4000 --db /var/lib/icqd/icqd.json
  $ icqd --add-user 1001:secret:alice --add-user 1002:hunter2:bob
  $ icqd --listen 127.0.0.1:0 --no-db --auto-register
  $ icqd --retransmit-ms 200 --retries 2 --keepalive-ms 1000   # short timers for tests`,
    );
}

interface IcqdOptions {
  listen: ListenAddress | string;
  db: string | false;
  autoRegister: boolean;
  addUser: ServerUser[];
  retransmitMs: number;
  retries: number;
  keepaliveMs: number;
  scryptCost: number;
  maxSessions: number;
  maxContacts: number;
  maxStoredMessages: number;
  sendWindow: number;
  quiet: boolean;
}

/**
 * Runs icqd until SIGINT/SIGTERM. Never rejects: failures are printed to stderr as
 * `icqd: MESSAGE [ICQ_ERR_...]` and set process.exitCode (1 for a database that cannot be
 * read or written or an address that cannot be bound, 2 for usage; at shutdown 1 when the
 * last save of the database failed, so what changed since is lost).
 */
export async function main(argv: string[]): Promise<void> {
  ignoreLostOutput();
  const program = buildIcqdProgram().exitOverride().configureOutput(SILENT_COMMANDER_ERRORS);
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return; // --help, --version
    process.stderr.write(earlyErrorText(NAME, toErrorEvent(err)));
    process.exitCode = ExitCode.USAGE;
    return;
  }
  const o = program.opts<IcqdOptions>();
  // A default given as text is not run through the parser.
  const listen = typeof o.listen === 'string' ? parseListen(o.listen) : o.listen;
  const stderr = (line: string): void => void process.stderr.write(`${NAME}: ${line}\n`);

  // Every save writes the whole database: whether the last one worked says whether
  // anything is lost. Failures are errors, shown even with --quiet (the store's log line
  // says it otherwise).
  let lastSaveError: unknown;
  const afterWrite = (error?: unknown): void => {
    lastSaveError = error;
    if (error !== undefined && o.quiet) stderr(`cannot save ${String(o.db)}: ${describeSystemError(error)} [${ServerErrorCode.DATABASE}]`);
  };

  let server: IcqServer;
  try {
    server = await startServer(
      {
        host: listen.host,
        port: listen.port,
        dbPath: o.db === false ? null : o.db,
        autoRegister: o.autoRegister,
        users: o.addUser,
        retransmitMs: o.retransmitMs,
        retries: o.retries,
        keepAliveMs: o.keepaliveMs,
        // Without a file the hashes never leave the process: the in-memory default is cheaper.
        ...(o.db === false && program.getOptionValueSource('scryptCost') === 'default' ? {} : { scryptCost: o.scryptCost }),
        maxSessions: o.maxSessions,
        maxContacts: o.maxContacts,
        maxStoredMessages: o.maxStoredMessages,
        sendWindow: o.sendWindow,
        log: o.quiet ? undefined : stderr,
      },
      { writeHooks: { afterWrite } },
    );
  } catch (err) {
    process.stderr.write(startupErrorText(err));
    process.exitCode = err instanceof RangeError ? ExitCode.USAGE : ExitCode.INTERNAL;
    return;
  }
  process.stdout.write(`listening udp://${server.address.host}:${server.address.port}\n`);

  let stopError: unknown;
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (!o.quiet) stderr(`${signal}: stopping`);
      server.close().then(resolve, (err: unknown) => {
        stopError = err;
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  if (stopError !== undefined) {
    stderr(`error while stopping: ${describeSystemError(stopError)} [${codeOf(stopError)}]`);
    process.exitCode = ExitCode.INTERNAL;
  } else if (lastSaveError !== undefined) {
    stderr(
      `stopped, but ${String(o.db)} could not be saved (${describeSystemError(lastSaveError)}): ` +
        `what changed since the last good save is lost [${ServerErrorCode.DATABASE}]`,
    );
    process.exitCode = ExitCode.INTERNAL;
  } else {
    process.exitCode = ExitCode.OK;
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ICQ_ERR_') ? code : ErrorCode.INTERNAL;
}

/** One line, with its code, for a failure to start: a stack trace only for a bug. */
function startupErrorText(err: unknown): string {
  if (err instanceof IcqServerError) {
    // "cannot listen on udp://…: bind EADDRINUSE …": the cause's errno, in words.
    const cause = err.cause instanceof Error ? err.cause : undefined;
    const message = cause ? err.message.replace(cause.message, describeSystemError(cause)) : err.message;
    return `${NAME}: ${message} [${err.code}]\n`;
  }
  if (err instanceof RangeError) return earlyErrorText(NAME, { code: ErrorCode.USAGE, message: err.message });
  const stack = err instanceof Error && err.stack !== undefined ? `${err.stack}\n` : '';
  return `${NAME}: ${describeSystemError(err)} [${ErrorCode.INTERNAL}]\n${stack}`;
}
