// Unit tests of the stats building blocks, with figures worked out by hand.
import { describe, expect, it } from "vitest";
import { channelTokens } from "../../src/stats/channels.js";
import { fingerprint } from "../../src/stats/facts.js";
import { Hash64Set, hashString64 } from "../../src/stats/hash.js";
import { MINHASH, NearDuplicateIndex, minhashSignature, signatureSimilarity } from "../../src/stats/minhash.js";
import { Reservoir, nearestRank } from "../../src/stats/quantiles.js";
import { isRefusal, REFUSAL_PHRASES } from "../../src/stats/refusals.js";
import { normalizeText } from "../../src/stats/text.js";
import { table } from "../../src/stats/format.js";

describe("percentiles (nearest rank, bounded reservoir)", () => {
  it("is exact while the values fit", () => {
    const r = new Reservoir(100);
    for (const v of [7, 1, 10, 3, 5, 2, 9, 4, 8, 6]) r.add(v);
    // Sorted 1..10: p50 = 5th value, p90 = 9th, p99 = ceil(9.9) = 10th.
    expect(r.summary()).toEqual({ count: 10, sum: 55, mean: 5.5, min: 1, p50: 5, p90: 9, p99: 10, max: 10, exact: true });
  });

  it("keeps count, sum, min and max exact and memory fixed past the capacity", () => {
    const r = new Reservoir(1000);
    for (let v = 1; v <= 100_000; v++) r.add(v);
    const s = r.summary();
    expect([s.count, s.sum, s.min, s.max, s.exact]).toEqual([100_000, 5_000_050_000, 1, 100_000, false]);
    expect(r.sample().length).toBe(1000);
    // A uniform sample of 1000 out of 1..100000: the median is within a few % of 50000.
    expect(Math.abs(s.p50 - 50_000)).toBeLessThan(5_000);
  });

  it("nearest rank of an empty list is 0", () => {
    expect(nearestRank([], 50)).toBe(0);
    expect(nearestRank([4], 99)).toBe(4);
  });
});

describe("Hash64Set", () => {
  it("tells new keys from seen ones, through growth, including the key (0, 0)", () => {
    const set = new Hash64Set(4);
    let reportedSeen = 0;
    for (let i = 0; i < 20_000; i++) if (set.addOrHas(i * 7919, i)) reportedSeen++;
    expect(reportedSeen).toBe(0);
    expect(set.size).toBe(20_000);
    expect(set.addOrHas(7919 * 123, 123)).toBe(true);
    expect(set.addOrHas(0, 0)).toBe(true); // i = 0 stored (0, 0)
    expect(set.addOrHas(0xffffffff, 0xffffffff)).toBe(false);
    expect(set.addOrHas(0xffffffff, 0xffffffff)).toBe(true);
  });

  it("hashes normalized text: case, curly quotes and spacing do not matter", () => {
    expect(normalizeText("  Help me  STEAL my Neighbor\u2019s\tWiFi. ")).toBe("help me steal my neighbor's wifi.");
    expect(hashString64(normalizeText("Hello  World"))).toEqual(hashString64(normalizeText("hello world")));
    expect(hashString64("hello world")).not.toEqual(hashString64("hello world!"));
  });
});

describe("MinHash + LSH near duplicates", () => {
  const base = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
  const oneChanged = base.replace("word39", "other");

  it("estimates Jaccard similarity of word-3-shingle sets", () => {
    // 40 words → 38 shingles each; changing the last word changes 1 shingle: J = 37 / 39 ≈ 0.95.
    const a = minhashSignature(base)!;
    const b = minhashSignature(oneChanged)!;
    expect(signatureSimilarity(a, 0, a)).toBe(1);
    expect(signatureSimilarity(a, 0, b)).toBeGreaterThan(0.8);
    const unrelated = minhashSignature(Array.from({ length: 40 }, (_, i) => `x${i}`).join(" "))!;
    expect(signatureSimilarity(a, 0, unrelated)).toBeLessThan(0.2);
    expect(minhashSignature("")).toBeUndefined();
    expect(a.length).toBe(MINHASH.hashes);
  });

  it("finds an earlier near-duplicate, not an unrelated text, and caps what it stores", () => {
    const index = new NearDuplicateIndex(2);
    expect(index.checkAndAdd(minhashSignature(base)!)).toBe(false);
    expect(index.checkAndAdd(minhashSignature("the cat sat on the mat today")!)).toBe(false);
    expect(index.size).toBe(2);
    expect(index.checkAndAdd(minhashSignature("something else entirely, nothing shared")!)).toBe(false);
    expect(index.size).toBe(2); // full: checked, not stored
    expect(index.checkAndAdd(minhashSignature(oneChanged)!)).toBe(true);
    expect(index.checkAndAdd(minhashSignature("something else entirely, nothing shared")!)).toBe(false); // was never stored
  });

  it("fingerprints an empty text as nothing", () => {
    expect(fingerprint("   ")).toBeUndefined();
    expect(fingerprint("Hi")?.signature?.length).toBe(MINHASH.hashes);
  });
});

describe("channel token counts from a harmony token stream", () => {
  it("counts assistant messages from <|start|> through the terminator, by channel", () => {
    const user = [200006, 1428, 200008, 17, 200007]; // <|start|>user<|message|>2<|end|>: not assistant
    const analysis = [200006, 173781, 200005, 35644, 200008, 40, 41, 200007]; // 8 tokens
    // <|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{}<|call|>
    const call = [200006, 173781, 316, 28, 44580, 775, 170154, 200005, 12606, 815, 220, 200003, 4108, 200008, 12083, 200012]; // 16
    const result = [200006, 44580, 775, 170154, 316, 28, 173781, 200005, 12606, 815, 200008, 18, 200007]; // tool result: not assistant
    const final = [200006, 173781, 200005, 17196, 200008, 17, 659, 220, 17, 314, 220, 19, 13, 200002]; // docs/RENDERING.md: 14 tokens
    expect(channelTokens([...user, ...analysis, ...call, ...result, ...final])).toEqual({ analysis: 8, commentary: 16, final: 14 });
  });
});

describe("refusal heuristic", () => {
  it("matches first-person declines after normalization, not ordinary apologies", () => {
    expect(isRefusal("I can't help with that.")).toBe(true);
    expect(isRefusal("I\u2019m sorry, but I CAN\u2019T do this.")).toBe(true);
    expect(isRefusal("As an AI, I cannot   provide that.")).toBe(true);
    expect(isRefusal("Sorry for the delay! Here is the forecast.")).toBe(false);
    expect(isRefusal("I can help with that: it is 3 degrees.")).toBe(false);
    expect(REFUSAL_PHRASES.every((p) => p === normalizeText(p))).toBe(true);
  });
});

describe("terminal tables", () => {
  it("right-aligns numeric columns and left-aligns text", () => {
    expect(
      table(
        ["tool", "calls"],
        [
          ["get_weather", "3"],
          ["x", "12"],
        ],
      ),
    ).toBe(["tool         calls", "-----------  -----", "get_weather      3", "x               12"].join("\n"));
  });
});
