// One writer per output (src/core/output.ts lockOutput): a second run on an output that another
// live process is writing is refused with exit 2 naming the holder; a holder killed with -9 leaves
// a stale lock that the next run takes over. Real CLI runs (generate on the smoke model, pack).
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { expectCleanError, runCli, startScript } from "../helpers/cli.js";

const OUTPUT = join(import.meta.dirname, "..", "..", "src", "core", "output.ts");
const dir = mkdtempSync(join(tmpdir(), "output-lock-"));
const EXAMPLES = join(import.meta.dirname, "..", "..", "data", "examples", "conversations.jsonl");
const holders: ChildProcess[] = [];

/** A process that takes the lock on `out` and keeps it until killed. */
async function holdLock(out: string): Promise<ChildProcess> {
  const code = `const m = await import(${JSON.stringify(OUTPUT)}); m.lockOutput(process.argv[1]); console.log("locked"); setInterval(() => {}, 1000);`;
  const { child, done } = startScript(code, [out]);
  holders.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    void done.then((run) => reject(new Error(`lock holder exited ${run.code}: ${run.stderr}`)));
  });
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await gone;
}

afterAll(async () => {
  await Promise.all(holders.map(kill9));
  rmSync(dir, { recursive: true, force: true });
});

describe("one writer per output", () => {
  it("two generate runs at once into one --out: the second is refused, the output has each id once", async () => {
    await ensureSmokeModel();
    const out = join(dir, "gen");
    const args = ["generate", "--persona", "none", "--count", "1", "--out", out, "--threads", "1", "--gpu", "cpu"];
    const [a, b] = await Promise.all([runCli("datagen", args), runCli("datagen", args)]);
    const codes = [a.code, b.code].sort();
    expect(codes, a.stderr + b.stderr).toEqual([0, 2]);
    const refused = a.code === 2 ? a : b;
    expectCleanError(refused, 2, /is being written by another datagen run \(pid \d+, datagen generate/);
    const lines = readFileSync(join(out, "conversations.jsonl"), "utf8").split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
  }, 120_000);

  it("pack --force while another process holds the output is refused; after kill -9 of the holder it proceeds", async () => {
    const out = join(dir, "packed");
    const pack = ["pack", EXAMPLES, "--out", out, "--seq-len", "4096", "--force"];
    expect((await runCli("datagen", pack)).code).toBe(0);
    const holder = await holdLock(out);
    expectCleanError(
      await runCli("datagen", pack),
      2,
      new RegExp(`--out ${out} is being written by another datagen run \\(pid ${holder.pid}`),
    );
    // The same lock guards every output kind: a file output (import --out, stats --json) too.
    const file = join(dir, "stats.json");
    const fileHolder = await holdLock(file);
    expectCleanError(
      await runCli("dataset", ["stats", "report", EXAMPLES, "--json", file]),
      2,
      new RegExp(`--json ${file} is being written by another datagen run \\(pid ${fileHolder.pid}`),
    );
    await kill9(holder);
    await kill9(fileHolder);
    const again = await runCli("datagen", pack);
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli("dataset", ["verify", out])).code).toBe(0);
    expect((await runCli("dataset", ["stats", "report", EXAMPLES, "--json", file])).code).toBe(0);
  }, 120_000);
});
