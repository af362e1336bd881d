// datagen export: every format read back with an independent reader (hyparquet, itself checked
// against pyarrow-written fixtures) and compared position by position with the packed shards.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { harmonySpecialTokens } from "../../src/tokenize/o200k_harmony.js";
import { tokenizeAllowingSpecials } from "../../src/export/index.js";
import { renderDocuments, renderText } from "../../src/render/index.js";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) => runCli("datagen", args);
const examples = join(import.meta.dirname, "../../data/examples/conversations.jsonl");
const fixtures = join(import.meta.dirname, "../fixtures/export");

// The example records packed once for the whole file (small seq-len: several documents per sample;
// the examples hold thinking and tool calls). Tests that damage it work on a copy.
const examplesPacked = join(dir, "examples-packed");
beforeAll(async () => {
  const r = await run(["pack", examples, "--out", examplesPacked, "--seq-len", "2048", "--overlong", "truncate"]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

async function readParquet(path: string): Promise<Record<string, unknown>[]> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(path), compressors })) as Record<string, unknown>[];
}
const ints = (v: unknown): number[] => Array.from(v as ArrayLike<number | bigint>, Number);

/** The samples of a packed dataset, read straight from the files (not through src/pack or src/export). */
function readShards(packed: string): { tokens: number[]; mask: number[]; bounds: number[] }[] {
  const m = JSON.parse(readFileSync(join(packed, "manifest.json"), "utf8"));
  const out: { tokens: number[]; mask: number[]; bounds: number[] }[] = [];
  for (const shard of m.shards) {
    const buf = (kind: string): Buffer => readFileSync(join(packed, shard.files[kind].path));
    const tokens = buf("tokens");
    const mask = buf("mask");
    const bounds = buf("bounds");
    const index = buf("bounds_index");
    for (let k = 0; k < shard.samples; k++) {
      const b: number[] = [];
      for (let e = Number(index.readBigUInt64LE(k * 8)); e < Number(index.readBigUInt64LE(k * 8 + 8)); e++)
        b.push(bounds.readUInt32LE(e * 4));
      const end = b[b.length - 1];
      const t: number[] = [];
      for (let i = 0; i < end; i++) t.push(tokens.readUInt32LE((k * m.seq_len + i) * 4));
      out.push({ tokens: t, mask: Array.from(mask.subarray(k * m.seq_len, k * m.seq_len + end)), bounds: b });
    }
  }
  return out;
}

async function rowsOf(out: string, suffix: string): Promise<Record<string, unknown>[]> {
  const files = readdirSync(out)
    .filter((n) => n.endsWith(suffix))
    .sort();
  const rows: Record<string, unknown>[] = [];
  for (const f of files) rows.push(...(await readParquet(join(out, f))));
  return rows;
}

/** hf-parquet: labels = token where mask 1 else −100 (unshifted); positions restart at each bound. */
async function checkHf(packed: string, out: string): Promise<number> {
  const samples = readShards(packed);
  const rows = await rowsOf(out, ".parquet");
  expect(rows.length).toBe(samples.length);
  let checked = 0;
  samples.forEach((s, k) => {
    const ids = ints(rows[k].input_ids);
    const labels = ints(rows[k].labels);
    const pos = ints(rows[k].position_ids);
    expect(ids).toEqual(s.tokens);
    expect(labels.length).toBe(s.tokens.length);
    expect(ints(rows[k].seq_lengths)).toEqual(s.bounds.slice(1).map((b, j) => b - s.bounds[j]));
    // Built whole and compared once: one expect per token made this the slowest test of the tier.
    const wantPos: number[] = [];
    const wantLabels: number[] = [];
    for (let j = 0; j + 1 < s.bounds.length; j++) {
      for (let i = s.bounds[j]; i < s.bounds[j + 1]; i++) {
        wantPos.push(i - s.bounds[j]);
        wantLabels.push(s.mask[i] === 1 ? s.tokens[i] : -100);
      }
    }
    expect(pos).toEqual(wantPos);
    expect(labels).toEqual(wantLabels);
    checked += wantPos.length;
  });
  return checked;
}

/** megatron-bridge: loss_mask[t] = mask[t+1] inside a document, 0 on its last token; seq_start_id = starts. */
async function checkMegatron(packed: string, out: string): Promise<void> {
  const samples = readShards(packed);
  const rows = await rowsOf(out, ".idx.parquet");
  expect(rows.length).toBe(samples.length);
  samples.forEach((s, k) => {
    expect(ints(rows[k].input_ids)).toEqual(s.tokens);
    expect(ints(rows[k].seq_start_id)).toEqual(s.bounds.slice(0, -1));
    const lm = ints(rows[k].loss_mask);
    const wantLossMask: number[] = [];
    for (let j = 0; j + 1 < s.bounds.length; j++) {
      const end = s.bounds[j + 1];
      for (let t = s.bounds[j]; t < end; t++) wantLossMask.push(t + 1 < end ? s.mask[t + 1] : 0);
    }
    expect(lm).toEqual(wantLossMask);
    // Megatron's collate: inputs drop each document's last token; the targets it trains equal our mask's.
    let megatronTrained = 0;
    let ours = 0;
    for (let j = 0; j + 1 < s.bounds.length; j++)
      for (let t = s.bounds[j]; t < s.bounds[j + 1] - 1; t++)
        megatronTrained += lm[t] && s.tokens[t] !== 200002 && s.tokens[t] !== 199999 ? 1 : 0;
    for (const v of s.mask) ours += v;
    expect(megatronTrained).toBe(ours);
  });
}

describe("hyparquet reads pyarrow-written Parquet exactly (the tests' reader)", () => {
  const expected = JSON.parse(readFileSync(join(fixtures, "pyarrow-expected.json"), "utf8"));
  for (const codec of ["zstd", "snappy", "none"]) {
    it(`list<int32> and list<int8> columns, ${codec}`, async () => {
      const rows = await readParquet(join(fixtures, `pyarrow-${codec}.parquet`));
      expect(rows.map((r) => ints(r.input_ids))).toEqual(expected.input_ids);
      expect(rows.map((r) => ints(r.labels))).toEqual(expected.labels);
      expect(rows.map((r) => ints(r.loss_mask))).toEqual(expected.loss_mask);
    });
  }
});

describe("datagen export --to hf-parquet / megatron-bridge", () => {
  const corpusPacked = join(dir, "corpus-packed");
  beforeAll(async () => {
    const corpus = join(dir, "corpus.jsonl");
    writeFileSync(corpus, Array.from({ length: 120 }, (_, i) => JSON.stringify(conversation(i, 5))).join("\n") + "\n");
    const r = await run(["pack", corpus, "--out", corpusPacked, "--seq-len", "16384", "--shard-samples", "3"]);
    expect(r.code, r.stderr).toBe(0);
  }, 240_000);

  for (const [name, packed] of [
    ["example records", examplesPacked],
    ["generated corpus (several shards)", corpusPacked],
  ] as const) {
    it(`${name}: hf-parquet rows match the shards position by position`, async () => {
      const out = join(dir, `hf-${name.length}`);
      // small files: several parts, so part boundaries are covered too
      const r = await run(["export", packed, "--to", "hf-parquet", "--out", out, "--file-tokens", "1500", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      const manifest = JSON.parse(readFileSync(join(packed, "manifest.json"), "utf8"));
      expect(summary.rows).toBe(manifest.samples);
      expect(summary.documents).toBe(manifest.documents);
      expect(summary.tokens).toBe(manifest.tokens.real);
      expect(summary.trained).toBe(manifest.tokens.trained);
      expect(summary.files.length).toBeGreaterThan(1);
      expect(await checkHf(packed, out)).toBe(manifest.tokens.real);
      const card = readFileSync(join(out, "README.md"), "utf8");
      expect(card).toContain(summary.sourceManifestSha256);
      expect(card).toContain("position_ids");
      expect(readdirSync(out).filter((n) => n.endsWith(".partial"))).toEqual([]);
    });

    it(`${name}: megatron-bridge rows carry the shifted loss_mask`, async () => {
      const out = join(dir, `mb-${name.length}`);
      const r = await run(["export", packed, "--to", "megatron-bridge", "--out", out, "--compression", "snappy", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      const manifest = JSON.parse(readFileSync(join(packed, "manifest.json"), "utf8"));
      expect(summary.trained).toBe(manifest.tokens.trained);
      expect(summary.eosZeroed).toBe(0);
      expect(readdirSync(out).some((n) => /^part-\d{5}\.idx\.parquet$/.test(n))).toBe(true);
      await checkMegatron(packed, out);
    });
  }

  it("writes byte-identical files encoded on this thread (--workers 0) and on 2 threads", async () => {
    // The Parquet files (README.md records the run's time).
    const files = (out: string): Map<string, string> =>
      new Map(
        readdirSync(out)
          .filter((n) => n.endsWith(".parquet"))
          .map((n) => [
            n,
            createHash("sha256")
              .update(readFileSync(join(out, n)))
              .digest("hex"),
          ]),
      );
    const outs = ["0", "2"].map((w) => join(dir, `threads-${w}`));
    for (const [k, w] of ["0", "2"].entries()) {
      const r = await run(["export", corpusPacked, "--to", "hf-parquet", "--out", outs[k], "--file-tokens", "20000", "--workers", w]);
      expect(r.code, r.stderr).toBe(0);
    }
    const zero = files(outs[0]);
    expect(zero.size).toBeGreaterThan(1);
    expect(files(outs[1])).toEqual(zero);
  });

  it("refuses a non-empty --out unless --force, and foreign files even with --force", async () => {
    const out = join(dir, "again");
    expect((await run(["export", examplesPacked, "--to", "hf-parquet", "--out", out])).code).toBe(0);
    const second = await run(["export", examplesPacked, "--to", "hf-parquet", "--out", out]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("--force");
    expect((await run(["export", examplesPacked, "--to", "hf-parquet", "--out", out, "--force"])).code).toBe(0);
    writeFileSync(join(out, "mine.txt"), "x");
    const foreign = await run(["export", examplesPacked, "--to", "hf-parquet", "--out", out, "--force"]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain("mine.txt");
  });
});

describe("datagen export: damaged sources", () => {
  const copy = (name: string): string => {
    const to = join(dir, name);
    rmSync(to, { recursive: true, force: true });
    cpSync(examplesPacked, to, { recursive: true });
    return to;
  };

  it("a flipped byte fails verify: refused (exit 1, nothing written) unless --no-verify", async () => {
    const src = copy("flipped");
    const m = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
    const tokens = join(src, m.shards[0].files.tokens.path);
    const bytes = readFileSync(tokens);
    bytes[8] ^= 0x01; // token 2 of sample 0: still a valid id, so only the checksum notices
    writeFileSync(tokens, bytes);
    const out = join(dir, "flipped-out");
    const r = await run(["export", src, "--to", "hf-parquet", "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/source_verify_failed .*checksum_mismatch .*@8/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(out)).toBe(false);
    const forced = await run(["export", src, "--to", "hf-parquet", "--out", out, "--no-verify"]);
    expect(forced.code, forced.stderr).toBe(0);
  });

  it("a truncated shard is a clear error even with --no-verify; nothing is left in --out", async () => {
    const src = copy("truncated");
    const m = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
    const mask = join(src, m.shards[0].files.mask.path);
    writeFileSync(mask, readFileSync(mask).subarray(0, 100));
    for (const flags of [[], ["--no-verify"]]) {
      const out = join(dir, `truncated-out-${flags.length}`);
      const r = await run(["export", src, "--to", "megatron-bridge", "--out", out, ...flags]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(flags.length ? /truncated_shard .*mask\.u8 has 100 bytes/ : /source_verify_failed .*size_mismatch/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("a missing manifest is a clear error; nothing is created", async () => {
    const src = copy("no-manifest");
    rmSync(join(src, "manifest.json"));
    const out = join(dir, "no-manifest-out");
    const r = await run(["export", src, "--to", "hf-parquet", "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("missing_manifest");
    expect(existsSync(out)).toBe(false);
  });

  it("JSONL given to a packed format (and a folder to a text format) is a usage error", async () => {
    expect((await run(["export", examples, "--to", "hf-parquet", "--out", join(dir, "u1")])).code).toBe(2);
    expect((await run(["export", examplesPacked, "--to", "harmony-text", "--out", join(dir, "u2")])).code).toBe(2);
  });
});

describe("datagen export --to harmony-text / hf-messages", () => {
  it("an input with no usable record is an error (exit 1, the first reject named), not 'exported 0 rows'", async () => {
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    for (const to of ["harmony-text", "hf-messages"]) {
      const out = join(dir, `empty-${to}`);
      const r = await run(["export", empty, "--to", to, "--out", out]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("nothing exported");
      expect(r.stderr).toContain("empty_input");
      expect(existsSync(out)).toBe(false); // not even the empty folder the run created
    }
  });

  it("Ctrl-C part way leaves no unfinished files in --out", async () => {
    const input = join(dir, "interrupt-in.jsonl");
    // 1500 records: the export takes seconds more than the 300 ms it runs before the signal.
    writeFileSync(input, Array.from({ length: 1500 }, (_, i) => JSON.stringify(conversation(i, 11))).join("\n") + "\n");
    const out = join(dir, "interrupted");
    // SIGINT once the export has written part of data.jsonl for 300 ms; it must still be running then.
    let running = false;
    const stopped = await runCli("datagen", ["export", input, "--to", "harmony-text", "--out", out], {
      when: {
        ready: () => existsSync(join(out, "data.jsonl.partial")),
        act: async (child) => {
          await new Promise((r) => setTimeout(r, 300));
          running = child.exitCode === null && child.signalCode === null;
          child.kill("SIGINT");
        },
      },
    });
    expect(running, "the export ended before it could be interrupted").toBe(true);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(readdirSync(out)).toEqual([]);
  }, 180_000);

  it("every line tokenizes back (specials allowed) to exactly the packed ids; special-token spellings are rejected", async () => {
    const input = join(dir, "text-in.jsonl");
    const records = readFileSync(examples, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const spelled = structuredClone(records[0]);
    spelled.id = "spells-return";
    spelled.messages[spelled.messages.length - 1].content += " then print <|return|> literally";
    const reserved = structuredClone(records[1]);
    reserved.id = "spells-reserved";
    reserved.messages.find((mm: { role: string }) => mm.role === "user").content += " <|reserved_200500|>";
    writeFileSync(input, [...records, spelled, reserved].map((r) => JSON.stringify(r)).join("\n") + "\n{broken\n");
    const out = join(dir, "text-out");
    const r = await run(["export", input, "--to", "harmony-text", "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    // One line per document: --documents auto (the default, as pack's) cuts records with analysis before their last turn.
    const order = records.flatMap((rec) =>
      renderDocuments(rec, { dialect: "harmony", mask: "assistant", documents: "auto" }).documents.map((d) => d.id),
    );
    expect(order.length).toBeGreaterThan(records.length);
    expect(summary.rows).toBe(order.length);
    expect(summary.rejects).toBe(3);
    const rejects = readFileSync(join(out, "rejects.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects.map((x) => [x.line, x.id, x.code])).toEqual([
      [records.length + 1, "spells-return", "special_token_text"],
      [records.length + 2, "spells-reserved", "special_token_text"],
      [records.length + 3, undefined, "invalid_json"],
    ]);
    expect(rejects[0].message).toContain("<|return|>");
    expect(rejects[1].message).toContain("<|reserved_200500|>");

    // Compare with what pack trains on: one document per sample at a large seq-len, in input order.
    const packed = join(dir, "text-packed");
    expect((await run(["pack", examples, "--out", packed, "--seq-len", "65536"])).code).toBe(0);
    const docs = readFileSync(join(packed, "documents.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const samples = readShards(packed);
    const lines = readFileSync(join(out, "data.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).text as string);
    expect(lines.length).toBe(order.length);
    expect(docs.length).toBe(order.length);
    for (const d of docs) {
      expect(d.shard).toBe(0);
      const ids = samples[d.sample].tokens.slice(d.offset, d.offset + d.length);
      expect(tokenizeAllowingSpecials(lines[order.indexOf(d.id)])).toEqual(ids);
    }
    // --documents conversation: one line per record, the whole-record rendering pack --documents conversation trains on.
    const whole = join(dir, "text-conversation");
    const c = await run(["export", examples, "--to", "harmony-text", "--out", whole, "--documents", "conversation", "--json"]);
    expect(c.code, c.stderr).toBe(0);
    const wholeLines = readFileSync(join(whole, "data.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).text as string);
    expect(wholeLines).toEqual(records.map((rec) => renderText(rec)));
    // The special names really are what the consumer's tokenizer maps to ids.
    expect(harmonySpecialTokens().get("<|return|>")).toBe(200002);
  });

  it("hf-messages: messages and tools columns parse back to the records", async () => {
    const out = join(dir, "messages-out");
    const r = await run(["export", examples, "--to", "hf-messages", "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = await rowsOf(out, ".parquet");
    const records = readFileSync(examples, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(records.length);
    rows.forEach((row, k) => {
      expect(row.id).toBe(records[k].id);
      const messages = JSON.parse(row.messages as string);
      expect(messages.map((m: { role: string }) => m.role)).toEqual(records[k].messages.map((m: { role: string }) => m.role));
      expect(messages.map((m: { content: string }) => m.content)).toEqual(
        records[k].messages.map((m: { content?: string | null }) => m.content ?? ""),
      );
      for (const m of messages) for (const c of m.tool_calls ?? []) expect(typeof c.function.arguments).toBe("object");
      expect(JSON.parse(row.tools as string)).toEqual(records[k].tools ?? []);
    });
  });
});
