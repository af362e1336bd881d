// `datagen model smoke` in-process: flags reach makeSmokeModel, a non-default shape with BF16
// vocabulary matrices loads and generates in node-llama-cpp, bad combinations are usage errors.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { LlamaLogLevel, getLlama } from "node-llama-cpp";
import { afterAll, describe, expect, it, vi } from "vitest";
import { register } from "../../src/cli/commands/model.js";
import { UsageError } from "../../src/core/errors.js";
import { GGML_TYPE, readGguf } from "../../src/model/gguf.js";

const dir = mkdtempSync(join(tmpdir(), "datagen-model-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runModelCommand(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command("datagen").exitOverride();
  register(program);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    await program.parseAsync(["model", "smoke", ...args], { from: "user" });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

describe("datagen model smoke", () => {
  it("writes --out with the given shape, prints JSON and the noise note; node-llama-cpp runs it", async () => {
    const path = join(dir, "wide.gguf");
    const args = [
      "--out",
      path,
      "--layers",
      "3",
      "--experts",
      "8",
      "--experts-used",
      "4",
      "--heads",
      "8",
      "--kv-heads",
      "1",
      "--weight-type",
      "bf16",
      "--json",
    ];
    const { stdout, stderr } = await runModelCommand(args);
    const printed = JSON.parse(stdout) as { path: string; bytes: number; hyperparameters: Record<string, unknown> };
    expect(printed.path).toBe(path);
    expect(printed.hyperparameters).toMatchObject({ layers: 3, experts: 8, expertsUsed: 4, heads: 8, kvHeads: 1, weightType: "bf16" });
    expect(stderr).toMatch(/noise.*--model/);

    const file = readGguf(path);
    expect(file.fileSize).toBe(printed.bytes);
    expect(file.tensors.find((t) => t.name === "output.weight")?.type).toBe(GGML_TYPE.BF16);
    expect(file.tensors.find((t) => t.name === "blk.2.ffn_down_exps.weight")?.shape).toEqual([64, 64, 8]);
    expect(file.tensors.find((t) => t.name === "blk.0.attn_k.weight")?.shape).toEqual([64, 64]);

    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ contextSize: 256, threads: 1 });
    const sequence = context.getSequence();
    const generated: number[] = [];
    for await (const token of sequence.evaluate(model.tokenize("tool call:"), { temperature: 0 })) {
      generated.push(token);
      if (generated.length === 8) break;
    }
    expect(generated.length).toBe(8);
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  });

  it("refuses impossible shapes as usage errors before writing anything", async () => {
    const path = join(dir, "never.gguf");
    await expect(runModelCommand(["--out", path, "--heads", "3", "--kv-heads", "2"])).rejects.toThrow(UsageError);
    await expect(runModelCommand(["--out", path, "--experts", "2", "--experts-used", "4"])).rejects.toThrow(
      /expertsUsed \(4\) exceeds experts \(2\)/,
    );
    await expect(runModelCommand(["--out", path, "--layers", "0"])).rejects.toThrow(/--layers must be a positive integer/);
    expect(() => readGguf(path)).toThrow(/ENOENT/);
  });
});
