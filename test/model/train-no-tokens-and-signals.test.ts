// Exits and signals of `datagen train` (smoke model, bundled trainer): a loss over no trained token is null,
// never 0, and training or evaluating on such data is exit 1; SIGTERM stops as SIGINT does (after a
// checkpoint) with 143; a second signal ends the command at once, trainer included.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTrainer, train, type StepProgress } from "../../src/train/index.js";
import { runCli, type CliOptions, type CliRun } from "../helpers/cli.js";
import { personaDocs, writePackedDataset, type Doc } from "../helpers/train-helpers.js";

/** Runs `datagen`; `onStderr` may signal the child while it runs. */
const datagen = (args: string[], onStderr?: CliOptions["onStderr"]): Promise<CliRun> => runCli("datagen", args, { onStderr });

const untrained = (d: Doc): Doc => ({ tokens: d.tokens, mask: d.mask.map(() => 0) });

describe("train: no trained token, signals", () => {
  let dir: string;
  let trained: string;
  let nothingTrained: string;
  let mixed: string;
  let seqLen: number;

  beforeAll(async () => {
    await buildTrainer();
    dir = mkdtempSync(join(tmpdir(), "datagen-hardening-train-"));
    const docs = personaDocs(4);
    seqLen = Math.max(...docs.map((d) => d.tokens.length));
    trained = join(dir, "trained");
    writePackedDataset(trained, docs, seqLen);
    nothingTrained = join(dir, "nothing-trained");
    writePackedDataset(nothingTrained, docs.map(untrained), seqLen);
    // One document per sample: the second sample has no trained token.
    mixed = join(dir, "mixed");
    writePackedDataset(mixed, [docs[0]!, untrained(docs[1]!)], seqLen);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to train or evaluate on a dataset with no trained token: exit 1, no loss printed (it printed loss 0)", async () => {
    const evaluation = await datagen(["train", "--data", nothingTrained, "--eval-only", "--json", "--threads", "2"]);
    expect(evaluation.code, evaluation.stderr).toBe(1);
    expect(evaluation.stdout).toBe("");
    expect(evaluation.stderr).toContain(`${join(nothingTrained, "manifest.json")} no_trained_tokens`);
    const run = await datagen(["train", "--data", nothingTrained, "--out", join(dir, "never"), "--steps", "2", "--threads", "2"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain("no_trained_tokens");
    expect(existsSync(join(dir, "never", "checkpoint.gguf"))).toBe(false);
  }, 120_000);

  it("a step whose samples have no trained token reports loss null, in progress and metrics.jsonl", async () => {
    const steps: StepProgress[] = [];
    const out = join(dir, "mixed-run");
    await train({ data: mixed, out, steps: 2, threads: 2, hyper: { seed: 0, warmup: 0 }, onStep: (s) => steps.push(s) });
    expect(steps.map((s) => s.tokens_trained > 0)).toEqual([true, false]);
    expect(steps[0]!.loss).toBeGreaterThan(0);
    expect(steps[1]!.loss).toBeNull();
    const logged = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { loss: number | null });
    expect(logged.map((m) => m.loss === null)).toEqual([false, true]);
  }, 120_000);

  it("SIGTERM stops training after a checkpoint, like SIGINT, and exits 143 (it died by the signal with no checkpoint)", async () => {
    const out = join(dir, "sigterm-run");
    let sent = false;
    const run = await datagen(["train", "--data", trained, "--out", out, "--steps", "50", "--threads", "2"], (text, child) => {
      if (!sent && /step 1\/50/.test(text)) {
        sent = true;
        child.kill("SIGTERM");
      }
    });
    expect(sent, run.stderr).toBe(true);
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toContain("SIGTERM: finishing cleanly");
    expect(run.stdout).toMatch(/^stopped at step \d+ \(continue with --resume\)/);
    expect(existsSync(join(out, "checkpoint.gguf"))).toBe(true);
  }, 180_000);

  it("a second SIGINT ends the command at once with 130, and the trainer with it", async () => {
    const out = join(dir, "double-sigint");
    let sentAt = 0;
    let trainerPid: number | undefined;
    const run = await datagen(["train", "--data", trained, "--out", out, "--steps", "50", "--threads", "2"], (text, child) => {
      if (sentAt === 0 && /step 1\/50/.test(text)) {
        sentAt = Date.now();
        trainerPid = childTrainerPid(child.pid!);
        child.kill("SIGINT");
        setTimeout(() => child.kill("SIGINT"), 50);
      }
    });
    expect(sentAt).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain("SIGINT: stopped");
    expect(run.stdout).toBe(""); // no summary: it did not wait for the step and the checkpoint
    expect(trainerPid).toBeDefined();
    await new Promise((r) => setTimeout(r, 500));
    expect(isRunning(trainerPid!)).toBe(false);
  }, 180_000);
});

/** The trainer process started by the CLI process `pid` (Linux /proc). */
function childTrainerPid(pid: number): number | undefined {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  return children.find((c) => readFileSync(`/proc/${c}/cmdline`, "utf8").includes("train_gpt_oss"));
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has ended
  } catch {
    return false;
  }
}
