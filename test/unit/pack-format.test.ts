// The documented layout (docs/FORMAT.md), read back the way the numpy snippet reads it.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ShardWriter, type PackedSample } from "../../src/pack/shard-writer.js";

const L = 16;

function sample(docLengths: number[], firstId: number): PackedSample {
  const tokens = new Uint32Array(L).fill(199999);
  const mask = new Uint8Array(L);
  const documents = [];
  let at = 0;
  for (const [j, len] of docLengths.entries()) {
    for (let i = 0; i < len; i++) {
      tokens[at + i] = firstId + at + i;
      mask[at + i] = i > 0 && i % 2 === 0 ? 1 : 0;
    }
    documents.push({
      id: `d${firstId}-${j}`,
      input: "in.jsonl",
      line: j + 1,
      offset: at,
      length: len,
      trained: mask.subarray(at, at + len).reduce((a, b) => a + b, 0),
    });
    at += len;
  }
  return { tokens, mask, documents };
}

describe("packed format layout", () => {
  it("is what FORMAT.md says: u32 tokens, u8 mask, u32 bounds [0, s1, …, e], u64 bounds_index", () => {
    const dir = mkdtempSync(join(tmpdir(), "pack-format-"));
    const written = [sample([5, 7], 1000), sample([16], 2000), sample([3, 3, 4], 3000)];
    const writer = new ShardWriter(dir, 2);
    for (const s of written) writer.writeSample(s);
    const { shards, documents } = writer.finish();
    writer.publish();
    expect(shards.map((s) => s.samples)).toEqual([2, 1]);

    let k = 0;
    for (const shard of shards) {
      const f = (kind: keyof typeof shard.files): Buffer => readFileSync(join(dir, shard.files[kind].path));
      const raw = { tokens: f("tokens"), mask: f("mask"), bounds: f("bounds"), index: f("bounds_index") };
      expect(raw.tokens.length).toBe(shard.samples * L * 4);
      expect(raw.mask.length).toBe(shard.samples * L);
      expect(raw.index.length).toBe((shard.samples + 1) * 8);
      for (let s = 0; s < shard.samples; s++, k++) {
        const want = written[k];
        const from = Number(raw.index.readBigUInt64LE(s * 8));
        const to = Number(raw.index.readBigUInt64LE((s + 1) * 8));
        const cu = Array.from({ length: to - from }, (_, j) => raw.bounds.readUInt32LE((from + j) * 4));
        const end = want.documents.at(-1)!.offset + want.documents.at(-1)!.length;
        expect(cu).toEqual([...want.documents.map((d) => d.offset), end]);
        for (let i = 0; i < L; i++) {
          expect(raw.tokens.readUInt32LE((s * L + i) * 4)).toBe(want.tokens[i]);
          expect(raw.mask[s * L + i]).toBe(want.mask[i]);
        }
      }
      for (const kind of ["tokens", "mask", "bounds", "bounds_index"] as const) {
        expect(createHash("sha256").update(f(kind)).digest("hex")).toBe(shard.files[kind].sha256);
      }
    }
    const lines = readFileSync(join(dir, documents.path), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((d) => [d.id, d.shard, d.sample, d.offset, d.length])).toEqual([
      ["d1000-0", 0, 0, 0, 5],
      ["d1000-1", 0, 0, 5, 7],
      ["d2000-0", 0, 1, 0, 16],
      ["d3000-0", 1, 0, 0, 3],
      ["d3000-1", 1, 0, 3, 3],
      ["d3000-2", 1, 0, 6, 4],
    ]);
    expect(Object.keys(lines[0])).toEqual(["id", "input", "line", "shard", "sample", "offset", "length", "trained"]);
    rmSync(dir, { recursive: true, force: true });
  });
});
