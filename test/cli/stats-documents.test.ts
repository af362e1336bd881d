// stats report --documents: the token cost of each mode on raw records (documents and tokens per
// record, the share spent on repeated prefixes, analysis left untrained) and the mode of a packed dataset.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import { packDataset } from "../../src/pack/index.js";
import { renderDocuments, type DocumentMode } from "../../src/render/index.js";
import { buildReport } from "../../src/stats/index.js";
import { runCli } from "../helpers/cli.js";

const INPUT = "test/fixtures/render/documents.jsonl";
const records = readFileSync(INPUT, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as ConversationRecord);
const scratch = mkdtempSync(join(tmpdir(), "stats-documents-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The same figures summed straight from the renderer. */
function expected(documents: DocumentMode) {
  let docs = 0,
    tokens = 0,
    repeated = 0,
    dropped = 0;
  for (const r of records) {
    const out = renderDocuments(r, { dialect: "harmony", mask: "assistant", documents });
    docs += out.documents.length;
    tokens += out.documents.reduce((n, d) => n + d.tokens.length, 0);
    repeated += out.repeatedPrefixTokens;
    dropped += out.analysisTokensDropped;
  }
  return { docs, tokens, repeated, dropped };
}

describe("stats report --documents", () => {
  it("reports documents and tokens per record, the repeated-prefix share and dropped analysis per mode", async () => {
    const figures: Record<
      string,
      { documents: number; tokens_per_record: number; repeated_prefix_share: number; analysis_tokens_dropped: number }
    > = {};
    for (const mode of ["auto", "turns", "conversation"] as const) {
      const { report } = await buildReport([INPUT], { workers: 0, documents: mode });
      expect(report.documents).toBe(mode);
      const e = expected(mode);
      const d = report.raw!.documents;
      expect(d.documents).toBe(e.docs);
      expect(d.per_record).toBeCloseTo(e.docs / 3, 12);
      expect(report.raw!.tokens.total).toBe(e.tokens);
      expect(d.tokens_per_record).toBeCloseTo(e.tokens / 3, 12);
      expect(d.repeated_prefix_tokens).toBe(e.repeated);
      expect(d.repeated_prefix_share).toBeCloseTo(e.repeated / e.tokens, 12);
      expect(d.analysis_tokens_dropped).toBe(e.dropped);
      figures[mode] = d;
    }
    expect([figures.auto.documents, figures.turns.documents, figures.conversation.documents]).toEqual([5, 6, 3]);
    expect(figures.conversation.repeated_prefix_share).toBe(0);
    expect(figures.turns.repeated_prefix_share).toBeGreaterThan(figures.auto.repeated_prefix_share);
    expect(figures.auto.analysis_tokens_dropped).toBe(0);
    expect(figures.conversation.analysis_tokens_dropped).toBeGreaterThan(0);
  });

  it("prints the cost in the terminal report and the packed dataset's mode (CLI; default auto)", async () => {
    const packed = join(scratch, "packed");
    await packDataset([INPUT], { out: packed, seqLen: 4096, workers: 1, documents: "turns" });
    const run = await runCli("dataset", ["stats", "report", INPUT, packed, "--workers", "0"]);
    expect(run.code, run.stderr).toBe(0);
    const e = expected("auto");
    expect(run.stdout).toMatch(/documents \(--documents auto\)\s+5 \(1\.7 per record\)/);
    expect(run.stdout).toMatch(new RegExp(`repeated prefix tokens\\s+${e.repeated.toLocaleString("en-US")} \\(`));
    expect(run.stdout).toMatch(/documents mode \(--documents\)\s+turns/);
  });
});
