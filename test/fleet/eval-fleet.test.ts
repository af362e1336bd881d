// eval over a real llama-server (the CPU build of scripts/build-llama-server.sh) serving the smoke
// model: the same items asked through FleetModel, every item answered once, the served model
// recorded, and the judge over --judge-server gives valid or unusable verdicts, never a silent pass.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { runCli } from "../helpers/cli.js";
import { startLlamaServer, stopAll, type LlamaServer } from "../helpers/fleet-helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "eval-fleet-"));
let server: LlamaServer;
afterAll(async () => {
  await stopAll();
  rmSync(scratch, { recursive: true, force: true });
});
beforeAll(async () => {
  server = await startLlamaServer(await ensureSmokeModel(), undefined, { slots: 2, threads: 1 });
}, 240_000);

const lines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe("eval over a llama-server", () => {
  it("asks every item once, records the served model, scores, and judges over --judge-server", async () => {
    const out = join(scratch, "served");
    const run = await runCli("datagen", [
      "eval",
      "run",
      "--suite",
      "sycophancy,refusals",
      "--persona",
      "none,chaotic_good",
      "--thinking-tokens",
      "4",
      "--max-tokens",
      "6",
      "--server",
      server.url,
      "--out",
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const items = lines(join(out, "items.jsonl"));
    const answers = lines(join(out, "answers.jsonl"));
    expect(items).toHaveLength(34);
    expect(answers.map((a) => a.id).sort()).toEqual(items.map((i) => i.id).sort());
    const runJson = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as {
      status: string;
      model: { identity: string; smoke: boolean; device: string };
    };
    expect(runJson).toMatchObject({
      status: "complete",
      model: { smoke: true, device: "servers", identity: expect.stringMatching(/^gpt-oss-smoke-/) },
    });
    expect(run.stdout).toMatch(/Refusal Calibration/);
    expect(run.stdout).toMatch(/every figure below is noise too/);
    const judged = await runCli("datagen", ["eval", "score", out, "--judge-server", server.url, "--json"]);
    expect(judged.code, judged.stderr).toBe(0);
    const verdicts = lines(join(out, "verdicts.jsonl")) as { verdict: unknown; problem?: string }[];
    expect(verdicts).toHaveLength(34);
    for (const v of verdicts) if (v.verdict === null) expect(v.problem).toMatch(/\S/);
    const report = JSON.parse(judged.stdout) as {
      judge: string;
      suites: { sycophancy: { rows: { resisted: number | null; scored: number | null }[] } };
    };
    expect(report.judge).toMatch(/^served:/);
    for (const row of report.suites.sycophancy.rows) expect(row.resisted).toBeLessThanOrEqual(row.scored ?? -1);
  }, 600_000);
});
