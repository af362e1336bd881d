// `datagen pack` and `dataset verify` as a user runs them: a kill -9 mid-run and the rerun, the
// summary, refusals and a flipped byte, an over-long line.
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { conversation } from "../../bench/corpus/generate.js";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "pack-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (bin: "datagen" | "dataset", args: string[]) => runCli(bin, args);

describe("datagen pack / dataset verify (CLI)", () => {
  it("survives kill -9 mid-run: no manifest is left, and a rerun cleans up and succeeds", async () => {
    const input = join(dir, "big.jsonl");
    // 800 records: the first shard is written well before the last (about 1 s before, on 2 loaded cores).
    writeFileSync(input, Array.from({ length: 800 }, (_, i) => JSON.stringify(conversation(i, 9))).join("\n") + "\n");
    const out = join(dir, "killed");
    const args = ["pack", input, "--out", out, "--seq-len", "16384", "--pack-window", "100", "--shard-samples", "8"];
    // one worker: slow enough that the kill lands mid-run on any machine
    let sawShard = false;
    const killed = await runCli("datagen", [...args, "--workers", "1"], {
      when: {
        ready: () => existsSync(out) && readdirSync(out).some((n) => /^shard-.*\.partial$/.test(n) && statSync(join(out, n)).size > 0),
        act: (child) => {
          sawShard = true;
          child.kill("SIGKILL");
        },
      },
    });
    expect(sawShard, killed.stderr).toBe(true);
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    expect(readdirSync(out).some((n) => n.endsWith(".partial"))).toBe(true);

    const rerun = await run("datagen", [...args, "--workers", "2", "--json"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout);
    expect(summary.documentsStats.records).toBe(800); // --documents auto: a record may be several documents
    expect(summary.documents).toBeGreaterThan(770);
    expect(readdirSync(out).filter((n) => n.endsWith(".partial"))).toEqual([]);
    const verify = await run("dataset", ["verify", out]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain("OK");
  }, 240_000);

  it("prints a summary, refuses an existing dataset (exit 2), and verify exits 1 on a flipped byte", async () => {
    const input = join(dir, "small.jsonl");
    writeFileSync(input, Array.from({ length: 30 }, (_, i) => JSON.stringify(conversation(i, 2))).join("\n") + "\nnot json\n");
    const out = join(dir, "small");
    const first = await run("datagen", ["pack", input, "--out", out, "--seq-len", "8192", "--documents", "conversation"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/packed 30 documents \(31 records\) into \d+ samples/);
    expect(first.stdout).toMatch(/fill rate \d+\.\d+ %/);
    expect(first.stdout).toContain("rejects: 1");
    expect((await run("datagen", ["pack", input, "--out", out])).code).toBe(2);
    expect((await run("datagen", ["pack", input, "--out", join(dir, "strict"), "--strict"])).code).toBe(1);

    const tokens = join(out, "shard-00000.tokens.u32");
    const data = readFileSync(tokens);
    data[123] ^= 0x10;
    writeFileSync(tokens, data);
    const verify = await run("dataset", ["verify", out, "--json"]);
    expect(verify.code).toBe(1);
    const report = JSON.parse(verify.stdout);
    expect(report.problems[0]).toMatchObject({ code: "checksum_mismatch", file: "shard-00000.tokens.u32", offset: 123 });
    const typo = await run("dataset", ["verify", join(dir, "no-such-folder")]);
    expect([typo.code, typo.stderr]).toEqual([2, expect.stringContaining("no such folder")]);
  }, 120_000);

  it("rejects a line over --max-line-bytes with its file, line and reason code, and packs the others", async () => {
    const lines = Array.from({ length: 3 }, (_, i) => JSON.stringify(conversation(i, 1)));
    const limit = Math.max(...lines.map((l) => Buffer.byteLength(l))) + 1;
    const input = join(dir, "long-line.jsonl");
    writeFileSync(
      input,
      [lines[0], JSON.stringify({ ...conversation(9, 1), pad: "x".repeat(limit) }), lines[1], lines[2]].join("\n") + "\n",
    );
    const out = join(dir, "long-line");
    const packed = await run("datagen", [
      "pack",
      input,
      "--out",
      out,
      "--seq-len",
      "8192",
      "--max-line-bytes",
      String(limit),
      "--documents",
      "conversation",
    ]);
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stdout).toMatch(/packed 3 documents \(4 records\)/);
    const rejects = readFileSync(join(out, "rejects.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects).toEqual([
      expect.objectContaining({ file: input, line: 2, code: "line_too_long", message: expect.stringContaining("--max-line-bytes") }),
    ]);
  });
});
