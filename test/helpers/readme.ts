import { splitWords } from '../../src/cli/batch.js';

/**
 * Just enough Markdown for test/readme.test.ts: headings, fenced blocks, tables and code
 * spans, and the shell command lines inside ```sh blocks.
 */

export interface Fence {
  lang: string;
  text: string;
  /** 0-based line of the opening ``` in the document. */
  line: number;
}

export interface Heading {
  level: number;
  title: string;
  line: number;
}

interface Parsed {
  lines: string[];
  fences: Fence[];
  headings: Heading[];
}

function parse(markdown: string): Parsed {
  const lines = markdown.split('\n');
  const fences: Fence[] = [];
  const headings: Heading[] = [];
  let open: { lang: string; line: number; indent: number; body: string[] } | undefined;
  lines.forEach((raw, i) => {
    const fence = /^(\s*)```(\S*)\s*$/.exec(raw);
    if (open) {
      if (fence) {
        fences.push({ lang: open.lang, text: open.body.join('\n'), line: open.line });
        open = undefined;
      } else {
        open.body.push(raw.slice(Math.min(open.indent, raw.length - raw.trimStart().length)));
      }
      return;
    }
    if (fence) {
      open = { lang: fence[2]!, line: i, indent: fence[1]!.length, body: [] };
      return;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*$/.exec(raw);
    if (heading) headings.push({ level: heading[1]!.length, title: heading[2]!, line: i });
  });
  if (open) throw new Error(`unclosed fence opened on line ${open.line + 1}`);
  return { lines, fences, headings };
}

export function headings(markdown: string): Heading[] {
  return parse(markdown).headings;
}

export function fences(markdown: string, lang?: string): Fence[] {
  return parse(markdown).fences.filter((f) => lang === undefined || f.lang === lang);
}

/** The text under the heading titled `title` (any level), up to the next heading of the same or a higher level. */
export function section(markdown: string, title: string): string {
  const { lines, headings: all } = parse(markdown);
  const i = all.findIndex((h) => h.title === title);
  if (i < 0) throw new Error(`no heading "${title}" in the README`);
  const h = all[i]!;
  const next = all.slice(i + 1).find((n) => n.level <= h.level);
  return lines.slice(h.line + 1, next ? next.line : lines.length).join('\n');
}

/** The rows of the first table in `text`, each as trimmed cells (header and separator left out). */
export function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l, i) => l.trim().startsWith('|') && /^\s*\|[\s|:-]+\|\s*$/.test(lines[i + 1] ?? ''));
  if (start < 0) throw new Error('no table found');
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    rows.push(line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim()));
  }
  return rows;
}

/** The `code spans` of a piece of Markdown, without the backticks. */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

export type Binary = 'icqd' | 'icqrecv' | 'icqsend';

export interface ShellCommand {
  /** The line as written (continuations joined). */
  source: string;
  /** NAME=value words before the command, and everything `export`ed earlier in the block. */
  env: Record<string, string>;
  /** The command's words, from the program name on. */
  words: string[];
  /** Set when the command runs one of our programs (`node bin/icqd.js ...`). */
  binary?: Binary;
  /** The program's arguments (words after `node bin/X.js`). */
  args: string[];
}

const SEPARATORS = new Set(['&&', '||', '|', ';']);
const BINARY = /^bin\/(icqd|icqrecv|icqsend)\.js$/;

/**
 * The commands of one ```sh block: lines joined at trailing backslashes, comments dropped,
 * split at && || | ; into single commands. An `export A=1 B=2` line is a command too, and
 * its variables are in the env of every command after it in the block.
 */
export function shellCommands(block: string): ShellCommand[] {
  const joined = block.replace(/\\\n/g, ' ');
  const exported: Record<string, string> = {};
  const out: ShellCommand[] = [];
  for (const source of joined.split('\n')) {
    const all = splitWords(source);
    let current: string[] = [];
    const flush = (): void => {
      if (current.length === 0) return;
      const env: Record<string, string> = { ...exported };
      let i = 0;
      for (; i < current.length && /^[A-Z_][A-Z0-9_]*=/.test(current[i]!); i++) {
        const [name, ...value] = current[i]!.split('=');
        env[name!] = value.join('=');
      }
      const words = current.slice(i);
      if (words[0] === 'export') {
        for (const w of words.slice(1)) {
          const [name, ...value] = w.split('=');
          exported[name!] = value.join('=');
        }
      }
      const m = words[0] === 'node' ? BINARY.exec(words[1] ?? '') : null;
      out.push({
        source: source.trim(),
        env,
        words,
        ...(m ? { binary: m[1] as Binary } : {}),
        args: m ? words.slice(2) : [],
      });
      current = [];
    };
    for (const w of all) {
      if (SEPARATORS.has(w)) flush();
      else current.push(w);
    }
    flush();
  }
  return out;
}

/** The value that follows `option` in args (undefined when the option is absent). */
export function optionValue(args: readonly string[], option: string): string | undefined {
  const i = args.indexOf(option);
  return i < 0 ? undefined : args[i + 1];
}

/** args with the value after `option` replaced (the option must be there). */
export function withOption(args: readonly string[], option: string, value: string): string[] {
  const i = args.indexOf(option);
  if (i < 0 || i + 1 >= args.length) throw new Error(`${option} is not in: ${args.join(' ')}`);
  return [...args.slice(0, i + 1), value, ...args.slice(i + 2)];
}
