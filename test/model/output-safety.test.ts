// Output safety (data loss and output paths): every command that writes goes through
// src/core/output.ts. Each case here failed on the code before it: an existing run overwritten, an old
// dataset deleted before its replacement existed, someone else's file appended to, an input deleted
// by the run that reads it, a spin forever on /proc/x, stack traces for an unusable path.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { runCli, runProgram } from "../helpers/cli.js";
import { personaDocs, writePackedDataset } from "../helpers/train-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "output-safety-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a CLI; a run still going after `timeoutMs` is killed (a hang shows as signal SIGKILL). */
const run = (name: "datagen" | "dataset", args: string[], timeoutMs = 120_000) => runCli(name, args, { timeoutMs });

const snapshot = (folder: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((n) => [n, readFileSync(join(folder, n)).toString("base64")]),
  );

function writeRecords(path: string, count: number, turns = 3, extra = ""): void {
  writeFileSync(path, Array.from({ length: count }, (_, i) => JSON.stringify(conversation(i, turns))).join("\n") + "\n" + extra);
}

describe("pack --force keeps the old dataset until the new one is complete", () => {
  const small = join(dir, "small.jsonl");
  const big = join(dir, "big.jsonl");
  const out = join(dir, "packed");
  let before: Record<string, string>;

  beforeAll(async () => {
    writeRecords(small, 12);
    writeRecords(big, 1500, 9);
    const r = await run("datagen", ["pack", small, "--out", out, "--seq-len", "4096", "--workers", "1"]);
    expect(r.code, r.stderr).toBe(0);
    before = snapshot(out);
  });

  const expectOldDatasetIntact = async () => {
    expect(snapshot(out)).toEqual(before);
    const verify = await run("dataset", ["verify", out]);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
  };

  it("a --strict reject: exit 1, the old dataset untouched and verifiable, no leftover", async () => {
    const bad = join(dir, "bad.jsonl");
    writeRecords(bad, 5, 3, "this line is not JSON\n");
    const r = await run("datagen", ["pack", bad, "--out", out, "--seq-len", "4096", "--workers", "1", "--force", "--strict"]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${bad}:6`);
    await expectOldDatasetIntact();
    expect(existsSync(out + ".datagen-new")).toBe(false);
  });

  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    it(`${signal} while the replacement is being written leaves the old dataset verifiable; the next run clears the leftover`, async () => {
      const args = [
        "pack",
        big,
        "--out",
        out,
        "--seq-len",
        "16384",
        "--pack-window",
        "100",
        "--shard-samples",
        "8",
        "--workers",
        "1",
        "--force",
      ];
      // Signal at the first written shard bytes somewhere: in the old code they land in --out itself.
      const shardBytes = () =>
        [out, out + ".datagen-new"].some(
          (d) =>
            existsSync(d) && readdirSync(d).some((n) => n.startsWith("shard-") && n.endsWith(".partial") && statSync(join(d, n)).size > 0),
        );
      let writing = false;
      const killed = await runCli("datagen", args, {
        when: {
          ready: shardBytes,
          act: (child) => {
            writing = true;
            child.kill(signal);
          },
        },
      });
      expect(writing, killed.stderr).toBe(true);
      await expectOldDatasetIntact();
      // Ctrl-C takes the unfinished replacement with it; kill -9 leaves it, named, for the next run.
      expect(existsSync(out + ".datagen-new")).toBe(signal === "SIGKILL");

      // A refused run (no --force) still clears a killed run's staging folder and keeps the dataset.
      const refused = await run("datagen", ["pack", small, "--out", out, "--seq-len", "4096", "--workers", "1"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/already holds a packed dataset.*--force/);
      expect(existsSync(out + ".datagen-new")).toBe(false);
      await expectOldDatasetIntact();
    }, 180_000);
  }

  it("a completed --force run replaces the dataset; nothing is left beside it", async () => {
    const r = await run("datagen", ["pack", small, small, "--out", out, "--seq-len", "4096", "--workers", "1", "--force", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.inputs).toHaveLength(2);
    expect(readdirSync(dir).filter((n) => n.startsWith("packed."))).toEqual([]);
    expect((await run("dataset", ["verify", out])).code).toBe(0);
    before = snapshot(out);
  });

  it("refuses an input inside the --out it would replace, before touching anything", async () => {
    const input = join(out, "documents.jsonl");
    // documents.jsonl is not a conversation file, but the point is that it is never deleted
    const r = await run("datagen", ["pack", input, "--out", out, "--seq-len", "4096", "--workers", "1", "--force"], 60_000);
    expect(r.signal).toBeNull(); // the old code deleted its input and then hung
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${out} contains the input ${input}`);
    await expectOldDatasetIntact();
  });

  it("refuses an --out that is the input file itself", async () => {
    const copy = join(dir, "same.jsonl");
    writeRecords(copy, 2);
    const r = await run("datagen", ["pack", copy, "--out", copy, "--force"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${copy} is the input ${copy}`);
    expect(readFileSync(copy, "utf8").split("\n")).toHaveLength(3);
  });
});

describe("output paths that cannot be used end with a clear error", () => {
  it("pack --out /proc/x: exit 2 naming the path (the old code spun at 100 % CPU forever)", async () => {
    const input = join(dir, "proc.jsonl");
    writeRecords(input, 2);
    const r = await run("datagen", ["pack", input, "--out", "/proc/datagen-x"], 30_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot create folder \/proc\/datagen-x \(ENOENT/m);
  });

  it("generate --out /proc/x and --out FILE: exit 2 before the model loads", async () => {
    const proc = await run("datagen", ["generate", "--out", "/proc/datagen-x", "--count", "1", "--persona", "none"], 60_000);
    expect(proc.signal).toBeNull();
    expect(proc.code).toBe(2);
    expect(proc.stderr).toContain("/proc/datagen-x");
    const file = join(dir, "a-file");
    writeFileSync(file, "mine\n");
    const r = await run("datagen", ["generate", "--out", file, "--count", "1", "--persona", "none"], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${file} exists and is not a folder`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(file, "utf8")).toBe("mine\n");
  });

  it("generate refuses a conversations.jsonl without run.json, naming it, and leaves it as it was", async () => {
    const foreign = join(dir, "someone-elses");
    mkdirSync(foreign);
    const file = join(foreign, "conversations.jsonl");
    writeFileSync(file, JSON.stringify(conversation(0, 3)) + "\n");
    const before = readFileSync(file);
    const r = await run("datagen", ["generate", "--out", foreign, "--count", "1", "--persona", "none"], 90_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} was not written by a datagen generate run`);
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(foreign)).toEqual(["conversations.jsonl"]);
  });
});

describe("generate's output folder check", () => {
  it("accepts empty record files left by a run killed before its run.json, refuses any with content", async () => {
    const { claimOutputDir } = await import("../../src/generate/output.js");
    const folder = join(dir, "killed-early");
    mkdirSync(folder);
    writeFileSync(join(folder, "conversations.jsonl"), "");
    writeFileSync(join(folder, "rejects.jsonl"), "");
    expect(() => claimOutputDir(folder)).not.toThrow();
    writeFileSync(join(folder, "rejects.jsonl"), "{}\n");
    expect(() => claimOutputDir(folder)).toThrow(`${join(folder, "rejects.jsonl")} was not written by a datagen generate run`);
  });
});

describe("stats report --json / --html", () => {
  const input = join(dir, "stats-input.jsonl");
  beforeAll(() => writeRecords(input, 3));

  it("creates a missing folder for the report, leaves no temp file", async () => {
    const target = join(dir, "reports", "nested", "stats.json");
    const r = await run("dataset", ["stats", "report", input, "--json", target, "--workers", "0"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(target, "utf8"))).toBeTypeOf("object");
    expect(readdirSync(join(dir, "reports", "nested"))).toEqual(["stats.json"]);
  });

  it("refuses, before writing anything, an output that is a folder or an input", async () => {
    const existing = join(dir, "keep.json");
    writeFileSync(existing, "old\n");
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    const r = await run("dataset", ["stats", "report", input, "--json", existing, "--html", folder, "--workers", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--html ${folder} is a folder`);
    expect(readFileSync(existing, "utf8")).toBe("old\n");
    const before = readFileSync(input);
    const same = await run("dataset", ["stats", "report", input, "--json", input, "--workers", "0"]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain(`--json ${input} is the input ${input}`);
    expect(readFileSync(input)).toEqual(before);
  });

  it("refuses an output that is a pipe instead of renaming a file over it", async () => {
    const fifo = join(dir, "report.fifo");
    expect((await runProgram("mkfifo", [fifo])).code).toBe(0);
    const r = await run("dataset", ["stats", "report", input, "--json", fifo, "--workers", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a regular file");
    expect(statSync(fifo).isFIFO()).toBe(true);
  });
});

describe("train --out over an existing run", () => {
  const data = join(dir, "train-data");
  const runDir = join(dir, "run");
  const common = (out: string) => ["train", "--data", data, "--out", out, "--steps", "1", "--warmup", "0", "--threads", "2"];

  beforeAll(async () => {
    writePackedDataset(data, personaDocs(2), 1024);
    const r = await run("datagen", common(runDir), 300_000);
    expect(r.code, r.stderr).toBe(0);
  }, 300_000);

  it("is refused without --resume or --force, and nothing in it changes", async () => {
    const before = snapshot(runDir);
    const r = await run("datagen", common(runDir), 300_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds a training run.*--resume.*--force/);
    expect(snapshot(runDir)).toEqual(before);
    const both = await run("datagen", [...common(runDir), "--resume", "--force"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--force and --resume exclude each other");
  }, 300_000);

  it("--force that fails keeps the old run; --force that ends replaces it (metrics start again at step 1)", async () => {
    const before = snapshot(runDir);
    const badData = join(dir, "bad-vocab");
    writePackedDataset(badData, personaDocs(2), 1024, 50_000);
    const failed = await run("datagen", ["train", "--data", badData, "--out", runDir, "--steps", "1", "--force"], 300_000);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("vocab_mismatch");
    expect(snapshot(runDir)).toEqual(before);
    expect(existsSync(runDir + ".datagen-new")).toBe(false);

    const r = await run("datagen", [...common(runDir), "--force", "--seed", "7"], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const steps = readFileSync(join(runDir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).step);
    expect(steps).toEqual([1]);
    expect(readdirSync(dir).filter((n) => n.startsWith("run."))).toEqual([]);
  }, 600_000);

  it("--force refuses a folder holding files datagen did not write", async () => {
    const mixed = join(dir, "mixed-run");
    mkdirSync(mixed);
    writeFileSync(join(mixed, "metrics.jsonl"), "");
    writeFileSync(join(mixed, "notes.txt"), "mine");
    const r = await run("datagen", [...common(mixed), "--force"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("holds files datagen did not write (notes.txt)");
    expect(readFileSync(join(mixed, "notes.txt"), "utf8")).toBe("mine");
  });
});

describe("a swap killed between its two renames is finished or undone by the next run", () => {
  it("keeps the complete new dataset, or restores the old one when the new one is incomplete", async () => {
    const { openOutputDir } = await import("../../src/core/output.js");
    const { PACKED_DATASET } = await import("../../src/pack/output-dir.js");
    for (const newComplete of [true, false]) {
      const out = join(dir, `swap-${newComplete}`);
      mkdirSync(out + ".datagen-old");
      writeFileSync(join(out + ".datagen-old", "manifest.json"), "old");
      mkdirSync(out + ".datagen-new");
      writeFileSync(join(out + ".datagen-new", newComplete ? "manifest.json" : "documents.jsonl.partial"), "new");
      expect(() => openOutputDir(out, PACKED_DATASET)).toThrow(/already holds a packed dataset/);
      expect(readFileSync(join(out, "manifest.json"), "utf8")).toBe(newComplete ? "new" : "old");
      expect(existsSync(out + ".datagen-old") || existsSync(out + ".datagen-new")).toBe(false);
    }
  });

  it("never removes a leftover-named folder that holds someone else's files", async () => {
    const { openOutputDir } = await import("../../src/core/output.js");
    const { PACKED_DATASET } = await import("../../src/pack/output-dir.js");
    const out = join(dir, "not-ours");
    mkdirSync(out + ".datagen-new", { recursive: true });
    writeFileSync(join(out + ".datagen-new", "thesis.tex"), "mine");
    expect(() => openOutputDir(out, PACKED_DATASET)).toThrow(/was not left by datagen/);
    expect(readFileSync(join(out + ".datagen-new", "thesis.tex"), "utf8")).toBe("mine");
    renameSync(out + ".datagen-new", out + ".kept");
  });
});
