// The strict JSON parser every command shares (src/core/json.ts): repeated keys, numbers kept as
// written, nesting depth; and its fast path agrees with an independent reading on random JSON.
import { describe, expect, it } from "vitest";
import {
  hasJsonNumbers,
  isJsonNumber,
  markJsonNumbers,
  MAX_JSON_DEPTH,
  parseJsonText,
  stringifyJson,
  toPlainJson,
  type JsonParseResult,
} from "../../src/core/json.js";
import { parseJsonLine } from "../../src/core/jsonl.js";
import { mulberry32 } from "../../src/core/prng.js";

const value = (r: JsonParseResult): unknown => {
  if ("error" in r) throw new Error(`unexpected ${r.error.code}: ${r.error.message}`);
  return r.value;
};
const error = (r: JsonParseResult) => ("error" in r ? r.error : undefined);

describe("duplicate keys", () => {
  it("a repeated key is duplicate_key, naming the key and its path (JSON.parse keeps the last silently)", () => {
    const line = '{"id":"x","messages":[{"role":"user","role":"assistant","content":"hi"}]}';
    expect((JSON.parse(line) as { messages: { role: string }[] }).messages[0].role).toBe("assistant");
    expect(error(parseJsonText(line))).toMatchObject({ code: "duplicate_key", path: "/messages/0/role" });
    expect(error(parseJsonText(line))?.message).toContain('"role"');
  });

  it("finds repeats however the keys are written: spaces before the colon, escapes, backslash endings, same value", () => {
    for (const [text, path] of [
      ['{"a" : 1, "a" : 1}', "/a"],
      ['{"a\\\\":1,"a\\\\":2}', "/a\\"],
      ['{"\\u0061":1,"a":2}', "/a"],
      ['{"k":{"x":[1,{"y":":","y":"\\":"}]}}', "/k/x/1/y"],
      ['{":":1,":":2}', "/:"],
      ['{"a/b~":1,"a/b~":2}', "/a~1b~0"],
    ]) {
      expect(error(parseJsonText(text)), text).toMatchObject({ code: "duplicate_key", path });
    }
  });

  it("keys that only look alike, and colons and quotes inside strings, are fine", () => {
    const text = '{"a":"x\\":y","b":":","c":"\\\\","d":" : ","e":{"a":1},"__proto__":{"a":1}}';
    expect(value(parseJsonText(text))).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(value(parseJsonText('{"__proto__":{"a":1},"b":1.0}')))).toBe(Object.prototype);
  });
});

describe("integer-like keys", () => {
  it("one written after another key or a larger one is key_order, naming both keys and the path (JavaScript moves it first)", () => {
    expect(Object.keys(JSON.parse('{"b":1,"1":2}'))).toEqual(["1", "b"]);
    for (const [text, path, key, after] of [
      ['{"b":1,"1":2}', "/1", "1", "b"],
      ['{"args":{"10":1,"9":2}}', "/args/9", "9", "10"],
      ['{"x":[0,{"0":1,"a":2,"0.5":3,"3":4}]}', "/x/1/3", "3", "0.5"],
      ['{"4294967295":1,"7":2}', "/7", "7", "4294967295"],
      ['{"a":"1.0","2":1.0}', "/2", "2", "a"],
    ]) {
      const found = error(parseJsonText(text));
      expect(found, text).toMatchObject({ code: "key_order", path });
      expect(found?.message, text).toContain(`integer-like key "${key}" written after "${after}" cannot keep its place`);
    }
    expect(parseJsonLine(Buffer.from('{"id":"r","meta":{"z":1,"0":2}}'))).toMatchObject({ error: { code: "key_order" } });
  });

  it("integer-like keys first and ascending, and keys that only start with digits, are read and printed as written", () => {
    for (const text of [
      '{"0":"a","1":"b","10":"c","name":"d"}',
      '{"7":0,"4294967294":1,"x":{"2":1.0,"3":[{"1":true}],"y":null},"4294967295":2,"z":[]}',
      '{"0":0,"b":1,"01":2,"-1":3,"1a":4,"1.5":5,"4294967295":6,"":7," 1":8}',
    ]) {
      expect(stringifyJson(value(parseJsonText(text))), text).toBe(text);
    }
  });
});

describe("numbers", () => {
  it("1e400 is number_out_of_range, wherever it is (JSON.parse makes it Infinity, printed as null)", () => {
    expect(JSON.stringify(JSON.parse('{"x":1e400}'))).toBe('{"x":null}');
    expect(error(parseJsonText('{"x":1e400}'))).toMatchObject({ code: "number_out_of_range", path: "/x" });
    expect(error(parseJsonText('{"x":[1,-1E+400]}'))).toMatchObject({ code: "number_out_of_range", path: "/x/1" });
    expect(error(parseJsonText("1e400"))).toMatchObject({ code: "number_out_of_range", path: "" });
  });

  it("a literal whose double prints differently is kept as written; ordinary numbers stay plain numbers", () => {
    const text =
      '{"big":12345678901234567890123,"one":1.0,"neg0":-0,"exp":1e5,"small":1E-7,"list":[2.50,3],"plain":[1,-2,0.5,1e+21,100000000000000000000]}';
    expect(JSON.stringify(JSON.parse(text))).toContain("1.2345678901234568e+22");
    const parsed = value(parseJsonText(text)) as Record<string, unknown>;
    expect(stringifyJson(parsed)).toBe(text);
    expect(stringifyJson(parsed, { style: "python" })).toBe(text.replace(/,/g, ", ").replace(/:/g, ": "));
    expect(isJsonNumber(parsed.big) && String(parsed.big)).toBe("12345678901234567890123");
    expect(parsed.plain).toEqual([1, -2, 0.5, 1e21, 1e20]);
    expect(toPlainJson(parsed)).toEqual({
      big: 1.2345678901234568e22,
      one: 1,
      neg0: -0,
      exp: 100000,
      small: 1e-7,
      list: [2.5, 3],
      plain: [1, -2, 0.5, 1e21, 1e20],
    });
    expect(hasJsonNumbers(parsed)).toBe(true);
    expect(hasJsonNumbers(value(parseJsonText('{"a":[1,2.5]}')))).toBe(false);
  });

  it("a kept literal survives structured cloning (worker threads) and markJsonNumbers restores the mark", () => {
    const parsed = value(parseJsonText('{"a":{"b":[1.0]}}'));
    const clone = structuredClone(parsed) as { a: { b: unknown[] } };
    expect(isJsonNumber(clone.a.b[0])).toBe(true);
    expect(hasJsonNumbers(clone)).toBe(false);
    expect(markJsonNumbers(clone)).toBe(true);
    expect(hasJsonNumbers(clone) && hasJsonNumbers(clone.a)).toBe(true);
    expect(toPlainJson(clone)).toEqual({ a: { b: [1] } });
    expect(stringifyJson(clone)).toBe('{"a":{"b":[1.0]}}');
  });
});

describe("nesting depth", () => {
  it(`more than ${MAX_JSON_DEPTH} levels is too_deep, even 100,000 levels, without recursion errors`, () => {
    const deep = (n: number) => `{"p":${"[".repeat(n)}${"]".repeat(n)}}`;
    expect(value(parseJsonText(deep(MAX_JSON_DEPTH - 1)))).toBeTruthy();
    expect(error(parseJsonText(deep(MAX_JSON_DEPTH)))).toMatchObject({ code: "too_deep" });
    const huge = error(parseJsonText(`{"meta":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`));
    expect(huge).toMatchObject({ code: "too_deep", path: "/meta/a/a/a/a/a" });
    expect(huge?.message).toContain("(at /meta/a/a/a/a/a/…)");
  });

  it("maxDepth lowers the limit for JSON embedded at a depth", () => {
    expect(error(parseJsonText("[[[]]]", { maxDepth: 2 }))).toMatchObject({ code: "too_deep" });
    expect(value(parseJsonText("[[[]]]", { maxDepth: 3 }))).toEqual([[[]]]);
  });
});

describe("parseJsonLine", () => {
  it("gives the same codes on bytes, and invalid_json / invalid_utf8 as before", () => {
    expect(parseJsonLine(Buffer.from('{"a":1,"a":2}'))).toMatchObject({ error: { code: "duplicate_key" } });
    expect(parseJsonLine(Buffer.from("{"))).toMatchObject({ error: { code: "invalid_json" } });
    expect(parseJsonLine(Buffer.from([0x22, 0xff, 0x22]))).toMatchObject({ error: { code: "invalid_utf8" } });
    expect(parseJsonLine(Buffer.from('\ufeff{"a":1}'))).toEqual({ value: { a: 1 } });
  });
});

// parseJsonText runs no caller code (no reviver, no callback) and is synchronous, so two parses
// never overlap; what could leak between them is what one leaves behind for the next.
describe("one parse leaves nothing to the next", () => {
  it("every text reads the same after any other, on every path of the parser", () => {
    const texts: [string, { maxDepth?: number }?][] = [
      ['{"a":1,"b":[2,3],"c":{"d":"x:y"}}'],
      ['{"a":1.0,"b":2}'], // literal after a key: listed by the colon pass
      ['{"a":[1,2.50],"b":1e5}'], // a literal in an array: the text searched again
      ['{"a":"\\u0000","b":[-0]}'], // escaped NUL: the exact reader keeps the literal
      ['{"a":1,"b":{"c":2,"c":3}}'],
      ['{"0":"a","1":[1.0]}'], // integer-like keys first: the exact reader
      ['{"b":1,"0":2}'],
      ['{"x":[1e400]}'],
      [`{"p":${"[".repeat(300)}${"]".repeat(300)}}`],
      ["[[[]]]", { maxDepth: 2 }],
      [`[${'{"a":1,"b":[1,2]},'.repeat(5000)}{"a":2.0}]`], // a wide line: a large census stack
      ["1.0"],
      ['"\\ud800"'],
      ['"s"'],
    ];
    const read = ([text, options]: (typeof texts)[number]) => {
      const r = parseJsonText(text, options);
      return "error" in r ? { error: r.error } : { json: stringifyJson(r.value), kept: hasJsonNumbers(r.value) };
    };
    const alone = texts.map(read);
    expect(new Set(alone.map((r) => r.error?.code ?? r.kept)).size).toBe(7); // five codes, literals kept or not
    for (let a = 0; a < texts.length; a++) {
      for (let b = 0; b < texts.length; b++) {
        read(texts[a]);
        expect(read(texts[b]), `${texts[b][0].slice(0, 30)} after ${texts[a][0].slice(0, 30)}`).toEqual(alone[b]);
      }
    }
  });
});

// Random JSON written in several styles, some with a repeated key, an integer-like key out of place
// or a non-canonical number injected: the parser must report exactly what was injected, and
// otherwise read what JSON.parse reads.
describe("random JSON", () => {
  const rand = mulberry32(20261201);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const STRINGS = ["", "a", ":", '"', '":', '\\":', "\\", "x\\", "{", "[1,2]", "é", "日本", " : ", '\\\\"', "1.0", ",1.0", "-0"];
  const CANONICAL = ["0", "1", "-7", "0.5", "123456789012345", "1e+21", "-1.5e-7", "9007199254740991"];
  const ODD = ["1.0", "-0", "1e5", "12345678901234567890123", "2.50", "1E2", "0.10"];

  function randomValue(depth: number, odd: { count: number }): unknown {
    const r = rand();
    if (depth > 4 || r < 0.3) {
      const k = rand();
      if (k < 0.4) return pick(STRINGS) + pick(STRINGS);
      if (k < 0.7) {
        if (rand() < 0.05) {
          odd.count++;
          return { literal: pick(ODD) };
        }
        return { literal: pick(CANONICAL) };
      }
      return pick([true, false, null]);
    }
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(depth + 1, odd));
    const out: Record<string, unknown> = {};
    // Some integer-like keys: JavaScript lists them first, ascending, and so does `write`.
    for (let i = Math.floor(rand() * 5); i > 0; i--)
      out[rand() < 0.2 ? String(i * 10) : pick(STRINGS) + String(i)] = randomValue(depth + 1, odd);
    return out;
  }

  // Writes the value; `dup` repeats one key of the first object met when set; `order` appends the
  // integer-like key "99" (no random key) to the first object met that has another kind of key.
  const isIndex = (key: string) => /^(0|[1-9]\d*)$/.test(key);
  function write(
    v: unknown,
    style: { colon: string; comma: string },
    dup: { pending: boolean; done: boolean },
    order = { pending: false, done: false },
  ): string {
    if (v !== null && typeof v === "object" && "literal" in (v as object) && Object.keys(v as object).length === 1)
      return (v as { literal: string }).literal;
    if (typeof v !== "object" || v === null) return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map((x) => write(x, style, dup, order)).join(style.comma)}]`;
    const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${style.colon}${write(x, style, dup, order)}`);
    if (order.pending && !order.done && Object.keys(v).some((k) => !isIndex(k))) {
      entries.push(`"99"${style.colon}0`);
      order.done = true;
    }
    if (dup.pending && !dup.done && entries.length > 0) {
      entries.push(entries[0]);
      dup.done = true;
    }
    return `{${entries.join(style.comma)}}`;
  }

  it("agrees with the injected truth on 3,000 random texts", () => {
    const styles = [
      { colon: ":", comma: "," },
      { colon: ": ", comma: ", " },
      { colon: " : ", comma: " , " },
      { colon: "\t:\t", comma: "," },
    ];
    let dups = 0;
    let odds = 0;
    let misplaced = 0;
    let indexed = 0;
    for (let i = 0; i < 3000; i++) {
      const odd = { count: 0 };
      const v = { root: randomValue(0, odd) };
      const dup = { pending: rand() < 0.2, done: false };
      const order = { pending: !dup.pending && rand() < 0.15, done: false };
      const text = write(v, pick(styles), dup, order);
      const result = parseJsonText(text);
      if (dup.done) {
        dups++;
        expect(error(result)?.code, text).toBe("duplicate_key");
        continue;
      }
      if (order.done) {
        misplaced++;
        expect(error(result), text).toMatchObject({
          code: "key_order",
          message: expect.stringContaining('integer-like key "99" written after'),
        });
        continue;
      }
      if (/[{,]\s*"\d+"\s*:/.test(text)) indexed++;
      const parsed = value(result);
      expect(toPlainJson(parsed), text).toEqual(JSON.parse(text));
      expect(hasJsonNumbers(parsed), text).toBe(odd.count > 0);
      if (odd.count > 0) odds++;
      // Printed back compact, the literals are as written.
      expect(stringifyJson(parsed), text).toBe(write(v, { colon: ":", comma: "," }, { pending: false, done: false }));
    }
    expect(dups).toBeGreaterThan(300);
    expect(odds).toBeGreaterThan(100);
    expect(misplaced).toBeGreaterThan(200);
    expect(indexed).toBeGreaterThan(300);
  });
});

describe("validation sees numbers kept as written as numbers", () => {
  const record = (args: string, meta = '{"seed":7}') =>
    `{"id":"r","persona":null,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"n":{"type":"integer","maximum":1e3},"x":{"type":"number"}}}}}],` +
    `"messages":[{"role":"user","content":"go"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":${args}}}]},` +
    `{"role":"tool","tool_call_id":"c","name":"f","content":"{}"},{"role":"assistant","content":"done"}],"meta":${meta}}`;
  const check = async (args: string, meta?: string) => {
    const { validateRecord } = await import("../../src/validate/index.js");
    const result = validateRecord(value(parseJsonText(record(args, meta))));
    return result.ok
      ? "ok"
      : result.issues.map((i) => `${i.code} ${i.path ?? ""}${i.code === "schema_violation" ? " " + i.message : ""}`).join("; ");
  };

  it("1.0 and 1e2 validate as the integers they are, in arguments, schemas and meta", async () => {
    expect(await check('{"n":1.0,"x":-0}', '{"seed":7.0}')).toBe("ok");
    expect(await check('"{\\"n\\": 1e2, \\"x\\": 2.50}"')).toBe("ok");
    expect(await check('{"n":1.5e3}')).toBe("invalid_arguments /messages/1/tool_calls/0/function/arguments/n");
  });

  it("a kept literal where an object belongs is still a schema violation", async () => {
    expect(await check('{"n":1}', "1.0")).toBe("schema_violation /meta /meta: must be object");
    expect(await check("1.0")).toMatch(/^schema_violation \/messages\/1\/tool_calls\/0\/function\/arguments/);
  });

  it("an arguments string gets the line's rules: duplicate_key, number_out_of_range, too_deep at the record's depth", async () => {
    expect(await check('"{\\"n\\": 1, \\"n\\": 2}"')).toBe("duplicate_key /messages/1/tool_calls/0/function/arguments/n");
    expect(await check('"{\\"x\\": 1e400}"')).toBe("number_out_of_range /messages/1/tool_calls/0/function/arguments/x");
    const nested = (n: number) => `"{\\"x\\": ${"[".repeat(n)}${"]".repeat(n)}}"`;
    // The arguments object is level 7 of the record: 249 more levels fit, 250 do not.
    expect(await check(nested(MAX_JSON_DEPTH - 7))).toMatch(/^(ok|invalid_arguments)/);
    expect(await check(nested(MAX_JSON_DEPTH - 6))).toMatch(/^too_deep \/messages\/1\/tool_calls\/0\/function\/arguments\/x/);
  });
});
