// Long-context coverage in `dataset stats report`: trained tokens by position band within their
// document, read from the packed masks; a short-conversation dataset says plainly that nothing past
// ~4 K is trained; a packed long conversation's band counts equal its own rendered mask's.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { longRecord } from "../../src/longctx/record.js";
import { makeLongTask } from "../../src/longctx/tasks.js";
import { packDataset } from "../../src/pack/index.js";
import { renderDocuments } from "../../src/render/documents.js";

// stats and pack default to --documents auto (one document here: no analysis before the last turn).
const AUTO = { dialect: "harmony", mask: "assistant", documents: "auto" } as const;
import { POSITION_BANDS } from "../../src/stats/coverage.js";
import { buildReport } from "../../src/stats/index.js";
import { reportSections } from "../../src/stats/sections.js";

const work = mkdtempSync(join(tmpdir(), "datagen-coverage-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("coverage of a packed dataset", () => {
  it("short conversations: every trained token below 4K, and the report says so", async () => {
    const { report } = await buildReport(["test/fixtures/stats/packed"], { workers: 0 });
    const packed = report.coverage?.packed;
    expect(packed).toBeTruthy();
    if (!packed) return;
    expect(packed.trained_by_position_band["0-4k"]).toBe(report.packed?.tokens.trained);
    for (const band of ["4k-16k", "16k-32k", "32k-64k", "64k-128k+"] as const) expect(packed.trained_by_position_band[band]).toBe(0);
    expect(packed.longest_trained_position).toBeLessThan(4096);
    expect(packed.samples_with_document_over_32k).toBe(0);
    const table = reportSections(report).find((s) => s.title.startsWith("Long-context coverage: trained tokens"));
    expect(table?.rows.find((r) => r[0] === "note")?.[1]).toMatch(/^nothing past position [\d,]+ is trained/);
  });

  it("a 40K conversation: band counts, longest position and the >32K share match its rendered mask", async () => {
    const task = makeLongTask({ task: "single_needle", payload: "document", targetTokens: 40_000, seed: "coverage", seedSpace: "train" });
    const record = longRecord({
      id: "cov-1",
      persona: null,
      task,
      band: "32k-64k",
      targetTokens: 40_300,
      callThinking: "Reading the book.",
      answerThinking: "Found it near the end.",
      final: `It is ${task.expected_answers[0]}.`,
    });
    const short = {
      id: "cov-2",
      persona: null,
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello there." },
      ],
    };
    const input = join(work, "in.jsonl");
    writeFileSync(input, `${JSON.stringify(record)}\n${JSON.stringify(short)}\n`);
    const out = join(work, "packed");
    await packDataset([input], { out, seqLen: 65_536 });
    const { report } = await buildReport([out, input], { workers: 0 });
    const mask = renderDocuments(record, AUTO).documents[0].mask;
    const expected = Object.fromEntries(POSITION_BANDS.map((b) => [b.id, 0]));
    let last = -1;
    mask.forEach((m, p) => {
      if (m !== 1) return;
      last = Math.max(last, p);
      expected[POSITION_BANDS.find((b) => p < b.end)!.id]++;
    });
    const shortTrained = Array.from(renderDocuments(short as never, AUTO).documents[0].mask).filter((m) => m === 1).length;
    expected["0-4k"] += shortTrained;
    expect(report.coverage?.packed?.trained_by_position_band).toEqual(expected);
    expect(report.coverage?.packed?.trained_by_position_band["32k-64k"]).toBeGreaterThan(0);
    expect(report.coverage?.packed?.longest_trained_position).toBe(last);
    expect(report.coverage?.packed?.samples_with_document_over_32k).toBe(1);
    expect(report.coverage?.raw?.documents_by_length_band).toEqual({ "0-4k": 1, "4k-16k": 0, "16k-32k": 0, "32k-64k": 1, "64k-128k+": 0 });
    const table = reportSections(report).find((s) => s.title.startsWith("Long-context coverage: trained tokens"));
    expect(table?.rows.some((r) => r[0] === "note")).toBe(false);
  }, 60_000);
});
