// Failures inside an export encoder thread reach the user as they would from the main thread: a
// file-system error or one of ours is one line with its exit code, not "internal error" and a stack.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatagenError } from "../../src/core/errors.js";
import { packedSpec } from "../../src/export/formats.js";
import { ParquetParts } from "../../src/export/parquet.js";
import type { ShardEntry } from "../../src/pack/format.js";

const work = mkdtempSync(join(tmpdir(), "datagen-encoder-errors-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const file = (path: string, bytes: number) => ({ path, bytes, sha256: "0".repeat(64) });

describe("export encoder threads", () => {
  it("a shard that cannot be read there is a usage error naming the file (exit 2), not an internal error", async () => {
    const gone = join(work, "gone");
    const shard = {
      samples: 1,
      files: {
        tokens: file("shard-00000.tokens.u32", 32),
        mask: file("shard-00000.mask.u8", 8),
        bounds: file("shard-00000.bounds.u32", 8),
        bounds_index: file("shard-00000.bounds_index.u64", 16),
      },
    } as unknown as ShardEntry;
    const parts = new ParquetParts({
      dir: work,
      prefix: "part-",
      suffix: ".parquet",
      columns: packedSpec("hf-parquet").columns,
      fileTokens: 1,
      rowGroupRows: 64,
      compression: "zstd",
      workers: 1,
      packed: { format: "hf-parquet", source: { dir: gone, seqLen: 8, shards: [shard] } },
    });
    try {
      const failure = await parts
        .addSample({ shard: 0, sample: 0, bounds: Uint32Array.of(0, 4) })
        .then(() => parts.finish())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(failure).toBeInstanceOf(DatagenError);
      expect((failure as DatagenError).exitCode).toBe(2);
      expect((failure as Error).message).toMatch(/gone\/shard-00000\.tokens\.u32 \(ENOENT/);
      expect((failure as Error).message).not.toMatch(/\n\s+at /);
    } finally {
      await parts.close();
    }
  }, 60_000);
});
