// The shared line splitter (src/core/lines.ts) under every chunking, and readJsonl on top of it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonl } from "../../src/core/jsonl.js";
import { ByteLineSplitter, type ByteLine } from "../../src/core/lines.js";

const dir = mkdtempSync(join(tmpdir(), "datagen-jsonl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function splitInChunks(data: Buffer, chunk: number, maxLineBytes: number): ByteLine[] {
  const splitter = new ByteLineSplitter(maxLineBytes);
  const out: ByteLine[] = [];
  for (let at = 0; at < data.length; at += chunk) out.push(...splitter.push(Buffer.from(data.subarray(at, at + chunk))));
  const last = splitter.end();
  if (last) out.push(last);
  return out;
}

const show = (lines: ByteLine[]) => lines.map((l) => ("tooLong" in l ? `${l.line}:TOO_LONG` : `${l.line}:${l.bytes.toString("latin1")}`));

describe("ByteLineSplitter", () => {
  const text = 'a\n\n  \r\n{"x":1}\r\nbbbbbbbbbbbb\nccc\n\t\nno-newline';
  const expected = ["1:a", '4:{"x":1}\r', "5:TOO_LONG", "6:ccc", "8:no-newline"];

  it("gives the same lines, numbers and over-long markers for every chunk size", () => {
    const data = Buffer.from(text, "latin1");
    for (let chunk = 1; chunk <= data.length; chunk++) expect(show(splitInChunks(data, chunk, 10)), `chunk ${chunk}`).toEqual(expected);
  });

  it("ends a file that ends with a newline without an extra line", () => {
    expect(show(splitInChunks(Buffer.from("a\nb\n"), 3, 10))).toEqual(["1:a", "2:b"]);
  });
});

describe("readJsonl", () => {
  // A line of only non-ASCII whitespace (U+00A0) is not blank in JSON terms: invalid_json, as in pack.
  it("parses, skips blank lines, and reports bad lines with their line numbers", async () => {
    const path = join(dir, "mixed.jsonl");
    const bad = Buffer.from([0xff, 0xfe, 0x0a]);
    writeFileSync(path, Buffer.concat([Buffer.from('{"a":1}\n\n{"a":\n'), bad, Buffer.from(`"${"x".repeat(40)}"\n\u00a0\n[2]`)]));
    const items = [];
    for await (const item of readJsonl(path, { maxLineBytes: 32, highWaterMark: 5 })) items.push(item);
    expect(items.map((i) => ("error" in i ? `${i.line}:${i.error.code}` : `${i.line}:${JSON.stringify(i.value)}`))).toEqual([
      '1:{"a":1}',
      "3:invalid_json",
      "4:invalid_utf8",
      "5:line_too_long",
      "6:invalid_json",
      "7:[2]",
    ]);
  });
});
