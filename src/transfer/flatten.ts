import { numberedName } from './names.js';
import type { OutgoingFile } from './send-session.js';
import { MAX_NAME_BYTES } from './target.js';

/** A batch whose files from directories were moved to the top, and what that took. */
export interface FlatBatch {
  files: OutgoingFile[];
  /** Files that had a sub-directory. */
  moved: number;
  /** Files that got a numbered name to stay unique within the batch. */
  renamed: number;
}

/**
 * A batch for a receiver not known to read the 02 TEXT sub-directory (docs/protocol.md §5, §7:
 * Licq 1.0.x breaks on a non-empty TEXT and cannot be told apart): every file goes under its
 * base name with an empty TEXT. A name already taken in the batch gets the number icqrecv
 * would give it in its place, `NAME (n).ext` with the smallest free n, so two `a.txt` from
 * two directories arrive as `a.txt` and `a (1).txt`. Names are compared case-folded, as a
 * receiver on a case-insensitive file system would. Null when no file has a sub-directory
 * (nothing to do). Pure: the batch is not changed.
 */
export function flattenBatch(files: readonly OutgoingFile[]): FlatBatch | null {
  if (files.every((f) => f.subdir === '')) return null;
  const taken = new Set<string>();
  let moved = 0;
  let renamed = 0;
  const out = files.map((file) => {
    let name = file.name;
    for (let n = 1; taken.has(nameKey(name)); n++) name = numberedName(file.name, n, MAX_NAME_BYTES);
    taken.add(nameKey(name));
    if (file.subdir !== '') moved++;
    if (name !== file.name) renamed++;
    return file.subdir === '' && name === file.name ? file : { ...file, name, subdir: '' };
  });
  return { files: out, moved, renamed };
}

function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
