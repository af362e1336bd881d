// The one JSON parser of every command (validate, render, stats, pack, generate's resume, ingest).
// JSON.parse reads the value; a cheap census of the parsed value and of the text then spots the
// three cases in which JSON.parse's value is not the JSON as written, and only such a line is read
// again token by token (readExactly):
// - an object with a repeated key (JSON.parse keeps the last value silently): duplicate_key;
// - a number whose JavaScript value prints differently from its literal (`1.0`, `1e5`, `-0`,
//   `12345678901234567890123`): kept as a JsonNumber holding the literal, printed as written by
//   stringifyJson; a literal beyond the range of a double (`1e400`, Infinity to JSON.parse):
//   number_out_of_range;
// - nesting deeper than MAX_JSON_DEPTH: too_deep, so nothing downstream ever recurses deeply.
// Rules: docs/ARCHITECTURE.md (the record's JSON text) and docs/RENDERING.md (Numbers).

/** Arrays and objects nested deeper than this are rejected (the record itself is level 1). */
export const MAX_JSON_DEPTH = 256;

export type JsonErrorCode = "invalid_json" | "duplicate_key" | "number_out_of_range" | "too_deep";

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
 * to worker threads (as a plain String object: test with isJsonNumber, not instanceof JsonNumber).
 */
export class JsonNumber extends String {}

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
  if (typeof value !== "object" || value === null) {
    return typeof value === "number" && !sameLiteral(text.trim(), value) ? readExactly(text, maxDepth) : { value };
  }
  keyCount = 0;
  numberCount = 0;
  const shallow = countDeep(value, maxDepth);
  // A wide line (an array of many objects) grew the stack: let it go rather than keep its objects alive.
  if (pending.length > 4096) pending.length = pendingDepth.length = 0;
  if (!shallow) return { error: tooDeep(value, maxDepth) };
  return textAgrees(text, keyCount, numberCount) ? { value } : readExactly(text, maxDepth);
}

// --- the census: keys and numbers JSON.parse kept, and the depth ---------------------------------

// Module-level counters and stack: measurably cheaper than an object's fields or recursion here.
let keyCount = 0;
let numberCount = 0;
const pending: object[] = [];
const pendingDepth: number[] = [];

/** Counts keys and numbers into keyCount/numberCount; false as soon as nesting passes `max`. */
function countDeep(root: object, max: number): boolean {
  let top = 0;
  pending[top] = root;
  pendingDepth[top++] = 1;
  while (top > 0) {
    const value = pending[--top];
    const depth = pendingDepth[top];
    if (depth > max) return false;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === "object") {
          if (item !== null) {
            pending[top] = item;
            pendingDepth[top++] = depth + 1;
          }
        } else if (typeof item === "number") numberCount++;
      }
      continue;
    }
    for (const key in value) {
      keyCount++;
      const item: unknown = (value as Record<string, unknown>)[key];
      if (typeof item === "object") {
        if (item !== null) {
          pending[top] = item;
          pendingDepth[top++] = depth + 1;
        }
      } else if (typeof item === "number") numberCount++;
    }
  }
  return true;
}

/**
 * True when the text provably has no repeated key and no number that JSON.parse changed.
 * Every key is a string followed by a colon, and a quote inside a string is always escaped (an odd
 * run of backslashes before it). So counting colons whose previous non-space character is an
 * unescaped quote counts every key, plus strings that begin with ":" (an over-count only); a count
 * equal to the keys JSON.parse kept proves that none was dropped. The same loop checks the number
 * after each key; numbers in arrays get a second look (arrayNumbersCanonical).
 */
function textAgrees(text: string, keys: number, numbers: number): boolean {
  let seenKeys = 0;
  let seenNumbers = 0;
  for (let at = text.indexOf(":"); at !== -1; at = text.indexOf(":", at + 1)) {
    const before = text.charCodeAt(at - 1);
    if (before !== 34 && !(before <= 32 && quoteBeforeSpaces(text, at))) continue; // a colon inside a string
    if (before === 34 && text.charCodeAt(at - 2) === 92 && isEscaped(text, at - 1)) continue; // \\": inside a string
    seenKeys++;
    let start = at + 1;
    let c = text.charCodeAt(start);
    if (c <= 32) while (isSpace(c)) c = text.charCodeAt(++start);
    if (c <= 57 && (c >= 48 || c === 45)) {
      seenNumbers++;
      if (!canonicalAt(text, start)) return false;
    }
  }
  if (seenKeys !== keys) return false;
  return seenNumbers === numbers || arrayNumbersCanonical(text);
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

// The text is valid JSON (JSON.parse read it), so a token loop needs no error handling.
const TOKEN = /[ \t\n\r]*(?:("[^"\\]*(?:\\.[^"\\]*)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([{}[\]:,])|(true|false|null))/y;

interface Frame {
  container: Record<string, unknown> | unknown[];
  /** Objects: keys so far, and the key whose value comes next. */
  keys?: Set<string>;
  key?: string;
  expectKey?: boolean;
  /** Whether this container was marked as holding a JsonNumber. */
  marked?: boolean;
}

/** Reads valid JSON token by token: reports repeated keys, keeps number literals. */
function readExactly(text: string, maxDepth: number): JsonParseResult {
  const stack: Frame[] = [];
  let root: unknown;
  const put = (value: unknown): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = value;
    else if (Array.isArray(top.container)) top.container.push(value);
    else defineKey(top.container, top.key as string, value);
  };
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null && m[0].length > 0; m = TOKEN.exec(text)) {
    const top = stack[stack.length - 1];
    if (m[1] !== undefined) {
      const s = JSON.parse(m[1]) as string;
      if (top?.expectKey) {
        if (top.keys!.has(s)) return { error: duplicateKey(stack, s) };
        top.keys!.add(s);
        top.key = s;
        top.expectKey = false;
      } else put(s);
    } else if (m[2] !== undefined) {
      const number = readNumber(m[2]);
      if (number === undefined) return { error: outOfRange(stack, m[2]) };
      if (isJsonNumber(number)) markFrames(stack);
      put(number);
    } else if (m[3] !== undefined) {
      const c = m[3];
      if (c === "{" || c === "[") {
        if (stack.length >= maxDepth) {
          const path = nextValuePointer(stack);
          return { error: { code: "too_deep", message: `arrays and objects nested deeper than ${maxDepth} levels (at ${path})`, path } };
        }
        const container = c === "{" ? {} : [];
        put(container);
        stack.push(c === "{" ? { container, keys: new Set(), expectKey: true } : { container });
      } else if (c === "}" || c === "]") stack.pop();
      else if (c === "," && top?.keys) top.expectKey = true;
    } else put(m[4] === "true" ? true : m[4] === "false" ? false : null);
  }
  return { value: root };
}

/** A number as JavaScript has it, a JsonNumber when that would print differently, undefined past a double's range. */
function readNumber(literal: string): number | JsonNumber | undefined {
  const value = Number(literal);
  if (!Number.isFinite(value)) return undefined;
  return String(value) === literal ? value : new JsonNumber(literal);
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
  return { code: "duplicate_key", message: `key ${JSON.stringify(key)} appears twice in one object (at ${path}); JSON.parse would silently keep only the last value`, path };
}

function outOfRange(stack: Frame[], literal: string): JsonError {
  const path = nextValuePointer(stack);
  return { code: "number_out_of_range", message: `number ${literal.length > 40 ? literal.slice(0, 40) + "…" : literal} at ${path || "/"} is beyond the range of a 64-bit float`, path };
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
  return { code: "too_deep", message: `arrays and objects nested deeper than ${maxDepth} levels (at ${shown})`, path: `/${steps.slice(0, 6).join("/")}` };
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
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return print((value as { toJSON: () => unknown }).toJSON(), comma, colon);
  if (Array.isArray(value)) return `[${value.map((item) => print(item, comma, colon) ?? "null").join(comma)}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    const text = print(item, comma, colon);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}${colon}${text}`);
  }
  return `{${parts.join(comma)}}`;
}
