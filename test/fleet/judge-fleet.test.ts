// `datagen judge --server` on two real CPU llama-servers serving the smoke model (the binary that
// scripts/setup.sh --test builds; test/helpers/fleet-helpers.ts): the verdict schema goes in the servers'
// json_schema field, every record ends in exactly one output file, and an unusable verdict is
// recorded as such and never passes.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { runCli } from "../helpers/cli.js";
import { startLlamaServer, stopAll, type LlamaServer } from "../helpers/fleet-helpers.js";
import { distinctPairs, readJsonlFile, record, tempDir, writeJsonl } from "../helpers/judge-helpers.js";

let servers: LlamaServer[];
const scratch = tempDir("judge-fleet");
let input: string;

beforeAll(async () => {
  const model = await ensureSmokeModel();
  servers = await Promise.all([startLlamaServer(model), startLlamaServer(model)]);
  const personas = ["lawful_neutral", "neutral_evil", null];
  input = writeJsonl(
    join(scratch, "in.jsonl"),
    distinctPairs(6, 71).map((p, i) => record(`f${i}`, personas[i % 3], p.user, p.answer, { request_harmful: i === 0 })),
  );
}, 240_000);
afterAll(async () => {
  await stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

type Line = { meta?: { judge: Judged }; record?: { meta: { judge: Judged } }; reason?: string };
type Judged = {
  judge: { model: string } | null;
  turns: { verdict: unknown; unusable: string | null }[];
  persona_guess: { persona: string | null; unusable: string | null };
};

describe("datagen judge over two llama-servers", () => {
  it("judges every record once; verdicts are schema-checked JSON or recorded as unusable", async () => {
    const out = join(scratch, "out");
    const run = await runCli("datagen", [
      "judge",
      input,
      "--out",
      out,
      "--server",
      servers.map((s) => s.url).join(","),
      "--verdict-tokens",
      "160",
      "--verdict-retries",
      "1",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(readJsonlFile(join(out, "conversations.jsonl")).length > 0 ? 0 : 1); // 1: nothing kept
    const kept = readJsonlFile<Line>(join(out, "conversations.jsonl"));
    const rejects = readJsonlFile<Line>(join(out, "rejects.jsonl"));
    expect(kept.length + rejects.length).toBe(6);
    const judged = [...kept.map((k) => k.meta!.judge), ...rejects.map((r) => r.record!.meta.judge)];
    for (const j of judged) {
      expect(j.judge?.model).toMatch(/^served:/);
      for (const t of j.turns) expect((t.verdict === null) !== (t.unusable === null)).toBe(true);
      // A kept record never has an unusable verdict.
    }
    for (const k of kept)
      expect(k.meta!.judge.turns.every((t) => t.verdict !== null) && k.meta!.judge.persona_guess.unusable === null).toBe(true);
    for (const r of rejects) if (r.record!.meta.judge.turns.some((t) => t.unusable)) expect(r.reason).toBe("verdict_unusable");
    const summary = JSON.parse(run.stdout) as { judged: number; recordsPerSecond: number; tokens: { judgeGenerated: number } };
    expect(summary.judged).toBe(6);
    expect(summary.tokens.judgeGenerated).toBeGreaterThan(0);
    // Both servers took calls.
    const runJson = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as {
      status: string;
      servers: { url: string; requests: number }[];
    };
    expect(runJson.status).toBe("complete");
    expect(runJson.servers.map((s) => s.requests > 0)).toEqual([true, true]);
  }, 600_000);

  it("a budget too small to close the JSON: every verdict unusable, nothing kept", async () => {
    const out = join(scratch, "out-small");
    const run = await runCli("datagen", [
      "judge",
      input,
      "--out",
      out,
      "--server",
      servers[0].url,
      "--server",
      servers[1].url,
      "--verdict-tokens",
      "3",
      "--verdict-retries",
      "0",
    ]);
    expect(run.code, run.stderr).toBe(1); // nothing kept
    expect(run.stderr).toMatch(/nothing kept: all 6 input items were rejected/);
    expect(readJsonlFile(join(out, "conversations.jsonl"))).toEqual([]);
    const rejects = readJsonlFile<Line>(join(out, "rejects.jsonl"));
    expect(rejects.map((r) => r.reason)).toEqual(Array(6).fill("verdict_unusable"));
    for (const r of rejects) expect(r.record!.meta.judge.turns.map((t) => t.unusable)).toEqual(["verdict_incomplete"]);
  }, 600_000);
});
