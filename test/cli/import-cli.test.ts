// `datagen import` end to end, as a user runs it (the built CLI, the shape fixtures).
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { adaptRecord } from "../../src/ingest/shapes/index.js";
import { renderRecord, renderText } from "../../src/render/index.js";
import { validateRecord } from "../../src/validate/index.js";
import type { ConversationRecord } from "../../src/core/record.js";
import { runCli, runProgram } from "../helpers/cli.js";

const datagen = (...args: string[]) => runCli("datagen", args);
const datagenWithInput = (stdin: Buffer, ...args: string[]) => runCli("datagen", args, { stdin });

const DIR = "test/fixtures/ingest/shapes";
const SHAPE_FILES = ["openai.jsonl", "thinking.jsonl", "sharegpt.jsonl", "hermes.jsonl", "xlam.jsonl"].map((f) => `${DIR}/${f}`);
const work = mkdtempSync(join(tmpdir(), "datagen-import-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const sourceLines = (file: string): string[] => readFileSync(file, "utf8").trimEnd().split("\n");

/** The source line converted in-process and validated: what rendering the source directly sees. */
function direct(file: string, index: number): ConversationRecord {
  const adapted = adaptRecord(JSON.parse(sourceLines(file)[index]), { file, line: index + 1 });
  if ("error" in adapted) throw new Error(adapted.error.message);
  const checked = validateRecord(adapted.record, { allowTrailingCall: true });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return checked.record;
}

/** A result or the error it throws (the hf dialect cannot render some records: then both must fail alike). */
function attempt<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe("datagen import", () => {
  it("converts every shape, reports shapes, rejects by reason with FILE:LINE, and what was dropped", async () => {
    const out = join(work, "all.jsonl");
    const run = await datagen("import", ...SHAPE_FILES, `${DIR}/malformed.jsonl`, "--out", out, "--allow-trailing-call", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ type: "summary", out, files: 6, records: 25, converted: 17, rejected: 8 });
    expect(summary.shapes).toEqual({ openai: 10, sharegpt: 5, hermes: 6, xlam: 3 });
    expect(summary.rejected_by_code).toEqual({
      malformed_tool_call: 3,
      invalid_embedded_json: 2,
      unknown_sender: 1,
      unsupported_content: 1,
      unknown_shape: 1,
    });
    expect(summary.dropped).toMatchObject({
      "messages[].refusal": 2,
      "messages[].annotations": 3,
      "system <tools> block (declared as tools)": 3,
      "Hermes bodies written as Python literals (read as JSON)": 1,
    });
    const rejected = lines.slice(0, -1);
    expect(rejected.map((r) => [r.type, r.file, r.line, r.code])).toEqual([
      ["rejected", `${DIR}/malformed.jsonl`, 1, "malformed_tool_call"],
      ["rejected", `${DIR}/malformed.jsonl`, 2, "malformed_tool_call"],
      ["rejected", `${DIR}/malformed.jsonl`, 3, "malformed_tool_call"],
      ["rejected", `${DIR}/malformed.jsonl`, 4, "invalid_embedded_json"],
      ["rejected", `${DIR}/malformed.jsonl`, 5, "unknown_sender"],
      ["rejected", `${DIR}/malformed.jsonl`, 6, "unsupported_content"],
      ["rejected", `${DIR}/malformed.jsonl`, 7, "invalid_embedded_json"],
      ["rejected", `${DIR}/malformed.jsonl`, 8, "unknown_shape"],
    ]);
    const records = jsonLines(readFileSync(out, "utf8"));
    expect(records).toHaveLength(17);
    for (const record of records) expect(validateRecord(record, { allowTrailingCall: true }).ok).toBe(true);
    expect(records[0].id).toBe(`${DIR}/openai.jsonl:1`); // no id in the source: FILE:LINE as given
    expect(readdirSync(work).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("round trip: rendering the imported records equals rendering the sources directly, tokens and mask", async () => {
    const out = join(work, "roundtrip.jsonl");
    const run = await datagen("import", ...SHAPE_FILES, "--out", out, "--allow-trailing-call", "--quiet");
    expect(run.code).toBe(0);
    const imported = readFileSync(out, "utf8").trimEnd().split("\n");
    let k = 0;
    for (const file of SHAPE_FILES) {
      sourceLines(file).forEach((_, i) => {
        const checked = validateRecord(JSON.parse(imported[k++]), { allowTrailingCall: true });
        if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
        const source = direct(file, i);
        expect(checked.record).toEqual(source);
        for (const dialect of ["harmony", "hf"] as const) {
          expect(attempt(() => renderText(checked.record, { dialect }))).toEqual(attempt(() => renderText(source, { dialect })));
          const [a, b] = [attempt(() => renderRecord(checked.record, { dialect })), attempt(() => renderRecord(source, { dialect }))];
          expect(a).toEqual(b);
        }
      });
    }
    expect(k).toBe(imported.length);
  });

  it("`datagen render` of the imported file prints exactly what `datagen render` of the source prints", async () => {
    const out = join(work, "render.jsonl");
    const source = `${DIR}/openai.jsonl`;
    expect((await datagen("import", source, "--out", out, "--quiet")).code).toBe(0);
    const [fromSource, fromImport] = await Promise.all([datagen("render", source, "--json"), datagen("render", out, "--json")]);
    expect(fromSource.code).toBe(0);
    expect(fromImport.stdout).toBe(fromSource.stdout);
    expect(jsonLines(fromSource.stdout).map((r) => r.id)).toEqual(jsonLines(readFileSync(out, "utf8")).map((r) => r.id));
  });

  it("gives the same verdict and ids as validate on every line", async () => {
    const inputs = [...SHAPE_FILES, `${DIR}/malformed.jsonl`];
    const [imported, validated] = await Promise.all([
      datagen("import", ...inputs, "--out", join(work, "verdict.jsonl"), "--json"),
      datagen("validate", ...inputs, "--json"),
    ]);
    const rejected = jsonLines(imported.stdout)
      .filter((l) => l.type === "rejected")
      .map((l) => [l.file, l.line, l.id, l.code]);
    const invalid = jsonLines(validated.stdout)
      .filter((l) => l.type === "invalid")
      .map((l) => [l.file, l.line, l.id, (l.issues as { code: string }[])[0].code]);
    expect(rejected).toEqual(invalid);
    expect(rejected.filter((r) => r[3] === "missing_tool_result").map((r) => r[2])).toEqual(["0", "1"]); // xLAM without --allow-trailing-call
    expect(jsonLines(validated.stdout).at(-1)).toMatchObject({ records: 25, valid: 15 });
  });

  it("native records are copied byte for byte", async () => {
    const out = join(work, "native.jsonl");
    const run = await datagen("import", "data/examples/conversations.jsonl", "--out", out);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("12 records in 1 file: 12 converted, 0 rejected");
    expect(run.stdout).toContain("shapes: native 12");
    expect(readFileSync(out, "utf8")).toBe(readFileSync("data/examples/conversations.jsonl", "utf8"));
  });

  it("xLAM records without --allow-trailing-call are rejected as missing_final, like validate", async () => {
    const out = join(work, "xlam.jsonl");
    const run = await datagen("import", `${DIR}/xlam.jsonl`, "--out", out);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${DIR}/xlam.jsonl:1 0 missing_tool_result`);
    expect(run.stderr).toContain("no record was imported: all 2 records were rejected");
    expect(existsSync(out)).toBe(false);
  });

  it("refuses an existing --out unless --force, and an --out that is an input; the old file stays", async () => {
    const out = join(work, "exists.jsonl");
    writeFileSync(out, "old\n");
    const refused = await datagen("import", `${DIR}/sharegpt.jsonl`, "--out", out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("already exists; pass --force");
    expect(readFileSync(out, "utf8")).toBe("old\n");
    const forced = await datagen("import", `${DIR}/sharegpt.jsonl`, "--out", out, "--force");
    expect(forced.code).toBe(0);
    expect(jsonLines(readFileSync(out, "utf8"))).toHaveLength(3);
    const fifo = join(work, "fifo");
    expect((await runProgram("mkfifo", [fifo])).code).toBe(0);
    const special = await datagen("import", `${DIR}/sharegpt.jsonl`, "--out", fifo, "--force");
    expect(special.code).toBe(2);
    expect(special.stderr).toContain("is not a regular file");
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    const self = await datagen("import", out, "--out", out, "--force");
    expect(self.code).toBe(2);
    expect(self.stderr).toContain(`--out ${out} is the input`);
  });

  it("--strict writes nothing when a record is rejected; a forced shape that does not fit rejects every line", async () => {
    const out = join(work, "strict.jsonl");
    const strict = await datagen("import", `${DIR}/sharegpt.jsonl`, `${DIR}/malformed.jsonl`, "--out", out, "--strict", "--quiet");
    expect(strict.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const forced = await datagen("import", `${DIR}/openai.jsonl`, "--out", out, "--from", "xlam", "--json");
    expect(forced.code).toBe(1);
    expect(jsonLines(forced.stdout).at(-1)).toMatchObject({ converted: 0, rejected: 7, rejected_by_code: { shape_mismatch: 7 } });
  });

  it("reads any container of the input layer: gzip from stdin gets <stdin>:LINE ids", async () => {
    const out = join(work, "stdin.jsonl");
    const run = await datagenWithInput(gzipSync(readFileSync(`${DIR}/openai.jsonl`)), "import", "-", "--out", out, "--quiet");
    expect(run.code).toBe(0);
    const records = jsonLines(readFileSync(out, "utf8"));
    expect(records).toHaveLength(7);
    expect(records[0].id).toBe("<stdin>:1");
  });

  it("--help lists the shapes, the conversion reason codes and examples", async () => {
    const run = await datagen("import", "--help");
    expect(run.code).toBe(0);
    for (const text of ["--from <shape>", "--allow-trailing-call", "malformed_tool_call", "Examples:", "hermes"])
      expect(run.stdout).toContain(text);
  });
});
