import { describe, it, expect } from 'vitest';
import { parseBatch, splitWords } from '../../src/cli/batch.js';
import { IcqError } from '../../src/errors.js';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IcqError);
    expect((err as IcqError).code).toBe('ICQ_ERR_USAGE');
    return (err as IcqError).message;
  }
  throw new Error('expected a usage error');
}

describe('splitWords', () => {
  it('splits on blanks and tabs', () => {
    expect(splitWords('  1002\ta.txt   b.txt ')).toEqual(['1002', 'a.txt', 'b.txt']);
  });
  it("keeps '…' literally and lets \"…\" escape \\\" \\\\ \\$ \\`", () => {
    expect(splitWords(`1002 'my file.txt' "other \\"one\\".txt" 'a\\b'`)).toEqual([
      '1002',
      'my file.txt',
      'other "one".txt',
      'a\\b',
    ]);
    expect(splitWords(`"C:\\dir\\x"`)).toEqual(['C:\\dir\\x']);
  });
  it('joins adjacent quoted and unquoted parts into one word, and keeps empty quotes as a word', () => {
    expect(splitWords(`pre'fix 'mid"dle"`)).toEqual(['prefix middle']);
    expect(splitWords(`1002 ''`)).toEqual(['1002', '']);
  });
  it('takes the next character literally after a backslash outside quotes', () => {
    expect(splitWords('my\\ file \\#x')).toEqual(['my file', '#x']);
  });
  it('starts a comment only at the beginning of a word', () => {
    expect(splitWords('1002 a#b # the rest')).toEqual(['1002', 'a#b']);
    expect(splitWords('# whole line')).toEqual([]);
    expect(splitWords("1002 '#not a comment'")).toEqual(['1002', '#not a comment']);
  });
  it('rejects unterminated quotes and a trailing backslash', () => {
    expect(() => splitWords("1002 'open")).toThrow(/single quote/);
    expect(() => splitWords('1002 "open')).toThrow(/double quote/);
    expect(() => splitWords('1002 a\\')).toThrow(/backslash/);
  });
});

describe('parseBatch', () => {
  it('reads one transfer a line, skipping comments and blank lines, with line numbers', () => {
    const text = ['# nightly', '', '1002 a.txt b.txt', '   ', "1003 'with space.pdf'   # note", '1002 dir/\r', ''].join('\n');
    expect(parseBatch(text, 'jobs.txt')).toEqual([
      { line: 3, to: 1002, paths: ['a.txt', 'b.txt'] },
      { line: 5, to: 1003, paths: ['with space.pdf'] },
      { line: 6, to: 1002, paths: ['dir/'] },
    ]);
  });

  it('rejects a line that does not start with a UIN, naming the file and line', () => {
    expect(usage(() => parseBatch('1002 a\nbob a.txt\n', 'jobs.txt'))).toBe(
      "jobs.txt:2: 'bob' is not a UIN (expected: UIN FILE...)",
    );
    expect(usage(() => parseBatch('0 a.txt', 'jobs.txt'))).toMatch(/^jobs.txt:1: '0' is not a UIN/);
  });

  it('rejects a UIN without files, an empty name and a bad quote', () => {
    expect(usage(() => parseBatch('1002 a\n\n1003\n', 'b'))).toBe('b:3: no files for 1003 (expected: UIN FILE...)');
    expect(usage(() => parseBatch("1002 ''", 'b'))).toBe('b:1: empty file name');
    expect(usage(() => parseBatch("1002 'a", 'b'))).toBe('b:1: unterminated single quote');
  });

  it('reports the first bad line and how many more there are', () => {
    expect(usage(() => parseBatch('x a\n1002 a\ny b\nz c\n', 'b'))).toBe(
      "b:1: 'x' is not a UIN (expected: UIN FILE...) (and 2 more bad lines)",
    );
  });

  it('rejects a file with no transfers', () => {
    expect(usage(() => parseBatch('# nothing\n\n', 'b'))).toMatch(/no transfers/);
  });
});
