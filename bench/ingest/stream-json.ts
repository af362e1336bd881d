// Could stream-json (package.json's pinned version) serve the JSON-array container? Side by side in
// one process, alternating rounds, on one JSON-array file (made here from data/examples if absent):
//   ours-split      JsonArraySplitter (containers/json-array.ts): element byte ranges, no parse
//   ours+strict     the same, each element through the strict parser (parseJsonLine)
//   sj-split        stream-json's tokenizer (core parser(), packed tokens): each element's tokens
//                   turned back into JSON text (it has no byte offsets: the text is re-encoded)
//   sj+strict       the same, each re-encoded element through parseJsonLine
//   sj-values       stream-json parser() + streamArray(): JS values, no strict parse (trusting it)
// Then a few tiny inputs through stream-json alone, for the strict parser's rules it does not keep.
// Usage: npx tsx bench/ingest/stream-json.ts [FILE] [ROUNDS]    (MODE=name: one mode once, for its peak RSS)
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { jsonParser } from "stream-json/core/parser.js";
import { streamArray } from "stream-json/core/streamers/stream-array.js";
import { getManyValues, isMany, none } from "stream-chain/defs.js";
import { parseJsonLine } from "../../src/core/jsonl.js";
import { JsonArraySplitter } from "../../src/ingest/containers/json-array.js";

const FILE = process.argv[2] ?? "/tmp/datagen-sj-bench.json";
const ROUNDS = Number(process.argv[3] ?? 3);
const TARGET = 50e6;

function makeFile(path: string): void {
  const lines = readFileSync("data/examples/conversations.jsonl", "utf8")
    .split("\n")
    .filter((l) => l.trim());
  const out: string[] = [];
  let size = 2;
  for (let n = 0; size < TARGET; n++) {
    const line = lines[n % lines.length].replace(/^\{"id":"([^"]*)"/, (_m, id) => `{"id":"${id}-r${n}"`);
    out.push(line);
    size += Buffer.byteLength(line) + 2;
  }
  writeFileSync(path, `[\n${out.join(",\n")}\n]\n`);
}

type Token = { name: string; value?: unknown };
/** parser() is an async generator stage (fixUtf8Stream then jsonParser); this is the same pair, synchronous:
 * a non-fatal StringDecoder (as fixUtf8Stream uses on Node: bad UTF-8 becomes U+FFFD) then the tokenizer. */
function parser(options?: object): (chunk: Buffer | typeof none) => unknown {
  const d = new StringDecoder("utf8");
  const p = jsonParser(options as never) as unknown as (s: unknown) => unknown;
  return (chunk) => (chunk === none ? p(none) : p(d.write(chunk))); // inputs here end in ASCII: nothing left in d
}
const each = <T>(r: unknown, f: (t: T) => void): void => {
  if (r === none) return;
  if (isMany(r)) for (const t of getManyValues(r as never) as T[]) f(t);
  else f(r as T);
};

/** Re-encodes one array element's tokens (packed keys/strings/numbers) as JSON text, numbers as written. */
class ElementText {
  depth = 0; // 0: between top-level elements
  parts: string[] = [];
  needComma = false;
  /** Returns the element's text when `t` ends it. */
  push(t: Token): string | undefined {
    const p = this.parts;
    switch (t.name) {
      case "startObject":
      case "startArray":
        if (this.needComma) p.push(",");
        p.push(t.name === "startObject" ? "{" : "[");
        this.depth++;
        this.needComma = false;
        return undefined;
      case "endObject":
      case "endArray":
        p.push(t.name === "endObject" ? "}" : "]");
        this.depth--;
        this.needComma = true;
        break;
      case "keyValue":
        if (this.needComma) p.push(",");
        p.push(JSON.stringify(t.value), ":");
        this.needComma = false;
        return undefined;
      case "stringValue":
      case "numberValue":
      case "nullValue":
      case "trueValue":
      case "falseValue":
        if (this.needComma) p.push(",");
        p.push(t.name === "stringValue" ? JSON.stringify(t.value) : String(t.value));
        this.needComma = true;
        break;
      default:
        return undefined; // start/end markers of streamed values: not asked for
    }
    if (this.depth !== 0) return undefined;
    const text = p.join("");
    this.parts = [];
    this.needComma = false;
    return text;
  }
}

type Counts = { items: number; bytes: number; errors: number };
const chunks = () => createReadStream(FILE, { highWaterMark: 64 * 1024 });

const modes: Record<string, () => Promise<Counts>> = {
  async "ours-split"() {
    const c = { items: 0, bytes: 0, errors: 0 };
    const s = new JsonArraySplitter();
    for await (const chunk of chunks()) for (const e of s.push(chunk)) if ("bytes" in e) c.items++, (c.bytes += e.bytes.length);
    return c;
  },
  async "ours+strict"() {
    const c = { items: 0, bytes: 0, errors: 0 };
    const s = new JsonArraySplitter();
    for await (const chunk of chunks())
      for (const e of s.push(chunk))
        if ("bytes" in e) {
          c.items++;
          c.bytes += e.bytes.length;
          if ("error" in parseJsonLine(e.bytes)) c.errors++;
        }
    return c;
  },
  async "sj-split"() {
    return sjSplit(false);
  },
  async "sj+strict"() {
    return sjSplit(true);
  },
  async "sj-values"() {
    const c = { items: 0, bytes: 0, errors: 0 };
    const p = parser({ streamValues: false });
    const sa = streamArray();
    const onTok = (t: Token) => each<{ value: unknown }>(sa(t as never), () => c.items++);
    for await (const chunk of chunks()) each<Token>(p(chunk as never), onTok);
    each<Token>(p(none as never), onTok);
    return c;
  },
};

async function sjSplit(strict: boolean): Promise<Counts> {
  const c = { items: 0, bytes: 0, errors: 0 };
  const p = parser({ streamValues: false });
  const el = new ElementText();
  let top = false;
  const onTok = (t: Token) => {
    if (!top) {
      if (t.name !== "startArray") throw new Error("not an array");
      top = true;
      return;
    }
    if (el.depth === 0 && t.name === "endArray") return;
    const text = el.push(t);
    if (text === undefined) return;
    const bytes = Buffer.from(text);
    c.items++;
    c.bytes += bytes.length;
    if (strict && "error" in parseJsonLine(bytes)) c.errors++;
  };
  for await (const chunk of chunks()) each<Token>(p(chunk as never), onTok);
  each<Token>(p(none as never), onTok);
  return c;
}

function probe(): void {
  const sjValue = (text: string): string => {
    try {
      const p = parser();
      const sa = streamArray();
      const out: unknown[] = [];
      const onTok = (t: Token) => each<{ value: unknown }>(sa(t as never), (v) => out.push(v.value));
      each<Token>(p(Buffer.from(`[${text}]`) as never), onTok);
      each<Token>(p(none as never), onTok);
      return JSON.stringify(out[0]) ?? String(out[0]);
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };
  const cases: [string, string][] = [
    ["duplicate key", '{"a":1,"a":2}'],
    ["big integer", '{"n":12345678901234567890}'],
    ["decimal precision", '{"n":0.10000000000000000555}'],
    ["number out of double range", '{"n":1e400}'],
    ["lone surrogate", '{"s":"\\ud800"}'],
    ["depth 300", `${"[".repeat(300)}${"]".repeat(300)}`],
    ["__proto__ key", '{"__proto__":{"x":1}}'],
    ["invalid UTF-8 byte", '{"s":"\xff"}'],
    ["key order (numeric-like keys)", '{"b":1,"2":2,"a":3,"1":4}'],
    ["escapes as written", '{"s":"\\u00e9\\/"}'],
    ["bad 2nd of 3 elements", '{"a":1},{"a":},{"b":2}'],
  ];
  console.log(
    "\nstrict-parser rules, tiny inputs: stream-json values (parser+streamArray) | ours (splitter + strict, per element) | stream-json split + strict",
  );
  for (const [name, text] of cases) {
    const input = name === "invalid UTF-8 byte" ? Buffer.from([...Buffer.from('{"s":"'), 0xff, ...Buffer.from('"}')]) : null;
    const sj = input ? sjBytes(input) : sjValue(text);
    const ours = oursThenStrict(input ?? Buffer.from(text));
    const shown = input ? '{"s":"<0xff>"}' : text.length > 30 ? `${text.slice(0, 27)}...` : text;
    console.log(
      `  ${name.padEnd(30)} ${shown.padEnd(30)} sj: ${sj.slice(0, 50).padEnd(50)} ours: ${ours.padEnd(30)} sj-split+strict: ${sjThenStrict(input ?? Buffer.from(text))}`,
    );
  }
  // Positions: do tokens carry any offset? (no: {name, value} only)
  const toks: Token[] = [];
  each<Token>(parser()(Buffer.from('[{"a":1.50}]') as never), (t) => toks.push(t));
  console.log(`  tokens of [{"a":1.50}]: ${JSON.stringify(toks)}`);
}

/** Tiny input as array elements: our splitter, the strict parser judges each element. */
function oursThenStrict(input: Buffer): string {
  const sp = new JsonArraySplitter();
  const out: string[] = [];
  for (const e of [...sp.push(Buffer.concat([Buffer.from("["), input, Buffer.from("]")])), sp.end()]) {
    if (!e) continue;
    if ("bytes" in e) {
      const r = parseJsonLine(e.bytes);
      out.push("error" in r ? `error ${r.error.code}` : "ok");
    } else out.push("error" in e ? `error ${e.error.code}` : "too long");
  }
  return out.join("; ");
}

/** Tiny input as array elements: stream-json splits and re-encodes, the strict parser judges each element. */
function sjThenStrict(input: Buffer): string {
  try {
    const p = parser({ streamValues: false });
    const el = new ElementText();
    const out: string[] = [];
    let top = false;
    const onTok = (t: Token) => {
      if (!top) return void (top = true);
      if (el.depth === 0 && t.name === "endArray") return;
      const text = el.push(t);
      if (text === undefined) return;
      const r = parseJsonLine(Buffer.from(text));
      out.push("error" in r ? `error ${r.error.code}` : `ok ${text.length > 20 ? `${text.slice(0, 17)}...` : text}`);
    };
    each<Token>(p(Buffer.concat([Buffer.from("["), input, Buffer.from("]")])), onTok);
    each<Token>(p(none), onTok);
    return out.join("; ");
  } catch (e) {
    return `throws: ${(e as Error).message}`;
  }
}

function sjBytes(input: Buffer): string {
  try {
    const p = parser();
    const out: Token[] = [];
    each<Token>(p(Buffer.concat([Buffer.from("["), input, Buffer.from("]")]) as never), (t) => out.push(t));
    each<Token>(p(none as never), (t) => out.push(t));
    const s = out.find((t) => t.name === "stringValue");
    return `string ${JSON.stringify(s?.value)} (U+${(s?.value as string)?.charCodeAt(0).toString(16)})`;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

if (!existsSync(FILE)) makeFile(FILE);
const mb = statSync(FILE).size / 1e6;
const only = process.env.MODE;
if (only) {
  const t = performance.now();
  const c = await modes[only]();
  const s = (performance.now() - t) / 1e3;
  console.log(`${only}: ${c.items} items, ${(mb / s).toFixed(1)} MB/s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} else {
  console.log(`${FILE}: ${mb.toFixed(1)} MB; load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  const times: Record<string, number[]> = {};
  for (let r = 1; r <= ROUNDS; r++) {
    const row: string[] = [];
    for (const name of Object.keys(modes)) {
      const t = performance.now();
      const c = await modes[name]();
      const s = (performance.now() - t) / 1e3;
      (times[name] ??= []).push(s);
      row.push(
        `${name} ${(mb / s).toFixed(1)} MB/s (${c.items} items, ${(c.bytes / 1e6).toFixed(1)} MB text${c.errors ? `, ${c.errors} errors` : ""})`,
      );
    }
    console.log(`round ${r}: ${row.join(" | ")}`);
  }
  const best = (n: string) => Math.min(...times[n]);
  console.log("\nbest of rounds, MB/s of file:");
  for (const n of Object.keys(times)) console.log(`  ${n.padEnd(12)} ${(mb / best(n)).toFixed(1)}`);
  console.log(
    `ratios (time): sj-split/ours-split ${(best("sj-split") / best("ours-split")).toFixed(1)}x, sj+strict/ours+strict ${(best("sj+strict") / best("ours+strict")).toFixed(2)}x, sj-values/ours+strict ${(best("sj-values") / best("ours+strict")).toFixed(2)}x`,
  );
  console.log(`load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  probe();
}
