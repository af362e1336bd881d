// The input layer (src/ingest/source.ts) on every container: the same items, on the same lines, as
// the plain JSONL twin; detection by content; damaged, empty and unsupported inputs. Fixtures:
// test/fixtures/ingest/containers (made by make.py there, with pyarrow and zstd).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DataError } from "../../src/core/errors.js";
import { readSource, readSourceLines, type SourceItem } from "../../src/ingest/source.js";
import type { Container } from "../../src/ingest/source.js";
import { runScript } from "../helpers/cli.js";

const FIXTURES = "test/fixtures/ingest/containers";
const fixture = (name: string): string => join(FIXTURES, name);
const work = mkdtempSync(join(tmpdir(), "datagen-ingest-container-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a command sees of each item: its line, and its record id or its reason code. */
function summary(item: SourceItem): { line: number; id?: string; code?: string } {
  if ("error" in item) return { line: item.line, code: item.error.code };
  return { line: item.line, id: (item.value as { id: string }).id.replace(item.file, "FILE") };
}

/** The record, its made-up id (FILE:LINE) written with FILE, so files of different names compare. */
function itemValue(item: SourceItem): unknown {
  if ("error" in item) return null;
  const value = item.value as { id: string };
  return { ...value, id: value.id.replace(item.file, "FILE") };
}

async function read(path: string, options: Parameters<typeof readSource>[1] = {}): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of readSource(path, options)) items.push(item);
  return items;
}

async function layersOf(path: string): Promise<Container[]> {
  let layers: Container[] = [];
  for await (const _ of readSourceLines(path, { onContainer: (l) => (layers = l) }));
  return layers;
}

async function thrown(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

async function readAll(path: string, options: { highWaterMark?: number }): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for await (const item of readSourceLines(path, options))
    out.push([item.line, "bytes" in item ? item.bytes.toString() : JSON.stringify(item)]);
  return out;
}

function writeWork(name: string, data: string | Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, data);
  return path;
}

describe("readSource: every container gives the items of its plain JSONL twin", () => {
  it("the twin has what the fixtures promise: 4 records, 1 that breaks a rule, 1 line that is not JSON, an id made up as FILE:LINE", async () => {
    const items = (await read(fixture("records.jsonl"))).map(summary);
    expect(items).toEqual([
      { line: 1, id: "lawful_good-000001" },
      { line: 2, id: "FILE:2" },
      { line: 3, id: "chaotic_good-000003" },
      { line: 4, id: "bad-tool" },
      { line: 5, code: "invalid_json" },
      { line: 6, id: "true_neutral-000005" },
    ]);
  });

  for (const [name, layers] of [
    ["records.jsonl.gz", ["gzip", "jsonl"]],
    ["records.jsonl.zst", ["zstd", "jsonl"]],
    ["records.json", ["json-array"]],
  ] as const) {
    it(`${name} (${layers.join(" + ")}): same values, same lines`, async () => {
      const twin = await read(fixture("records.jsonl"));
      const items = await read(fixture(name));
      expect(items.map(summary)).toEqual(twin.map(summary));
      // Not just the ids: every record is the same value.
      expect(items.map(itemValue)).toEqual(twin.map(itemValue));
      expect(await layersOf(fixture(name))).toEqual(layers);
    });
  }

  it("a pretty-printed JSON array: each element is located at the line where it starts", async () => {
    const starts = JSON.parse(readFileSync(fixture("records.pretty.lines.json"), "utf8")) as number[];
    const items = await read(fixture("records.pretty.json"));
    expect(items.map((i) => i.line)).toEqual(starts);
    expect(items.map((i) => ("value" in i ? (i.value as { id: string }).id : i.error.code))).toEqual([
      "lawful_good-000001",
      `${fixture("records.pretty.json")}:${starts[1]}`,
      "chaotic_good-000003",
    ]);
  });

  for (const name of ["records.parquet", "messages.parquet"]) {
    it(`${name}: one record per row, its row number as line, across row groups`, async () => {
      const twin = await read(fixture(`${name}.jsonl`));
      const items = await read(fixture(name));
      expect(items.length).toBeGreaterThanOrEqual(7); // several row groups of 2-3 rows
      expect(items.map(summary)).toEqual(twin.map(summary));
      expect(items.map(itemValue)).toEqual(twin.map(itemValue));
    });
  }

  it("Parquet int64 past 2^53 is written with all its digits; NaN is a located unsupported_value", async () => {
    const rows = [];
    for await (const row of readSourceLines(fixture("values.parquet"))) rows.push(row);
    expect(rows[0]).toMatchObject({ line: 1 });
    expect("bytes" in rows[0] && rows[0].bytes.toString()).toBe('{"id":"big","n":6172839450617283945,"x":0.5}');
    expect(rows[1]).toMatchObject({ line: 2, error: { code: "unsupported_value" } });
  });

  it("stdin ('-') is read like a file and named <stdin>", async () => {
    const script =
      'import { readSource } from "./src/ingest/source.ts"; for await (const i of readSource("-")) console.log(i.file, i.line, "error" in i ? i.error.code : i.value.id);';
    const run = await runScript(script, [], { stdin: readFileSync(fixture("records.jsonl.gz")) });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim().split("\n")).toEqual([
      "<stdin> 1 lawful_good-000001",
      "<stdin> 2 <stdin>:2",
      "<stdin> 3 chaotic_good-000003",
      "<stdin> 4 bad-tool",
      "<stdin> 5 invalid_json",
      "<stdin> 6 true_neutral-000005",
    ]);
  });
});

describe("readSource: detection by content, not by name", () => {
  it("gzip named .jsonl, zstd named .json, a JSON array named .jsonl, JSONL named .parquet", async () => {
    const twin = (await read(fixture("records.jsonl"))).map(summary);
    const cases: [string, string, Container[]][] = [
      ["records.jsonl.gz", "gz-data.jsonl", ["gzip", "jsonl"]],
      ["records.jsonl.zst", "zst-data.json", ["zstd", "jsonl"]],
      ["records.json", "array-data.jsonl", ["json-array"]],
      ["records.jsonl", "lines.parquet", ["jsonl"]],
    ];
    for (const [from, to, layers] of cases) {
      const path = join(work, to);
      copyFileSync(fixture(from), path);
      expect(await layersOf(path)).toEqual(layers);
      expect((await read(path)).map(summary)).toEqual(twin);
    }
  });

  it("a gzip of a JSON array is read as both layers", async () => {
    const path = writeWork("array.json.gz", gzipSync(readFileSync(fixture("records.json"))));
    expect(await layersOf(path)).toEqual(["gzip", "json-array"]);
    expect((await read(path)).map(summary)).toEqual((await read(fixture("records.jsonl"))).map(summary));
  });
});

describe("readSource: damaged, empty and unsupported inputs", () => {
  it("a truncated gzip: the items before the cut are read, then corrupt_input naming the file", async () => {
    const whole = readFileSync(fixture("records.jsonl.gz"));
    const path = writeWork("cut.jsonl.gz", whole.subarray(0, Math.floor(whole.length * 0.8)));
    const seen: number[] = [];
    const error = await thrown(
      (async () => {
        for await (const item of readSource(path)) seen.push(item.line);
      })(),
    );
    expect(error.code).toBe("corrupt_input");
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/gzip data is corrupt or truncated/);
    expect(seen.length).toBeGreaterThan(0);
    expect(error.message).toContain(`after line ${seen[seen.length - 1]}`);
  });

  it("a gzip with a flipped byte, a truncated zstd and a truncated Parquet file are corrupt_input too", async () => {
    const gz = Buffer.from(readFileSync(fixture("records.jsonl.gz")));
    gz[40] ^= 0xff;
    const zst = readFileSync(fixture("records.jsonl.zst"));
    const pq = readFileSync(fixture("records.parquet"));
    for (const [name, data, pattern] of [
      ["flipped.jsonl.gz", gz, /gzip data is corrupt/],
      ["cut.jsonl.zst", zst.subarray(0, zst.length - 50), /zstd data is corrupt or truncated/],
      ["cut.parquet", pq.subarray(0, pq.length - 100), /Parquet/],
    ] as const) {
      const path = writeWork(name, data);
      const error = await thrown(read(path));
      expect(error.code).toBe("corrupt_input");
      expect(error.message).toContain(path);
      expect(error.message).toMatch(pattern);
    }
  });

  it("an input with no record at all is one empty_input item at line 0, whatever the container", async () => {
    const cases: [string, string | Uint8Array, RegExp][] = [
      ["empty.jsonl", "", /empty or holds only blank lines/],
      ["blank.jsonl", "\n  \n\t\r\n", /empty or holds only blank lines/],
      ["empty.jsonl.gz", gzipSync(Buffer.alloc(0)), /empty or holds only blank lines/],
      ["empty.json", " [ \n ] \n", /JSON array is empty/],
    ];
    for (const [name, data, pattern] of cases) {
      const items = await read(writeWork(name, data));
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ line: 0, error: { code: "empty_input" } });
      expect("error" in items[0] && items[0].error.message).toMatch(pattern);
    }
  });

  it("zip, xz and Parquet on stdin are unsupported_input, with what to do", async () => {
    const zip = writeWork("data.jsonl", Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
    const error = await thrown(read(zip));
    expect(error.code).toBe("unsupported_input");
    expect(error.message).toMatch(/zip archive.*unpack or convert it first/);
    const xz = writeWork("data.jsonl.xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]));
    expect((await thrown(read(xz))).message).toMatch(/xz data/);
    const gzParquet = writeWork("data.parquet.gz", gzipSync(readFileSync(fixture("records.parquet"))));
    expect((await thrown(read(gzParquet))).message).toMatch(/Parquet needs random access/);
  });

  it("a broken JSON array: bad elements are located errors and the good ones still come", async () => {
    const path = writeWork("broken.json", '[{"a":1},\n,\n{"b":"],}"} {"c":3},\n{"d":4}\n] trailing');
    const items = await read(path, { from: "native" });
    expect(items.map((i) => ("error" in i ? [i.line, i.error.code, i.error.message] : [i.line, i.value]))).toEqual([
      [1, { a: 1 }],
      [2, "invalid_json", "empty element in the top-level JSON array (two commas)"],
      [3, "invalid_json", expect.any(String)], // two values without a comma: the parser says so
      [4, { d: 4 }],
      [5, "invalid_json", "data after the end of the top-level JSON array"],
    ]);
    const cut = await read(writeWork("cut.json", '[{"a":1},\n{"b":'), { from: "native" });
    expect(cut.map((i) => ("error" in i ? [i.line, i.error.message] : [i.line]))).toEqual([
      [1],
      [2, "the input ends inside the top-level JSON array (truncated file?)"],
    ]);
  });

  it("a JSON array is split the same at any chunk boundary: escapes, brackets and commas in strings, a raw newline in a string", async () => {
    const path = writeWork("tricky.json", '["a\\\\\\"b,]" , {"x":"line\nbreak"},\n[1,"]"]\n,{"k":"\\\\"}]');
    const whole = await readAll(path, {});
    const bytewise = await readAll(path, { highWaterMark: 1 });
    expect(bytewise).toEqual(whole);
    expect(whole).toEqual([
      [1, '"a\\\\\\"b,]" '],
      [1, '{"x":"line\nbreak"}'],
      [3, '[1,"]"]\n'],
      [4, '{"k":"\\\\"}'],
    ]);
  });

  it("--max-line-bytes caps a JSON array element and a Parquet row like a JSONL line", async () => {
    const big = JSON.stringify({ text: "x".repeat(500) });
    const array = await read(writeWork("long.json", `[${big},\n{"id":"small"}]`), { maxLineBytes: 100, from: "native" });
    expect(array.map((i) => ("error" in i ? [i.line, i.error.code] : [i.line]))).toEqual([[1, "line_too_long"], [2]]);
    const rows = [];
    for await (const row of readSourceLines(fixture("records.parquet"), { maxLineBytes: 1500 }))
      rows.push("tooLong" in row ? "long" : "ok");
    expect(rows).toContain("long");
    expect(rows).toContain("ok");
  });
});
