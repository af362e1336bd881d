import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { DataError } from "../../src/core/errors.js";
import { packDataset, type Manifest } from "../../src/pack/index.js";
import { ShardReader, readManifest } from "../../src/pack/reader.js";
import { processValue } from "../../src/pack/process-record.js";

const dir = mkdtempSync(join(tmpdir(), "pack-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, "input.jsonl");
const SEQ = 4096;

/** 80 generated records, an HF-style record, and bad lines at known line numbers. */
function writeInput(): { badLines: Map<number, string>; hfLine: number } {
  const lines: string[] = [];
  for (let i = 0; i < 80; i++) lines.push(JSON.stringify(conversation(i, 3)));
  lines.splice(10, 0, '{"id": "broken", "messages": [');
  lines.splice(20, 0, JSON.stringify({ id: "no-final", persona: null, messages: [{ role: "user", content: "hi" }] }));
  lines.splice(30, 0, "");
  lines.splice(
    31,
    0,
    JSON.stringify({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Hello " },
            { type: "text", text: "there" },
          ],
        },
        { role: "assistant", content: "Hi!" },
      ],
      extra: 1,
    }),
  );
  writeFileSync(input, lines.join("\n") + "\n");
  return {
    badLines: new Map([
      [11, "invalid_json"],
      [21, "missing_final"],
    ]),
    hfLine: 32,
  };
}

const fixture = writeInput();

/** Lengths of every document a fresh render makes of `path`'s lines (default --documents auto). */
function documentLengths(path: string): number[] {
  const lengths: number[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((text, k) => {
      if (!text.trim()) return;
      try {
        const r = processValue(JSON.parse(text), path, k + 1, { dialect: "harmony", mask: "assistant" });
        if (r.kind === "record") lengths.push(...r.documents.map((d) => d.tokens.length));
      } catch {
        /* bad JSON line */
      }
    });
  return lengths;
}

function filesOf(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const name of readdirSync(out).sort())
    m.set(
      name,
      createHash("sha256")
        .update(readFileSync(join(out, name)))
        .digest("hex"),
    );
  return m;
}

describe("packDataset", () => {
  let manifest: Manifest;
  const out1 = join(dir, "w1");
  const out2 = join(dir, "w2");
  beforeAll(async () => {
    await packDataset([input], { out: out1, seqLen: SEQ, workers: 0, packWindow: 25, shardSamples: 4 });
    await packDataset([input], { out: out2, seqLen: SEQ, workers: 2, packWindow: 25, shardSamples: 4 });
    manifest = readManifest(out1);
  });

  it("writes byte-identical datasets on this thread (--workers 0) and on 2 workers", () => {
    const a = filesOf(out1);
    expect(a.size).toBeGreaterThan(6);
    expect(filesOf(out2)).toEqual(a);
    expect(manifest.shards.length).toBeGreaterThan(1);
  });

  it("keeps documents whole, masks neither padding nor document starts", () => {
    let starts = 0;
    let paddedSamples = 0;
    let trainedSeen = 0;
    for (const shard of manifest.shards) {
      const reader = new ShardReader(out1, shard, SEQ);
      for (let k = 0; k < shard.samples; k++) {
        const { tokens, mask, bounds } = reader.sample(k);
        const end = bounds[bounds.length - 1];
        if (end < SEQ) paddedSamples++;
        for (let i = end; i < SEQ; i++) {
          expect(tokens[i]).toBe(199999);
          expect(mask[i]).toBe(0);
        }
        for (let j = 0; j + 1 < bounds.length; j++) {
          starts++;
          expect(mask[bounds[j]]).toBe(0);
          // each document ends with its own <|return|> and holds no other
          const doc = tokens.subarray(bounds[j], bounds[j + 1]);
          expect(doc[doc.length - 1]).toBe(200002);
          expect(doc.filter((t) => t === 200002).length).toBe(1);
          expect(doc[0]).toBe(200006);
        }
        for (let i = 0; i < end; i++) trainedSeen += mask[i];
      }
      reader.close();
    }
    expect(starts).toBe(manifest.documents);
    expect(starts).toBeGreaterThan(manifest.samples);
    expect(paddedSamples).toBeGreaterThan(0);
    expect(trainedSeen).toBe(manifest.tokens.trained);
    expect(trainedSeen).toBeGreaterThan(0);
  });

  it("packs each document exactly as a fresh render of its source line", () => {
    const source = readFileSync(input, "utf8").split("\n");
    const docs = readFileSync(join(out1, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const d of docs.slice(0, 20)) {
      const fresh = processValue(JSON.parse(source[d.line - 1]), input, d.line, { dialect: "harmony", mask: "assistant" });
      if (fresh.kind !== "record") throw new Error("expected a record");
      const doc = fresh.documents.find((x) => x.id === d.id);
      if (!doc) throw new Error(`no document ${d.id} in a fresh render`);
      const reader = new ShardReader(out1, manifest.shards[d.shard], SEQ);
      const got = reader.range(d.sample, d.offset, d.length);
      reader.close();
      expect(Array.from(got.tokens)).toEqual(Array.from(doc.tokens));
    }
  });

  it("records rejects with file, line and reason code, and adapts HF-style records", () => {
    const rejects = readFileSync(join(out1, "rejects.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects.map((r) => [r.line, r.code])).toEqual([...fixture.badLines]);
    expect(rejects.every((r) => r.file === input)).toBe(true);
    expect(manifest.rejects).toBe(2);
    const docs = readFileSync(join(out1, "documents.jsonl"), "utf8");
    expect(docs).toContain(`"id":${JSON.stringify(`${input}:${fixture.hfLine}`)}`);
    expect(manifest.inputs[0].records).toBe(83);
    // 81 records accepted; --documents auto cuts those with analysis before their last turn into turns.
    expect(manifest.documents_stats?.records).toBe(81);
    expect(manifest.documents + manifest.overlong.count).toBe(documentLengths(input).length);
    expect(manifest.documents).toBeGreaterThan(81);
  });

  it("writes a manifest whose checksums match every file and input", () => {
    const sha = (p: string): string => createHash("sha256").update(readFileSync(p)).digest("hex");
    const entries = [...manifest.shards.flatMap((s) => Object.values(s.files)), manifest.documents_file, manifest.rejects_file];
    for (const e of entries) {
      expect(sha(join(out1, e.path)), e.path).toBe(e.sha256);
      expect(readFileSync(join(out1, e.path)).length).toBe(e.bytes);
    }
    expect(manifest.inputs[0].sha256).toBe(sha(input));
    expect(manifest).toMatchObject({
      format: "datagen.packed",
      version: 1,
      tokenizer: "o200k_harmony",
      vocab_size: 201088,
      seq_len: SEQ,
      pad_id: 199999,
      dialect: "harmony",
      mask: "assistant",
    });
    expect(manifest.tokens.real + manifest.tokens.padding).toBe(manifest.samples * SEQ);
    expect(manifest.fill_rate).toBeCloseTo(manifest.tokens.real / (manifest.samples * SEQ), 12);
    // nothing but the dataset's own files
    expect(readdirSync(out1).filter((n) => n.endsWith(".partial"))).toEqual([]);
  });

  it("refuses to overwrite a dataset without --force, and replaces it with it", async () => {
    await expect(packDataset([input], { out: out1, seqLen: SEQ })).rejects.toThrow(/--force/);
    // Copies of the dataset packed above stand for one packed earlier into the same --out.
    const foreign = join(dir, "foreign");
    cpSync(out1, foreign, { recursive: true });
    writeFileSync(join(foreign, "notes.txt"), "mine");
    await expect(packDataset([input], { out: foreign, seqLen: SEQ, force: true })).rejects.toThrow(
      /holds files datagen did not write \(notes.txt\)/,
    );
    const out3 = join(dir, "w3");
    cpSync(out1, out3, { recursive: true });
    await packDataset([input], { out: out3, seqLen: SEQ, packWindow: 25, shardSamples: 4, force: true });
    expect(filesOf(out3)).toEqual(filesOf(out1));
  });

  it("stops at the first reject with --strict, naming file and line, and leaves no manifest", async () => {
    const out = join(dir, "strict");
    const err = await packDataset([input], { out, seqLen: SEQ, workers: 2, strict: true }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe("invalid_json");
    expect((err as Error).message).toContain(`${input}:11`);
    expect(existsSync(out)).toBe(false); // the folder this run created goes too, being empty
  });
});

describe("several inputs", () => {
  it("packs them together and records each input with its own checksum and records", async () => {
    const second = join(dir, "second.jsonl");
    writeFileSync(second, Array.from({ length: 12 }, (_, i) => JSON.stringify(conversation(100 + i, 4))).join("\n") + "\n");
    const out = join(dir, "two");
    const s = await packDataset([input, second], { out, seqLen: 32768 });
    const m = readManifest(out);
    expect(m.inputs.map((i) => [i.path, i.records])).toEqual([
      [input, 83],
      [second, 12],
    ]);
    expect(m.inputs[1].sha256).toBe(createHash("sha256").update(readFileSync(second)).digest("hex"));
    const docs = readFileSync(join(out, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(new Set(docs.filter((d) => d.input === second).map((d) => d.line)).size).toBe(12);
    expect(s.documentsStats.records).toBe(93);
    expect(s.documents + s.overlong.count).toBe(documentLengths(input).length + documentLengths(second).length);
  });
});

describe("overlong documents", () => {
  const small = 1024;
  let lengths: number[];
  beforeAll(() => {
    lengths = documentLengths(input); // a turn's document meets the policy on its own
  });

  it("drops and counts them by default", async () => {
    const over = lengths.filter((n) => n > small).length;
    expect(over).toBeGreaterThan(3);
    const s = await packDataset([input], { out: join(dir, "drop"), seqLen: small });
    expect(s.overlong).toEqual({ policy: "drop", count: over });
    expect(s.documents).toBe(lengths.length - over);
  });

  it("truncates them to seq_len with --overlong truncate", async () => {
    const out = join(dir, "truncate");
    const s = await packDataset([input], { out, seqLen: small, overlong: "truncate" });
    expect(s.documents).toBe(lengths.length);
    const docs = readFileSync(join(out, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(docs.filter((d) => d.length === small).length).toBeGreaterThanOrEqual(s.overlong.count);
    expect(s.overlong.count).toBe(lengths.filter((n) => n > small).length);
  });

  it("fails with file:line under --overlong error", async () => {
    const out = join(dir, "error");
    const err = await packDataset([input], { out, seqLen: small, overlong: "error" }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe("overlong");
    expect((err as Error).message).toMatch(new RegExp(`${input}:\\d+`));
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
  });
});

describe("--shuffle-seed", () => {
  it("shuffles the sample order reproducibly", async () => {
    const opts = { seqLen: SEQ, packWindow: 25, shardSamples: 4 };
    await packDataset([input], { ...opts, out: join(dir, "s1"), shuffleSeed: 7 });
    await packDataset([input], { ...opts, out: join(dir, "s2"), shuffleSeed: 7 });
    await packDataset([input], { ...opts, out: join(dir, "s3") });
    expect(filesOf(join(dir, "s2"))).toEqual(filesOf(join(dir, "s1")));
    const order = (out: string): string[][] => {
      const bySample = new Map<string, string[]>();
      for (const l of readFileSync(join(out, "documents.jsonl"), "utf8").trim().split("\n")) {
        const d = JSON.parse(l);
        const key = `${d.shard}/${d.sample}`;
        bySample.set(key, [...(bySample.get(key) ?? []), d.id]);
      }
      return [...bySample.values()];
    };
    const shuffled = order(join(dir, "s1"));
    const plain = order(join(dir, "s3"));
    expect(shuffled).not.toEqual(plain);
    expect([...shuffled].sort()).toEqual([...plain].sort());
  });
});
