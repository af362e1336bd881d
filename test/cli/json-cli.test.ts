// The strict JSON parser through every command, as a user runs them: a repeated key, a number
// beyond a double and 100,000 levels of nesting get the same reason code from validate, render,
// stats and pack, nothing crashes, and the other lines are still processed; numbers that a double
// would print differently are rendered exactly as written.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliRun } from "../helpers/cli.js";

type Run = CliRun;
const cli = (script: "datagen" | "dataset", ...args: string[]): Promise<Run> => runCli(script, args);

const work = mkdtempSync(join(tmpdir(), "datagen-json-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const examples = readFileSync("data/examples/conversations.jsonl", "utf8").trimEnd().split("\n");
const base = examples[0]; // lawful_good-000001: get_weather, one call {"city":"Oslo"}
const withId = (id: string): string => base.replace('"id":"lawful_good-000001"', `"id":"${id}"`);
const nested = (levels: number): string => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
const DEEP = 100_000;

// A tool whose schema and call carry numbers a double would print differently.
const exactRecord = JSON.stringify({
  id: "exact-numbers",
  persona: null,
  tools: [
    {
      type: "function",
      function: {
        name: "count",
        parameters: { type: "object", properties: { n: { type: "integer", default: 0 }, x: { type: "number" } } },
      },
    },
  ],
  messages: [
    { role: "user", content: "Count." },
    { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "count", arguments: { n: 0, x: 0 } } }] },
    { role: "tool", tool_call_id: "c1", name: "count", content: '{"total": 1e400, "n": 12345678901234567890123}' },
    { role: "assistant", tool_calls: [{ id: "c2", type: "function", function: { name: "count", arguments: '{"n": 0, "x": 0}' } }] },
    { role: "tool", tool_call_id: "c2", name: "count", content: "{}" },
    { role: "assistant", content: "Done." },
  ],
  meta: { date: "2025-03-14" },
})
  .replace('"default":0', '"default":12345678901234567890123')
  .replace('"arguments":{"n":0,"x":0}', '"arguments":{"n":12345678901234567890123,"x":1.0}')
  .replace('"arguments":"{\\"n\\": 0, \\"x\\": 0}"', '"arguments":"{\\"n\\": 98765432109876543210, \\"x\\": -0.0}"');

const LINES = [
  examples[0],
  withId("dup-key").replace('{"role":"user",', '{"role":"user","role":"assistant",'),
  withId("args-inf").replace('"arguments":{"city":"Oslo"}', '"arguments":{"city":"Oslo","days":1e400}'),
  withId("params-inf").replace('"type":"string","description":"The city, e.g. Oslo"', '"type":"string","maxLength":1e400'),
  withId("deep-params").replace('"required":["city"]', `"required":["city"],"x-deep":${nested(DEEP)}`),
  withId("deep-args").replace('"arguments":{"city":"Oslo"}', `"arguments":{"city":"Oslo","more":${nested(DEEP)}}`),
  withId("deep-meta").replace('"meta":{', `"meta":{"notes":${nested(DEEP)},`),
  exactRecord,
  examples[1],
];
const EXPECTED: [number, string][] = [
  [2, "duplicate_key"],
  [3, "number_out_of_range"],
  [4, "number_out_of_range"],
  [5, "too_deep"],
  [6, "too_deep"],
  [7, "too_deep"],
];
const input = join(work, "mixed.jsonl");
const exactInput = join(work, "exact.jsonl");

beforeAll(() => {
  for (const [i, line] of LINES.entries())
    if (i > 0 && i !== 7 && i !== 8) expect(line, `line ${i + 1} was edited`).not.toBe(withId(JSON.parse(line).id));
  writeFileSync(input, LINES.join("\n") + "\n");
  writeFileSync(exactInput, exactRecord + "\n");
});

describe("one verdict per line in every command", () => {
  it("validate: each line its reason code with the path, the others valid, exit 1", async () => {
    const run = await cli("datagen", "validate", input);
    expect(run.code, run.stderr).toBe(1);
    const found = [...run.stdout.matchAll(/mixed\.jsonl:(\d+) \S+ ([a-z_]+) /g)].map((m) => [Number(m[1]), m[2]]);
    expect(found).toEqual(EXPECTED);
    expect(run.stdout).toContain('key "role" appears twice in one object (at /messages/1/role)');
    expect(run.stdout).toContain("number 1e400 at /messages/2/tool_calls/0/function/arguments/days");
    expect(run.stdout).toContain("(at /tools/0/function/parameters/x-deep/a/…)");
    expect(run.stdout).toContain("(at /meta/notes/a/a/a/a/…)");
    expect(run.stdout).toContain("9 records in 1 file: 3 valid, 6 invalid");
    expect(run.stderr).not.toContain("Maximum call stack");
  });

  it("render: the same codes on stderr, the valid records rendered", async () => {
    const run = await cli("datagen", "render", input, "--documents", "conversation"); // one document per record: the verdicts are the point
    expect(run.code).toBe(1);
    expect([...run.stderr.matchAll(/mixed\.jsonl:(\d+) \S+ ([a-z_]+) /g)].map((m) => [Number(m[1]), m[2]])).toEqual(EXPECTED);
    expect(run.stdout.split("<|start|>system").length - 1).toBe(3);
    expect(run.stderr).not.toContain("Maximum call stack");
  });

  it("stats report (on a worker thread): the same codes as invalid records", async () => {
    const json = join(work, "stats.json");
    const run = await cli("dataset", "stats", "report", input, "--json", json, "--workers", "1");
    expect(run.stderr).not.toContain("Maximum call stack");
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.raw.records).toBe(3);
    expect(report.raw.invalid.by_code).toEqual({ duplicate_key: 1, number_out_of_range: 2, too_deep: 3 });
    expect(report.raw.invalid.examples.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual(EXPECTED);
  });

  it("pack: the same codes in rejects.jsonl, the valid records packed", async () => {
    const out = join(work, "packed");
    const run = await cli("datagen", "pack", input, "--out", out, "--seq-len", "8192", "--workers", "1", "--documents", "conversation");
    expect(run.code, run.stderr).toBe(0);
    const rejects = readFileSync(join(out, "rejects.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual(EXPECTED);
    const documents = readFileSync(join(out, "documents.jsonl"), "utf8").trim().split("\n");
    expect(documents).toHaveLength(3);
  });
});

describe("numbers are rendered exactly as written", () => {
  it("harmony: call arguments (object and string) and the schema default keep their literals; tool results are untouched", async () => {
    const run = await cli("datagen", "render", exactInput);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('<|constrain|>json<|message|>{"n":12345678901234567890123,"x":1.0}<|call|>');
    expect(run.stdout).toContain('<|constrain|>json<|message|>{"n":98765432109876543210,"x":-0.0}<|call|>');
    expect(run.stdout).toContain("n?: number, // default: 12345678901234567890123");
    expect(run.stdout).toContain('<|message|>{"total": 1e400, "n": 12345678901234567890123}<|end|>');
    expect(run.stdout).not.toMatch(/e\+22|null/);
  });

  it("hf: tojson spacing, same literals", async () => {
    const run = await cli("datagen", "render", exactInput, "--dialect", "hf");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('{"n": 12345678901234567890123, "x": 1.0}');
    expect(run.stdout).toContain("default: 12345678901234567890123");
  });
});

// JavaScript lists integer-like keys first, ascending: {"city":…,"1":…} would be rendered
// {"1":…,"city":…} (the reference renderer keeps the written order). Such a line is key_order in
// every command; integer-like keys written first and ascending render exactly as written.
describe("integer-like keys", () => {
  const KEY_LINES = [
    withId("ko-args").replace('"arguments":{"city":"Oslo"}', '"arguments":{"city":"Oslo","1":"x"}'),
    withId("ko-args-string").replace('"arguments":{"city":"Oslo"}', '"arguments":"{\\"city\\": \\"Oslo\\", \\"2\\": 1}"'),
    withId("ko-properties").replace('"default":"celsius"}}', '"default":"celsius"},"0":{"type":"string"}}'),
    withId("ordered")
      .replace('"properties":{"city"', '"properties":{"0":{"type":"string"},"7":{"type":"integer"},"city"')
      .replace('"arguments":{"city":"Oslo"}', '"arguments":{"0":"x","7":10,"city":"Oslo"}'),
  ];
  const KEY_EXPECTED: [number, string][] = [
    [1, "key_order"],
    [2, "key_order"],
    [3, "key_order"],
  ];
  const keyInput = join(work, "key-order.jsonl");
  const found = (text: string) => [...text.matchAll(/key-order\.jsonl:(\d+) \S+ ([a-z_]+) /g)].map((m) => [Number(m[1]), m[2]]);

  beforeAll(() => {
    for (const line of KEY_LINES) expect(line).not.toBe(withId(JSON.parse(line).id));
    writeFileSync(keyInput, KEY_LINES.join("\n") + "\n");
  });

  it("validate: key_order naming the keys and the path; the ordered record is valid", async () => {
    const run = await cli("datagen", "validate", keyInput);
    expect(run.code, run.stderr).toBe(1);
    expect(found(run.stdout)).toEqual(KEY_EXPECTED);
    expect(run.stdout).toContain(
      'integer-like key "1" written after "city" cannot keep its place (at /messages/2/tool_calls/0/function/arguments/1)',
    );
    expect(run.stdout).toContain('ko-args-string key_order call "call_1": arguments string: integer-like key "2" written after "city"');
    expect(run.stdout).toContain(
      'integer-like key "0" written after "unit" cannot keep its place (at /tools/0/function/parameters/properties/0)',
    );
    expect(run.stdout).toContain("4 records in 1 file: 1 valid, 3 invalid");
  });

  it("render: the same codes; the ordered record's arguments and signature keep the written order", async () => {
    const run = await cli("datagen", "render", keyInput);
    expect(run.code).toBe(1);
    expect(found(run.stderr)).toEqual(KEY_EXPECTED);
    expect(run.stdout.split("<|start|>system").length - 1).toBe(1);
    expect(run.stdout).toContain('<|constrain|>json<|message|>{"0":"x","7":10,"city":"Oslo"}<|call|>');
    expect(run.stdout).toMatch(/\n0\?: string,\n7\?: number,\n\/\/ The city, e\.g\. Oslo\ncity: string,\n/);
  });

  it("stats report (on a worker thread): the same codes as invalid records", async () => {
    const json = join(work, "stats-keys.json");
    const run = await cli("dataset", "stats", "report", keyInput, "--json", json, "--workers", "1");
    expect(run.stderr).not.toContain("Error");
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.raw.records).toBe(1);
    // stats lists the line-level rejects (1, 3) before the arguments string's (2): compared by line.
    const examples = report.raw.invalid.examples.map((e: { line: number; code: string }) => [e.line, e.code]);
    expect(examples.sort((a: number[], b: number[]) => a[0] - b[0])).toEqual(KEY_EXPECTED);
  });

  it("pack: the same codes in rejects.jsonl, the ordered record packed", async () => {
    const out = join(work, "packed-keys");
    const run = await cli("datagen", "pack", keyInput, "--out", out, "--seq-len", "8192", "--workers", "1");
    expect(run.code, run.stderr).toBe(0);
    const rejects = readFileSync(join(out, "rejects.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual(KEY_EXPECTED);
    expect(readFileSync(join(out, "documents.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
  });
});
