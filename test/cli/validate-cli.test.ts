// The `datagen validate` command end to end, as a user runs it (the built CLI, real files).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REASON_CODES as ALL_REASON_CODES } from "../../src/validate/index.js";
import { runCli } from "../helpers/cli.js";

// invalid.jsonl has one line per code a record can get from validate; the text-export codes
// (datagen export --to harmony-text) are given by export only.
const EXPORT_ONLY = ["special_token_text", "text_roundtrip_mismatch"];
const REASON_CODES = ALL_REASON_CODES.filter((c) => !EXPORT_ONLY.includes(c));

const datagen = (...args: string[]) => runCli("datagen", args);

const work = mkdtempSync(join(tmpdir(), "datagen-validate-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("datagen validate", () => {
  it("exits 0 on the valid examples and prints the summary", async () => {
    const run = await datagen("validate", "data/examples/conversations.jsonl");
    expect(run).toMatchObject({ code: 0, stdout: "12 records in 1 file: 12 valid, 0 invalid\n" });
  });

  it("exits 1 and prints FILE:LINE ID REASON_CODE message for every bad record", async () => {
    const run = await datagen("validate", "data/examples/invalid.jsonl", "--max-line-bytes", "4096");
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("data/examples/invalid.jsonl:"));
    const parsed = lines.map((l) => /^data\/examples\/invalid\.jsonl:(\d+) (\S+) ([a-z0-9_]+) \S/.exec(l)?.slice(1));
    expect(parsed.map((p) => [Number(p?.[0]), p?.[2]])).toEqual(REASON_CODES.map((code, i) => [i + 1, code]));
    expect(parsed[0]?.[1]).toBe("-"); // malformed JSON has no id
    expect(parsed[4]?.[1]).toBe("unknown-role");
    expect(run.stdout).toContain("33 records in 1 file: 0 valid, 33 invalid\nissues by reason code:\n");
    expect(run.stderr).toContain("33 of 33 records are invalid");
  });

  it("--json gives one object per bad record, then a summary object", async () => {
    const run = await datagen("validate", "data/examples/invalid.jsonl", "--json");
    expect(run.code).toBe(1);
    const objects = run.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    const summary = objects.pop();
    expect(objects.every((o) => o.type === "invalid")).toBe(true);
    expect(objects.map((o) => o.line)).toEqual([1, 2, ...Array.from({ length: 30 }, (_, i) => i + 4)]);
    expect(objects[10]).toMatchObject({
      line: 12,
      id: "invalid-arguments",
      issues: [{ code: "invalid_arguments", path: "/messages/2/tool_calls/0/function/arguments/unit" }],
    });
    expect(summary).toMatchObject({ type: "summary", files: 1, records: 33, valid: 1, invalid: 32 });
    expect(Object.keys(summary.issues_by_code)).toEqual(REASON_CODES.filter((c) => c !== "line_too_long"));
  });

  it("reports an over-long line and invalid UTF-8, and still checks the lines after them", async () => {
    const file = join(work, "mixed.jsonl");
    const valid = readFileSync("data/examples/conversations.jsonl", "utf8").split("\n").slice(0, 2);
    const long = JSON.stringify({ id: "long", persona: null, messages: [{ role: "user", content: "x".repeat(5000) }] });
    writeFileSync(file, Buffer.concat([Buffer.from(`${long}\n{"id":"bad\xff`, "latin1"), Buffer.from(`"}\n${valid[0]}\n${valid[1]}\n`)]));
    const run = await datagen("validate", file, "--max-line-bytes", "4096", "--quiet");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("4 records in 1 file: 2 valid, 2 invalid\nissues by reason code:\n  invalid_utf8   1\n  line_too_long  1\n");
    const verbose = await datagen("validate", file, "--max-line-bytes", "4096");
    expect(verbose.stdout).toContain(`${file}:1 - line_too_long `);
    expect(verbose.stdout).toContain(`${file}:2 - invalid_utf8 `);
  });

  it("usage errors exit 2: missing file, no file, bad flag value", async () => {
    const missing = await datagen("validate", "data/examples/conversations.jsonl", join(work, "nope.jsonl"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no such file: ${join(work, "nope.jsonl")}`);
    expect(missing.stdout).toBe("");
    expect((await datagen("validate")).code).toBe(2);
    expect((await datagen("validate", "--max-line-bytes", "0", "data/examples/conversations.jsonl")).code).toBe(2);
  });

  it("--help exits 0 and lists every reason code with examples", async () => {
    const run = await datagen("validate", "--help");
    expect(run.code).toBe(0);
    for (const code of ALL_REASON_CODES) expect(run.stdout).toContain(`  ${code} `);
    expect(run.stdout).toContain("Examples:");
  });
});
