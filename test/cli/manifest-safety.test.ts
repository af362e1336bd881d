// A packed dataset's manifest is not trusted: every reader (dataset verify, dataset stats,
// export, train) goes through src/pack/manifest.ts, which checks it against
// schemas/manifest.schema.json and keeps every file it names inside the dataset folder.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { DataError } from "../../src/core/errors.js";
import { MAX_SEQ_LEN } from "../../src/pack/defaults.js";
import { packDataset } from "../../src/pack/index.js";
import { readManifest, TOKENIZER_VOCAB } from "../../src/pack/manifest.js";
import { verifyDataset } from "../../src/pack/verify.js";
import { N_VOCAB } from "../../src/tokenize/o200k_harmony.js";
import { expectCleanError, runCli } from "../helpers/cli.js";

const root = mkdtempSync(join(tmpdir(), "manifest-safety-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const input = join(root, "in.jsonl");
const good = join(root, "good");
const SECRET = "secret-outside-the-dataset-3f9a\n";
const outside = join(root, "secret.txt");

type Json = Record<string, any>;

/** A copy of the good dataset whose manifest `edit` changed. */
function tampered(name: string, edit: (m: Json) => void): string {
  const dir = join(root, name);
  cpSync(good, dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Json;
  edit(m);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
  return dir;
}

function dataError(dir: string): DataError {
  try {
    readManifest(dir);
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error(`${dir}: the manifest was accepted`);
}

beforeAll(async () => {
  writeFileSync(input, Array.from({ length: 12 }, (_, i) => JSON.stringify(conversation(i, 3))).join("\n") + "\n");
  writeFileSync(outside, SECRET.repeat(64));
  await packDataset([input], { out: good, seqLen: 4096, workers: 1, shardSamples: 2 });
}, 60_000);

describe("malformed manifests: one DataError naming manifest.json and the JSON path", () => {
  const cases: [string, (m: Json) => void, RegExp][] = [
    ["negative sample count", (m) => (m.shards[0].samples = -5), /\/shards\/0\/samples: -5/],
    ["negative total", (m) => (m.samples = -1), /\/samples: -1/],
    ["huge seq_len", (m) => (m.seq_len = 2 ** 40), /\/seq_len: 1099511627776/],
    ["null file entry", (m) => (m.shards[0].files.tokens = null), /\/shards\/0\/files\/tokens: null/],
    ["a number as a path", (m) => (m.shards[0].files.mask.path = 7), /\/shards\/0\/files\/mask\/path: 7/],
    [
      "a NUL byte in a path",
      (m) => (m.shards[0].files.bounds.path = "shard-00000.bounds.u32\u0000x"),
      /\/shards\/0\/files\/bounds\/path: /,
    ],
    ["shards as an object", (m) => (m.shards = { 0: m.shards[0] }), /\/shards: /],
    ["vocab_size 2^40", (m) => (m.vocab_size = 2 ** 40), /\/vocab_size: 1099511627776/],
    [
      "vocab_size not the tokenizer's",
      (m) => (m.vocab_size = 300_000),
      /vocab_mismatch \/vocab_size: 300000 is not the size of o200k_harmony \(201088/,
    ],
    ["pad_id -1", (m) => (m.pad_id = -1), /\/pad_id: -1/],
    ["pad_id past the vocabulary", (m) => (m.pad_id = 201_088), /\/pad_id: 201088 is not below vocab_size/],
    ["an unknown mask mode", (m) => (m.mask = "everything"), /\/mask: unknown mask mode "everything"/],
    [
      "shard files that disagree on their prefix",
      (m) => (m.shards[0].files.mask.path = "shard-00001.mask.u8"),
      /\/shards\/0\/files\/mask\/path: "shard-00001.mask.u8" is not the shard's mask file/,
    ],
    [
      "a relative path that climbs out",
      (m) => (m.shards[0].files.tokens.path = "../secret.txt"),
      /\/shards\/0\/files\/tokens\/path: "..\/secret.txt"/,
    ],
  ];
  for (const [name, edit, message] of cases) {
    it(name, () => {
      const e = dataError(tampered(name.replace(/\W+/g, "-"), edit));
      expect(e.message).toMatch(/manifest\.json /);
      expect(e.message).toMatch(message);
      expect(e.message).not.toMatch(/\n/);
    });
  }

  it("the schema accepts the documents mode and its counts, and refuses a mode where the count goes", () => {
    const dir = tampered("documents-stats", (m) => {
      m.documents_mode = "turns";
      m.documents_stats = { analysis_tokens_dropped: 0 };
    });
    expect(readManifest(dir).documents_stats).toEqual({ analysis_tokens_dropped: 0 });
    expect(readManifest(dir).documents_mode).toBe("turns");
    expect(dataError(tampered("documents-mode-as-count", (m) => (m.documents = "turns"))).message).toMatch(/\/documents/);
    expect(dataError(tampered("documents-mode-unknown", (m) => (m.documents_mode = "pages"))).message).toMatch(/\/documents_mode/);
  });

  it("the schema's bounds are the code's", () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "schemas", "manifest.schema.json"), "utf8")) as Json;
    expect(schema.properties.seq_len.maximum).toBe(MAX_SEQ_LEN);
    expect(TOKENIZER_VOCAB).toBe(N_VOCAB);
  });
});

describe("every file a manifest names stays inside the dataset folder", () => {
  it("a symlinked shard file pointing outside is refused", () => {
    const dir = tampered("symlink", () => undefined);
    const m = readManifest(dir);
    const tokens = join(dir, m.shards[0].files.tokens.path);
    rmSync(tokens);
    symlinkSync(outside, tokens);
    expect(dataError(dir).message).toMatch(
      /manifest_path_outside \/shards\/0\/files\/tokens\/path: .* resolves to .*secret\.txt, outside the dataset folder/,
    );
  });

  it("a symlinked folder inside the dataset does not count as inside", () => {
    const dir = tampered("symlink-doc", () => undefined);
    rmSync(join(dir, "documents.jsonl"));
    symlinkSync(outside, join(dir, "documents.jsonl"));
    expect(dataError(dir).message).toMatch(/\/documents_file\/path: "documents.jsonl" resolves to/);
  });

  it("verify, stats, export --no-verify and train --eval-only refuse a climbing path, exit 1, and copy nothing", async () => {
    const dir = tampered("climb-cli", (m) => (m.shards[0].files.tokens.path = "../../secret.txt"));
    const out = join(root, "climb-export");
    const runs = await Promise.all([
      runCli("dataset", ["verify", dir]),
      runCli("dataset", ["stats", "report", dir, "--workers", "0"]),
      runCli("datagen", ["export", dir, "--to", "hf-parquet", "--out", out, "--no-verify", "--workers", "1"]),
      runCli("datagen", ["train", "--data", dir, "--eval-only"]),
    ]);
    for (const r of runs) {
      expectCleanError(
        r,
        1,
        /manifest_path_outside \/shards\/0\/files\/tokens\/path: "..\/..\/secret.txt" is not a file inside the dataset folder/,
      );
      expect(r.stdout + r.stderr).not.toContain("secret-outside");
    }
  }, 120_000);
});

describe("tampered manifests through the CLI: exit 1 with the JSON path, never an internal error", () => {
  it("verify, stats, export and train's eval on null entries, NUL paths, shards as an object", async () => {
    const nul = tampered("nul-cli", (m) => (m.shards[0].files.bounds_index.path = "a\u0000b"));
    const asObject = tampered("object-cli", (m) => (m.shards = { first: m.shards[0] }));
    const negative = tampered("negative-cli", (m) => (m.shards[1].samples = -3));
    const runs = await Promise.all([
      runCli("dataset", ["verify", nul]),
      runCli("dataset", ["stats", "report", asObject, "--workers", "0"]),
      runCli("datagen", ["export", negative, "--to", "hf-parquet", "--out", join(root, "neg-export"), "--workers", "1"]),
      runCli("datagen", ["train", "--data", asObject, "--eval-only"]),
    ]);
    expectCleanError(runs[0], 1, /invalid_manifest \/shards\/0\/files\/bounds_index\/path: "a\\u0000b"/);
    expectCleanError(runs[1], 1, /invalid_manifest \/shards: \{"first"/);
    expectCleanError(runs[2], 1, /invalid_manifest \/shards\/1\/samples: -3/);
    expectCleanError(runs[3], 1, /invalid_manifest \/shards: /);
  }, 120_000);

  it("dataset verify rejects vocab_size 2^40 and pad_id -1", async () => {
    const [vocab, pad] = await Promise.all([
      runCli("dataset", ["verify", tampered("vocab-cli", (m) => (m.vocab_size = 2 ** 40))]),
      runCli("dataset", ["verify", tampered("pad-cli", (m) => (m.pad_id = -1))]),
    ]);
    expectCleanError(vocab, 1, /\/vocab_size: 1099511627776/);
    expectCleanError(pad, 1, /\/pad_id: -1/);
  }, 60_000);
});

describe("token ids and sources", () => {
  it("export --no-verify refuses token id 4294967295 instead of exporting it", async () => {
    const dir = tampered("bad-id", () => undefined);
    const m = readManifest(dir);
    const path = join(dir, m.shards[0].files.tokens.path);
    const data = readFileSync(path);
    data.writeUInt32LE(0xffffffff, 4 * 5);
    writeFileSync(path, data);
    const exported = await runCli("datagen", [
      "export",
      dir,
      "--to",
      "hf-parquet",
      "--out",
      join(root, "bad-id-export"),
      "--no-verify",
      "--workers",
      "1",
    ]);
    expectCleanError(
      exported,
      1,
      /token_out_of_range shard 0 sample 0 position 5: token id 4294967295 is not below the vocabulary size 201088/,
    );
    // train's reader refuses it too, in the trainer (trainer/data.h): test/model/train-cli.test.ts.
  }, 120_000);

  it("verify --source is not ok when it compared none of the documents", async () => {
    const dir = tampered("no-inputs", (m) => (m.inputs = []));
    const r = await verifyDataset(dir, { source: true, workers: 1 });
    expect(r.sourceDocumentsChecked).toBe(0);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.code)).toContain("source_not_checked");
    expect(r.problems.find((p) => p.code === "source_not_checked")!.message).toMatch(/compared 0 of \d+ documents/);
  }, 60_000);
});

describe("pack --seq-len out of range is a usage error naming the maximum", () => {
  it("1073741824 and 600000000 exit 2 at once", async () => {
    const runs = await Promise.all(
      ["1073741824", "600000000"].map((n) => runCli("datagen", ["pack", input, "--out", join(root, `seq-${n}`), "--seq-len", n])),
    );
    for (const r of runs) expectCleanError(r, 2, /--seq-len must be an integer in 1\.\.1048576/);
  }, 60_000);

  it("packDataset refuses it too (the library entry)", async () => {
    await expect(packDataset([input], { out: join(root, "seq-lib"), seqLen: MAX_SEQ_LEN + 1 })).rejects.toThrow(
      /--seq-len must be an integer in 2\.\.1048576/,
    );
  });
});
