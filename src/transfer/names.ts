/**
 * Names that arrive from the network (file-info NAME and TEXT, nicks, messages), made safe
 * to use as path components on any file system and to show on a terminal. Pure: no fs.
 */

const SEPARATORS = /[/\\]/;

/**
 * Allowlist, applied per code point: letters, combining marks (without them most Indic
 * names fall apart) and numbers of any script, plus a few ASCII punctuation marks. Default
 * ignorable code points are letters or marks in a few cases (U+3164 HANGUL FILLER, variation
 * selectors) but print as nothing, so they go too.
 */
const NOT_ALLOWED = /[^\p{L}\p{M}\p{N} ._\-+=,()[\]{}@#%&!~']|\p{Default_Ignorable_Code_Point}/gu;

/**
 * Windows device names, with any extension; `CON .txt` is the same device there. COM0,
 * LPT0 and the superscript digits are reserved too on current Windows.
 */
const DEVICE_NAME = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]) *(?:\..*)?$/i;

const DRIVE_LETTER = /^[a-z]:$/i;

/** '', '.', '..', and what Windows reads as them: it drops trailing dots and spaces. */
const NAVIGATION = /^[. ]*$/;

/** A name shorter than this cannot hold 'unnamed' or a shortened name with its extension. */
const MIN_NAME_BYTES = 16;

/** Made on first use: a segmenter costs ~2.5 MiB of ICU data and ~12 ms, and only long names need one. */
let graphemes: Intl.Segmenter | undefined;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Our own senders encode a name as UTF-8 when latin1 cannot hold it (docs/protocol.md §1.3); the
 * wire layer decodes everything as latin1. A latin1 string whose bytes are valid UTF-8 with
 * at least one multi-byte sequence is taken as UTF-8: real 8-bit names almost never are.
 */
export function decodeWireName(latin1: string): string {
  if (!/[\u0080-\u00ff]/.test(latin1) || /[^\u0000-\u00ff]/.test(latin1)) return latin1;
  try {
    return strictUtf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return latin1;
  }
}

/** The last component of a path with either separator ('' when there is none): icqlib sends whole paths. */
export function lastPathComponent(raw: string): string {
  return raw.split(SEPARATORS).filter((c) => c !== '').at(-1) ?? '';
}

/**
 * One safe path component from a peer's file name. Only the last component of a path
 * counts (icqlib sends whole paths, with either separator).
 */
export function sanitizeFileName(raw: string, maxBytes = 255): string {
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_NAME_BYTES) {
    throw new RangeError(`maxBytes must be an integer >= ${MIN_NAME_BYTES}, got ${maxBytes}`);
  }
  let name = tidyEnds(lastPathComponent(raw.normalize('NFC')).replace(NOT_ALLOWED, '_'));
  name = trimTrailing(truncateFileName(name, maxBytes));
  if (DEVICE_NAME.test(name)) name = trimTrailing(truncateFileName(`_${name}`, maxBytes));
  return name === '' ? 'unnamed' : name;
}

/**
 * The relative sub-directory a peer sent in file-info TEXT, as safe components: navigation
 * (`.`, `..`), empty components and drive letters are dropped, so absolute paths become
 * relative. Components past maxDepth are dropped (the first ones name the tree the sender
 * chose, so they are the ones kept).
 */
export function sanitizeSubdir(raw: string, maxDepth = 32, maxBytes = 255): string[] {
  return raw
    .normalize('NFC')
    .split(SEPARATORS)
    .filter((c) => !NAVIGATION.test(c) && !DRIVE_LETTER.test(c))
    .slice(0, Math.max(0, maxDepth))
    .map((c) => sanitizeFileName(c, maxBytes));
}

/**
 * Peer text (nicks, names, messages) for a terminal: control characters (C0, DEL, C1),
 * format characters (bidi overrides, zero-width), line/paragraph separators and lone
 * surrogates are shown as escapes, so a peer can never drive the terminal or reorder
 * what it shows.
 */
export function escapeForDisplay(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, (ch) => {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
    if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
    return `\\u{${cp.toString(16)}}`;
  });
}

/**
 * Shorten a name to maxBytes of UTF-8, keeping its extension when the extension is a
 * reasonable part of the name, and cutting between whole characters.
 */
export function truncateFileName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const ext = extensionOf(name);
  const extBytes = Buffer.byteLength(ext);
  if (ext === '' || extBytes > maxBytes / 2) return utf8Prefix(name, maxBytes);
  return utf8Prefix(name.slice(0, -ext.length), maxBytes - extBytes) + ext;
}

/** `NAME (n).ext`, shortened in NAME so the whole stays within maxBytes. */
export function numberedName(name: string, n: number, maxBytes = 255): string {
  let ext = extensionOf(name);
  if (Buffer.byteLength(` (${n})${ext}`) > maxBytes / 2) ext = '';
  const suffix = ` (${n})${ext}`;
  const stem = name.slice(0, name.length - ext.length);
  return utf8Prefix(stem, maxBytes - Buffer.byteLength(suffix)) + suffix;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** Leading spaces go; leading dots (., .., hidden files) become one '_'; trailing dots and spaces go (Windows drops them). */
function tidyEnds(name: string): string {
  return trimTrailing(name.replace(/^ +/, '').replace(/^\.+/, '_'));
}

function trimTrailing(name: string): string {
  return name.replace(/[. ]+$/, '');
}

/**
 * The longest prefix within maxBytes of UTF-8 that ends between graphemes, so a letter
 * keeps its accents; a single grapheme too long for the budget (a letter under hundreds of
 * combining marks) is cut between code points instead.
 */
function utf8Prefix(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = '';
  let used = 0;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(s)) {
    const bytes = Buffer.byteLength(segment);
    if (used + bytes <= maxBytes) {
      out += segment;
      used += bytes;
      continue;
    }
    if (out === '') {
      for (const cp of segment) {
        const cpBytes = Buffer.byteLength(cp);
        if (used + cpBytes > maxBytes) break;
        out += cp;
        used += cpBytes;
      }
    }
    break;
  }
  return out;
}
