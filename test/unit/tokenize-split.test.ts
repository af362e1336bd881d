// The split pattern: the JS translation of tiktoken's pat_str, and the hand-written scanner
// held to that regex; linear and heap merging held to each other.
import { describe, expect, it } from "vitest";
import { IdBuffer, Merger } from "../../src/tokenize/bpe.js";
import { loadO200kBase, loadRankPool } from "../../src/tokenize/o200k_harmony.js";
import { RankTable } from "../../src/tokenize/ranks.js";
import { splitRegex, splitWithRegex, splitWithScanner, toJsRegexSource } from "../../src/tokenize/split.js";
import { mulberry32 } from "../../src/core/prng.js";
import { mixedText } from "../fixtures/tokenize/mixed-text.js";

const patStr = loadO200kBase().pat_str;
const regex = splitRegex(patStr);

describe("pat_str translation", () => {
  it("expands (?i:…) into case-fold classes and \\s into White_Space", () => {
    const source = toJsRegexSource(patStr);
    expect(source).not.toContain("(?i:");
    expect(source).toContain("(?:'[sSſ]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])");
    expect(source).not.toMatch(/\\[sS]/);
    expect(source).toContain("[^\\p{White_Space}\\p{L}\\p{N}]");
  });

  it("splits like tiktoken documents", () => {
    expect(splitWithRegex(regex, "I'M here, they'LL go  \n\n  x 12345 DON'T")).toEqual([
      "I'M",
      " here",
      ",",
      " they'LL",
      " go",
      "  \n\n",
      " ",
      " x",
      " ",
      "123",
      "45",
      " DON'T",
    ]);
    expect(splitWithRegex(regex, "a\u0085\u0085 b")).toEqual(["a", "\u0085\u0085", " b"]);
    expect(splitWithRegex(regex, "x\uFEFF\uFEFF")).toEqual(["x", "\uFEFF\uFEFF"]);
    expect(splitWithRegex(regex, " I'ſ")).toEqual([" I'ſ"]);
  });
});

describe("scanner = regex", () => {
  it("on > 1 MB of mixed text", () => {
    const text = mixedText(1_100_000, 99);
    expect(splitWithScanner(text)).toEqual(splitWithRegex(regex, text));
  });

  // One or two code points of every class combination the pattern tells apart:
  // Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No, spaces (ASCII, NEL, NBSP, ideographic, BOM is not one),
  // \r \n / ' and the contraction letters, punctuation, emoji, ZWJ, lone surrogates.
  const POOL = [
    "A",
    "Z",
    "a",
    "z",
    "s",
    "S",
    "t",
    "T",
    "r",
    "R",
    "e",
    "E",
    "v",
    "V",
    "m",
    "M",
    "l",
    "L",
    "d",
    "D",
    "ſ",
    "K",
    "É",
    "é",
    "ǅ",
    "ʰ",
    "々",
    "你",
    "ก",
    "\u0301",
    "\u0903",
    "\u20dd",
    "0",
    "9",
    "٣",
    "Ⅻ",
    "½",
    "²",
    " ",
    " ",
    " ",
    "\t",
    "\r",
    "\n",
    "\u000b",
    "\u0085",
    "\u00a0",
    "\u2028",
    "\u3000",
    "\uFEFF",
    "\u180E",
    "/",
    "'",
    "'",
    "!",
    ".",
    "-",
    "_",
    '"',
    "{",
    "😀",
    "👍🏽",
    "\u200d",
    "𝐀",
    "𝐚",
    "\uD800",
    "\uDC00",
  ];

  it("on 20,000 adversarial random strings", () => {
    const rng = mulberry32(2026);
    let compared = 0;
    for (let trial = 0; trial < 20_000; trial++) {
      let text = "";
      for (let i = 0, n = 1 + Math.floor(rng() * 24); i < n; i++) text += POOL[Math.floor(rng() * POOL.length)];
      expect(splitWithScanner(text), JSON.stringify(text)).toEqual(splitWithRegex(regex, text));
      compared++;
    }
    expect(compared).toBe(20_000);
  });

  it("on every BMP code point after a letter, a space and an apostrophe", () => {
    let joined = "";
    for (let cp = 0; cp < 0x10000; cp++) {
      const ch = String.fromCharCode(cp);
      joined += `a${ch}b ${ch}${ch}'${ch}\n`;
    }
    expect(splitWithScanner(joined)).toEqual(splitWithRegex(regex, joined));
  });
});

describe("merging", () => {
  const { pool, offsets } = loadRankPool();
  const ranks = new RankTable(pool, offsets);
  const merger = new Merger(ranks);

  it("parses the rank list like a plain base64 decode of each field", () => {
    const fields = loadO200kBase().bpe_ranks.trim().split(" ");
    expect(Number(fields[1])).toBe(0);
    const plain = fields.slice(2).map((b64) => Buffer.from(b64, "base64"));
    expect(plain).toHaveLength(offsets.length - 1);
    for (let rank = 0; rank < plain.length; rank++) {
      if (!plain[rank].equals(pool.subarray(offsets[rank], offsets[rank + 1]))) throw new Error(`rank ${rank} differs`);
    }
  });

  it("finds every token's bytes at its own rank (so no two ranks share bytes)", () => {
    let found = 0;
    for (let rank = 0; rank < ranks.size; rank++) {
      if (ranks.lookup(pool, offsets[rank], offsets[rank + 1]) === rank) found++;
    }
    expect(ranks.size).toBe(199_998);
    expect(found).toBe(ranks.size);
  });

  it("linear and heap merging give the same ids", () => {
    const rng = mulberry32(5);
    const text = Buffer.from(mixedText(200_000, 5));
    for (let trial = 0; trial < 3000; trial++) {
      const length = 2 + Math.floor(rng() * 127);
      const start = Math.floor(rng() * (text.length - length));
      const bytes = rng() < 0.2 ? Uint8Array.from({ length }, () => Math.floor(rng() * 256)) : text.subarray(start, start + length);
      const linearOut = new IdBuffer();
      const heapOut = new IdBuffer();
      merger.mergeLinear(bytes, length, linearOut);
      merger.mergeWithHeap(bytes, length, heapOut);
      const linear = linearOut.toArray();
      expect(heapOut.toArray()).toEqual(linear);
      expect(Buffer.concat(linear.map((r) => pool.subarray(offsets[r], offsets[r + 1])))).toEqual(Buffer.from(bytes.subarray(0, length)));
    }
  });
});
