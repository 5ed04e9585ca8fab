/**
 * Node's system errors read "EACCES: permission denied, open '/x'": the errno name first.
 * People get the words instead; the name stays in `code` (and in --json messages).
 */

// Node writes "CODE: description, syscall 'path'" (and " -> 'dest'" for rename, link).
const NODE_SYSTEM_ERROR = /\bE[A-Z0-9]{2,}: ([^,]+), (\w+)((?: '[^']*')?(?: -> '[^']*')?)/g;

/** The same text with every Node system-error message in words: "permission denied (open '/x')". */
export function systemErrorsInWords(text: string): string {
  return text.replace(NODE_SYSTEM_ERROR, (_all, words: string, syscall: string, paths: string) => `${words} (${syscall}${paths})`);
}

const WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'the address is not on this machine',
  EEXIST: 'it exists already',
  EISDIR: 'it is a directory',
  ELOOP: 'a symbolic link is in the way',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on the device',
  ENOTDIR: 'a part of the path is not a directory',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/** What went wrong, in words, for an error from node:fs or node:net (the message for anything else). */
export function describeSystemError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && Object.hasOwn(WORDS, code)) return WORDS[code]!;
  return systemErrorsInWords(err instanceof Error ? err.message : String(err));
}
