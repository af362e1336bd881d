// `datagen validate --workers N` parses and validates on worker threads; its output must be that of
// one thread, line for line: same verdicts, same order, same duplicate ids across batches and files,
// same container errors after the items before them, same exit status.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const work = mkdtempSync(join(tmpdir(), "datagen-validate-workers-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const EXAMPLES = "data/examples/conversations.jsonl";
const INVALID = "data/examples/invalid.jsonl";

/** Enough lines for many batches (a batch is ≤ 256 items): the examples repeated, every copy's ids reused from the 3rd copy on. */
function manyLines(path: string, copies: number): void {
  const lines = readFileSync(EXAMPLES, "utf8").split("\n").filter(Boolean);
  const out: string[] = [];
  for (let c = 0; c < copies; c++) {
    for (const line of lines) {
      const record = JSON.parse(line) as { id: string };
      record.id = `${record.id}-${c < 2 ? c : c % 7}`; // copies 2.. repeat ids of earlier copies: duplicates far apart
      out.push(JSON.stringify(record));
    }
  }
  writeFileSync(path, out.join("\n") + "\n");
}

describe("datagen validate --workers", () => {
  const many = join(work, "many.jsonl");
  manyLines(many, 60);
  const cut = join(work, "cut.jsonl.gz");
  const gz = gzipSync(readFileSync(many));
  writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
  copyFileSync(INVALID, join(work, "invalid-copy.jsonl"));

  const cases: [string, string[]][] = [
    ["every reason code (data/examples/invalid.jsonl)", [INVALID]],
    ["many batches with duplicates far apart, then a second file repeating ids", [many, join(work, "invalid-copy.jsonl"), EXAMPLES]],
    [
      "every shape and container fixture",
      [
        "test/fixtures/ingest/shapes/openai.jsonl",
        "test/fixtures/ingest/shapes/sharegpt.jsonl",
        "test/fixtures/ingest/shapes/hermes.jsonl",
        "test/fixtures/ingest/shapes/xlam.jsonl",
        "test/fixtures/ingest/shapes/malformed.jsonl",
        "test/fixtures/ingest/containers/records.jsonl.gz",
        "test/fixtures/ingest/containers/records.parquet",
        "test/fixtures/ingest/containers/records.json",
      ],
    ],
    ["a gzip cut short: the items before the damage, then corrupt_input", [cut]],
  ];
  for (const [name, files] of cases) {
    for (const flags of [["--json"], ["--max-line-bytes", "2000", "--allow-trailing-call"]]) {
      it(`${name} (${flags.join(" ")}): 2 workers print exactly what 1 thread prints`, async () => {
        const one = await runCli("datagen", ["validate", ...files, ...flags, "--workers", "0"]);
        const two = await runCli("datagen", ["validate", ...files, ...flags, "--workers", "2"]);
        expect(one.code).not.toBe(0); // every case has invalid records or a broken file
        expect(one.stdout.length).toBeGreaterThan(0);
        expect(two).toEqual(one);
      }, 120_000);
    }
  }

  it("a big input uses workers by default and agrees with --workers 0", async () => {
    expect(statSync(many).size).toBeGreaterThan(1 << 20);
    const one = await runCli("datagen", ["validate", many, "--quiet", "--workers", "0"]);
    const auto = await runCli("datagen", ["validate", many, "--quiet"]);
    expect(auto).toEqual(one);
    expect(one.stdout).toMatch(/records in 1 file: \d+ valid, \d+ invalid/);
    expect(one.stdout).toMatch(/duplicate_record_id/);
  }, 120_000);

  it("--workers takes 0..256", async () => {
    const bad = await runCli("datagen", ["validate", EXAMPLES, "--workers", "-1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--workers must be an integer in 0\.\.256/);
  }, 60_000);
});
