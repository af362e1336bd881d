// `datagen generate` exits and output that need the smoke model loaded through node-llama-cpp: a
// pipeline contextSize past the model's trained context is a usage error, and the --json line and
// the text summary are what a script can trust. The exits that need no model are in
// test/cli/errors-and-signals.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectCleanError, runCli } from "../helpers/cli.js";

const work = mkdtempSync(join(tmpdir(), "datagen-generate-exits-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const datagen = (...args: string[]) => runCli("datagen", args);

describe("generate: a mistake found once the model is loaded is a usage error", () => {
  it("a pipeline contextSize past the model's trained context (llama.cpp tried to allocate it: killed for memory)", async () => {
    const pipeline = join(work, "huge-context.json");
    writeFileSync(pipeline, JSON.stringify({ contextSize: 100_000_000 }));
    const run = await datagen("generate", "--pipeline", pipeline, "--count", "1", "--out", join(work, "never-context"));
    expectCleanError(run, 2, /contextSize 100000000 \(the pipeline's\) exceeds .*trained context of 131072 tokens/);
  }, 300_000);
});

describe("generate: output a script can trust", () => {
  it("--json is one line; the text summary escapes a path with a newline (smoke model, one record)", async () => {
    const out = join(work, "gen\nforged: 1/1 records");
    const json = await datagen("generate", "--count", "1", "--persona", "lawful_good", "--gpu", "cpu", "--out", out, "--json");
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "complete", records: 1, out });
    // The same command again: everything is done, so it only loads the model and prints the summary.
    const text = await datagen("generate", "--count", "1", "--persona", "lawful_good", "--gpu", "cpu", "--out", out);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split("\n")[0]).toMatch(/^complete: 1\/1 records, .* in \S*gen\\nforged: 1\/1 records$/);
    expect(text.stdout.trimEnd().split("\n")).toHaveLength(3);
  }, 300_000);
});
