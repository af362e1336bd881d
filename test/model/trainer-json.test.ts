// The trainer's stdout is JSON lines that datagen parses: a path holding a quote, a backslash or a
// control character must arrive escaped (a --out with `"` once failed after the whole run).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTrainer } from "../../src/train/index.js";
import { runCli } from "../helpers/cli.js";
import { personaDocs, writePackedDataset } from "../helpers/train-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "trainer-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await buildTrainer();
}, 600_000);

describe("trainer JSON output", () => {
  it('trains into and from folders named with ", \\ and a tab, and reports the checkpoint path as given', async () => {
    const data = join(dir, 'data "quoted" \\ back');
    writePackedDataset(data, personaDocs(2), 512);
    const out = join(dir, 'run "one"\t\\two');
    const r = await runCli("datagen", ["train", "--data", data, "--out", out, "--steps", "1", "--threads", "1", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { steps: number; checkpoint: string };
    expect(summary.steps).toBe(1);
    expect(summary.checkpoint).toBe(join(out, "checkpoint.gguf"));
    expect(existsSync(summary.checkpoint)).toBe(true);
  }, 300_000);
});
