import { describe, expect, it } from 'vitest';
import { flattenBatch } from '../../src/transfer/flatten.js';
import type { OutgoingFile } from '../../src/transfer/send-session.js';

function file(rel: string): OutgoingFile {
  const slash = rel.lastIndexOf('/');
  return { path: `/src/${rel}`, name: rel.slice(slash + 1), subdir: slash < 0 ? '' : rel.slice(0, slash), size: 1, mtime: 0, type: 'text/plain' };
}

describe('flattenBatch', () => {
  it('is null for a batch without sub-directories (nothing to flatten, nothing to warn about)', () => {
    expect(flattenBatch([file('a.txt'), file('a.txt')])).toBeNull();
    expect(flattenBatch([])).toBeNull();
  });

  it('puts every file under its base name with an empty sub-directory, keeping paths and order', () => {
    const files = [file('d/a/one.txt'), file('two.txt'), file('d/three')];
    const flat = flattenBatch(files)!;
    expect(flat.files.map((f) => [f.name, f.subdir, f.path])).toEqual([
      ['one.txt', '', '/src/d/a/one.txt'],
      ['two.txt', '', '/src/two.txt'],
      ['three', '', '/src/d/three'],
    ]);
    expect(flat).toMatchObject({ moved: 2, renamed: 0 });
    // The input is not changed.
    expect(files[0]).toMatchObject({ name: 'one.txt', subdir: 'd/a' });
  });

  it('numbers a name already taken in the batch as icqrecv would: NAME (n).ext, smallest free n, case-folded', () => {
    const flat = flattenBatch([
      file('x.txt'),
      file('d/x.txt'),
      file('d/e/x (1).txt'),
      file('d/f/X.Txt'),
      file('d/g/noext'),
      file('d/h/noext'),
      file('d/.hidden'),
      file('d/i/.hidden'),
    ])!;
    expect(flat.files.map((f) => f.name)).toEqual(['x.txt', 'x (1).txt', 'x (1) (1).txt', 'X (2).Txt', 'noext', 'noext (1)', '.hidden', '.hidden (1)']);
    expect(flat).toMatchObject({ moved: 7, renamed: 5 });
  });

  it('keeps a numbered long name within the 249 bytes icqrecv allows (NAME_MAX less "." and ".part")', () => {
    const long = `${'n'.repeat(249 - 4)}.bin`;
    const flat = flattenBatch([file(`a/${long}`), file(`b/${long}`)])!;
    expect(flat.files[0]!.name).toBe(long);
    expect(flat.files[1]!.name).toBe(`${'n'.repeat(249 - 4 - 4)} (1).bin`);
    expect(Buffer.byteLength(flat.files[1]!.name)).toBe(249);
  });
});
