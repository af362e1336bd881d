// The one JSON parser of every command (validate, render, stats, pack, generate's resume, ingest).
// JSON.parse reads the value; a cheap census of the parsed value and of the text then spots the
// four cases in which JSON.parse's value is not the JSON as written, and only such a line is read
// again token by token (readExactly):
// - an object with a repeated key (JSON.parse keeps the last value silently): duplicate_key;
// - a number whose JavaScript value prints differently from its literal (`1.0`, `1e5`, `-0`,
//   `12345678901234567890123`): kept as a JsonNumber holding the literal, printed as written by
//   stringifyJson; a literal beyond the range of a double (`1e400`, Infinity to JSON.parse):
//   number_out_of_range;
// - nesting deeper than MAX_JSON_DEPTH: too_deep, so nothing downstream ever recurses deeply;
// - an object whose integer-like keys ("0", "42": array indices) are not written first and
//   ascending: JavaScript lists such keys first, ascending, whatever the written order, so every
//   re-serialization would reorder them: key_order (the census flags objects whose first listed
//   key starts with a digit; only their lines are read again).
// Beyond what JSON.parse changes: a string with a lone surrogate ("\ud800" with no low half after
// it, a "\udc00" with no high half before it) is no text: every UTF-8 writer and the tokenizer
// would turn it into U+FFFD silently: lone_surrogate. Only a text holding a surrogate escape that
// is not a pair (one regex test) or raw lone surrogates (isWellFormed) has its strings walked.
// Rules: docs/ARCHITECTURE.md (the record's JSON text) and docs/RENDERING.md (Numbers, Key order).

import type { ReasonCodeOf } from "./reasons.js";

/** Arrays and objects nested deeper than this are rejected (the record itself is level 1). */
export const MAX_JSON_DEPTH = 256;

export type JsonErrorCode = ReasonCodeOf<"core/json">;

export interface JsonError {
  code: JsonErrorCode;
  message: string;
  /** JSON Pointer of the offending key or value ("" for the whole text). */
  path: string;
}

export type JsonParseResult = { value: unknown } | { error: JsonError };

/**
 * A JSON number kept as written, because its JavaScript value would print differently (`1.0`,
 * `1e5`, `-0`, integers past 2^53). `String(n)` is the literal, `Number(n)` the value. A String
 * object: JSON.parse never makes one (so input cannot forge it) and it survives structured cloning
 * to worker threads. Made by jsonNumber(), tested with isJsonNumber().
 */
export type JsonNumber = String & { readonly [JSON_NUMBER_BRAND]: true };
declare const JSON_NUMBER_BRAND: unique symbol;

/**
 * A plain String object, not an instance of a String subclass: merely declaring `class … extends
 * String` makes V8 drop its fast paths for string methods in the whole process (indexOf and
 * charCodeAt ran 3x slower in every command; bench/validate).
 */
export function jsonNumber(literal: string): JsonNumber {
  return new String(literal) as JsonNumber;
}

/** True for a number kept as written (a JsonNumber, or one that crossed a thread as a String object). */
export function isJsonNumber(value: unknown): value is JsonNumber {
  return value instanceof String;
}

// Set (enumerable, so object spreads carry it) on every array and object that holds a JsonNumber
// at any depth; structured cloning drops it (markJsonNumbers restores it).
const HOLDS_JSON_NUMBER = Symbol("datagen.holdsJsonNumber");

/** Whether `value` is a JsonNumber or an array/object holding one at any depth (as parsed). */
export function hasJsonNumbers(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  return isJsonNumber(value) || (value as { [HOLDS_JSON_NUMBER]?: true })[HOLDS_JSON_NUMBER] === true;
}

/** Copies the holds-a-JsonNumber mark onto `to`, for code that rebuilds a parsed object or array. */
export function carryJsonNumbers<T extends object>(from: unknown, to: T): T {
  if (hasJsonNumbers(from)) markHolder(to);
  return to;
}

function markHolder(container: object): void {
  (container as { [HOLDS_JSON_NUMBER]?: true })[HOLDS_JSON_NUMBER] = true;
}

/**
 * Marks again the containers that hold JsonNumbers in a value that crossed a thread (structured
 * cloning keeps the String objects but drops the marks). Returns whether it holds any.
 */
export function markJsonNumbers(value: unknown, depth = 0): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (isJsonNumber(value)) return true;
  if (depth > MAX_JSON_DEPTH) return false;
  let holds = false;
  for (const item of Object.values(value)) if (markJsonNumbers(item, depth + 1)) holds = true;
  if (holds) markHolder(value);
  return holds;
}

/**
 * The value with every JsonNumber replaced by its JavaScript number, for code that needs plain
 * numbers (JSON Schema validation, tool executors): a copy when `value` is marked as holding one
 * (or `always`, for parts of a marked record that an adapter may have rebuilt unmarked), else
 * `value` itself.
 */
export function toPlainJson(value: unknown, always = false): unknown {
  return always || hasJsonNumbers(value) ? plainCopy(value) : value;
}

function plainCopy(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isJsonNumber(value)) return Number(value);
  if (Array.isArray(value)) return value.map(plainCopy);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) defineKey(out, key, plainCopy(item));
  return out;
}

export interface ParseOptions {
  /** Nesting limit for this text (default MAX_JSON_DEPTH); lower for JSON embedded at a depth. */
  maxDepth?: number;
  /** The text came from a strict UTF-8 decode, which cannot yield a raw lone surrogate: only escapes are checked. */
  utf8Decoded?: boolean;
}

/** Parses one JSON text under the rules above; never throws. */
export function parseJsonText(text: string, options: ParseOptions = {}): JsonParseResult {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: { code: "invalid_json", message: (e as Error).message, path: "" } };
  }
  if ((text.includes("\\u") && LONE_SURROGATE_ESCAPE.test(text)) || (!options.utf8Decoded && !(text as WellFormedCheck).isWellFormed())) {
    const path = loneSurrogatePath(value, "", maxDepth);
    if (path !== undefined) {
      const shown = path.replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`) || "the top";
      return {
        error: {
          code: "lone_surrogate",
          message:
            `a string holds a lone UTF-16 surrogate (at ${shown}): it is no character and would become U+FFFD; ` +
            `write the character itself or its full \\uD8xx\\uDCxx pair`,
          path,
        },
      };
    }
  }
  if (typeof value !== "object" || value === null) {
    return typeof value === "number" && !sameLiteral(text.trim(), value) ? readExactly(text, maxDepth) : { value };
  }
  // Everything one parse finds lives in this call (its census, its list of literals), passed down
  // and returned, never in module variables: no two parses share state.
  const census = countDeep(value, maxDepth);
  if (census === undefined) return { error: tooDeep(value, maxDepth) };
  // An integer-like key may be out of place: only the exact reader sees the written order.
  if (census.digitKeys) return readExactly(text, maxDepth);
  const literalStarts: number[] = [];
  const verdict = textVerdict(text, census, literalStarts);
  if (verdict === Verdict.Exact) return { value };
  if (verdict === Verdict.KeysDiffer) return readExactly(text, maxDepth);
  // Only numbers to keep (no key was dropped): JSON.parse again with those literals as markers.
  return keepLiterals(text, verdict === Verdict.LiteralsListed ? literalStarts : undefined) ?? readExactly(text, maxDepth);
}

// --- lone surrogates ------------------------------------------------------------------------------

/** A high-surrogate escape not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE_ESCAPE =
  /\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;
/** String.prototype.isWellFormed (Node 20; not in the ES2023 lib typings). */
type WellFormedCheck = string & { isWellFormed(): boolean };
const wellFormed = (s: string): boolean => (s as WellFormedCheck).isWellFormed();

/** JSON Pointer of the first key or string holding a lone surrogate; undefined when none does. */
function loneSurrogatePath(value: unknown, path: string, depthLeft: number): string | undefined {
  if (typeof value === "string") return wellFormed(value) ? undefined : path;
  if (typeof value !== "object" || value === null || depthLeft <= 0) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = loneSurrogatePath(value[i], `${path}/${i}`, depthLeft - 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const step = `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (!wellFormed(key)) return step;
    const found = loneSurrogatePath((value as Record<string, unknown>)[key], step, depthLeft - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

// --- the census: keys and numbers JSON.parse kept, and the depth ---------------------------------

/** What JSON.parse's value holds, by countDeep. */
interface Census {
  /** Keys of all objects, at any depth. */
  keys: number;
  /** Numbers, as values of keys or items of arrays. */
  numbers: number;
  /** Whether some object lists a key starting with a digit first (as one with an integer-like key does). */
  digitKeys: boolean;
}

/** The census of `root`; undefined as soon as nesting passes `max`. */
function countDeep(root: object, max: number): Census | undefined {
  // Counters in locals, written out once at the end: the loop runs per key of every line. An
  // explicit stack, not recursion: the value may be nested 100,000 levels.
  let keys = 0;
  let numbers = 0;
  let digitKeys = false;
  const pending: object[] = [];
  const pendingDepth: number[] = [];
  let top = 0;
  pending[top] = root;
  pendingDepth[top++] = 1;
  while (top > 0) {
    const value = pending[--top];
    const depth = pendingDepth[top];
    if (depth > max) return undefined;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === "object") {
          if (item !== null) {
            pending[top] = item;
            pendingDepth[top++] = depth + 1;
          }
        } else if (typeof item === "number") numbers++;
      }
      continue;
    }
    let first = true;
    for (const key in value) {
      if (first) {
        first = false;
        const c = key.charCodeAt(0);
        if (c >= 48 && c <= 57) digitKeys = true;
      }
      keys++;
      const item: unknown = (value as Record<string, unknown>)[key];
      if (typeof item === "object") {
        if (item !== null) {
          pending[top] = item;
          pendingDepth[top++] = depth + 1;
        }
      } else if (typeof item === "number") numbers++;
    }
  }
  return { keys, numbers, digitKeys };
}

/** What the text says about JSON.parse's value: exact, only numbers to keep, or a key may be dropped. */
const enum Verdict {
  Exact,
  /** No key dropped; the literals to keep are all those textVerdict listed (none sits in an array). */
  LiteralsListed,
  /** No key dropped; a literal to keep may sit in an array, so the whole text is searched for them. */
  LiteralsAnywhere,
  KeysDiffer,
}

/**
 * Whether the text provably has no repeated key and no number that JSON.parse changed.
 * Every key is a string followed by a colon, and a quote inside a string is always escaped (an odd
 * run of backslashes before it). So counting colons whose previous non-space character is an
 * unescaped quote counts every key, plus strings that begin with ":" (an over-count only); a count
 * equal to the keys JSON.parse kept proves that none was dropped. The same loop checks the number
 * after each key, pushing the start of each literal to keep onto `literalStarts`; numbers in arrays
 * get a second look (arrayNumbersCanonical).
 */
function textVerdict(text: string, census: Census, literalStarts: number[]): Verdict {
  let seenKeys = 0;
  let seenNumbers = 0;
  let canonical = true;
  for (let at = text.indexOf(":"); at !== -1; at = text.indexOf(":", at + 1)) {
    const before = text.charCodeAt(at - 1);
    if (before !== 34 && !(before <= 32 && quoteBeforeSpaces(text, at))) continue; // a colon inside a string
    if (before === 34 && text.charCodeAt(at - 2) === 92 && isEscaped(text, at - 1)) continue; // \": inside a string
    seenKeys++;
    let start = at + 1;
    let c = text.charCodeAt(start);
    if (c <= 32) while (isSpace(c)) c = text.charCodeAt(++start);
    if (c <= 57 && (c >= 48 || c === 45)) {
      seenNumbers++;
      if (!canonicalAt(text, start)) {
        canonical = false;
        literalStarts.push(start);
      }
    }
  }
  if (seenKeys !== census.keys) return Verdict.KeysDiffer;
  // With no number in an array, the literals to keep are exactly those found after keys.
  if (seenNumbers === census.numbers) return canonical ? Verdict.Exact : Verdict.LiteralsListed;
  return canonical && arrayNumbersCanonical(text) ? Verdict.Exact : Verdict.LiteralsAnywhere;
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

/** Whether spaces before the colon at `at` follow an unescaped quote (a key written `"k" :`). */
function quoteBeforeSpaces(text: string, at: number): boolean {
  let quote = at - 1;
  while (isSpace(text.charCodeAt(quote))) quote--;
  return quote < at - 1 && text.charCodeAt(quote) === 34 && !isEscaped(text, quote);
}

/** Whether the quote at `at` is escaped: an odd run of backslashes before it. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === 92) backslashes++;
  return backslashes % 2 === 1;
}

// A number in an array follows "[" or ","; so may text inside strings (checked too: harmless).
const ARRAY_NUMBER = /[[,][ \t\n\r]*(?=[-\d])/g;

/** Whether every number that follows "[" or "," prints as written. */
function arrayNumbersCanonical(text: string): boolean {
  ARRAY_NUMBER.lastIndex = 0;
  for (let m = ARRAY_NUMBER.exec(text); m !== null; m = ARRAY_NUMBER.exec(text)) {
    if (!canonicalAt(text, ARRAY_NUMBER.lastIndex)) return false;
  }
  return true;
}

/** Whether the number literal starting at `start` is what JavaScript prints for its value. */
function canonicalAt(text: string, start: number): boolean {
  let end = start + 1;
  let c = text.charCodeAt(end);
  while (c >= 48 && c <= 57) c = text.charCodeAt(++end);
  const simple = c !== 46 && c !== 101 && c !== 69; // no fraction or exponent
  // Integers of up to 15 digits print as written (JSON allows no leading zeros), except -0.
  if (simple && end - start <= 15 && !(text.charCodeAt(start) === 45 && text.charCodeAt(start + 1) === 48)) return true;
  while (c === 46 || c === 101 || c === 69 || c === 43 || c === 45 || (c >= 48 && c <= 57)) c = text.charCodeAt(++end);
  const literal = text.slice(start, end);
  return sameLiteral(literal, Number(literal));
}

const sameLiteral = (literal: string, value: number): boolean => Number.isFinite(value) && String(value) === literal;

// --- the exact reader: the rare lines the census flagged ----------------------------------------

// --- keeping literals: lines with numbers to keep and no repeated key ----------------------------

/**
 * The value with its non-canonical number literals kept, for a line known to repeat no key: the
 * literals are swapped for marker strings ("\u0000" + index; the text holds no \u0000 of its own),
 * JSON.parse reads that, and the markers become JsonNumbers. Several times cheaper than readExactly.
 * `listed`: the starts of all the literals to keep, when textVerdict found them all; else the text
 * is searched. Undefined when this does not apply (an escaped NUL in the text, a number beyond a double).
 */
function keepLiterals(text: string, listed: number[] | undefined): JsonParseResult | undefined {
  if (text.includes("\\u0000")) return undefined;
  const starts = listed ?? literalsOutsideStrings(text);
  if (starts === undefined) return undefined;
  const parts: string[] = [];
  const literals: string[] = [];
  let copied = 0;
  for (const start of starts) {
    const end = numberEnd(text, start);
    const literal = text.slice(start, end);
    if (!Number.isFinite(Number(literal))) return undefined; // readExactly reports it with its path
    parts.push(text.slice(copied, start), `"\\u0000${literals.length}"`);
    literals.push(literal);
    copied = end;
  }
  parts.push(text.slice(copied));
  const value = JSON.parse(parts.join("")) as unknown;
  return { value: typeof value === "string" ? jsonNumber(literals[0]) : (restoreLiterals(value as object, literals), value) };
}

/** Starts of the number literals that print differently, outside strings; undefined past a double's range. */
function literalsOutsideStrings(text: string): number[] | undefined {
  const starts: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let end = text.indexOf('"', i + 1);
      while (isEscaped(text, end)) end = text.indexOf('"', end + 1);
      i = end + 1;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const end = numberEnd(text, i);
      const literal = text.slice(i, end);
      const value = Number(literal);
      if (!Number.isFinite(value)) return undefined;
      if (String(value) !== literal) starts.push(i);
      i = end;
    } else i++;
  }
  return starts;
}

/** Replaces marker strings below `container` by their JsonNumbers; marks the holders. */
function restoreLiterals(container: object, literals: string[]): boolean {
  let holds = false;
  const items = container as Record<string, unknown>;
  for (const key in items) {
    const item = items[key];
    if (typeof item === "string") {
      if (item.charCodeAt(0) === 0) {
        items[key] = jsonNumber(literals[Number(item.slice(1))]);
        holds = true;
      }
    } else if (typeof item === "object" && item !== null && restoreLiterals(item, literals)) holds = true;
  }
  if (holds) markHolder(container);
  return holds;
}

/** Where the number literal starting at `start` ends. */
function numberEnd(text: string, start: number): number {
  let end = start + 1;
  for (
    let d = text.charCodeAt(end);
    (d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45;
    d = text.charCodeAt(++end)
  );
  return end;
}

interface Frame {
  container: Record<string, unknown> | unknown[];
  /** Objects: keys so far, and the key whose value comes next. */
  keys?: Set<string>;
  key?: string;
  expectKey?: boolean;
  /** Whether this container was marked as holding a JsonNumber. */
  marked?: boolean;
  /** Objects: the last integer-like key so far (-1: none), and whether another key came already. */
  lastIndex?: number;
  named?: boolean;
}

/**
 * Reads the text again, token by token: reports repeated keys, keeps number literals. The text is
 * valid JSON (JSON.parse read it), so the loop needs no error handling; strings are skipped with
 * indexOf and decoded by JSON.parse only when they hold an escape.
 */
function readExactly(text: string, maxDepth: number): JsonParseResult {
  const stack: Frame[] = [];
  let root: unknown;
  const put = (value: unknown): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = value;
    else if (Array.isArray(top.container)) top.container.push(value);
    else defineKey(top.container, top.key as string, value);
  };
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 34) {
      let end = text.indexOf('"', i + 1);
      while (isEscaped(text, end)) end = text.indexOf('"', end + 1);
      const raw = text.slice(i + 1, end);
      const s = raw.includes("\\") ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
      i = end + 1;
      if (top?.expectKey) {
        if (top.keys!.has(s)) return { error: duplicateKey(stack, s) };
        const index = arrayIndex(s);
        if (index < 0) top.named = true;
        else if (top.named || index < top.lastIndex!) return { error: keyOrder(stack, s, top.key as string) };
        else top.lastIndex = index;
        top.keys!.add(s);
        top.key = s;
        top.expectKey = false;
      } else put(s);
    } else if (c === 123 || c === 91) {
      if (stack.length >= maxDepth) {
        const path = nextValuePointer(stack);
        return { error: { code: "too_deep", message: `arrays and objects nested deeper than ${maxDepth} levels (at ${path})`, path } };
      }
      const container = c === 123 ? {} : [];
      put(container);
      stack.push(c === 123 ? { container, keys: new Set(), expectKey: true, lastIndex: -1 } : { container });
      i++;
    } else if (c === 125 || c === 93) {
      stack.pop();
      i++;
    } else if (c === 44) {
      if (top?.keys) top.expectKey = true;
      i++;
    } else if (c === 116 || c === 102 || c === 110) {
      put(c === 116 ? true : c === 102 ? false : null);
      i += c === 102 ? 5 : 4;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const end = numberEnd(text, i);
      const literal = text.slice(i, end);
      const number = readNumber(literal);
      if (number === undefined) return { error: outOfRange(stack, literal) };
      if (isJsonNumber(number)) markFrames(stack);
      put(number);
      i = end;
    } else i++; // whitespace and ":"
  }
  return { value: root };
}

/** The key as an array index (canonical integer 0 … 2^32 - 2, which objects list first, ascending), else -1. */
function arrayIndex(key: string): number {
  const c = key.charCodeAt(0);
  if (!(c >= 48 && c <= 57) || key.length > 10 || (c === 48 && key.length > 1)) return -1;
  for (let i = 1; i < key.length; i++) {
    const d = key.charCodeAt(i);
    if (d < 48 || d > 57) return -1;
  }
  const index = Number(key);
  return index <= 4294967294 ? index : -1;
}

/** A number as JavaScript has it, a JsonNumber when that would print differently, undefined past a double's range. */
function readNumber(literal: string): number | JsonNumber | undefined {
  const value = Number(literal);
  if (!Number.isFinite(value)) return undefined;
  return String(value) === literal ? value : jsonNumber(literal);
}

function markFrames(stack: Frame[]): void {
  for (let i = stack.length - 1; i >= 0 && !stack[i].marked; i--) {
    stack[i].marked = true;
    markHolder(stack[i].container);
  }
}

/** JSON Pointer of the container at `stack`'s top, then `last`; an enclosing array's step is its last item. */
function containerPointer(stack: Frame[], last: string): string {
  let out = "";
  for (let i = 0; i < stack.length - 1; i++) {
    const frame = stack[i];
    out += `/${escapePointer(Array.isArray(frame.container) ? String(frame.container.length - 1) : (frame.key as string))}`;
  }
  return `${out}/${escapePointer(last)}`;
}

/** JSON Pointer of the value about to be read ("" for the whole text). */
function nextValuePointer(stack: Frame[]): string {
  const top = stack[stack.length - 1];
  if (top === undefined) return "";
  return containerPointer(stack, Array.isArray(top.container) ? String(top.container.length) : (top.key as string));
}

const escapePointer = (step: string): string => step.replace(/~/g, "~0").replace(/\//g, "~1");

function duplicateKey(stack: Frame[], key: string): JsonError {
  const path = containerPointer(stack, key);
  return {
    code: "duplicate_key",
    message: `key ${JSON.stringify(key)} appears twice in one object (at ${path}); JSON.parse would silently keep only the last value`,
    path,
  };
}

function keyOrder(stack: Frame[], key: string, previous: string): JsonError {
  const path = containerPointer(stack, key);
  return {
    code: "key_order",
    message:
      `integer-like key ${JSON.stringify(key)} written after ${JSON.stringify(previous)} cannot keep its place (at ${path}): ` +
      `JavaScript lists such keys first, ascending, so every re-serialization would move it; write them first and ascending`,
    path,
  };
}

function outOfRange(stack: Frame[], literal: string): JsonError {
  const path = nextValuePointer(stack);
  const shown = literal.length > 40 ? literal.slice(0, 40) + "…" : literal;
  return {
    code: "number_out_of_range",
    message: `number ${shown} at ${path || "/"} is beyond the range of a 64-bit float`,
    path,
  };
}

/** The too_deep error, with the path down to the first value past the limit (shortened). */
function tooDeep(value: object, maxDepth: number): JsonError {
  // Depth-first with an explicit stack (the value may be nested 100,000 levels); the frames on the
  // stack when the limit is passed spell the path.
  const frames: { entries: [string, unknown][]; next: number }[] = [{ entries: Object.entries(value), next: 0 }];
  while (frames.length > 0 && frames.length <= maxDepth) {
    const top = frames[frames.length - 1];
    if (top.next === top.entries.length) {
      frames.pop();
      continue;
    }
    const item = top.entries[top.next++][1];
    if (typeof item === "object" && item !== null) frames.push({ entries: Object.entries(item), next: 0 });
  }
  const steps = frames.slice(0, -1).map((f) => escapePointer(f.entries[f.next - 1][0]));
  const shown = steps.length > 6 ? `/${steps.slice(0, 6).join("/")}/…` : `/${steps.join("/")}`;
  return {
    code: "too_deep",
    message: `arrays and objects nested deeper than ${maxDepth} levels (at ${shown})`,
    path: `/${steps.slice(0, 6).join("/")}`,
  };
}

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // As JSON.parse does: "__proto__" is an own property, not the prototype.
  if (key === "__proto__") Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

// --- printing --------------------------------------------------------------------------------------

export interface StringifyOptions {
  /** "compact": JSON.stringify's form; "python": Python json.dumps' default separators ", " and ": ". */
  style?: "compact" | "python";
}

/**
 * JSON text of a parsed value: JSON.stringify's output, except that JsonNumbers print their literal.
 * Every place that prints record content as JSON (renders, generate's output) goes through here.
 */
export function stringifyJson(value: unknown, options: StringifyOptions = {}): string {
  // Always walked, not JSON.stringify when no JsonNumber is marked: a value that crossed a thread
  // unmarked must still print its literals (values printed here are small: arguments, defaults).
  const python = options.style === "python";
  return print(value, python ? ", " : ",", python ? ": " : ":") ?? "null";
}

function print(value: unknown, comma: string, colon: string): string | undefined {
  if (isJsonNumber(value)) return String(value);
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function")
    return print((value as { toJSON: () => unknown }).toJSON(), comma, colon);
  if (Array.isArray(value)) return `[${value.map((item) => print(item, comma, colon) ?? "null").join(comma)}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    const text = print(item, comma, colon);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}${colon}${text}`);
  }
  return `{${parts.join(comma)}}`;
}
