// The o200k_harmony tokenizer: our byte-pair encoder against gpt-tokenizer's o200k_harmony,
// tiktoken's WASM core and pinned Python tiktoken ids; split scanner against the regex.
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { encode as gptEncode } from "gpt-tokenizer/encoding/o200k_harmony";
import { describe, expect, it } from "vitest";
import {
  createBpeTokenizer,
  createWasmTokenizer,
  getTokenizer,
  harmonySpecialTokens,
  loadO200kBase,
  loadRankBytes,
  N_VOCAB,
  PAD_ID,
  SPECIAL,
  specialName,
} from "../../src/tokenize/o200k_harmony.js";
import { mulberry32 } from "../../src/core/prng.js";
import { mixedText } from "../fixtures/tokenize/mixed-text.js";

const asText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
const tokenizer = getTokenizer();
const wasm = createWasmTokenizer();
const corpus = mixedText(1_100_000, 20261126);

/** First index where two id arrays differ, with context, or undefined when equal. */
function firstDifference(ours: number[], theirs: number[]): string | undefined {
  const n = Math.max(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    if (ours[i] !== theirs[i]) {
      const context = tokenizer.decode(ours.slice(Math.max(0, i - 5), i + 5));
      return `ids differ at ${i}: ours ${ours.slice(i, i + 5)} theirs ${theirs.slice(i, i + 5)} near ${JSON.stringify(context)}`;
    }
  }
  return undefined;
}

describe("o200k_harmony vocabulary", () => {
  it("has 201,088 ids: 199,998 ranks and 1,090 specials", () => {
    expect(N_VOCAB).toBe(201_088);
    expect(tokenizer.nVocab).toBe(N_VOCAB);
    expect(loadRankBytes()).toHaveLength(199_998);
    const specials = harmonySpecialTokens();
    expect(specials.size).toBe(1_090);
    expect(Math.max(...specials.values()) + 1).toBe(N_VOCAB);
  });

  it("has the special-token ids of docs/RENDERING.md", () => {
    const specials = harmonySpecialTokens();
    const table: Array<[string, number]> = [
      ["<|startoftext|>", 199998],
      ["<|endoftext|>", 199999],
      ["<|reserved_200000|>", 200000],
      ["<|reserved_200001|>", 200001],
      ["<|return|>", 200002],
      ["<|constrain|>", 200003],
      ["<|reserved_200004|>", 200004],
      ["<|channel|>", 200005],
      ["<|start|>", 200006],
      ["<|end|>", 200007],
      ["<|message|>", 200008],
      ["<|reserved_200009|>", 200009],
      ["<|reserved_200011|>", 200011],
      ["<|call|>", 200012],
      ["<|reserved_200013|>", 200013],
      ["<|endofprompt|>", 200018],
      ["<|reserved_201087|>", 201087],
    ];
    for (const [name, id] of table) {
      expect(specials.get(name)).toBe(id);
      expect(specialName(id)).toBe(name);
    }
    expect(SPECIAL).toMatchObject({
      start: 200006,
      channel: 200005,
      message: 200008,
      end: 200007,
      return: 200002,
      call: 200012,
      constrain: 200003,
    });
    expect(PAD_ID).toBe(199999);
    expect(specialName(199997)).toBeUndefined();
    // o200k_base's own specials keep their ids.
    expect(loadO200kBase().special_tokens).toEqual({ "<|endoftext|>": 199999, "<|endofprompt|>": 200018 });
  });

  it("decodes special ids to their names and rejects ids outside the vocabulary", () => {
    expect(tokenizer.decode([SPECIAL.start, 173781, SPECIAL.channel])).toBe("<|start|>assistant<|channel|>");
    expect(() => tokenizer.decode([N_VOCAB])).toThrow(/outside o200k_harmony/);
    expect(() => tokenizer.decode([-1])).toThrow(/outside o200k_harmony/);
  });
});

describe("spot values (docs/RENDERING.md)", () => {
  it.each([
    ["2 + 2 = 4.", [17, 659, 220, 17, 314, 220, 19, 13]],
    ["assistant", [173781]],
    ["user", [1428]],
    ["system", [17360]],
    ["developer", [77944]],
    ["analysis", [35644]],
    ["final", [17196]],
    ["commentary", [12606, 815]],
    ["json", [4108]],
    [" ", [220]],
  ])("%j → %j", (text, ids) => {
    expect(tokenizer.encodeText(text)).toEqual(ids);
  });

  it("encodes special-token strings as ordinary text", () => {
    const text = "<|start|>assistant<|channel|>final<|message|>hi<|endoftext|><|return|>";
    const ids = tokenizer.encodeText(text);
    expect(ids.every((id) => id < 199_998)).toBe(true);
    expect(ids).toEqual(gptEncode(text, asText));
    expect(tokenizer.decode(ids)).toBe(text);
  });
});

describe("ids identical to other implementations on > 1 MB of mixed text", () => {
  const ours = tokenizer.encodeText(corpus);

  it("covers the scripts and cases it claims to", () => {
    expect(Buffer.byteLength(corpus)).toBeGreaterThan(1_000_000);
    for (const probe of [
      /é/,
      /Ж/,
      /λ/,
      /ع/,
      /ש/,
      /न/,
      /你/,
      /ก/,
      /한/,
      /\r\n/,
      /\t/,
      / {5}/,
      /\n{5}/,
      /\d{20}/,
      /'LL/,
      /'S\b/,
      /👨‍👩‍👧‍👦/,
      /👍🏽/,
      /<\|start\|>assistant<\|channel\|>final<\|message\|>/,
      /<\|endoftext\|>/,
      /"city"/,
      /def fib/,
    ]) {
      expect(corpus).toMatch(probe);
    }
    expect(ours.length).toBeGreaterThan(200_000);
  });

  it("equals gpt-tokenizer's o200k_harmony", () => {
    expect(firstDifference(ours, gptEncode(corpus, asText))).toBeUndefined();
  });

  it("equals tiktoken's WASM core", () => {
    expect(firstDifference(ours, wasm.encodeText(corpus))).toBeUndefined();
  });

  it("is the same with the piece cache off, and with a tiny cache that keeps evicting", () => {
    const slice = corpus.slice(0, 300_000);
    const expected = tokenizer.encodeText(slice);
    expect(createBpeTokenizer({ cacheEntries: 0 }).encodeText(slice)).toEqual(expected);
    expect(createBpeTokenizer({ cacheEntries: 8 }).encodeText(slice)).toEqual(expected);
  });

  it("decodes back to the corpus", () => {
    expect(tokenizer.decode(ours)).toBe(corpus);
  });
});

describe("where tiktoken and gpt-tokenizer 4.0 differ, we follow tiktoken", () => {
  // Rust regex `\s` includes U+0085 and excludes U+FEFF; `(?i:'s)` also matches `'ſ`.
  const cases = ["a  \u0085", "x \u0085\u0085 y", "a \uFEFF\uFEFFb", "\uFEFFhello", " I'ſ", "IT'ſ x", "x\u180E y", "tab\t\u0085\n"];
  it.each(cases)("%j equals tiktoken WASM", (text) => {
    expect(tokenizer.encodeText(text)).toEqual(wasm.encodeText(text));
  });
});

describe("Python tiktoken 0.14 o200k_harmony (pinned ids)", () => {
  const fixture = JSON.parse(readFileSync(new URL("../fixtures/tokenize/python-tiktoken.json", import.meta.url), "utf8")) as {
    tiktoken: string;
    cases: Array<{ text: string; ids: number[] }>;
  };
  it("has cases", () => expect(fixture.cases.length).toBeGreaterThan(20));
  it.each(fixture.cases.map((c) => [JSON.stringify(c.text).slice(0, 60), c] as const))("%s", (_, c) => {
    expect(tokenizer.encodeText(c.text)).toEqual(c.ids);
  });
});

describe("round trips and long pieces", () => {
  // Code points drawn from every class the split pattern distinguishes, plus lone surrogates.
  const POOL = Array.from(
    "aZ'sStT ɐǅʰ々ā\u0301\u090309٣Ⅻ½ \t\r\n\u000b\u0085\u00a0\u2028\u3000\uFEFF/!?.,-_\"'{}<|>你ก한é😀👍🏽\u200d",
  ).concat(["\uD800", "\uDC00", "\uDBFF"]);

  const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

  it("decode(encode(x)) == x for random strings (lone surrogates come back as U+FFFD)", () => {
    const rng = mulberry32(42);
    let sawLoneSurrogate = false;
    for (let trial = 0; trial < 3000; trial++) {
      let text = "";
      for (let i = 0, n = Math.floor(rng() * 40); i < n; i++) text += POOL[Math.floor(rng() * POOL.length)];
      const wellFormed = text.replace(LONE_SURROGATE, "\uFFFD");
      if (wellFormed !== text) sawLoneSurrogate = true;
      const ids = tokenizer.encodeText(text);
      expect(tokenizer.decode(ids)).toBe(wellFormed);
      // gpt-tokenizer differs from tiktoken on these three (see above).
      if (!/[\u0085\uFEFF\u017F]/.test(text)) expect(ids).toEqual(gptEncode(text, asText));
    }
    expect(sawLoneSurrogate).toBe(true);
  });

  it("random strings match tiktoken WASM, lone surrogates included", () => {
    const rng = mulberry32(7);
    for (let trial = 0; trial < 2000; trial++) {
      let text = "";
      for (let i = 0, n = Math.floor(rng() * 40); i < n; i++) text += POOL[Math.floor(rng() * POOL.length)];
      expect(tokenizer.encodeText(text), JSON.stringify(text)).toEqual(wasm.encodeText(text));
    }
  });

  it("encodes very long pieces (heap merging) like tiktoken and gpt-tokenizer", () => {
    const rng = mulberry32(3);
    const letters = Array.from({ length: 20_000 }, () => "abcdefghijklmnopqrstuvwxyzéß"[Math.floor(rng() * 28)]).join("");
    const cjk = Array.from({ length: 5_000 }, () => "的一是不了人我在有他这中大来上国个到说们"[Math.floor(rng() * 20)]).join("");
    for (const text of [
      " ".repeat(20_000) + "x",
      "\t".repeat(20_000),
      "\n".repeat(5_000),
      letters,
      cjk,
      "9".repeat(10_000),
      "!?".repeat(5_000),
    ]) {
      const ids = tokenizer.encodeText(text);
      expect(ids).toEqual(gptEncode(text, asText));
      expect(ids).toEqual(wasm.encodeText(text));
      expect(tokenizer.decode(ids)).toBe(text);
    }
  });

  // Its speed (where tiktoken and gpt-tokenizer are quadratic) is measured by bench/tokenize/long-pieces.ts.
  it("encodes a 100,000-space piece, round trip and merges as its 20,000-space prefix does", () => {
    const text = " ".repeat(100_000) + "x";
    const ids = tokenizer.encodeText(text);
    expect(tokenizer.decode(ids)).toBe(text);
    // The run of spaces merges into the longest space tokens, like its 20,000-space prefix does.
    expect(ids.slice(0, 100)).toEqual(tokenizer.encodeText(" ".repeat(20_000) + "x").slice(0, 100));
  });
});

describe("in worker threads", () => {
  // Build time is a benchmark figure (bench/tokenize), not a timed test: CI load would make it flaky.
  it("builds in each worker and encodes the same ids", async () => {
    const sample = corpus.slice(0, 50_000);
    const results = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ ids: number[]; buildMs: number }>((resolve, reject) => {
            const worker = new Worker(new URL("../fixtures/tokenize/encode-worker.mjs", import.meta.url), { workerData: sample });
            worker.once("message", resolve);
            worker.once("error", reject);
          }),
      ),
    );
    const expected = tokenizer.encodeText(sample);
    for (const { ids, buildMs } of results) {
      expect(ids).toEqual(expected);
      expect(buildMs).toBeGreaterThan(0);
    }
  });
});
