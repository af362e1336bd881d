// Two identical `datagen train` runs must write byte-identical checkpoints and optimizer state
// (docs/DETERMINISM.md). With more than one thread the trainer's sums across threads used to be
// combined in whichever order the threads finished (OpenMP `critical` / `reduction`), so the
// weights differed in their last bits from run to run.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packDataset } from "../../src/pack/index.js";
import { buildTrainer, train } from "../../src/train/index.js";

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("train determinism", () => {
  let dir: string;
  let data: string;

  beforeAll(async () => {
    await buildTrainer();
    dir = mkdtempSync(join(tmpdir(), "datagen-determinism-train-"));
    data = join(dir, "packed");
    // Records written by `datagen generate` on the smoke model (test/fixtures/train/README.md).
    const packed = await packDataset(["test/fixtures/train/generated-persona.jsonl"], {
      out: data,
      seqLen: 1024,
      workers: 1,
      documents: "conversation",
    });
    expect(packed.documents).toBe(18);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gives identical checkpoint.gguf and optimizer.bin for two identical runs (2 threads)", async () => {
    const run = async (name: string) => {
      const out = join(dir, name);
      // grad-accum 2: gradients summed over micro-batches too; seed 3: a shuffled sample order.
      await train({ data, out, steps: 2, threads: 2, hyper: { lr: 2e-3, warmup: 1, gradAccum: 2, seed: 3 } });
      return { checkpoint: sha256(join(out, "checkpoint.gguf")), optimizer: sha256(join(out, "optimizer.bin")) };
    };
    const first = await run("a");
    const second = await run("b");
    expect(second).toEqual(first);
  }, 600_000);
});
