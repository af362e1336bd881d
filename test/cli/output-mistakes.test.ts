// A careless, then hostile, user's mistakes (QA pass after the ingest/output/export work): each ends
// with one line, exit 1/2/130, and leaves nothing of the user's overwritten and no half-written file.
// Each test runs the built CLI, as a user does.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectCleanError, runCli, type CliOptions, type CliRun } from "../helpers/cli.js";

type Run = CliRun;
/** Runs `datagen` (or `dataset`); `whileRunning` may signal the child while it runs. */
const cli = (bin: "datagen" | "dataset", args: string[], whileRunning?: CliOptions["whileRunning"], cwd = process.cwd()): Promise<Run> =>
  runCli(bin, args, { whileRunning, cwd });

const work = mkdtempSync(join(tmpdir(), "datagen-qa-careless-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const EXAMPLES = "data/examples/conversations.jsonl";

/** The example records repeated under fresh ids until the file holds about `bytes`. */
function bigInput(path: string, bytes: number): void {
  const lines = readFileSync(EXAMPLES, "utf8").split("\n").filter(Boolean);
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const record = JSON.parse(lines[i % lines.length]) as { id: string };
    record.id = `${record.id}-copy-${i}`;
    const line = JSON.stringify(record) + "\n";
    out.push(line);
    size += line.length;
  }
  writeFileSync(path, out.join(""));
}

describe("interrupted runs leave no half-written file", () => {
  it("import stopped by Ctrl-C removes its --out FILE.partial (a 49 MB one stayed behind)", async () => {
    const input = join(work, "big.jsonl");
    // 16 MB: import still runs half a second after its partial file appears, far longer than the 10 ms poll.
    bigInput(input, 16 << 20);
    const out = join(work, "imported.jsonl");
    const partial = out + ".partial";
    const run = await cli("datagen", ["import", input, "--out", out, "--quiet"], (child) => {
      // Signal as soon as the partial file exists: the run is half-way.
      const poll = setInterval(() => {
        if (existsSync(partial)) {
          clearInterval(poll);
          child.kill("SIGINT");
        }
      }, 10);
      child.on("close", () => clearInterval(poll));
    });
    expectCleanError(run, 130, /SIGINT: stopped/);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});

describe("reports never replace the user's own file", () => {
  it("stats report --json/--html naming a file that is not a stats report is refused, the file kept; an earlier report is replaced", async () => {
    const notes = join(work, "notes.json");
    writeFileSync(notes, '{"mine": true}\n');
    const page = join(work, "index.html");
    writeFileSync(page, "<html><title>my page</title></html>\n");
    const json = await cli("dataset", ["stats", "report", EXAMPLES, "--json", notes, "--workers", "0"]);
    expectCleanError(json, 2, /--json .*notes\.json exists and is not a datagen stats report/);
    expect(readFileSync(notes, "utf8")).toBe('{"mine": true}\n');
    const html = await cli("dataset", ["stats", "report", EXAMPLES, "--html", page, "--workers", "0"]);
    expectCleanError(html, 2, /--html .*index\.html exists and is not a datagen stats report/);
    expect(readFileSync(page, "utf8")).toBe("<html><title>my page</title></html>\n");
    // Rerunning over its own earlier reports is the ordinary case and still works.
    const report = join(work, "stats.json");
    const chart = join(work, "stats.html");
    for (let i = 0; i < 2; i++) {
      const again = await cli("dataset", ["stats", "report", EXAMPLES, "--json", report, "--html", chart, "--workers", "0"]);
      expect(again.code, again.stderr).toBe(0);
    }
    expect(JSON.parse(readFileSync(report, "utf8")).format).toBe("datagen.stats");
  }, 120_000);
});

describe("a wrong path is a usage error", () => {
  it("train --data naming nothing or a file: exit 2 naming the path, before the schedule warning (was exit 1 'a killed pack run leaves none — rerun datagen pack')", async () => {
    const missing = join(work, "no-such-dataset");
    for (const extra of [["--out", join(work, "run"), "--steps", "1"], ["--eval-only"]]) {
      const run = await cli("datagen", ["train", "--data", missing, ...extra]);
      expectCleanError(run, 2, /^error: --data .*no-such-dataset: no such folder\n$/);
    }
    const file = await cli("datagen", ["train", "--data", EXAMPLES, "--eval-only"]);
    expectCleanError(file, 2, /--data data\/examples\/conversations\.jsonl: not a folder/);
    expect(existsSync(join(work, "run"))).toBe(false);
  }, 120_000);
});

describe("an input named like the output's temporary file", () => {
  it("import --out FILE and stats --json FILE refuse an input named FILE.partial (it was truncated, then renamed away: the input was gone)", async () => {
    const input = join(work, "records.jsonl.partial");
    const original = readFileSync(EXAMPLES);
    writeFileSync(input, original);
    const imported = await cli("datagen", ["import", input, "--out", join(work, "records.jsonl")]);
    expectCleanError(imported, 2, /--out .*records\.jsonl is written first as .*records\.jsonl\.partial, which is the input/);
    expect(readFileSync(input)).toEqual(original);
    expect(existsSync(join(work, "records.jsonl"))).toBe(false);
    const stats = await cli("dataset", ["stats", "report", input, "--json", join(work, "records.jsonl"), "--workers", "0"]);
    expectCleanError(stats, 2, /--json .*records\.jsonl is written first as .*records\.jsonl\.partial, which is the input/);
    expect(readFileSync(input)).toEqual(original);
  }, 120_000);
});

describe("a file of the user's named like the output's temporary file", () => {
  it("import --out FILE and stats --json FILE refuse to start while FILE.partial exists, and leave it as it was", async () => {
    const dir = join(work, "own-partial");
    mkdirSync(dir);
    const own = join(dir, "records.jsonl.partial");
    writeFileSync(own, "my notes, not datagen's\n");
    const imported = await cli("datagen", ["import", EXAMPLES, "--out", join(dir, "records.jsonl")]);
    expectCleanError(imported, 2, /--out .*records\.jsonl is written first as .*records\.jsonl\.partial, which already exists/);
    const stats = await cli("dataset", ["stats", "report", EXAMPLES, "--json", join(dir, "records.jsonl"), "--workers", "0"]);
    expectCleanError(stats, 2, /--json .*records\.jsonl is written first as .*records\.jsonl\.partial, which already exists/);
    expect(readFileSync(own, "utf8")).toBe("my notes, not datagen's\n");
    expect(existsSync(join(dir, "records.jsonl"))).toBe(false);
  }, 120_000);
});

describe("a bad option value is two lines, not the whole help", () => {
  for (const args of [
    ["train", "--data", "data", "--out", "never", "--steps", "0"],
    ["generate", "--server", "http://127.0.0.1:9", "--count", "0", "--out", "never"],
  ]) {
    it(`datagen ${args[0]} with a bad value: the error and where the usage is (the 50-60 line help followed it)`, async () => {
      const run = await cli("datagen", args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: option '--(steps|count) <n>' argument '0' is invalid\..*\n\(run 'datagen (train|generate) --help' for usage\)\n$/,
      );
    }, 60_000);
  }
});

describe("an input inside the output's swap leftovers", () => {
  it("pack --out P reading P.datagen-new/documents.jsonl refuses instead of clearing the leftover folder with the input in it", async () => {
    const leftover = join(work, "packed.datagen-new");
    mkdirSync(leftover);
    const input = join(leftover, "documents.jsonl");
    const original = readFileSync(EXAMPLES);
    writeFileSync(input, original);
    const run = await cli("datagen", ["pack", input, "--out", join(work, "packed"), "--seq-len", "4096"]);
    expectCleanError(
      run,
      2,
      /the input .*packed\.datagen-new\/documents\.jsonl is in .*packed\.datagen-new, which --out .*packed would clear/,
    );
    expect(readFileSync(input)).toEqual(original);
    expect(existsSync(join(work, "packed"))).toBe(false);
  }, 120_000);
});

describe("--out - is not stdout", () => {
  it("every output path refuses '-' (it became a file or folder named '-' in the current folder, exit 0)", async () => {
    const cwd = join(work, "dash-cwd");
    mkdirSync(cwd);
    const examples = join(import.meta.dirname, "..", "..", EXAMPLES);
    const runs: [string[], string][] = [
      [["import", examples, "--out", "-"], "file"],
      [["pack", examples, "--out", "-", "--seq-len", "4096"], "folder"],
      [["export", examples, "--to", "harmony-text", "--out", "-"], "folder"],
      [["train", "--data", work, "--out", "-", "--steps", "1"], "folder"],
      [["generate", "--server", "http://127.0.0.1:9", "--out", "-", "--count", "1"], "folder"],
    ];
    for (const [args, what] of runs) {
      const run = await cli("datagen", args, undefined, cwd);
      expectCleanError(run, 2, new RegExp(`--out -: .*not (to )?stdout; name a ${what}`));
    }
    const stats = await cli("dataset", ["stats", "report", examples, "--json", "-", "--workers", "0"], undefined, cwd);
    expectCleanError(stats, 2, /--json -: .*not to stdout; name a file/);
    expect(existsSync(join(cwd, "-"))).toBe(false);
  }, 180_000);
});
