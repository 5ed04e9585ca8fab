import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describeSystemError } from '../system-error.js';
import { type AtomicWriteHooks, checkWritable, removeStaleTempFiles, writeFileAtomic } from './atomic-file.js';
import { IcqServerError, ServerErrorCode } from './errors.js';
import { hashPassword, isPasswordHash, verifyPassword } from './passwords.js';

/**
 * The --db store: accounts (with salted scrypt password hashes, never the passwords) and
 * the messages waiting for offline users. The whole store is one JSON file, replaced
 * atomically after every burst of changes; `null` keeps it in memory only.
 */

export interface Account {
  uin: number;
  passwordHash: string;
  nick: string;
  first: string;
  last: string;
  email: string;
  /** 1 = anyone may add this user (INFO_REPLY AUTH). */
  auth: number;
}

export interface StoredMessage {
  /** Increasing per store; 0x0442 deletes up to the last one delivered. */
  id: number;
  from: number;
  to: number;
  type: number;
  text: string;
  /** When the server received it, ms since the epoch. */
  time: number;
}

export interface AccountStoreOptions {
  /** scrypt cost N for new hashes. */
  scryptCost: number;
  /** Most stored messages per recipient. */
  maxStoredMessages: number;
  log?: (line: string) => void;
  /** Tests only: fault injection in the atomic write. */
  writeHooks?: AtomicWriteHooks;
}

/** Registration hands out UINs from here up (six digits, like the 1998 ones). */
export const FIRST_REGISTERED_UIN = 100_000;
const DB_FORMAT = 'icqd-db';
const DB_VERSION = 1;

interface DbFile {
  format: typeof DB_FORMAT;
  version: typeof DB_VERSION;
  nextUin: number;
  nextMessageId: number;
  accounts: Account[];
  messages: StoredMessage[];
}

export class AccountStore {
  private readonly accounts = new Map<number, Account>();
  private readonly inboxes = new Map<number, StoredMessage[]>();
  private nextUin = FIRST_REGISTERED_UIN;
  private nextMessageId = 1;
  /**
   * A keyed digest of the last password that passed scrypt for each UIN, in memory only,
   * so that logging in again (clients do, after every network hiccup) costs microseconds.
   */
  private readonly verified = new Map<number, Buffer>();
  private readonly cacheKey = randomBytes(32);
  private saving: Promise<void> | null = null;
  private dirty = false;
  private readonly log: (line: string) => void;

  private constructor(
    readonly path: string | null,
    private readonly options: AccountStoreOptions,
  ) {
    this.log = options.log ?? (() => {});
  }

  /**
   * Loads the store from `path` (a missing file is an empty store). A file that exists but
   * cannot be read or parsed is an IcqServerError DATABASE naming the file: never a silent
   * reset that would lose every account.
   */
  static async open(path: string | null, options: AccountStoreOptions): Promise<AccountStore> {
    const store = new AccountStore(path, options);
    if (path === null) return store;
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new IcqServerError(ServerErrorCode.DATABASE, `cannot read accounts file ${path}: ${describeSystemError(err)}`, {
          cause: err,
        });
      }
    }
    if (text !== undefined) store.load(parseDb(path, text));
    try {
      await checkWritable(path);
    } catch (err) {
      throw new IcqServerError(
        ServerErrorCode.DATABASE,
        `cannot write accounts file ${path}: ${describeSystemError(err)} (icqd replaces the file, so its directory must take new files)`,
        { cause: err },
      );
    }
    const stale = await removeStaleTempFiles(path);
    if (stale.length > 0) store.log(`removed ${stale.length} temporary file(s) left by an interrupted write of ${path}`);
    return store;
  }

  private load(db: DbFile): void {
    for (const a of db.accounts) this.accounts.set(a.uin, a);
    for (const m of db.messages) this.inbox(m.to).push(m);
    this.nextUin = db.nextUin;
    this.nextMessageId = db.nextMessageId;
  }

  get size(): number {
    return this.accounts.size;
  }

  get(uin: number): Account | undefined {
    return this.accounts.get(uin);
  }

  /** Creates the account, or sets its password (and nick, when given). */
  async upsert(uin: number, password: string, nick?: string): Promise<Account> {
    const passwordHash = await hashPassword(password, this.options.scryptCost);
    const existing = this.accounts.get(uin);
    const account: Account = existing
      ? { ...existing, passwordHash, nick: nick ?? existing.nick }
      : { ...newAccount(uin, passwordHash), nick: nick ?? String(uin) };
    this.put(account, password);
    return account;
  }

  /**
   * Creates the account unless it exists by the time the password is hashed (two first
   * logins racing must not overwrite each other's password); undefined if it did.
   */
  async create(uin: number, password: string): Promise<Account | undefined> {
    const passwordHash = await hashPassword(password, this.options.scryptCost);
    if (this.accounts.has(uin)) return undefined;
    const account = newAccount(uin, passwordHash);
    this.put(account, password);
    return account;
  }

  /** A new account with the next free UIN (0x03FC). */
  async register(password: string): Promise<Account> {
    const passwordHash = await hashPassword(password, this.options.scryptCost);
    // Allocated after the await: two registrations hashing at once get different UINs.
    let uin = this.nextUin;
    while (this.accounts.has(uin)) uin++;
    if (uin > 0xffffffff) throw new RangeError('no UIN left to register');
    this.nextUin = uin + 1;
    const account = newAccount(uin, passwordHash);
    this.put(account, password);
    return account;
  }

  private put(account: Account, password: string): void {
    this.accounts.set(account.uin, account);
    this.remember(account.uin, password);
    this.changed();
  }

  /** False for a wrong password and for an unknown UIN. */
  async verify(uin: number, password: string): Promise<boolean> {
    const account = this.accounts.get(uin);
    if (!account) return false;
    const known = this.verified.get(uin);
    if (known && timingSafeEqual(known, this.digest(uin, password))) return true;
    const hash = account.passwordHash;
    const ok = await verifyPassword(password, hash);
    // Only cache if the password was not changed while scrypt ran.
    if (ok && this.accounts.get(uin)?.passwordHash === hash) this.remember(uin, password);
    return ok;
  }

  private digest(uin: number, password: string): Buffer {
    return createHmac('sha256', this.cacheKey).update(`${uin}\0${password}`).digest();
  }

  private remember(uin: number, password: string): void {
    this.verified.set(uin, this.digest(uin, password));
  }

  private inbox(uin: number): StoredMessage[] {
    let box = this.inboxes.get(uin);
    if (!box) {
      box = [];
      this.inboxes.set(uin, box);
    }
    return box;
  }

  /** Stores a message for an offline user; undefined when that inbox is full. */
  storeMessage(m: Omit<StoredMessage, 'id'>): StoredMessage | undefined {
    const box = this.inbox(m.to);
    if (box.length >= this.options.maxStoredMessages) return undefined;
    const stored = { id: this.nextMessageId++, ...m };
    box.push(stored);
    this.changed();
    return stored;
  }

  messagesFor(uin: number): readonly StoredMessage[] {
    return this.inboxes.get(uin) ?? [];
  }

  /** Deletes uin's stored messages with id ≤ upToId; returns how many. */
  deleteMessages(uin: number, upToId: number): number {
    const box = this.inboxes.get(uin);
    if (!box) return 0;
    const keep = box.filter((m) => m.id > upToId);
    const removed = box.length - keep.length;
    if (keep.length === 0) this.inboxes.delete(uin);
    else this.inboxes.set(uin, keep);
    if (removed > 0) this.changed();
    return removed;
  }

  private changed(): void {
    if (this.path === null) return;
    this.dirty = true;
    this.saving ??= this.saveSoon();
  }

  private async saveSoon(): Promise<void> {
    // One turn of the event loop, so a burst of changes becomes one write.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.writeNow();
        } catch (err) {
          this.dirty = true;
          this.log(`${(err as Error).message} (will retry on the next change) [${ServerErrorCode.DATABASE}]`);
          return;
        }
      }
    } finally {
      this.saving = null;
    }
  }

  /** Writes the whole store; a failure is an IcqServerError DATABASE naming the file. */
  private async writeNow(): Promise<void> {
    try {
      await writeFileAtomic(this.path!, this.serialize(), this.options.writeHooks);
    } catch (err) {
      throw new IcqServerError(ServerErrorCode.DATABASE, `cannot save accounts file ${this.path}: ${describeSystemError(err)}`, {
        cause: err,
      });
    }
  }

  serialize(): string {
    const db: DbFile = {
      format: DB_FORMAT,
      version: DB_VERSION,
      nextUin: this.nextUin,
      nextMessageId: this.nextMessageId,
      // Sorted, so that the file reads (and diffs) the same whatever order accounts came in.
      accounts: [...this.accounts.values()].sort((a, b) => a.uin - b.uin),
      messages: [...this.inboxes.values()].flat(),
    };
    return `${JSON.stringify(db, null, 1)}\n`;
  }

  /** Waits for pending writes; writes once more if anything is unsaved. Throws on failure. */
  async flush(): Promise<void> {
    if (this.path === null) return;
    while (this.saving) await this.saving;
    if (this.dirty) {
      this.dirty = false;
      try {
        await this.writeNow();
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    }
  }
}

function newAccount(uin: number, passwordHash: string): Account {
  return { uin, passwordHash, nick: String(uin), first: '', last: '', email: '', auth: 1 };
}

function parseDb(path: string, text: string): DbFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new IcqServerError(ServerErrorCode.DATABASE, `accounts file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new IcqServerError(ServerErrorCode.DATABASE, `accounts file ${path} is not a valid icqd database: ${what}`);
  };
  if (!isObject(raw)) return bad('not a JSON object');
  if (raw.format !== DB_FORMAT) return bad(`format is ${JSON.stringify(raw.format)}, expected "${DB_FORMAT}"`);
  if (raw.version !== DB_VERSION) return bad(`version ${JSON.stringify(raw.version)} is not supported (expected ${DB_VERSION})`);
  if (!isUint32(raw.nextUin)) return bad('nextUin is not a UIN');
  if (!Number.isSafeInteger(raw.nextMessageId) || (raw.nextMessageId as number) < 1) return bad('nextMessageId is not a positive integer');
  if (!Array.isArray(raw.accounts)) return bad('accounts is not an array');
  if (!Array.isArray(raw.messages)) return bad('messages is not an array');
  const seen = new Set<number>();
  const accounts: Account[] = raw.accounts.map((a: unknown, i: number) => {
    if (!isObject(a) || !isUint32(a.uin) || a.uin === 0) return bad(`accounts[${i}].uin is not a UIN`);
    if (seen.has(a.uin)) return bad(`accounts[${i}]: UIN ${a.uin} appears twice`);
    seen.add(a.uin);
    if (!isPasswordHash(a.passwordHash)) return bad(`accounts[${i}] (UIN ${a.uin}) has no valid scrypt password hash`);
    for (const f of ['nick', 'first', 'last', 'email'] as const) {
      if (typeof a[f] !== 'string') return bad(`accounts[${i}].${f} is not a string`);
    }
    if (a.auth !== 0 && a.auth !== 1) return bad(`accounts[${i}].auth is not 0 or 1`);
    return {
      uin: a.uin,
      passwordHash: a.passwordHash,
      nick: a.nick as string,
      first: a.first as string,
      last: a.last as string,
      email: a.email as string,
      auth: a.auth,
    };
  });
  const messages: StoredMessage[] = raw.messages.map((m: unknown, i: number) => {
    if (!isObject(m)) return bad(`messages[${i}] is not an object`);
    if (!Number.isSafeInteger(m.id) || (m.id as number) < 1 || (m.id as number) >= (raw.nextMessageId as number)) {
      return bad(`messages[${i}].id is not below nextMessageId`);
    }
    if (!isUint32(m.from) || !isUint32(m.to)) return bad(`messages[${i}] has a bad from/to UIN`);
    if (!Number.isInteger(m.type) || (m.type as number) < 0 || (m.type as number) > 0xffff) return bad(`messages[${i}].type is not a WORD`);
    if (typeof m.text !== 'string') return bad(`messages[${i}].text is not a string`);
    if (!Number.isSafeInteger(m.time)) return bad(`messages[${i}].time is not a timestamp`);
    return { id: m.id as number, from: m.from, to: m.to, type: m.type as number, text: m.text, time: m.time as number };
  });
  return { format: DB_FORMAT, version: DB_VERSION, nextUin: raw.nextUin, nextMessageId: raw.nextMessageId as number, accounts, messages };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUint32(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
}
