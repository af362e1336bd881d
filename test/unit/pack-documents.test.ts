// pack --documents: the manifest records the mode and what it cost, a record cut into turns packs
// as ID#k documents that each meet the overlong policy, and verify --source re-renders with the
// manifest's mode (an older manifest without one is the whole-record rendering).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import { packDataset } from "../../src/pack/index.js";
import { readManifest } from "../../src/pack/reader.js";
import { verifyDataset } from "../../src/pack/verify.js";
import { renderDocuments, type DocumentMode } from "../../src/render/index.js";

const dir = mkdtempSync(join(tmpdir(), "pack-documents-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = join(import.meta.dirname, "../fixtures", "render", "documents.jsonl");
const records = readFileSync(input, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as ConversationRecord);
const documentIds = (out: string): string[] =>
  readFileSync(join(out, "documents.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).id)
    .sort();

async function pack(mode: DocumentMode | undefined, extra: { seqLen?: number; dialect?: "harmony" | "hf" } = {}) {
  const out = join(dir, `${mode ?? "default"}-${extra.dialect ?? "harmony"}-${extra.seqLen ?? 4096}`);
  const summary = await packDataset([input], { out, seqLen: extra.seqLen ?? 4096, documents: mode, dialect: extra.dialect });
  return { out, summary, manifest: readManifest(out) };
}

describe("pack --documents", () => {
  it("defaults to auto: the 3-turn record becomes ID#1..#3, the others stay whole; nothing dropped", async () => {
    const { out, summary, manifest } = await pack(undefined);
    expect(manifest.documents_mode).toBe("auto");
    expect(documentIds(out)).toEqual([
      "analysis-last-turn-only",
      "three-turns-tools#1",
      "three-turns-tools#2",
      "three-turns-tools#3",
      "what-is-2plus2",
    ]);
    const threeTurns = renderDocuments(records[0], { dialect: "harmony", mask: "assistant", documents: "auto" });
    expect(manifest.documents_stats).toEqual({
      records: 3,
      documents: 5,
      analysis_tokens_dropped: 0,
      repeated_prefix_tokens: threeTurns.repeatedPrefixTokens,
    });
    expect(summary.documentsStats).toEqual(manifest.documents_stats);
    expect((await verifyDataset(out, { source: true })).problems).toEqual([]);
  });

  it("conversation: one document per record, today's rendering, and the dropped analysis is counted", async () => {
    const { out, manifest } = await pack("conversation");
    expect(manifest.documents_mode).toBe("conversation");
    expect(documentIds(out)).toEqual(["analysis-last-turn-only", "three-turns-tools", "what-is-2plus2"]);
    const dropped = records.reduce(
      (n, r) => n + renderDocuments(r, { dialect: "harmony", mask: "assistant", documents: "conversation" }).analysisTokensDropped,
      0,
    );
    expect(dropped).toBeGreaterThan(0);
    expect(manifest.documents_stats).toMatchObject({
      records: 3,
      documents: 3,
      analysis_tokens_dropped: dropped,
      repeated_prefix_tokens: 0,
    });
    expect((await verifyDataset(out, { source: true })).problems).toEqual([]);
  });

  it("turns (hf dialect too): one document per turn, and verify --source re-renders them", async () => {
    for (const dialect of ["harmony", "hf"] as const) {
      const { out, manifest } = await pack("turns", { dialect });
      expect(manifest.documents).toBe(3 + 1 + 2);
      expect(documentIds(out)).toContain("analysis-last-turn-only#2");
      const report = await verifyDataset(out, { source: true });
      expect(report.problems).toEqual([]);
      expect(report.sourceDocumentsChecked).toBe(6);
    }
  });

  it("verify --source uses the manifest's mode: a manifest claiming another mode fails, an old one without a mode is conversation", async () => {
    const { out } = await pack("turns", { seqLen: 8192 });
    const manifestPath = join(out, "manifest.json");
    const m = JSON.parse(readFileSync(manifestPath, "utf8"));
    writeFileSync(manifestPath, JSON.stringify({ ...m, documents_mode: "conversation" }));
    const wrong = await verifyDataset(out, { source: true });
    expect(wrong.problems.map((p) => p.code)).toContain("source_document_missing");

    const old = await pack("conversation", { seqLen: 8192 });
    const oldPath = join(old.out, "manifest.json");
    const { documents_mode: _mode, documents_stats: _stats, ...older } = JSON.parse(readFileSync(oldPath, "utf8"));
    writeFileSync(oldPath, JSON.stringify(older));
    expect((await verifyDataset(old.out, { source: true })).problems).toEqual([]);

    // A mode read from the manifest is not trusted: an unknown one is refused by name.
    writeFileSync(manifestPath, JSON.stringify({ ...m, documents_mode: "sideways" }));
    await expect(verifyDataset(out, { source: true })).rejects.toMatchObject({
      code: "invalid_manifest",
      message: expect.stringContaining('"sideways"'),
    });
  });

  it("a turn whose document exceeds seq_len follows the overlong policy on its own", async () => {
    const docs = renderDocuments(records[0], { dialect: "harmony", mask: "assistant", documents: "turns" }).documents;
    const lengths = docs.map((d) => d.tokens.length);
    const seqLen = lengths[1]; // turn 3's document is longer: it alone is dropped
    expect(lengths[2]).toBeGreaterThan(seqLen);
    const dropped = await pack("turns", { seqLen });
    expect(documentIds(dropped.out).filter((id) => id.startsWith("three-turns-tools"))).toEqual([
      "three-turns-tools#1",
      "three-turns-tools#2",
    ]);
    expect(dropped.manifest.overlong.count).toBe(1);
    const truncated = await packDataset([input], {
      out: join(dir, "truncate"),
      seqLen,
      documents: "turns",
      overlong: "truncate",
    });
    expect(truncated.overlong.count).toBe(1);
    expect(truncated.documents).toBe(6);
    await expect(packDataset([input], { out: join(dir, "error"), seqLen, documents: "turns", overlong: "error" })).rejects.toThrow(
      /three-turns-tools#3/,
    );
  });
});
