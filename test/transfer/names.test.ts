import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeWireName,
  escapeForDisplay,
  numberedName,
  sanitizeFileName,
  sanitizeSubdir,
  truncateFileName,
} from '../../src/transfer/names.js';
import { uniform } from '../helpers/prng.js';

const bytes = (s: string): number => Buffer.byteLength(s);
/** What a UTF-8 name looks like after the wire layer decoded its bytes as latin1. */
const asWire = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

describe('sanitizeFileName', () => {
  it.each([
    ['../x', 'x'],
    ['/etc/passwd', 'passwd'],
    ['a\u0007b', 'a_b'],
    ['a\u0000b', 'a_b'],
    ['CON', '_CON'],
    ['con.txt', '_con.txt'],
    ['Lpt9.tar.gz', '_Lpt9.tar.gz'],
    ['nul .txt', '_nul .txt'],
    ['CONSOLE.txt', 'CONSOLE.txt'],
    ['C:\\Windows\\evil.exe', 'evil.exe'],
    ['C:evil.exe', 'C_evil.exe'],
    ['..', '_'],
    ['.', '_'],
    ['...', '_'],
    ['.bashrc', '_bashrc'],
    ['photos/', 'photos'],
    ['report. . ', 'report'],
    ['  leading spaces', 'leading spaces'],
    ['', 'unnamed'],
    ['/', 'unnamed'],
    ['\\\\', 'unnamed'],
    ['a<b>c:d"e|f?g*h', 'a_b_c_d_e_f_g_h'],
    ["ok (1) [x] {y} @#%&!~'+=,.txt", "ok (1) [x] {y} @#%&!~'+=,.txt"],
    ['a\u2215b\uff0fc\u2024d', 'a_b_c_d'],
    ['\u202egnp.exe', '_gnp.exe'],
    ['zero\u200bwidth', 'zero_width'],
    ['\u3164', '_'],
    ['日本語のファイル.txt', '日本語のファイル.txt'],
    ['Ελληνικά ١٢٣', 'Ελληνικά ١٢٣'],
    ['हिन्दी.txt', 'हिन्दी.txt'],
  ])('%j -> %j', (raw, safe) => {
    expect(sanitizeFileName(raw)).toBe(safe);
  });

  it('normalises to NFC', () => {
    expect(sanitizeFileName('e\u0301te\u0301.txt')).toBe('\u00e9t\u00e9.txt');
  });

  it('shortens a 300-character name to 255 bytes, keeping .txt', () => {
    const name = sanitizeFileName(`${'a'.repeat(300)}.txt`);
    expect(bytes(name)).toBe(255);
    expect(name).toBe(`${'a'.repeat(251)}.txt`);
  });

  it('shortens multi-byte names between characters', () => {
    // 3-byte CJK: 255 − 4 ('.txt') = 251 → 83 characters (249 bytes), never a split character.
    const cjk = sanitizeFileName(`${'字'.repeat(200)}.txt`);
    expect(cjk).toBe(`${'字'.repeat(83)}.txt`);
    // q + U+0307 has no composed form: the cut falls between graphemes, never under a mark.
    const marked = sanitizeFileName('x' + 'q\u0307'.repeat(100), 20);
    expect(bytes(marked)).toBeLessThanOrEqual(20);
    expect(marked).toBe('x' + 'q\u0307'.repeat(6));
    expect(Buffer.from(marked, 'utf8').toString('utf8')).toBe(marked);
  });

  it('cuts a single oversized grapheme between code points', () => {
    const zalgo = 'q' + '\u0301'.repeat(200);
    const name = sanitizeFileName(zalgo, 16);
    expect(bytes(name)).toBeLessThanOrEqual(16);
    expect(name.startsWith('q\u0301')).toBe(true);
  });

  it('drops an extension too long to be one', () => {
    const name = sanitizeFileName(`a.${'b'.repeat(300)}`);
    expect(bytes(name)).toBe(255);
    expect(name.startsWith('a.bbb')).toBe(true);
  });

  it('keeps device names prefixed after shortening', () => {
    expect(sanitizeFileName(`aux.${'x'.repeat(40)}`, 16)).toBe('_aux.xxxxxxxxxxx');
  });

  it('rejects a byte budget too small for a name', () => {
    expect(() => sanitizeFileName('a', 8)).toThrow(RangeError);
  });
});

describe('sanitizeSubdir', () => {
  it.each([
    ['photos/2024', ['photos', '2024']],
    ['../../etc', ['etc']],
    ['/etc/', ['etc']],
    ['C:\\Users\\me\\..\\x', ['Users', 'me', 'x']],
    ['\\\\server\\share\\dir', ['server', 'share', 'dir']],
    ['a/./b//c', ['a', 'b', 'c']],
    ['.. /... /x', ['x']],
    ['.git/hooks', ['_git', 'hooks']],
    ['a\u0000/b\u0007', ['a_', 'b_']],
    ['CON/nul', ['_CON', '_nul']],
    ['', []],
  ])('%j -> %j', (raw, parts) => {
    expect(sanitizeSubdir(raw)).toEqual(parts);
  });

  it('keeps the first maxDepth components', () => {
    expect(sanitizeSubdir('a/b/c/d/e', 3)).toEqual(['a', 'b', 'c']);
  });
});

describe('decodeWireName', () => {
  it('takes valid multi-byte UTF-8 as UTF-8', () => {
    expect(decodeWireName(asWire('日本.txt'))).toBe('日本.txt');
    expect(decodeWireName(asWire('café'))).toBe('café');
    expect(decodeWireName(asWire('😀'))).toBe('😀');
  });

  it('leaves latin1 that is not UTF-8 alone', () => {
    expect(decodeWireName('caf\u00e9.txt')).toBe('caf\u00e9.txt');
    expect(decodeWireName('plain.txt')).toBe('plain.txt');
    // Overlong '/' (C0 AF) and an encoded surrogate (ED A0 80) are not UTF-8.
    expect(decodeWireName('\u00c0\u00af')).toBe('\u00c0\u00af');
    expect(decodeWireName('\u00ed\u00a0\u0080')).toBe('\u00ed\u00a0\u0080');
    // Truncated sequence.
    expect(decodeWireName('\u00e6\u0097')).toBe('\u00e6\u0097');
  });
});

describe('escapeForDisplay', () => {
  it('escapes C0, DEL, C1, bidi and zero-width characters', () => {
    expect(escapeForDisplay('a\u0007b')).toBe('a\\x07b');
    expect(escapeForDisplay('\u001b[2J\u007f\u0085')).toBe('\\x1b[2J\\x7f\\x85');
    expect(escapeForDisplay('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(escapeForDisplay('a\u200bb\u2066c\u2028')).toBe('a\\u200bb\\u2066c\\u2028');
    expect(escapeForDisplay('tag\u{e0041}')).toBe('tag\\u{e0041}');
    expect(escapeForDisplay('lone\ud800')).toBe('lone\\ud800');
  });

  it('leaves printable text of any script alone', () => {
    expect(escapeForDisplay('Grüße, 日本, ملف.txt 😀')).toBe('Grüße, 日本, ملف.txt 😀');
  });
});

describe('truncateFileName and numberedName', () => {
  it('numbers before the extension and stays within the budget', () => {
    expect(numberedName('a.txt', 1)).toBe('a (1).txt');
    expect(numberedName('README', 12)).toBe('README (12)');
    const long = `${'é'.repeat(200)}.txt`;
    const numbered = numberedName(truncateFileName(long, 250), 3, 250);
    expect(bytes(numbered)).toBeLessThanOrEqual(250);
    expect(numbered.endsWith('é (3).txt')).toBe(true);
  });
});

const HOSTILE_PIECES = [
  '..', '.', '...', '/', '\\', '//', '\\\\', 'C:', 'c:\\', 'Z:/', '\u0000', '\u0007', '\u001b[31m',
  '\r\n', '\t', '\u007f', '\u0085', '\u009b', '\u202e', '\u202d', '\u2066', '\u200b', '\u200d',
  '\ufeff', '\u2215', '\uff0f', '\u2024', '\uff0e', '\u2044', '\u29f8', '\uff3c', '\u3164', '\u034f',
  '\ud800', '\udfff', 'CON', 'con', 'PRN', 'aux', 'NUL', 'com1', 'LPT9', 'lpt¹', '.txt', '.exe', ' ',
  '  ', 'a', 'Z', '0', '_', '-', 'é', 'e\u0301', '\u0301', '日本', '😀', 'ﬁ', 'Ａ', '~', '$',
  '%2e%2e', '%2f', '*', '?', '|', '<', '>', '"', ':', '\u00a0', '\u3000',
];

function hostileString(rand: () => number): string {
  const roll = rand();
  if (roll < 0.05) return 'x'.repeat(200 + Math.floor(rand() * 400)) + '.txt';
  if (roll < 0.08) return '字'.repeat(50 + Math.floor(rand() * 200));
  if (roll < 0.1) return 'a' + '\u0301'.repeat(Math.floor(rand() * 300));
  let s = '';
  const pieces = 1 + Math.floor(rand() * 14);
  for (let i = 0; i < pieces; i++) s += HOSTILE_PIECES[Math.floor(rand() * HOSTILE_PIECES.length)];
  return s;
}

function assertSafeComponent(component: string, maxBytes: number): void {
  expect(component).not.toBe('');
  expect(component).not.toBe('.');
  expect(component).not.toBe('..');
  expect(component.startsWith('.')).toBe(false);
  expect(component).not.toMatch(/[/\\\u0000]/);
  expect(component).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}]/u);
  expect(component).not.toMatch(/[. ]$/);
  expect(component).not.toMatch(/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]) *(\..*)?$/i);
  expect(bytes(component)).toBeLessThanOrEqual(maxBytes);
}

describe('property: hostile names and sub-directories stay inside the target', () => {
  it('holds for thousands of generated names (seeded)', () => {
    const rand = uniform(0x1c0ffee);
    const dir = path.resolve('/srv/icq/incoming');
    for (let i = 0; i < 4000; i++) {
      const rawName = hostileString(rand);
      const rawDir = hostileString(rand);
      const maxBytes = rand() < 0.3 ? 16 + Math.floor(rand() * 64) : 255;
      const name = sanitizeFileName(rawName, maxBytes);
      const parts = sanitizeSubdir(rawDir, 32, maxBytes);
      const context = JSON.stringify({ i, rawName, rawDir, maxBytes });

      for (const c of [...parts, name]) assertSafeComponent(c, maxBytes);
      expect(parts.length, context).toBeLessThanOrEqual(32);
      expect(sanitizeFileName(name, maxBytes), context).toBe(name);

      const full = path.join(dir, ...parts, name);
      const rel = path.relative(dir, full);
      expect(rel.startsWith('..'), context).toBe(false);
      expect(path.isAbsolute(rel), context).toBe(false);
      expect(rel, context).not.toBe('');
      expect(path.posix.join('/srv', ...parts, name).startsWith('/srv/'), context).toBe(true);
      expect(path.win32.relative('C:\\srv', path.win32.join('C:\\srv', ...parts, name)).startsWith('..')).toBe(false);
    }
  });
});
