// Raw-conversation statistics against test/fixtures/stats/raw (8 lines: 6 valid records, one
// line that is not JSON, one record without a final answer; rejects.jsonl with 3 lines).
// Every expected number below is worked out by hand from the fixture; the token counts come
// from the harmony text written out by hand from docs/RENDERING.md and tokenized with Python tiktoken's
// o200k_harmony (per message, assistant messages from <|start|> through their terminator):
//   id  persona       total  trained(assistant)  analysis  commentary  final  trained(last-turn)
//   r1  lawful_good     189       35                 0         21        14        35
//   r2  lawful_good     146       22                 0          0        22        22
//   r3  chaotic_evil    109       23                 0          0        23        23
//   r4  none            325      110                12         65        33        47
//   r5  chaotic_evil    105       17                 0          0        17        17
//   r6  true_neutral    147       22                 0          0        22        22
// (r1's and r4's first analysis messages are dropped by the auto-drop rule: they come before the
// first final; r4's second-turn analysis is kept.) These figures are the whole-record rendering,
// so the report runs with --documents conversation (the default auto is test/stats-documents.test.ts's).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport, type StatsReport } from "../../src/stats/index.js";
import { runCli } from "../helpers/cli.js";

const RAW = "test/fixtures/stats/raw";
const scratch = mkdtempSync(join(tmpdir(), "stats-raw-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let report: StatsReport;
beforeAll(async () => {
  report = (await buildReport([RAW], { workers: 0, documents: "conversation" })).report;
});

describe("raw conversation figures", () => {
  it("counts records, personas (null as none), invalid lines and rejects", () => {
    const raw = report.raw!;
    expect(report.inputs).toEqual({ raw: [`${RAW}/conversations.jsonl`], rejects: [`${RAW}/rejects.jsonl`], packed: [] });
    expect(raw.records).toBe(6);
    // Grid order, then none.
    expect(Object.entries(raw.by_persona)).toEqual([
      ["lawful_good", 2],
      ["true_neutral", 1],
      ["chaotic_evil", 2],
      ["none", 1],
    ]);
    expect(raw.invalid.total).toBe(2);
    expect(raw.invalid.by_code).toEqual({ invalid_json: 1, missing_final: 1 });
    expect(raw.invalid.examples.map((e) => [e.line, e.code, e.id])).toEqual([
      [4, "invalid_json", undefined],
      [7, "missing_final", "bad-final"],
    ]);
    expect(raw.rejects).toEqual({ files: [`${RAW}/rejects.jsonl`], total: 3, by_reason: { missing_final: 2, invalid_arguments: 1 } });
    expect(report.packed).toBeNull();
  });

  it("counts messages, turns and tool calls per conversation and per tool", () => {
    const raw = report.raw!;
    // Messages 5, 3, 3, 9, 3, 3 → sorted 3 3 3 3 5 9.
    expect(raw.messages).toMatchObject({ count: 6, sum: 26, min: 3, p50: 3, p90: 9, p99: 9, max: 9, exact: true });
    // User messages 1, 1, 1, 2, 1, 1.
    expect(raw.turns).toMatchObject({ sum: 7, p50: 1, p90: 2, max: 2 });
    // Tool calls 1, 0, 0, 3, 0, 0.
    expect(raw.tool_calls.total).toBe(4);
    expect(raw.tool_calls.conversations_with_tools).toBe(2);
    expect(raw.tool_calls.per_conversation).toMatchObject({ p50: 0, p90: 3, max: 3 });
    expect(raw.tool_calls.by_tool).toEqual({ get_weather: 3, search_web: 1 });
    expect(raw.personas.none.tool_calls).toBe(3);
    expect(raw.personas.lawful_good.tool_calls).toBe(1);
  });

  it("counts o200k_harmony tokens per conversation, trained tokens and channel shares", () => {
    const t = report.raw!.tokens;
    expect(t.total).toBe(189 + 146 + 109 + 325 + 105 + 147); // 1021
    expect(t.trained).toBe(35 + 22 + 23 + 110 + 17 + 22); // 229
    // Totals sorted 105 109 146 147 189 325: p50 = 3rd, p90 = p99 = 6th.
    expect(t.per_conversation.total).toMatchObject({ min: 105, p50: 146, p90: 325, p99: 325, max: 325 });
    // Trained sorted 17 22 22 23 35 110.
    expect(t.per_conversation.trained).toMatchObject({ min: 17, p50: 22, p90: 110, max: 110 });
    expect(t.channels).toEqual({ analysis: 12, commentary: 21 + 65, final: 14 + 22 + 23 + 33 + 17 + 22 });
    expect(t.channel_shares.analysis).toBeCloseTo(12 / 229, 12);
    expect(t.channel_shares.commentary).toBeCloseTo(86 / 229, 12);
    expect(t.channel_shares.final).toBeCloseTo(131 / 229, 12);
    const p = report.raw!.personas;
    expect([p.lawful_good.tokens_total, p.lawful_good.tokens_trained]).toEqual([189 + 146, 35 + 22]);
    expect([p.chaotic_evil.tokens_total, p.chaotic_evil.tokens_trained]).toEqual([109 + 105, 23 + 17]);
    expect([p.true_neutral.tokens_total, p.none.tokens_total, p.none.tokens_trained]).toEqual([147, 325, 110]);
  });

  it("finds exact and near duplicates of user prompts and assistant replies", () => {
    const d = report.raw!.duplicates;
    // 7 user prompts: r5's is r3's up to case, spacing and a curly apostrophe (exact after
    // normalization); r6's is r2's 42-word prompt with the last word changed (Jaccard of
    // word 3-shingles 39/41 ≈ 0.95: near).
    expect(d.user_prompts).toMatchObject({ texts: 7, exact_duplicates: 1, near_duplicates: 2 });
    expect(d.user_prompts.exact_rate).toBeCloseTo(1 / 7, 12);
    expect(d.user_prompts.near_rate).toBeCloseTo(2 / 7, 12);
    // 7 final replies: r6's repeats r2's word for word.
    expect(d.assistant_replies).toMatchObject({ texts: 7, exact_duplicates: 1, near_duplicates: 1, signatures_stored: 7 });
  });

  it("detects refusals per persona", () => {
    const r = report.raw!.refusals;
    // r3 "I can't help with that…", r5 "I’m sorry, but I can’t do this." — both chaotic_evil.
    expect(r.conversations).toBe(2);
    expect(r.rate).toBeCloseTo(2 / 6, 12);
    expect(r.by_persona).toEqual({
      lawful_good: { conversations: 2, refusals: 0, rate: 0 },
      true_neutral: { conversations: 1, refusals: 0, rate: 0 },
      chaotic_evil: { conversations: 2, refusals: 2, rate: 1 },
      none: { conversations: 1, refusals: 0, rate: 0 },
    });
  });

  it("counts trained tokens under --mask last-turn, and gives the same report on worker threads", async () => {
    const lastTurn = (await buildReport([RAW], { workers: 1, mask: "last-turn", documents: "conversation" })).report;
    expect(lastTurn.mask).toBe("last-turn");
    expect(lastTurn.raw!.tokens.trained).toBe(35 + 22 + 23 + 47 + 17 + 22); // 166
    expect(lastTurn.raw!.tokens.total).toBe(1021);
    const onWorker = (await buildReport([RAW], { workers: 1, documents: "conversation" })).report;
    expect(onWorker).toEqual(report);
  });
});

describe("dataset stats report (CLI)", () => {
  it("prints tables, writes --json with the required figures and --html, exit 0", async () => {
    const json = join(scratch, "stats.json");
    const html = join(scratch, "stats.html");
    const run = await cli([
      "stats",
      "report",
      RAW,
      "test/fixtures/stats/packed",
      "--json",
      json,
      "--html",
      html,
      "--workers",
      "1",
      "--documents",
      "conversation",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Per persona");
    expect(run.stdout).toMatch(/fill rate\s+83\.33 %/);
    // Bad lines are located (file:line, id, reason) in the terminal report too.
    expect(run.stdout).toMatch(/raw\/conversations\.jsonl:4\s+-\s+invalid_json /);
    expect(run.stdout).toMatch(/raw\/conversations\.jsonl:7\s+bad-final\s+missing_final /);
    const figures = JSON.parse(readFileSync(json, "utf8"));
    expect(figures.raw.records).toBe(6);
    expect(figures.raw.by_persona).toEqual({ lawful_good: 2, true_neutral: 1, chaotic_evil: 2, none: 1 });
    expect([figures.raw.tokens.total, figures.raw.tokens.trained]).toEqual([1021, 229]);
    expect([figures.packed.samples, figures.packed.documents]).toEqual([3, 6]);
    expect(figures.packed.fill_rate).toBeCloseTo(40 / 48, 12);
    expect(readFileSync(html, "utf8")).toMatch(/^<!doctype html>/);
  });

  it("exits 2 on a missing path or an unknown mask mode", async () => {
    const missing = await cli(["stats", "report", join(scratch, "nope.jsonl")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file or folder");
    expect((await cli(["stats", "report", RAW, "--mask", "everything"])).code).toBe(2);
  });
});

function cli(args: string[]) {
  return runCli("dataset", args);
}
