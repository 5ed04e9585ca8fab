import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { encodeText } from '../wire/bytes.js';

/**
 * Salted scrypt password hashes, stored as `scrypt$N$r$p$SALT$HASH` (base64). The cost
 * travels with each hash, so hashes made with different costs all keep verifying.
 */

const PREFIX = 'scrypt';
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const MAX_COST = 1_048_576;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, keyBytes = KEY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // scrypt needs 128·N·r bytes; the default maxmem (32 MiB) is too small for large N.
    scrypt(encodeText(password), salt, keyBytes, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost, BLOCK_SIZE, PARALLELISM);
  return [PREFIX, cost, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!Number.isInteger(n) || n < 2 || n > MAX_COST || (n & (n - 1)) !== 0) return undefined;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || key.length < 16 || key.length > 64) return undefined;
  return { n, r, p, salt, key };
}

/** Is this string a hash hashPassword could have made (used to validate the db file)? */
export function isPasswordHash(stored: unknown): stored is string {
  return typeof stored === 'string' && parseHash(stored) !== undefined;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parseHash(stored);
  if (!h) return false;
  const key = await derive(password, h.salt, h.n, h.r, h.p, h.key.length);
  return key.length === h.key.length && timingSafeEqual(key, h.key);
}
