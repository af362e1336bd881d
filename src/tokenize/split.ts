// Pre-tokenization: splitting text into the pieces that byte-pair encoding works on.
//
// Two implementations of o200k's split pattern (`pat_str`):
// - `splitRegex(patStr)`: the pattern translated from tiktoken's Rust-regex syntax to a JS
//   `u` regex. It is the readable reference.
// - `nextPieceEnd(text, pos)`: a hand-written scanner over a code-point class table with the
//   same leftmost-first, backtracking semantics; about 4x faster than the regex on mixed
//   text (docs/BENCHMARKS.md). Tests hold it to the regex on adversarial random strings.
//
// Translation notes (Rust `regex`/`fancy-regex` → JS):
// - `\s` is Unicode White_Space in Rust: it includes U+0085 and excludes U+FEFF, unlike JS `\s`.
// - `(?i:'s|…)` folds case with Unicode simple case folding: `s` also matches U+017F `ſ`
//   (and `k` the Kelvin sign U+212A). Node 20 has no inline `(?i:)` groups, so each letter
//   becomes a class of its case-fold orbit.
// gpt-tokenizer 4.0 uses JS `\s` and `[sS]`, so it differs from tiktoken on U+0085, U+FEFF
// and `'ſ`; we follow tiktoken (the reference).

/** Case-fold orbits of ASCII letters under Unicode simple case folding, beyond a/A. */
const EXTRA_FOLDS: Record<string, string> = { s: "\u017f", k: "\u212a" };

function caseFoldClass(ch: string): string {
  const lower = ch.toLowerCase();
  if (lower === ch.toUpperCase()) return escapeLiteral(ch);
  return `[${lower}${lower.toUpperCase()}${EXTRA_FOLDS[lower] ?? ""}]`;
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/** `(?i:alt|alt)` whose alternatives are plain literals → a group of case-fold classes. */
function expandCaseInsensitiveGroups(source: string): string {
  return source.replace(/\(\?i:([^()\\[\]]*)\)/g, (_, body: string) => {
    const alternatives = body.split("|").map((alt) => Array.from(alt, caseFoldClass).join(""));
    return `(?:${alternatives.join("|")})`;
  });
}

/** Translate a tiktoken `pat_str` (Rust regex syntax) into an equivalent JS `u` regex source. */
export function toJsRegexSource(patStr: string): string {
  return expandCaseInsensitiveGroups(patStr).replace(/\\s/g, "\\p{White_Space}").replace(/\\S/g, "\\P{White_Space}");
}

/** The split regex (global, unicode) for a tiktoken `pat_str`. */
export function splitRegex(patStr: string): RegExp {
  return new RegExp(toJsRegexSource(patStr), "gu");
}

/** Reference split: every piece of `text`, in order. */
export function splitWithRegex(regex: RegExp, text: string): string[] {
  const pieces: string[] = [];
  for (const match of text.matchAll(regex)) pieces.push(match[0]);
  return pieces;
}

// ---- the hand-written scanner ----------------------------------------------------------

// Class bits of a code point.
const UPPERISH = 1; // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
const LOWERISH = 2; // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
const LETTER = 4; // \p{L}
const NUMBER = 8; // \p{N}
const SPACE = 16; // \p{White_Space} (Rust `\s`)
const NEWLINE = 32; // \r or \n
const SLASH = 64; // '/'
const OTHER = 128; // [^\s\p{L}\p{N}]

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp);
  let bits = 0;
  if (/[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]/u.test(ch)) bits |= UPPERISH;
  if (/[\p{Ll}\p{Lm}\p{Lo}\p{M}]/u.test(ch)) bits |= LOWERISH;
  if (/\p{L}/u.test(ch)) bits |= LETTER;
  if (/\p{N}/u.test(ch)) bits |= NUMBER;
  if (/\p{White_Space}/u.test(ch)) bits |= SPACE;
  if (cp === 0x0d || cp === 0x0a) bits |= NEWLINE;
  if (cp === 0x2f) bits |= SLASH;
  if (!(bits & (SPACE | LETTER | NUMBER))) bits |= OTHER;
  return bits;
}

// Classes are computed on first use, one page of 256 code points at a time, so that a
// tokenizer starts fast and only pays for the scripts it sees.
const PAGE_BITS = 8;
const classTable = new Uint8Array(0x110000);
const pageReady = new Uint8Array(0x110000 >> PAGE_BITS);

function fillPage(page: number): void {
  const first = page << PAGE_BITS;
  for (let cp = first; cp < first + (1 << PAGE_BITS); cp++) classTable[cp] = classify(cp);
  pageReady[page] = 1;
}
fillPage(0);

function classOf(cp: number): number {
  if (cp >= 256 && !pageReady[cp >> PAGE_BITS]) fillPage(cp >> PAGE_BITS);
  return classTable[cp];
}

/** Code point at UTF-16 index i (a lone surrogate is itself, category Cs, like the regex sees it). */
function codePointAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) return c;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000 : c;
}

const width = (cp: number): number => (cp > 0xffff ? 2 : 1);

/**
 * `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` at i: end index or -1.
 * Backtracking resolved forward: if the upper-ish run is followed by a lower-ish char the
 * lower-ish run extends it; otherwise the match ends after the run's last lower-ish char.
 */
function upperThenLowerEnd(text: string, i: number): number {
  const n = text.length;
  let lastLowerEnd = -1;
  while (i < n) {
    const c = text.charCodeAt(i);
    let bits: number;
    let next: number;
    if (c < 0x80) {
      bits = classTable[c];
      next = i + 1;
    } else {
      const cp = codePointAt(text, i);
      bits = classOf(cp);
      next = i + width(cp);
    }
    if (!(bits & UPPERISH)) {
      if (bits & LOWERISH) return lowerRunEnd(text, i);
      break;
    }
    i = next;
    if (bits & LOWERISH) lastLowerEnd = i;
  }
  return lastLowerEnd;
}

/** `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` at i: end index or -1. */
function upperRunThenLowerEnd(text: string, i: number): number {
  const start = i;
  i = runEnd(text, i, UPPERISH);
  return i === start ? -1 : lowerRunEnd(text, i);
}

const lowerRunEnd = (text: string, i: number): number => runEnd(text, i, LOWERISH);

function runEnd(text: string, i: number, mask: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (!(classTable[c] & mask)) return i;
      i++;
      continue;
    }
    const cp = codePointAt(text, i);
    if (!(classOf(cp) & mask)) return i;
    i += width(cp);
  }
  return i;
}

/** `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at i: end index (i when absent). */
function contractionEnd(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x27 || i + 1 >= text.length) return i;
  const a = foldAscii(text.charCodeAt(i + 1));
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return i + 2; // s t m d
  if (i + 2 >= text.length) return i;
  const b = foldAscii(text.charCodeAt(i + 2));
  if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) {
    return i + 3; // re ve ll
  }
  return i;
}

/** ASCII lower case, with U+017F ſ folded to s (the only non-ASCII char folding into s t r e v m l d). */
function foldAscii(c: number): number {
  if (c === 0x17f) return 0x73;
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** Alternatives 1 and 2: an optional non-letter prefix, a word, an optional contraction. */
function wordEnd(text: string, pos: number, first: number, firstBits: number): number {
  const canPrefix = !(firstBits & (NEWLINE | LETTER | NUMBER));
  const afterPrefix = pos + width(first);
  let end = canPrefix ? upperThenLowerEnd(text, afterPrefix) : -1;
  if (end < 0) end = upperThenLowerEnd(text, pos);
  if (end < 0 && canPrefix) end = upperRunThenLowerEnd(text, afterPrefix);
  if (end < 0) end = upperRunThenLowerEnd(text, pos);
  return end < 0 ? -1 : contractionEnd(text, end);
}

/** ` ?[^\s\p{L}\p{N}]+[\r\n/]*` at pos: end index or -1. */
function punctuationEnd(text: string, pos: number, firstBits: number): number {
  let i = pos;
  if (text.charCodeAt(i) === 0x20) {
    if (i + 1 >= text.length || !(classOf(codePointAt(text, i + 1)) & OTHER)) return -1;
    i++;
  } else if (!(firstBits & OTHER)) {
    return -1;
  }
  i = runEnd(text, i, OTHER);
  return runEnd(text, i, NEWLINE | SLASH);
}

/** `\s*[\r\n]+|\s+(?!\S)|\s+` at pos (a whitespace char). */
function whitespaceEnd(text: string, pos: number): number {
  const n = text.length;
  let i = pos;
  let lastNewlineEnd = -1;
  while (i < n) {
    const c = text.charCodeAt(i); // every White_Space char is in the BMP
    const bits = c < 0x80 ? classTable[c] : classOf(codePointAt(text, i));
    if (!(bits & SPACE)) break;
    i++;
    if (bits & NEWLINE) lastNewlineEnd = i;
  }
  if (lastNewlineEnd >= 0) return lastNewlineEnd; // \s*[\r\n]+ backtracks to the last newline
  if (i === n || i - pos === 1) return i; // \s+(?!\S) at the end, or \s+ of one char
  return i - 1; // \s+(?!\S): leave one space to prefix the next piece
}

/** End (UTF-16 index) of the piece that starts at `pos`; pos < text.length. */
export function nextPieceEnd(text: string, pos: number): number {
  const first = codePointAt(text, pos);
  const bits = first < 0x80 ? classTable[first] : classOf(first);
  if (!(bits & (NUMBER | NEWLINE))) {
    const end = wordEnd(text, pos, first, bits);
    if (end >= 0) return end;
  }
  if (bits & NUMBER) return digitsEnd(text, pos);
  const end = punctuationEnd(text, pos, bits);
  if (end >= 0) return end;
  return whitespaceEnd(text, pos);
}

/** `\p{N}{1,3}` at pos. */
function digitsEnd(text: string, pos: number): number {
  let i = pos;
  for (let k = 0; k < 3 && i < text.length; k++) {
    const cp = codePointAt(text, i);
    if (!(classOf(cp) & NUMBER)) break;
    i += width(cp);
  }
  return i;
}

/** Every piece of `text` by the scanner (for tests and tools; the encoder scans in place). */
export function splitWithScanner(text: string): string[] {
  const pieces: string[] = [];
  for (let pos = 0; pos < text.length; ) {
    const end = nextPieceEnd(text, pos);
    pieces.push(text.slice(pos, end));
    pos = end;
  }
  return pieces;
}
