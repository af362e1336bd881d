// The one table of reason codes (src/core/reasons.ts): its views keep their order, every code src/
// raises is in it (and every code in it is raised), a misspelt code does not typecheck, and no code
// name means two things.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { JsonErrorCode } from "../../src/core/json.js";
import { projectRoot } from "../../src/core/project.js";
import { ALL_REASON_CODES, RECORD_REASONS, reasonsOf, type ReasonCode } from "../../src/core/reasons.js";
import { CONTAINER_REASONS } from "../../src/ingest/containers/reasons.js";
import type { ItemError } from "../../src/ingest/source.js";
import { SHAPE_REASON_CODES, SHAPE_REASONS } from "../../src/ingest/shapes/reasons.js";
import { JUDGE_REASONS } from "../../src/judge/verdict.js";
import { REASON_CODES, REASONS } from "../../src/validate/reasons.js";
import type { ValidationIssue } from "../../src/validate/types.js";

const SRC = join(projectRoot(), "src");
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
const sources = files(SRC).map((file) => ({ file: relative(SRC, file), text: readFileSync(file, "utf8") }));
/** The table and its views, which name every code without raising it. */
const TABLES = new Set(["core/reasons.ts", "validate/reasons.ts", "ingest/shapes/reasons.ts", "ingest/containers/reasons.ts"]);
/** Files whose `code: "…"` literals are codes of another kind: verify's checks, generate's step and quality codes. */
const OTHER_KINDS = new Set(["pack/verify.ts", "export/packed.ts", "generate/index.ts"]);

const literals = (text: string, pattern: RegExp): string[] => [...text.matchAll(pattern)].map((m) => m[1]);

describe("the views of the one table", () => {
  it("validate's REASON_CODES keep their order (API: issues_by_code, the lines of data/examples/invalid.jsonl)", () => {
    expect(REASON_CODES).toEqual([
      "invalid_json",
      "invalid_utf8",
      "line_too_long",
      "schema_violation",
      "unknown_role",
      "unknown_persona",
      "invalid_date",
      "duplicate_tool_name",
      "invalid_tool_parameters",
      "unknown_tool",
      "invalid_arguments_json",
      "invalid_arguments",
      "duplicate_tool_call_id",
      "missing_tool_result",
      "extra_tool_result",
      "out_of_order_tool_result",
      "tool_result_name_mismatch",
      "empty_turn",
      "missing_final",
      "persona_mismatch",
      "duplicate_record_id",
      "duplicate_key",
      "number_out_of_range",
      "too_deep",
      "key_order",
      "unknown_shape",
      "shape_mismatch",
      "invalid_embedded_json",
      "malformed_tool_call",
      "unsupported_content",
      "unknown_sender",
      "special_token_text",
      "text_roundtrip_mismatch",
      "expected_answer_missing",
      "lone_surrogate",
    ]);
    expect(SHAPE_REASON_CODES).toEqual([
      "unknown_shape",
      "shape_mismatch",
      "invalid_embedded_json",
      "malformed_tool_call",
      "unsupported_content",
      "unknown_sender",
    ]);
    expect(Object.keys(CONTAINER_REASONS)).toEqual(["empty_input", "unsupported_value", "corrupt_input", "unsupported_input"]);
  });

  it("each view holds the table's own entries, and the views and render_failed cover the table once", () => {
    for (const view of [REASONS, SHAPE_REASONS, CONTAINER_REASONS])
      for (const [code, info] of Object.entries(view)) expect(info).toBe(RECORD_REASONS[code as ReasonCode]);
    for (const code of SHAPE_REASON_CODES) expect(REASON_CODES).toContain(code);
    const covered = [...REASON_CODES, ...Object.keys(CONTAINER_REASONS), ...Object.keys(reasonsOf("render"))];
    expect([...covered].sort()).toEqual([...ALL_REASON_CODES].sort());
    expect(new Set(covered).size).toBe(covered.length);
  });

  it("only the containers' corrupt_input and unsupported_input are said of a whole input", () => {
    const whole = ALL_REASON_CODES.filter((c) => "wholeInput" in RECORD_REASONS[c]);
    expect(whole).toEqual(["corrupt_input", "unsupported_input"]);
  });

  it("JsonErrorCode is the table's core/json codes", () => {
    const same: Equal<
      JsonErrorCode,
      "invalid_json" | "duplicate_key" | "number_out_of_range" | "too_deep" | "key_order" | "lone_surrogate"
    > = true;
    expect(same).toBe(true);
    expect(Object.keys(reasonsOf("core/json"))).toEqual([
      "invalid_json",
      "duplicate_key",
      "number_out_of_range",
      "too_deep",
      "key_order",
      "lone_surrogate",
    ]);
  });
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe("codes are typed", () => {
  it("a misspelt code does not typecheck (tsc compiles test/: an unneeded @ts-expect-error fails the build)", () => {
    // @ts-expect-error: not a reason code
    const misspelt: ReasonCode = "schema_violaton";
    // @ts-expect-error: not a reason code
    const issue: ValidationIssue = { code: "unknown_tol", message: "a misspelt code" };
    // @ts-expect-error: a validate code is none of the input layer's
    const item: ItemError = { code: "missing_final", message: "not the input layer's" };
    expect(Object.keys(RECORD_REASONS)).not.toContain(misspelt);
    expect(Object.keys(RECORD_REASONS)).not.toContain(issue.code);
    expect(Object.keys(reasonsOf("core/json", "core/jsonl", "ingest/containers", "ingest/shapes"))).not.toContain(item.code);
  });
});

describe("every code src/ raises is in the table", () => {
  it("reads the sources (the scan is not vacuous)", () => {
    expect(sources.length).toBeGreaterThan(150);
    expect(sources.filter((s) => /code: "[a-z_]+"/.test(s.text)).length).toBeGreaterThan(10);
  });

  it('every `code: "…"` literal and every code a shape or a Parquet value is rejected with', () => {
    const unknown: string[] = [];
    let found = 0;
    for (const { file, text } of sources) {
      if (TABLES.has(file) || OTHER_KINDS.has(file)) continue;
      const codes = [
        ...literals(text, /(?<!typeof [\w.?]*)\bcode(?::|\s*===)\s*"([a-z0-9_]+)"/g),
        ...literals(text, /new (?:ShapeReject|UnsupportedValue)\(\s*"([a-z0-9_]+)"/g),
      ];
      found += codes.length;
      for (const code of codes) if (!(code in RECORD_REASONS)) unknown.push(`${file}: ${code}`);
    }
    expect(found).toBeGreaterThan(40);
    expect(unknown).toEqual([]);
  });

  it("the input layer's DataErrors are the table's whole-input codes, and each of those is raised", () => {
    const raised = new Set(
      sources.filter((s) => s.file.startsWith("ingest/")).flatMap((s) => literals(s.text, /new DataError\(\s*"([a-z0-9_]+)"/g)),
    );
    expect([...raised].sort()).toEqual(ALL_REASON_CODES.filter((c) => "wholeInput" in RECORD_REASONS[c]).sort());
  });

  it("every code in the table is raised somewhere in src/ (no entry documents a code nothing gives)", () => {
    const text = sources
      .filter((s) => !TABLES.has(s.file))
      .map((s) => s.text)
      .join("\n");
    expect(ALL_REASON_CODES.filter((code) => !text.includes(`"${code}"`))).toEqual([]);
  });
});

describe("no code name means two things", () => {
  it("the judge's verdict reasons (a table of their own) share no name with the reason codes", () => {
    expect(Object.keys(JUDGE_REASONS).length).toBeGreaterThan(10);
    expect(Object.keys(JUDGE_REASONS).filter((code) => code in RECORD_REASONS)).toEqual([]);
  });
});
