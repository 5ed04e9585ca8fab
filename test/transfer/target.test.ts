import { closeSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OnExists } from '../../src/transfer/options.js';
import { matchesMimeType, mimeTypeOf, prepareTarget } from '../../src/transfer/target.js';
import type { ReceiveTarget } from '../../src/transfer/target.js';

let base: string;
/** The receive directory. */
let dir: string;
/** A directory beside it that nothing may ever write into. */
let outside: string;
const open: ReceiveTarget[] = [];

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'icq-target-'));
  dir = path.join(base, 'recv');
  outside = path.join(base, 'outside');
  await mkdir(dir);
  await mkdir(outside);
});

afterEach(async () => {
  for (const t of open.splice(0)) t.release();
  await rm(base, { recursive: true, force: true });
});

async function target(name: string, size: number, onExists: OnExists = 'resume', extra: { subdir?: string[]; acceptTypes?: string[]; mtime?: number } = {}) {
  const t = await prepareTarget({ dir, subdir: extra.subdir ?? [], name, size, onExists, acceptTypes: extra.acceptTypes, mtime: extra.mtime });
  open.push(t);
  return t;
}

/** Write data at the target's offset through open(), then finish(). */
function receive(t: ReceiveTarget, data: string): string {
  write(t, data);
  return t.finish();
}

/** Write data at the target's offset through open() (O_APPEND: the offset is where it truncated). */
function write(t: ReceiveTarget, data: string): void {
  const fd = t.open();
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

const list = async (d: string) => (await readdir(d)).sort();

describe('prepareTarget: a fresh name', () => {
  it('writes NAME.part and renames it to NAME on finish', async () => {
    const t = await target('a.txt', 5);
    expect(t).toMatchObject({ name: 'a.txt', path: path.join(await realDir(), 'a.txt'), offset: 0, skip: false, type: 'text/plain' });
    expect(t.partPath).toBe(path.join(path.dirname(t.path), '.a.txt.part'));
    write(t, 'hello');
    expect(await list(dir)).toEqual(['.a.txt.part']);
    expect(t.finish()).toBe(t.path);
    expect(await list(dir)).toEqual(['a.txt']);
    expect(await readFile(t.path, 'utf8')).toBe('hello');
  });

  it('creates the sub-directory and names the file relative to dir', async () => {
    const t = await target('b.png', 3, 'resume', { subdir: ['photos', '2024'] });
    expect(t.name).toBe('photos/2024/b.png');
    expect(t.type).toBe('image/png');
    receive(t, 'png');
    expect(await readFile(path.join(dir, 'photos', '2024', 'b.png'), 'utf8')).toBe('png');
  });

  it('creates a missing receive directory', async () => {
    dir = path.join(base, 'new', 'recv');
    const t = await target('c.bin', 1);
    receive(t, 'x');
    expect(await list(dir)).toEqual(['c.bin']);
  });

  it('leaves room for .part in a 255-byte name', async () => {
    const t = await target(`${'n'.repeat(251)}.txt`, 1);
    expect(Buffer.byteLength(path.basename(t.partPath))).toBeLessThanOrEqual(255);
    expect(t.name.endsWith('.txt')).toBe(true);
    receive(t, 'x');
  });

  it('refuses names that are not one component', async () => {
    for (const name of ['', '.', '..', 'a/b', 'a\\b', 'a\u0000b']) {
      await expect(prepareTarget({ dir, subdir: [], name, size: 1, onExists: 'resume' })).rejects.toMatchObject({ code: 'ICQ_ERR_UNSAFE_PATH' });
    }
    await expect(prepareTarget({ dir, subdir: ['..'], name: 'x', size: 1, onExists: 'resume' })).rejects.toMatchObject({ code: 'ICQ_ERR_UNSAFE_PATH' });
    expect(await list(base)).toEqual(['outside', 'recv']);
  });
});

describe('--on-exists resume (default)', () => {
  it('continues a .part from its size, writing only the rest', async () => {
    await writeFile(path.join(dir, '.a.txt.part'), 'hel');
    const t = await target('a.txt', 5);
    expect(t.offset).toBe(3);
    receive(t, 'lo');
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('hello');
  });

  it('starts again at 0 when the .part is larger than the file', async () => {
    await writeFile(path.join(dir, '.a.txt.part'), 'way too long');
    const t = await target('a.txt', 5);
    expect(t.offset).toBe(0);
    receive(t, 'hello');
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('hello');
  });

  it('gives a finished file a new name, and resumes that name\'.s .part', async () => {
    await writeFile(path.join(dir, 'a.txt'), 'old');
    await writeFile(path.join(dir, '.a (1).txt.part'), 'he');
    const t = await target('a.txt', 5);
    expect(t).toMatchObject({ name: 'a (1).txt', offset: 2 });
    receive(t, 'llo');
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('old');
    expect(await readFile(path.join(dir, 'a (1).txt'), 'utf8')).toBe('hello');
  });

  it('truncates a .part that grew after prepareTarget back to the offset', async () => {
    await writeFile(path.join(dir, '.a.txt.part'), 'he');
    const t = await target('a.txt', 5);
    await writeFile(t.partPath, 'heXXXX');
    receive(t, 'llo');
    expect(await readFile(t.path, 'utf8')).toBe('hello');
  });

  it('takes the next name at finish when a file appeared there meanwhile', async () => {
    const t = await target('a.txt', 5);
    write(t, 'hello');
    await writeFile(path.join(dir, 'a.txt'), 'someone else');
    expect(t.finish()).toBe(path.join(await realDir(), 'a (1).txt'));
    expect(t.name).toBe('a (1).txt');
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('someone else');
    expect(await readFile(path.join(dir, 'a (1).txt'), 'utf8')).toBe('hello');
  });
});

describe('--on-exists rename', () => {
  it('never resumes or overwrites: first name with neither file nor .part', async () => {
    await writeFile(path.join(dir, 'a.txt'), 'old');
    await writeFile(path.join(dir, '.a (1).txt.part'), 'he');
    const t = await target('a.txt', 5, 'rename');
    expect(t).toMatchObject({ name: 'a (2).txt', offset: 0 });
    receive(t, 'hello');
    expect(await list(dir)).toEqual(['.a (1).txt.part', 'a (2).txt', 'a.txt']);
  });

  it('numbers names without an extension', async () => {
    await writeFile(path.join(dir, 'README'), 'x');
    expect((await target('README', 1, 'rename')).name).toBe('README (1)');
  });
});

describe('--on-exists overwrite', () => {
  it('starts the .part at 0 and replaces the file at the end', async () => {
    await writeFile(path.join(dir, 'a.txt'), 'old contents');
    await writeFile(path.join(dir, '.a.txt.part'), 'stale');
    const t = await target('a.txt', 5, 'overwrite');
    expect(t).toMatchObject({ name: 'a.txt', offset: 0 });
    receive(t, 'hello');
    expect(await list(dir)).toEqual(['a.txt']);
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('hello');
  });
});

describe('--on-exists skip', () => {
  it('skips an existing finished file (offset = size) and touches nothing', async () => {
    await writeFile(path.join(dir, 'a.txt'), 'old');
    const t = await target('a.txt', 5, 'skip');
    expect(t).toMatchObject({ name: 'a.txt', offset: 5, skip: true });
    expect(() => t.open()).toThrow(expect.objectContaining({ code: 'ICQ_ERR_INTERNAL' }));
    expect(t.finish()).toBe(t.path);
    expect(await list(dir)).toEqual(['a.txt']);
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('old');
  });

  it('resumes a .part like resume', async () => {
    await writeFile(path.join(dir, '.a.txt.part'), 'hel');
    const t = await target('a.txt', 5, 'skip');
    expect(t).toMatchObject({ offset: 3, skip: false });
  });
});

describe('--accept-type', () => {
  it('skips a file of an unwanted type without creating anything', async () => {
    const t = await target('doc.pdf', 10, 'resume', { subdir: ['docs'], acceptTypes: ['image/*'] });
    expect(t).toMatchObject({ name: 'docs/doc.pdf', offset: 10, skip: true, type: 'application/pdf' });
    expect(await list(dir)).toEqual([]);
  });

  it('receives a matching type', async () => {
    const t = await target('pic.JPG', 3, 'resume', { acceptTypes: ['application/pdf', 'IMAGE/*'] });
    expect(t).toMatchObject({ skip: false, type: 'image/jpeg' });
  });

  it('matches patterns case-insensitively; unknown types are octet-stream', () => {
    expect(mimeTypeOf('x.unknownext')).toBe('application/octet-stream');
    expect(mimeTypeOf('unnamed')).toBe('application/octet-stream');
    expect(matchesMimeType('image/png', ['Image/*'])).toBe(true);
    expect(matchesMimeType('image/png', ['*/*'])).toBe(true);
    expect(matchesMimeType('image/png', ['image/jpeg', 'text/*'])).toBe(false);
    expect(matchesMimeType('application/pdf', ['APPLICATION/PDF'])).toBe(true);
    expect(matchesMimeType('imagex/png', ['image/*'])).toBe(false);
    expect(matchesMimeType('image/png', [])).toBe(false);
  });
});

describe('symlinks inside dir are never followed', () => {
  it('refuses a sub-directory component that is a symlink out of dir', async () => {
    await symlink(outside, path.join(dir, 'photos'));
    await expect(target('a.txt', 1, 'resume', { subdir: ['photos'] })).rejects.toMatchObject({ code: 'ICQ_ERR_UNSAFE_PATH' });
    await expect(target('a.txt', 1, 'resume', { subdir: ['photos', 'deeper'] })).rejects.toMatchObject({ code: 'ICQ_ERR_UNSAFE_PATH' });
    expect(await list(outside)).toEqual([]);
  });

  it('refuses a symlink even to a directory inside dir, and a file where a directory should be', async () => {
    await mkdir(path.join(dir, 'real'));
    await symlink(path.join(dir, 'real'), path.join(dir, 'alias'));
    await writeFile(path.join(dir, 'plain'), 'x');
    await expect(target('a.txt', 1, 'resume', { subdir: ['alias'] })).rejects.toMatchObject({ code: 'ICQ_ERR_UNSAFE_PATH' });
    await expect(target('a.txt', 1, 'resume', { subdir: ['plain'] })).rejects.toMatchObject({ code: 'ICQ_ERR_UNSAFE_PATH' });
    expect(await list(path.join(dir, 'real'))).toEqual([]);
  });

  it('refuses at open() when a directory was swapped for a symlink after prepareTarget', async () => {
    const t = await target('a.txt', 1, 'resume', { subdir: ['sub'] });
    await rm(path.join(dir, 'sub'), { recursive: true });
    await symlink(outside, path.join(dir, 'sub'));
    expect(() => t.open()).toThrow(expect.objectContaining({ code: 'ICQ_ERR_UNSAFE_PATH' }));
    expect(await list(outside)).toEqual([]);
  });

  it.each<OnExists>(['resume', 'rename', 'overwrite', 'skip'])('never writes through a final name that is a symlink (%s)', async (policy) => {
    await writeFile(path.join(outside, 'victim'), 'precious');
    await symlink(path.join(outside, 'victim'), path.join(dir, 'a.txt'));
    await symlink(path.join(outside, 'dangling'), path.join(dir, 'b.txt'));
    for (const name of ['a.txt', 'b.txt']) {
      const t = await target(name, 5, policy);
      expect(t.skip).toBe(false);
      expect(path.basename(t.path)).toBe(name.replace('.txt', ' (1).txt'));
      receive(t, 'hello');
    }
    expect(await list(outside)).toEqual(['victim']);
    expect(await readFile(path.join(outside, 'victim'), 'utf8')).toBe('precious');
  });

  it.each<OnExists>(['resume', 'rename', 'overwrite', 'skip'])('never writes through a NAME.part that is a symlink (%s)', async (policy) => {
    await writeFile(path.join(outside, 'victim'), 'precious');
    await symlink(path.join(outside, 'victim'), path.join(dir, '.a.txt.part'));
    await symlink(path.join(outside, 'dangling'), path.join(dir, '.b.txt.part'));
    for (const name of ['a.txt', 'b.txt']) {
      const t = await target(name, 5, policy);
      expect(path.basename(t.path)).toBe(name.replace('.txt', ' (1).txt'));
      receive(t, 'hello');
    }
    expect(await list(outside)).toEqual(['victim']);
    expect(await readFile(path.join(outside, 'victim'), 'utf8')).toBe('precious');
  });

  it('refuses open() when NAME.part became a symlink after prepareTarget', async () => {
    const t = await target('a.txt', 5);
    await symlink(path.join(outside, 'dangling'), t.partPath);
    expect(() => t.open()).toThrow(expect.objectContaining({ code: 'ICQ_ERR_UNSAFE_PATH' }));
    expect(await list(outside)).toEqual([]);
  });

  it('refuses finish() when the final name became a symlink meanwhile', async () => {
    await writeFile(path.join(outside, 'victim'), 'precious');
    const t = await target('a.txt', 5, 'overwrite');
    write(t, 'hello');
    await symlink(path.join(outside, 'victim'), t.path);
    expect(() => t.finish()).toThrow(expect.objectContaining({ code: 'ICQ_ERR_UNSAFE_PATH' }));
    expect(await readFile(path.join(outside, 'victim'), 'utf8')).toBe('precious');
    expect((await stat(t.partPath)).size).toBe(5);
  });
});

describe('claims within one process', () => {
  it('gives two transfers of the same name different paths until release()', async () => {
    const [a, b] = await Promise.all([target('same.txt', 1), target('same.txt', 1)]);
    expect(a.path).not.toBe(b.path);
    expect([a.name, b.name].sort()).toEqual(['same (1).txt', 'same.txt']);
    const first = a.name === 'same.txt' ? a : b;
    first.release();
    const c = await target('same.txt', 1);
    expect(c.name).toBe('same.txt');
  });

  it('also for overwrite, and finish() releases the claim', async () => {
    const a = await target('o.txt', 1, 'overwrite');
    const b = await target('o.txt', 1, 'overwrite');
    expect(b.name).toBe('o (1).txt');
    receive(a, 'x');
    expect((await target('o.txt', 1, 'overwrite')).name).toBe('o.txt');
  });

  it('treats names differing only in case as the same claim', async () => {
    const a = await target('Case.txt', 1);
    const b = await target('case.TXT', 1);
    expect(b.name).toBe('case (1).TXT');
    a.release();
  });
});

const realDir = (): Promise<string> => realpath(dir);

describe('the quick check of --on-exists resume (same size and mtime: already there)', () => {
  const MTIME = 915_148_800; // 1999-01-01
  it('skips a complete file with the sender\'s size and mtime, and never a partial for it', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    await utimes(path.join(dir, 'a.txt'), MTIME, MTIME);
    const t = await target('a.txt', 5, 'resume', { mtime: MTIME });
    expect(t).toMatchObject({ skip: true, offset: 5, name: 'a.txt' });
    expect(await list(dir)).toEqual(['a.txt']);
  });

  it('a different mtime, a different size or an unknown mtime (0) is a new copy, as before', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    await utimes(path.join(dir, 'a.txt'), MTIME, MTIME);
    for (const [size, mtime] of [[5, MTIME + 1], [6, MTIME], [5, 0]] as const) {
      const t = await target('a.txt', size, 'resume', { mtime });
      expect(t.skip, `size ${size} mtime ${mtime}`).toBe(false);
      expect(t.name).toBe('a (1).txt');
      t.release();
    }
  });

  it('--on-exists rename does not quick-check', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    await utimes(path.join(dir, 'a.txt'), MTIME, MTIME);
    expect(await target('a.txt', 5, 'rename', { mtime: MTIME })).toMatchObject({ skip: false, name: 'a (1).txt' });
  });
});

