// Duplicate record ids across the inputs of one pack run: rejected as duplicate_record_id, in input
// order whatever the worker count; records rejected for other reasons and ids made up by the
// adapter (file:line) never count as a first occurrence.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { DataError } from "../../src/core/errors.js";
import { packDataset, type PackOptions } from "../../src/pack/index.js";
import { readManifest } from "../../src/pack/reader.js";

const dir = mkdtempSync(join(tmpdir(), "pack-dup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SEQ = 32768;
// One document per record (--documents conversation): the ids under test are the records'.
const options = (out: string, workers: number): PackOptions => ({
  out,
  seqLen: SEQ,
  workers,
  overlong: "truncate",
  packWindow: 4,
  shardSamples: 2,
  documents: "conversation",
});

const jsonl = (path: string, values: unknown[]): string => {
  writeFileSync(path, values.map((v) => JSON.stringify(v)).join("\n") + "\n");
  return path;
};
const rejectsOf = (out: string) =>
  readFileSync(join(out, "rejects.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const documentsOf = (out: string) =>
  readFileSync(join(out, "documents.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const hashes = (out: string) =>
  new Map(
    readdirSync(out)
      .sort()
      .map((n) => [
        n,
        createHash("sha256")
          .update(readFileSync(join(out, n)))
          .digest("hex"),
      ]),
  );

describe("duplicate record ids across inputs", () => {
  const first = join(dir, "first.jsonl");
  const second = join(dir, "second.jsonl");
  const secondClean = join(dir, "second-clean.jsonl");
  const records = Array.from({ length: 8 }, (_, i) => conversation(i, 11));
  beforeAll(async () => {
    jsonl(first, records.slice(0, 5));
    // line 3 of `second` repeats the id of first.jsonl:4
    jsonl(second, [records[5], records[6], { ...records[7], id: records[3].id }]);
    jsonl(secondClean, [records[5], records[6]]);
    await packDataset([first, second], options(join(dir, "w1"), 0));
    await packDataset([first, second], options(join(dir, "w2"), 2));
    await packDataset([first, secondClean], options(join(dir, "clean"), 0));
  });

  it("rejects the later copy with its file, line and where the id was first seen", () => {
    expect(rejectsOf(join(dir, "w1"))).toEqual([
      {
        file: second,
        line: 3,
        id: records[3].id,
        code: "duplicate_record_id",
        message: `id "${records[3].id}" was already used at ${first}:4`,
        issues: [{ code: "duplicate_record_id", message: `id "${records[3].id}" was already used at ${first}:4`, path: "/id" }],
      },
    ]);
  });

  it("counts it as a reject, not a document", () => {
    const m = readManifest(join(dir, "w1"));
    const clean = readManifest(join(dir, "clean"));
    expect(m.rejects).toBe(1);
    expect(clean.rejects).toBe(0);
    expect(m.documents).toBe(7);
    expect(clean.documents).toBe(7);
    expect(
      documentsOf(join(dir, "w1"))
        .filter((d) => d.id === records[3].id)
        .map((d) => [d.input, d.line]),
    ).toEqual([[first, 4]]);
  });

  it("writes byte-identical output on this thread (0 workers) and on 2 workers", () => {
    const one = hashes(join(dir, "w1"));
    expect(one.size).toBeGreaterThan(4);
    expect(hashes(join(dir, "w2"))).toEqual(one);
  });

  it("fails --strict on the duplicate", async () => {
    const err = await packDataset([first, second], { ...options(join(dir, "strict"), 2), strict: true }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe("duplicate_record_id");
    expect((err as Error).message).toContain(`${second}:3`);
    expect((err as Error).message).toContain(`${first}:4`);
  });

  it("never penalises records without an id, even when the same file is packed twice", async () => {
    const plain = jsonl(join(dir, "plain.jsonl"), [
      {
        messages: [
          { role: "user", content: "Hello" },
          { role: "assistant", content: "Hi!" },
        ],
      },
      {
        messages: [
          { role: "user", content: "Bye" },
          { role: "assistant", content: "Goodbye." },
        ],
      },
    ]);
    const out = join(dir, "plain");
    const s = await packDataset([plain, plain], options(out, 0));
    expect(s.rejects).toBe(0);
    expect(s.documents).toBe(4);
  });
});

describe("data/examples/invalid.jsonl line 21 (the repeated id persona-mismatch)", () => {
  const examples = join(import.meta.dirname, "../../data/examples/invalid.jsonl");
  const line21 = readFileSync(examples, "utf8").split("\n")[20];

  it("is packed on its own: its first occurrence (line 20) was rejected for another reason", async () => {
    const out = join(dir, "examples-alone");
    await packDataset([examples], options(out, 0));
    const rejects = rejectsOf(out);
    expect(rejects.find((r) => r.line === 20)?.code).toBe("persona_mismatch");
    expect(rejects.some((r) => r.line === 21)).toBe(false);
    expect(
      documentsOf(out)
        .map((d) => d.line)
        .sort((a, b) => a - b),
    ).toEqual([3, 21]); // line 3 is only too long for validate's limit
  });

  it("becomes a duplicate_record_id reject when packed after an accepted first occurrence", async () => {
    const earlier = join(dir, "earlier.jsonl");
    writeFileSync(earlier, line21 + "\n");
    const out = join(dir, "examples-dup");
    await packDataset([earlier, examples], options(out, 0));
    const reject = rejectsOf(out).find((r) => r.file === examples && r.line === 21);
    expect(reject).toMatchObject({
      id: "persona-mismatch",
      code: "duplicate_record_id",
      message: `id "persona-mismatch" was already used at ${earlier}:1`,
    });
    expect(
      documentsOf(out)
        .map((d) => `${d.input}:${d.line}`)
        .sort(),
    ).toEqual([`${examples}:3`, `${earlier}:1`].sort());
    expect(readManifest(out).rejects).toBe(32); // every line of invalid.jsonl's 33 but line 3 (too long only for validate's limit); line 21 as a duplicate
  });
});
