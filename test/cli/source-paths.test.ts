// `dataset verify --source` and the stats persona join find a packed dataset's input files from
// any working directory: pack records each input relative to the dataset (manifest `location`).
// Before, both resolved the path as given to pack against the current directory, so running them
// anywhere but where pack ran reported missing_source / "0 of 1 inputs found".
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packDataset } from "../../src/pack/index.js";
import { inputLocation } from "../../src/pack/source-path.js";
import { runCli } from "../helpers/cli.js";

const FIXTURE = "test/fixtures/train/generated-persona.jsonl";

/** A CLI (`datagen` or `dataset`) run from `cwd`. */
const cliIn = (cli: "datagen" | "dataset", cwd: string, args: string[]) => runCli(cli, args, { cwd });

describe("packed input paths do not depend on the current directory", () => {
  let dir: string;
  let packed: string;
  let elsewhere: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "datagen-source-paths-"));
    mkdirSync(join(dir, "data"));
    copyFileSync(FIXTURE, join(dir, "data", "records.jsonl"));
    elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere);
    packed = join(dir, "out", "packed");
    // Packed from `dir` with a relative input path, as a user in that folder would.
    const r = await cliIn("datagen", dir, ["pack", "data/records.jsonl", "--out", "out/packed", "--seq-len", "1024", "--workers", "1"]);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("records each input relative to the dataset directory", () => {
    const manifest = JSON.parse(readFileSync(join(packed, "manifest.json"), "utf8")) as { inputs: { path: string; location?: string }[] };
    expect(manifest.inputs).toHaveLength(1);
    expect(manifest.inputs[0].path).toBe("data/records.jsonl");
    expect(manifest.inputs[0].location).toBe("../../data/records.jsonl");
    expect(inputLocation(packed, join(dir, "data", "records.jsonl"))).toBe("../../data/records.jsonl");
  });

  it("verify --source re-renders every document when run from another directory", async () => {
    const r = await cliIn("dataset", elsewhere, ["verify", packed, "--source", "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split("\n")[0]) as { ok: boolean; sourceDocumentsChecked: number };
    expect(report.ok).toBe(true);
    expect(report.sourceDocumentsChecked).toBe(27); // 18 records, 27 documents under --documents auto
  }, 120_000);

  it("stats joins packed documents to their personas when run from another directory", async () => {
    const r = await cliIn("dataset", elsewhere, ["stats", "report", packed, "--json", join(elsewhere, "stats.json")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(elsewhere, "stats.json"), "utf8")) as {
      packed: { persona_source: string; tokens_by_persona: Record<string, unknown> };
    };
    expect(report.packed.persona_source).toContain("1 of 1 inputs found");
    expect(Object.keys(report.packed.tokens_by_persona).sort()).toHaveLength(9);
  }, 120_000);

  it("still reads a manifest without `location` (path relative to where pack ran, or to the dataset)", async () => {
    const old = join(dir, "old");
    // What an older pack wrote: the input path as given, no location.
    const summary = await packDataset([join(dir, "data", "records.jsonl")], { out: old, seqLen: 1024, workers: 1 });
    expect(summary.documents).toBe(27); // 18 records; --documents auto cuts those with analysis before their last turn
    const manifestPath = join(old, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { inputs: { path: string; location?: string }[] };
    delete manifest.inputs[0].location;
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const r = await cliIn("dataset", elsewhere, ["verify", old, "--source", "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout.trim().split("\n")[0]) as { sourceDocumentsChecked: number }).sourceDocumentsChecked).toBe(27);
  }, 120_000);
});
