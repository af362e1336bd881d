import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, cpSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { packDataset } from "../../src/pack/index.js";
import { LocatorSums } from "../../src/pack/locator.js";
import { readManifest } from "../../src/pack/reader.js";
import { verifyDataset } from "../../src/pack/verify.js";

const dir = mkdtempSync(join(tmpdir(), "verify-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, "in.jsonl");
const SEQ = 4096;
const good = join(dir, "good");

/** A copy of the good dataset to corrupt. */
function copy(name: string): string {
  const to = join(dir, name);
  cpSync(good, to, { recursive: true });
  return to;
}

/** Rewrites a file's manifest checksums so that only the invariants can catch a change. */
function resign(out: string, path: string): void {
  const m = readManifest(out);
  const data = readFileSync(join(out, path));
  const locator = new LocatorSums();
  locator.update(data);
  const entry = [...m.shards.flatMap((s) => Object.values(s.files)), m.documents_file].find((e) => e.path === path)!;
  entry.sha256 = createHash("sha256").update(data).digest("hex");
  entry.locator = locator.digest();
  writeFileSync(join(out, "manifest.json"), JSON.stringify(m, null, 2));
}

beforeAll(async () => {
  writeFileSync(input, Array.from({ length: 40 }, (_, i) => JSON.stringify(conversation(i, 5))).join("\n") + "\n");
  await packDataset([input], { out: good, seqLen: SEQ, shardSamples: 3 });
});

describe("verifyDataset", () => {
  it("passes a fresh dataset, including a re-render of every source document", async () => {
    const r = await verifyDataset(good, { source: true });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    const m = readManifest(good);
    expect(r.sourceDocumentsChecked).toBe(m.documents);
    expect(m.documents_stats?.records).toBe(40); // 40 records; --documents auto may cut them into turns
    expect(r.filesChecked).toBe(readManifest(good).shards.length * 4 + 2);
  });

  it("reports a flipped byte with its file and offset", async () => {
    const out = copy("flip");
    const m = readManifest(out);
    const file = m.shards[1].files.tokens.path;
    const data = readFileSync(join(out, file));
    const offset = 3 * SEQ + 1001; // inside sample 0, a real token's low byte region
    data[offset] ^= 0x01;
    writeFileSync(join(out, file), data);
    const r = await verifyDataset(out);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ code: "checksum_mismatch", file, offset });
    expect(r.problems[0].message).toContain(`byte ${offset}`);
  });

  it("finds a mask set on padding even when the checksums were rewritten to match", async () => {
    const out = copy("maskpad");
    const m = readManifest(out);
    const docs = readFileSync(join(out, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // the end of sample 0 of shard 0: first padding position
    const end = Math.max(...docs.filter((d) => d.shard === 0 && d.sample === 0).map((d) => d.offset + d.length));
    expect(end).toBeLessThan(SEQ);
    const file = m.shards[0].files.mask.path;
    const data = readFileSync(join(out, file));
    data[end] = 1;
    writeFileSync(join(out, file), data);
    resign(out, file);
    const r = await verifyDataset(out);
    expect(r.problems.map((p) => p.code)).toContain("mask_on_padding");
    expect(r.problems.find((p) => p.code === "mask_on_padding")).toMatchObject({ file, offset: end });
    expect(r.problems.some((p) => p.code === "checksum_mismatch")).toBe(false);
  });

  it("finds a mask set on a document start, an out-of-range id and a bad document index", async () => {
    const out = copy("multi");
    const m = readManifest(out);
    const docs = readFileSync(join(out, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // A document that does not start its sample (which sample depends on how the records were cut into documents).
    const second = docs.find((d) => d.shard === 0 && d.offset > 0)!;
    const at = second.sample * SEQ + second.offset;
    const maskFile = m.shards[0].files.mask.path;
    const mask = readFileSync(join(out, maskFile));
    mask[at] = 1;
    writeFileSync(join(out, maskFile), mask);
    resign(out, maskFile);
    const tokFile = m.shards[0].files.tokens.path;
    const tokens = readFileSync(join(out, tokFile));
    tokens.writeUInt32LE(250000, 8);
    writeFileSync(join(out, tokFile), tokens);
    resign(out, tokFile);
    docs[0].length += 1;
    writeFileSync(join(out, "documents.jsonl"), docs.map((d) => JSON.stringify(d)).join("\n") + "\n");
    resign(out, "documents.jsonl");
    const r = await verifyDataset(out);
    const codes = r.problems.map((p) => p.code);
    expect(codes).toContain("mask_on_document_start");
    expect(codes).toContain("token_out_of_range");
    expect(codes).toContain("document_index_mismatch");
    expect(r.problems.find((p) => p.code === "mask_on_document_start")).toMatchObject({ file: maskFile, offset: at });
    expect(r.problems.find((p) => p.code === "token_out_of_range")).toMatchObject({ file: tokFile, offset: 8 });
  });

  it("finds bounds that are not increasing and a bounds_index that does not fit the bounds file", async () => {
    const out = copy("bounds");
    const m = readManifest(out);
    const boundsFile = m.shards[0].files.bounds.path;
    const bounds = readFileSync(join(out, boundsFile));
    bounds.writeUInt32LE(SEQ + 5, 4); // sample 0's second bound beyond seq_len
    writeFileSync(join(out, boundsFile), bounds);
    resign(out, boundsFile);
    const indexFile = m.shards[1].files.bounds_index.path;
    const index = readFileSync(join(out, indexFile));
    index.writeBigUInt64LE(10_000n, 8);
    writeFileSync(join(out, indexFile), index);
    resign(out, indexFile);
    const r = await verifyDataset(out);
    expect(r.problems.find((p) => p.code === "bad_bounds")).toMatchObject({ file: boundsFile, offset: 4 });
    expect(r.problems.find((p) => p.code === "bad_bounds_index")).toMatchObject({ file: indexFile, offset: 8 });
  });

  it("with --source, catches a token that no longer matches its source record", async () => {
    const out = copy("source");
    const m = readManifest(out);
    const file = m.shards[0].files.tokens.path;
    const tokens = readFileSync(join(out, file));
    tokens.writeUInt32LE((tokens.readUInt32LE(40) + 1) % 199998, 40);
    writeFileSync(join(out, file), tokens);
    resign(out, file);
    expect((await verifyDataset(out)).ok).toBe(true); // still a well-formed dataset
    const r = await verifyDataset(out, { source: true });
    expect(r.problems[0]).toMatchObject({ code: "source_token_mismatch", file, offset: 40 });
  });
});
