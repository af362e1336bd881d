// integrations/torchtitan/datagen_dataset.py keeps datagen's manifest rules: plain file
// names inside the dataset after symlinks, bounded counts, token ids below the vocabulary. Runs the
// real Python source (python3 with numpy) on datasets written by the real `datagen pack`.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { packDataset } from "../../src/pack/index.js";

const root = mkdtempSync(join(tmpdir(), "torchtitan-safety-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const good = join(root, "good");
const integration = join(import.meta.dirname, "..", "..", "integrations", "torchtitan");

type Json = Record<string, any>;

function tampered(name: string, edit: (m: Json, dir: string) => void): string {
  const dir = join(root, name);
  cpSync(good, dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Json;
  edit(m, dir);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
  return dir;
}

/** Loads the dataset in Python and reads every sample; prints "ok N" or "ExceptionName: message". */
function loadInPython(dir: string): string {
  const script = [
    "import sys",
    `sys.path.insert(0, ${JSON.stringify(integration)})`,
    "from datagen_dataset import DatagenPackedDataset",
    "try:",
    `    ds = DatagenPackedDataset(${JSON.stringify(dir)})`,
    "    print('ok', sum(1 for _ in ds))",
    "except Exception as e:",
    "    print(type(e).__name__ + ': ' + str(e))",
  ].join("\n");
  const r = spawnSync("python3", ["-c", script], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  const input = join(root, "in.jsonl");
  writeFileSync(input, Array.from({ length: 8 }, (_, i) => JSON.stringify(conversation(i, 3))).join("\n") + "\n");
  writeFileSync(join(root, "secret.txt"), "x".repeat(1 << 16));
  await packDataset([input], { out: good, seqLen: 4096, workers: 1, shardSamples: 2 });
}, 60_000);

describe("the torchtitan source refuses what datagen's readers refuse", () => {
  it("reads the intact dataset", () => {
    expect(loadInPython(good)).toMatch(/^ok \d+$/);
  });

  it("a shard path that climbs out of the dataset", () => {
    const dir = tampered("climb", (m) => (m.shards[0].files.tokens.path = "../secret.txt"));
    expect(loadInPython(dir)).toMatch(
      /^ManifestError: .*manifest\.json: \/shards\/0\/files\/tokens\/path: '\.\.\/secret\.txt' is not a file inside the dataset folder/,
    );
  });

  it("a shard file that is a symlink to a file outside", () => {
    const dir = tampered("symlink", (m, d) => {
      rmSync(join(d, m.shards[0].files.mask.path));
      symlinkSync(join(root, "secret.txt"), join(d, m.shards[0].files.mask.path));
    });
    expect(loadInPython(dir)).toMatch(
      /^ManifestError: .*\/shards\/0\/files\/mask\/path: 'shard-00000\.mask\.u8' resolves to .*secret\.txt, outside the dataset folder/,
    );
  });

  it("negative counts, a huge seq_len, shards as an object, a null entry", () => {
    expect(loadInPython(tampered("negative", (m) => (m.shards[0].samples = -5)))).toMatch(
      /\/shards\/0\/samples: -5 is not an integer in 0\.\./,
    );
    expect(loadInPython(tampered("seq", (m) => (m.seq_len = 2 ** 40)))).toMatch(
      /\/seq_len: 1099511627776 is not an integer in 1\.\.1048576/,
    );
    expect(loadInPython(tampered("object", (m) => (m.shards = { 0: m.shards[0] })))).toMatch(/\/shards: dict is not an array/);
    expect(loadInPython(tampered("null", (m) => (m.shards[0].files.bounds = null)))).toMatch(
      /\/shards\/0\/files\/bounds: None is not a file entry/,
    );
  });

  it("a token id past the vocabulary is refused when its sample is read", () => {
    const dir = tampered("bad-id", (m, d) => {
      const path = join(d, m.shards[0].files.tokens.path);
      const data = readFileSync(path);
      data.writeUInt32LE(0xffffffff, 40);
      writeFileSync(path, data);
    });
    expect(loadInPython(dir)).toMatch(/^ManifestError: .*shard 0 sample 0: a token id >= 201088/);
  });
});
