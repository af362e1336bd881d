// `datagen eval run` / `eval score` for real: the smoke model through node-llama-cpp (CPU, one
// thread). kill -9 mid-run and a resume lose nothing and ask nothing twice, and give the answers an
// uninterrupted run gives; other settings are refused; scoring a saved run twice gives the same
// report; the smoke judge's verdicts are valid or recorded as unusable, never a silent pass.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { expectCleanError, runCli, type CliRun } from "../helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "eval-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const lines = (file: string): Record<string, unknown>[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
const SETTINGS = ["--suite", "sycophancy,refusals", "--persona", "none,lawful_evil", "--thinking-tokens", "4", "--max-tokens", "6"];
const withoutTiming = (a: Record<string, unknown>) => ({ ...a, seconds: undefined });

/** Runs eval and sends SIGKILL once answers.jsonl has more than `after` lines. */
function runAndKill(args: string[], answers: string, after: number): Promise<CliRun> {
  return runCli("datagen", args, {
    whileRunning: (child) => {
      const poll = setInterval(() => {
        if (lines(answers).length > after) {
          clearInterval(poll);
          child.kill("SIGKILL");
        }
      }, 50);
      child.on("close", () => clearInterval(poll));
    },
  });
}

describe("eval run on the smoke model", () => {
  const killed = join(scratch, "killed");
  const fresh = join(scratch, "fresh");
  const runs: CliRun[] = [];
  let before: Record<string, unknown>[] = [];

  beforeAll(async () => {
    await ensureSmokeModel();
    runs.push(await runAndKill(["eval", "run", ...SETTINGS, "--no-score", "--out", killed], join(killed, "answers.jsonl"), 5));
    before = lines(join(killed, "answers.jsonl"));
    appendFileSync(join(killed, "answers.jsonl"), '{"id":"refusals/harmful-phishing/none","answ');
    runs.push(await runCli("datagen", ["eval", "run", ...SETTINGS, "--out", killed]));
    runs.push(await runCli("datagen", ["eval", "run", ...SETTINGS, "--no-score", "--out", fresh]));
  }, 600_000);

  it("survives kill -9: nothing lost, nothing asked twice, the same answers as an uninterrupted run", () => {
    expect(runs[0].signal).toBe("SIGKILL");
    expect(before.length).toBeGreaterThan(5);
    expect(runs[1].code, runs[1].stderr).toBe(0);
    expect(runs[1].stderr).toMatch(/resuming .*: \d+ of 34 items already answered, dropped a half-written last line/);
    const items = lines(join(killed, "items.jsonl"));
    const answers = lines(join(killed, "answers.jsonl"));
    expect(items).toHaveLength(34); // (5 traps + 12 refusal prompts) x (none, lawful_evil)
    expect(answers.map((a) => a.id).sort()).toEqual(items.map((i) => i.id).sort());
    expect(answers.slice(0, before.length)).toEqual(before);
    const freshAnswers = new Map(lines(join(fresh, "answers.jsonl")).map((a) => [a.id, withoutTiming(a)]));
    expect(answers.map((a) => withoutTiming(a))).toEqual(answers.map((a) => freshAnswers.get(a.id)));
  }, 300_000);

  it("asks the social-pressure trap as scripted turns and records the smoke model as noise", () => {
    const item = lines(join(killed, "items.jsonl")).find((i) => i.id === "sycophancy/social-pressure/lawful_evil") as {
      messages: { role: string }[];
      persona: string;
    };
    expect(item.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(item.persona).toBe("lawful_evil");
    expect(runs[1].stdout).toMatch(/smoke model: random noise/);
    expect(runs[1].stdout).toMatch(/every figure below is noise too/);
    expect(runs[1].stdout).toMatch(/Refusal Calibration/);
    expect(runs[1].stdout).toMatch(/Every persona: not scored \(no judge\)/);
  }, 300_000);

  it("refuses to resume with other settings, and answers without items.jsonl", async () => {
    expectCleanError(
      await runCli("datagen", ["eval", "run", ...SETTINGS.slice(0, -1), "7", "--out", killed]),
      2,
      /holds answers made with other settings/,
    );
    expectCleanError(await runCli("datagen", ["eval", "run", "--suite", "refusals", "--out", killed]), 2, /items\.jsonl holds other items/);
    const stray = join(scratch, "stray");
    await runCli("datagen", ["eval", "run", "--suite", "refusals", "--items-only", "--out", stray]);
    rmSync(join(stray, "items.jsonl"));
    writeFileSync(join(stray, "answers.jsonl"), '{"id":"x","answer":"y"}\n');
    expectCleanError(
      await runCli("datagen", ["eval", "run", "--suite", "refusals", "--out", stray]),
      2,
      /answers\.jsonl has no items\.jsonl beside it/,
    );
  }, 300_000);

  it("refuses a prompt that does not fit the context, naming the item, instead of letting llama.cpp shift it", async () => {
    const out = join(scratch, "overflow");
    const run = await runCli("datagen", [
      "eval",
      "run",
      "--suite",
      "ruler",
      "--tasks",
      "single_needle",
      "--lengths",
      "4096",
      "--samples",
      "1",
      "--context-size",
      "2048",
      "--out",
      out,
    ]);
    expectCleanError(
      run,
      1,
      /ruler\/single_needle\/4096\/0 context_overflow prompt \d+ \+ budget 512 tokens exceed the model's context \(2048\)/,
    );
    expect(lines(join(out, "answers.jsonl"))).toEqual([]);
  }, 300_000);

  it("scores a saved run twice to the same report, and another tool's answers with --answers", async () => {
    const first = await runCli("datagen", ["eval", "score", fresh, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const report = readFileSync(join(fresh, "report.json"), "utf8");
    const second = await runCli("datagen", ["eval", "score", fresh, "--json"]);
    expect(second.stdout).toBe(first.stdout);
    expect(readFileSync(join(fresh, "report.json"), "utf8")).toBe(report);
    expect(readFileSync(join(fresh, "report.html"), "utf8")).toMatch(/<figure class="chart" data-chart="refusals">/);
    const other = join(scratch, "tool-answers.jsonl");
    writeFileSync(other, JSON.stringify({ id: "refusals/harmful-phishing/none", answer: "I can't help with that." }) + "\n");
    const foreign = JSON.parse((await runCli("datagen", ["eval", "score", fresh, "--answers", other, "--json"])).stdout) as {
      counts: { answered: number };
      suites: { refusals: { rows: { persona: string; refused: number }[] } };
    };
    expect(foreign.counts.answered).toBe(1);
    expect(foreign.suites.refusals.rows.find((r) => r.persona === "none")?.refused).toBe(1);
    writeFileSync(other, "{not json\n");
    expectCleanError(await runCli("datagen", ["eval", "score", fresh, "--answers", other]), 1, /tool-answers\.jsonl:1 invalid_json/);
  }, 300_000);

  it("with the smoke model as judge: every verdict is valid or recorded unusable with its reason", async () => {
    const run = await runCli("datagen", ["eval", "score", fresh, "--judge-model", "smoke", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const verdicts = lines(join(fresh, "verdicts.jsonl")) as { verdict: Record<string, string> | null; problem?: string; kind: string }[];
    expect(verdicts).toHaveLength(34);
    for (const v of verdicts) {
      if (v.verdict === null) expect(v.problem).toMatch(/\S/);
      else if (v.kind === "trap") expect(["resisted", "caved"]).toContain(v.verdict.verdict);
      else expect(["answered", "refused", "partial"]).toContain(v.verdict.outcome);
    }
    const report = JSON.parse(run.stdout) as {
      judge: string;
      items: { judge_problem?: string; trap_verdict?: string | null; suite: string }[];
    };
    expect(report.judge).toMatch(/\(smoke\)$/);
    for (const item of report.items.filter((i) => i.suite === "sycophancy"))
      expect(item.judge_problem === undefined).toBe(item.trap_verdict !== null);
  }, 600_000);
});
