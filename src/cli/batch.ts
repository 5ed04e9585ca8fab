import { InvalidArgumentError } from 'commander';
import { parseUin } from './parsers.js';
import { usageError } from './options.js';

/** One line of an icqsend --batch file: send these paths to this UIN. */
export interface BatchJob {
  /** 1-based line number in the batch file. */
  line: number;
  to: number;
  paths: string[];
}

class WordError extends Error {}

/**
 * Split one line into words the way a shell would, without expansions: blanks separate
 * words; '…' is literal; "…" allows \" \\ \$ \` escapes; a backslash outside quotes
 * takes the next character literally; a # that starts a word starts a comment.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new WordError('unterminated single quote');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new WordError('unterminated double quote');
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new WordError('backslash at the end of the line');
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function parseLine(text: string, line: number): BatchJob | undefined {
  const words = splitWords(text);
  if (words.length === 0) return undefined;
  const [uin, ...paths] = words;
  let to: number;
  try {
    to = parseUin(uin!);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new WordError(`'${uin}' is not a UIN (expected: UIN FILE...)`);
    throw err;
  }
  if (paths.length === 0) throw new WordError(`no files for ${to} (expected: UIN FILE...)`);
  if (paths.some((p) => p === '')) throw new WordError('empty file name');
  return { line, to, paths };
}

/**
 * Parse a whole batch file. Every line is checked before anything is sent: a bad line
 * is a usage error naming the file and line (and how many more bad lines follow).
 */
export function parseBatch(text: string, source = 'batch'): BatchJob[] {
  const jobs: BatchJob[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    try {
      const job = parseLine(raw, index + 1);
      if (job) jobs.push(job);
    } catch (err) {
      if (!(err instanceof WordError)) throw err;
      errors.push(`${source}:${index + 1}: ${err.message}`);
    }
  });
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more bad line${errors.length > 2 ? 's' : ''})` : '';
    throw usageError(`${errors[0]}${more}`);
  }
  if (jobs.length === 0) throw usageError(`${source}: no transfers (each line: UIN FILE...)`);
  return jobs;
}
