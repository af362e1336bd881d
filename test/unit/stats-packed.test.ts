// Packed-dataset statistics against the hand-made fixture (test/fixtures/stats/make-packed.ts):
// seq_len 16, 3 samples: [A 7 tokens (3 trained), B 6 (2)], [C 15 (9)], [D 4 (1), E 3 (1), F 5 (2)].
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataError } from "../../src/core/errors.js";
import { packDataset } from "../../src/pack/index.js";
import { buildReport } from "../../src/stats/index.js";

const FIXTURE = "test/fixtures/stats/packed";
const scratch = mkdtempSync(join(tmpdir(), "stats-packed-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("packed dataset figures", () => {
  it("match the hand-computed values", async () => {
    const { report } = await buildReport([FIXTURE], { workers: 0 });
    expect(report.raw).toBeNull();
    const p = report.packed!;
    expect(p.seq_len).toBe(16);
    expect(p.samples).toBe(3);
    expect(p.documents).toBe(6);
    // real = 13 + 15 + 12 = 40 of 3 × 16 = 48; trained = 3+2+9+1+1+2 = 18.
    expect(p.tokens).toEqual({ real: 40, trained: 18, padding: 8 });
    expect(p.fill_rate).toBeCloseTo(40 / 48, 12);
    expect(p.trained_fraction).toBeCloseTo(18 / 40, 12);
    // Fill per sample 13/16, 15/16, 12/16 → sorted 0.75, 0.8125, 0.9375.
    expect(p.fill_per_sample).toMatchObject({ count: 3, min: 0.75, p50: 0.8125, p90: 0.9375, max: 0.9375 });
    expect(p.fill_per_sample.mean).toBeCloseTo(40 / 48, 12);
    // Documents per sample 2, 1, 3.
    expect(p.documents_per_sample).toMatchObject({ count: 3, sum: 6, mean: 2, min: 1, p50: 2, p90: 3, max: 3 });
    // Trained fraction per sample 5/13, 9/15, 4/12 → sorted 1/3, 5/13, 3/5.
    expect(p.trained_fraction_per_sample.p50).toBeCloseTo(5 / 13, 12);
    expect(p.trained_fraction_per_sample.min).toBeCloseTo(1 / 3, 12);
    expect(p.trained_fraction_per_sample.max).toBeCloseTo(0.6, 12);
    expect(p.per_sample.map((s) => [s.shard, s.sample, s.documents, s.tokens, s.trained])).toEqual([
      [0, 0, 2, 13, 5],
      [0, 1, 1, 15, 9],
      [0, 2, 3, 12, 4],
    ]);
    expect(p.overlong).toEqual({ policy: "drop", dropped: 1, count: 1 });
    expect(p.rejects).toEqual({ total: 2, by_reason: { missing_final: 1, unknown_tool: 1 } });
    // Personas by joining (input, line) with source.jsonl: A B E lawful_good, C F chaotic_evil, D none.
    expect(p.tokens_by_persona).toEqual({
      lawful_good: { documents: 3, tokens: 7 + 6 + 3, trained: 3 + 2 + 1 },
      chaotic_evil: { documents: 2, tokens: 15 + 5, trained: 9 + 2 },
      none: { documents: 1, tokens: 4, trained: 1 },
    });
    expect(p.persona_source).toBe("source records (1 of 1 inputs found)");
    expect(p.warnings).toEqual([]);
  });

  it("uses a persona stored in documents.jsonl when there is one", async () => {
    const dir = copyFixture("with-persona");
    const docs = readFileSync(join(dir, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    writeFileSync(
      join(dir, "documents.jsonl"),
      docs.map((d, i) => JSON.stringify({ ...d, persona: i < 3 ? "neutral_good" : null })).join("\n") + "\n",
    );
    rmSync(join(dir, "source.jsonl"));
    const { report } = await buildReport([dir], { workers: 0 });
    // Packing order A B C | D E F: A+B+C = 28 tokens, 14 trained; D+E+F = 12 tokens, 4 trained.
    expect(report.packed!.tokens_by_persona).toEqual({
      neutral_good: { documents: 3, tokens: 28, trained: 14 },
      none: { documents: 3, tokens: 12, trained: 4 },
    });
    expect(report.packed!.persona_source).toBe("documents.jsonl");
  });

  it("reports documents it cannot join as persona unknown and a manifest that disagrees as a warning", async () => {
    const dir = copyFixture("no-source");
    rmSync(join(dir, "source.jsonl"));
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, tokens: { ...manifest.tokens, real: 41 } }));
    const { report } = await buildReport([dir], { workers: 0 });
    expect(report.packed!.tokens_by_persona).toEqual({ unknown: { documents: 6, tokens: 40, trained: 18 } });
    expect(report.packed!.warnings).toEqual([`${dir}: real tokens in the bounds files is 40 but manifest.json says 41`]);
  });

  it("refuses an unfinished dataset, a foreign format and a truncated bounds index with their reason codes", async () => {
    const unfinished = copyFixture("unfinished");
    rmSync(join(unfinished, "manifest.json"));
    await expect(buildReport([unfinished], { workers: 0 })).rejects.toMatchObject({ code: "packed_incomplete" });

    const foreign = copyFixture("foreign");
    writeFileSync(join(foreign, "manifest.json"), JSON.stringify({ format: "other", version: 3 }));
    await expect(buildReport([foreign], { workers: 0 })).rejects.toThrow(DataError);
    await expect(buildReport([foreign], { workers: 0 })).rejects.toMatchObject({ code: "unsupported_format" });

    const truncated = copyFixture("truncated");
    const index = readFileSync(join(truncated, "shard-00000.bounds_index.u64"));
    writeFileSync(join(truncated, "shard-00000.bounds_index.u64"), index.subarray(0, 24));
    const err = await buildReport([truncated], { workers: 0 }).catch((e: DataError) => e);
    expect(err).toMatchObject({ code: "packed_bounds_index_size" });
    expect((err as DataError).message).toContain("shard-00000.bounds_index.u64");
  });
});

describe("a dataset written by datagen pack", () => {
  it("reads back the raw fixture's figures", async () => {
    // test/fixtures/stats/raw: 6 valid records of 325, 189, 147, 146, 109, 105 tokens (1,021;
    // 229 trained; see stats-raw.test.ts). Best-fit-decreasing into 512: [325, 147], [189, 146, 109], [105].
    const out = join(scratch, "from-pack");
    // --documents conversation: the whole-record figures worked out by hand in stats-raw.test.ts.
    await packDataset(["test/fixtures/stats/raw/conversations.jsonl"], { out, seqLen: 512, workers: 0, documents: "conversation" });
    const p = (await buildReport([out], { workers: 0 })).report.packed!;
    expect([p.samples, p.documents, p.seq_len]).toEqual([3, 6, 512]);
    expect(p.tokens).toEqual({ real: 1021, trained: 229, padding: 3 * 512 - 1021 });
    expect(p.fill_rate).toBeCloseTo(1021 / 1536, 12);
    expect(p.per_sample.map((s) => s.documents).sort()).toEqual([1, 2, 3]);
    expect(p.per_sample.map((s) => s.tokens).sort((a, b) => a - b)).toEqual([105, 189 + 146 + 109, 325 + 147]);
    expect(p.tokens_by_persona).toEqual({
      lawful_good: { documents: 2, tokens: 189 + 146, trained: 35 + 22 },
      true_neutral: { documents: 1, tokens: 147, trained: 22 },
      chaotic_evil: { documents: 2, tokens: 109 + 105, trained: 23 + 17 },
      none: { documents: 1, tokens: 325, trained: 110 },
    });
    // The bad JSON line and the record without a final answer.
    expect(p.rejects).toEqual({ total: 2, by_reason: { invalid_json: 1, missing_final: 1 } });
    expect(p.overlong).toEqual({ policy: "drop", dropped: 0, count: 0 });
    expect(p.warnings).toEqual([]);
  });
});

function copyFixture(name: string): string {
  const dir = join(scratch, name);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}
