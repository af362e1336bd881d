// SIGHUP (a closed terminal) stops `datagen train` like Ctrl-C: the trainer finishes its step and
// checkpoints, the run exits 129 and --resume continues it. A run that never checkpointed (killed
// while loading, kill -9) is started again by the same command, without --force.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTrainer } from "../../src/train/index.js";
import { runCli, type CliRun } from "../helpers/cli.js";
import { personaDocs, writePackedDataset } from "../helpers/train-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "train-signals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, "data");

/** `datagen args` in a process group of its own; at the first progress line the whole group gets SIGHUP, as when its terminal closes. */
function trainHungUp(args: string[]): Promise<CliRun> {
  let hungUp = false;
  return runCli("datagen", args, {
    detached: true,
    onStderr: (stderr, child) => {
      if (!hungUp && /step 1\/\d+/.test(stderr)) {
        hungUp = true;
        process.kill(-child.pid!, "SIGHUP");
      }
    },
  });
}

beforeAll(async () => {
  await buildTrainer();
  writePackedDataset(data, personaDocs(8), 512);
}, 600_000);

describe("train and SIGHUP", () => {
  it("a hang-up checkpoints after the current step, exits 129, and --resume continues the run", async () => {
    const out = join(dir, "hup");
    const args = ["train", "--data", data, "--out", out, "--steps", "40", "--warmup", "0", "--threads", "1"];
    const r = await trainHungUp(args);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(129);
    expect(r.stderr).toMatch(/SIGHUP: finishing cleanly/);
    expect(r.stdout).toMatch(/stopped at step \d+ \(continue with --resume\)/);
    expect(existsSync(join(out, "checkpoint.gguf"))).toBe(true);
    expect(existsSync(join(out, "optimizer.bin"))).toBe(true);
    const stoppedAt = Number(/stopped at step (\d+)/.exec(r.stdout)![1]);
    expect(stoppedAt).toBeLessThan(40);

    const resumed = await runCli("datagen", [
      ...args.slice(0, 5),
      "--steps",
      String(stoppedAt + 1),
      "--warmup",
      "0",
      "--threads",
      "1",
      "--resume",
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`done: ${stoppedAt + 1} steps`));
  }, 300_000);
});

describe("a run that never checkpointed", () => {
  it("is started again by the same command without --force; --resume says why it cannot continue", async () => {
    const out = join(dir, "never");
    mkdirSync(out);
    // What a run stopped before its first checkpoint leaves: the steps it logged, nothing to resume from.
    writeFileSync(join(out, "metrics.jsonl"), JSON.stringify({ step: 1, loss: 12.1, lr: 1e-5 }) + "\n");
    writeFileSync(join(out, "checkpoint.gguf.tmp"), "torn");
    const args = ["train", "--data", data, "--out", out, "--steps", "1", "--threads", "1"];

    const resume = await runCli("datagen", [...args, "--resume"]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/never checkpointed: run the same command without --resume/);

    const rerun = await runCli("datagen", args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/done: 1 steps/);
    const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    expect(metrics).toHaveLength(1); // the old run's step is gone, not mixed with the new run's
    expect(JSON.parse(metrics[0]!).loss).not.toBe(12.1);
    expect(existsSync(join(out, "checkpoint.gguf.tmp"))).toBe(false);
  }, 300_000);
});
