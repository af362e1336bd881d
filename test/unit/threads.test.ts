// How many worker threads an input gets by default (src/ingest/threads.ts): none below the size,
// every core from it on, and every core for stdin, whose size is unknown.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { STDIN_ARG } from "../../src/ingest/source.js";
import { threadsForBytes, threadsForInputs } from "../../src/ingest/threads.js";

const dir = mkdtempSync(join(tmpdir(), "threads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cores = availableParallelism() < 2 ? 0 : availableParallelism();

describe("default worker threads", () => {
  it("none below the size, every core from it on and for an unknown size", () => {
    expect(threadsForBytes(99, 100)).toBe(0);
    expect(threadsForBytes(100, 100)).toBe(cores);
    expect(threadsForBytes(undefined, 100)).toBe(cores);
  });

  it("counts the inputs' total size, and stdin as big", () => {
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.jsonl");
    writeFileSync(a, "x".repeat(60));
    writeFileSync(b, "x".repeat(40));
    expect(threadsForInputs([a], 100)).toBe(0);
    expect(threadsForInputs([a, b], 100)).toBe(cores);
    expect(threadsForInputs([a, STDIN_ARG], 1 << 30)).toBe(cores);
  });
});
