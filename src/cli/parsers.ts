import { InvalidArgumentError } from 'commander';
import { encodeText } from '../wire/bytes.js';
import { MAX_DESCRIPTION_BYTES } from '../wire/peer.js';
import type { ServerAddress } from '../transfer/options.js';

/**
 * Option-value parsers shared by icqsend and icqrecv. Each takes the raw string and returns
 * the value the engine wants, or throws commander's InvalidArgumentError with a message
 * that says what was expected (commander adds which option it was; exit code 2).
 */

export const MAX_UIN = 0xffff_ffff;
/** The longest delay setTimeout keeps (larger values fire at once): 2^31 − 1 ms. */
export const MAX_TIMER_MS = 0x7fff_ffff;
/** The ICQ v2 server port (docs/protocol.md §2). */
export const DEFAULT_SERVER_PORT = 4000;

function fail(message: string): never {
  throw new InvalidArgumentError(message);
}

function parseInteger(value: string, what: string, min: number, max: number): number {
  const text = value.trim();
  if (!/^\d+$/.test(text)) fail(`${what} must be a whole number from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) fail(`${what} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A UIN: 1..4294967295 (a DWORD; 0 is no one). */
export function parseUin(value: string): number {
  return parseInteger(value, 'a UIN', 1, MAX_UIN);
}

/** A TCP/UDP port to listen on: 0 (any free port) .. 65535. */
export function parseListenPort(value: string): number {
  return parseInteger(value, 'a port', 0, 0xffff);
}

/** A port to connect to or to advertise: 1..65535. */
export function parsePort(value: string): number {
  return parseInteger(value, 'a port', 1, 0xffff);
}

/** A positive whole number (hidden test options such as --retransmit-ms). */
export function parsePositiveInt(value: string): number {
  return parseInteger(value, 'the value', 1, MAX_TIMER_MS);
}

/** A parser for a whole number from min to max (the limit options: --max-files, --max-connections, …). */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => parseInteger(value, 'the value', min, max);
}

/** --message: a description short enough for the request frame of every old client (wire/peer.ts). */
export function parseDescription(value: string): string {
  const bytes = encodeText(value).length;
  if (bytes > MAX_DESCRIPTION_BYTES) {
    fail(`the description is ${bytes} bytes; at most ${MAX_DESCRIPTION_BYTES} fit a file request that old clients can read`);
  }
  return value;
}

/** --speed: 0 paused, 1–99 at most N × 256 KiB/s, 100 full speed (packet 05). */
export function parseSpeed(value: string): number {
  return parseInteger(value, 'the speed', 0, 100);
}

function splitHostPort(value: string): { host: string; port: string | undefined } {
  const text = value.trim();
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text, port: undefined };
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

function checkHost(host: string, value: string): string {
  if (host === '') fail(`'${value}' has no host: expected HOST:PORT`);
  // ICQ v2 carries IPv4 addresses only; a colon here is an IPv6 address or a typo.
  if (!/^[A-Za-z0-9._-]+$/.test(host)) fail(`'${value}' is not HOST:PORT (an IPv4 address or a host name)`);
  return host;
}

/**
 * HOST:PORT of something to connect to. With defaultPort, a bare HOST is accepted
 * (--server defaults to the ICQ port 4000); without it the port is required (--peer).
 */
export function parseHostPort(value: string, defaultPort?: number): ServerAddress {
  const { host, port } = splitHostPort(value);
  if (port === undefined) {
    if (defaultPort === undefined) fail(`'${value}' has no port: expected HOST:PORT`);
    return { host: checkHost(host, value), port: defaultPort };
  }
  return { host: checkHost(host, value), port: parsePort(port) };
}

/** --server: HOST:PORT, or HOST for port 4000. */
export function parseServer(value: string): ServerAddress {
  return parseHostPort(value, DEFAULT_SERVER_PORT);
}

/** --peer: HOST:PORT of a receiver's message listener. */
export function parsePeer(value: string): ServerAddress {
  return parseHostPort(value);
}

/** icqrecv --listen: PORT (on every interface) or HOST:PORT; port 0 = any free port. */
export function parseListen(value: string): ServerAddress {
  const { host, port } = splitHostPort(value);
  if (port === undefined) return { host: '0.0.0.0', port: parseListenPort(host) };
  return { host: checkHost(host, value), port: parseListenPort(port) };
}

function parseSecondsWithin(value: string, min: number): number {
  const text = value.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) fail(`'${value}' is not a number of seconds`);
  const ms = Math.round(Number(text) * 1000);
  if (ms < min) fail(`'${value}' is too short: at least ${min / 1000} seconds`);
  if (ms > MAX_TIMER_MS) fail(`'${value}' is too long: at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds`);
  return ms;
}

/** A timeout in seconds (decimals allowed) → milliseconds; at least 1 ms, since every wait has a limit. */
export function parseTimeoutSeconds(value: string): number {
  return parseSecondsWithin(value, 1);
}

/** --wait in seconds → milliseconds; 0 = do not wait. */
export function parseWaitSeconds(value: string): number {
  return parseSecondsWithin(value, 0);
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * A byte count: plain bytes (`1500000`) or a number with a binary suffix K, M, G or T
 * (`10M` = 10 × 1024 × 1024; `1.5G`; `KB`, `KiB` and lower case work too).
 */
export function parseByteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) fail(`'${value}' is not a size: use bytes or a number with K, M, G or T (10M)`);
  const unit = m[2]!.toLowerCase();
  if (unit === '' && m[1]!.includes('.')) fail(`'${value}' is not a whole number of bytes`);
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[unit]!);
  if (!Number.isSafeInteger(bytes)) fail(`'${value}' is too large`);
  return bytes;
}

function splitList(value: string, what: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) fail(`expected a comma-separated list of ${what}`);
  return [...new Set(items)];
}

/** --from 1001,1002 */
export function parseUinList(value: string): number[] {
  return [...new Set(splitList(value, 'UINs').map(parseUin))];
}

const MIME_TOKEN = "[a-z0-9][a-z0-9!#$&^_.+-]*";
const MIME_PATTERN = new RegExp(`^(\\*/\\*|${MIME_TOKEN}/(\\*|${MIME_TOKEN}))$`);

/** --accept-type image/*,application/pdf */
export function parseMimeList(value: string): string[] {
  return splitList(value.toLowerCase(), 'MIME types').map((type) => {
    if (!MIME_PATTERN.test(type)) fail(`'${type}' is not a MIME type (like image/png or image/*)`);
    return type;
  });
}
