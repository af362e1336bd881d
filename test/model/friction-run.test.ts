// Friction and wrong exits: generate that wrote no usable record exits 1; a resume with
// another --persona set counts only its own plan; import says that --allow-trailing-call exists;
// stats does not repeat a JSON pointer. Real CLI runs (generate on the smoke model).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { expectCleanError, runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "friction-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const smoke = ["--count", "1", "--threads", "1", "--gpu", "cpu"];

describe("generate's exits and counts", () => {
  beforeAll(async () => {
    await ensureSmokeModel();
  }, 120_000);

  it("a run whose every record is rejected exits 1 naming rejects.jsonl (was: exit 0)", async () => {
    const pipeline = join(dir, "strict.json");
    writeFileSync(pipeline, JSON.stringify({ retries: 0, quality: { minFinalChars: 100000 } }));
    const out = join(dir, "none-usable");
    const run = await runCli("datagen", ["generate", "--pipeline", pipeline, "--persona", "none", ...smoke, "--out", out]);
    expectCleanError(run, 1, /no usable record: all 1 of this run's plan were rejected \(reasons in .*rejects\.jsonl\)/);
    expect(run.stdout).toMatch(/^complete: 0\/1 records, 1 rejected/);
  }, 120_000);

  it("a resume with another --persona set counts this plan's records only (was: 2/1 records)", async () => {
    const out = join(dir, "resume");
    expect((await runCli("datagen", ["generate", "--persona", "none", ...smoke, "--out", out])).code).toBe(0);
    const other = await runCli("datagen", ["generate", "--persona", "lawful_good", ...smoke, "--out", out, "--json"]);
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout)).toMatchObject({ target: 1, records: 1, rejects: 0, written: 1, resumed: 0, otherPlans: 1 });
    expect(other.stderr).toMatch(/also holds 1 records or rejects of other personas or counts/);
  }, 120_000);
});

describe("messages", () => {
  it("import of xLAM records without --allow-trailing-call names the flag", async () => {
    const run = await runCli("datagen", ["import", "test/fixtures/ingest/shapes/xlam.jsonl", "--out", join(dir, "x.jsonl")], {
      cwd: join(import.meta.dirname, "..", ".."),
    });
    expectCleanError(run, 1, /no record was imported: all 2 records were rejected; .* pass --allow-trailing-call to accept them/);
  }, 60_000);

  it("stats names a schema issue's JSON pointer once", async () => {
    const file = join(dir, "persona.jsonl");
    writeFileSync(
      file,
      JSON.stringify({
        id: "a",
        persona: "bogus",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "ok" },
        ],
      }) + "\n",
    );
    const run = await runCli("dataset", ["stats", "report", file]);
    expect(run.stdout + run.stderr).toMatch(/unknown_persona +\/persona: "bogus" is not one of/);
    expect(run.stdout + run.stderr).not.toMatch(/\/persona: \/persona:/);
  }, 60_000);
});
