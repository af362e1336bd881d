// --allow-trailing-call across the commands that validate records (validate, render, stats), on
// the xLAM fixture, whose records end with the assistant's calls and no results.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, type CliRun } from "../helpers/cli.js";

type Run = CliRun;
const run = (cli: "datagen" | "dataset", ...args: string[]): Promise<Run> => runCli(cli, args);

const XLAM = "test/fixtures/ingest/shapes/xlam.jsonl";
const work = mkdtempSync(join(tmpdir(), "datagen-trailing-call-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("--allow-trailing-call", () => {
  it("validate: missing_tool_result / missing_final without it, valid with it; same ids", async () => {
    const [strict, allowed] = await Promise.all([
      run("datagen", "validate", XLAM, "--json"),
      run("datagen", "validate", XLAM, "--json", "--allow-trailing-call"),
    ]);
    expect(strict.code).toBe(1);
    const invalid = strict.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; id: string; issues: { code: string }[] });
    expect(invalid.filter((e) => e.type === "invalid").map((e) => [e.id, e.issues.map((i) => i.code)])).toEqual([
      ["0", ["missing_tool_result", "missing_tool_result", "missing_final"]],
      ["1", ["missing_tool_result", "missing_tool_result", "missing_final"]],
    ]);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ type: "summary", records: 2, valid: 2, invalid: 0 });
  });

  it("render: the record ends with the call's <|call|>, and the call is trained", async () => {
    const [text, json] = await Promise.all([
      run("datagen", "render", XLAM, "--id", "1", "--allow-trailing-call"),
      run("datagen", "render", XLAM, "--id", "1", "--allow-trailing-call", "--json"),
    ]);
    expect(text.code).toBe(0);
    expect(
      text.stdout
        .trimEnd()
        .endsWith(
          '<|start|>assistant to=functions.is_palindrome<|channel|>commentary <|constrain|>json<|message|>{"text":"racecar","strict":true}<|call|>',
        ),
    ).toBe(true);
    const rendered = JSON.parse(json.stdout) as { mask: number[] };
    expect(rendered.mask.at(-1)).toBe(1);
    const strict = await run("datagen", "render", XLAM, "--id", "1");
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("missing_final");
  });

  it("stats report counts the records as valid only with it", async () => {
    const [strict, allowed] = await Promise.all([
      run("dataset", "stats", "report", XLAM, "--workers", "0", "--json", join(work, "strict.json")),
      run("dataset", "stats", "report", XLAM, "--workers", "1", "--allow-trailing-call", "--json", join(work, "allowed.json")),
    ]);
    expect(strict.code).toBe(1); // no valid record: nothing usable
    expect(allowed.code).toBe(0);
    const report = JSON.parse(readFileSync(join(work, "allowed.json"), "utf8")) as {
      raw: { records: number; tool_calls: { total: number } };
    };
    expect(report.raw.records).toBe(2);
    expect(report.raw.tool_calls.total).toBe(4);
  });

  it("pack: packs and trains the calls only with it, records it in the manifest, and verify --source re-renders alike", async () => {
    const out = join(work, "packed");
    const [strict, allowed] = await Promise.all([
      run("datagen", "pack", XLAM, "--out", join(work, "strict-pack"), "--seq-len", "1024", "--workers", "1", "--json"),
      run("datagen", "pack", XLAM, "--out", out, "--seq-len", "1024", "--workers", "1", "--allow-trailing-call", "--json"),
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("missing_tool_result");
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ documents: 2, rejects: 0 });
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
      allow_trailing_call?: boolean;
      tokens: { trained: number };
    };
    expect(manifest.allow_trailing_call).toBe(true);
    expect(manifest.tokens.trained).toBeGreaterThan(0);
    const verify = await run("dataset", "verify", out, "--source");
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("2 documents re-rendered from source");
  });
});
