// The one check of a --model argument, shared by generate and train, before anything loads it:
// node-llama-cpp and the trainer otherwise fail on a folder, a text file or a cut-off download with
// a stack trace or an mmap error that does not say what is wrong — and a hostile header (a zero
// dimension, a count that wraps, head counts that do not divide) aborts ggml or the trainer.
import { statSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { GgufError, readGguf, type GgufFile, type GgufValue } from "./gguf.js";
import { smokeTensorSpecs, type SmokeHyperparameters } from "./smoke.js";

/** Ranges of the architecture counts (llama.cpp reads them as uint32; gpt-oss-120b's are far inside). */
const COUNT_LIMITS: Record<string, number> = {
  embedding_length: 65_536,
  block_count: 1024,
  context_length: 1 << 24,
  feed_forward_length: 1 << 20,
  expert_feed_forward_length: 1 << 20,
  "attention.head_count": 1024,
  "attention.head_count_kv": 1024,
  "attention.key_length": 4096,
  "attention.value_length": 4096,
  "attention.sliding_window": 1 << 24,
  expert_count: 4096,
  expert_used_count: 64,
  vocab_size: 1 << 24,
};
const INTEGER_TYPES = new Set(["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]);

/**
 * Usage error (exit 2) when `path` is missing or not a regular file; GgufError (exit 1, reason code
 * gguf-bad-magic, gguf-truncated, gguf-bad-shape, gguf-bad-value, …) when it is not a complete GGUF
 * file whose counts and tensor shapes a loader can use. Reads the header only.
 */
export function checkModelFile(path: string, flag = "--model"): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`${flag} ${path}: no such file`);
  }
  if (!isFile) throw new UsageError(`${flag} ${path}: not a regular file (give a .gguf model file)`);
  checkModelStructure(readGguf(path));
}

/** Tensor dimensions, the architecture's counts (range and type width), and for gpt-oss every tensor's shape. */
export function checkModelStructure(file: GgufFile): void {
  const fail = (code: string, message: string): never => {
    throw new GgufError(code, message, { file: file.path });
  };
  for (const t of file.tensors) {
    if (t.shape.length === 0 || t.shape.some((d) => d < 1)) {
      fail("gguf-bad-shape", `tensor "${t.name}" has shape [${t.shape.join(", ")}]: every dimension must be at least 1`);
    }
  }
  const arch = file.metadata.get("general.architecture");
  if (arch?.type !== "string" || arch.value === "") fail("gguf-missing-key", `general.architecture is missing or not a string`);
  const name = (arch as { value: string }).value;
  const counts = new Map<string, number[]>();
  for (const [suffix, max] of Object.entries(COUNT_LIMITS)) {
    const key = `${name}.${suffix}`;
    const value = file.metadata.get(key);
    if (value !== undefined) counts.set(suffix, countValues(file, key, value, max));
  }
  const heads = counts.get("attention.head_count");
  const kvHeads = counts.get("attention.head_count_kv");
  if (heads && kvHeads) {
    heads.forEach((h, i) => {
      const kv = kvHeads[Math.min(i, kvHeads.length - 1)];
      if (h > 0 && (kv === 0 || h % kv !== 0)) {
        fail("gguf-bad-value", `${name}.attention.head_count ${h} is not a multiple of ${name}.attention.head_count_kv ${kv}`);
      }
    });
  }
  if (name === "gpt-oss") checkGptOssShapes(file, counts);
}

/** The value(s) of a count key: integers of any width, each in 1..max (0 allowed only in a per-layer array). */
function countValues(file: GgufFile, key: string, value: GgufValue, max: number): number[] {
  const fail = (message: string): never => {
    throw new GgufError("gguf-bad-value", `${key} ${message}`, { file: file.path });
  };
  const itemType = value.type === "array" ? value.itemType : value.type;
  if (!INTEGER_TYPES.has(itemType)) fail(`is ${value.type === "array" ? `an array of ${itemType}` : itemType}, not an integer`);
  const items = value.type === "array" ? Array.from(value.value as ArrayLike<number | bigint>) : [value.value as number | bigint];
  if (items.length === 0) fail("is an empty array");
  const min = value.type === "array" ? 0 : 1;
  return items.map((v) => {
    // Compared as bigint: a uint64 of 4294967360 must not pass as 64 (its low 32 bits).
    if (BigInt(v) < BigInt(min) || BigInt(v) > BigInt(max)) fail(`= ${String(v)} is outside ${min}..${max}`);
    return Number(v);
  });
}

/** Exactly the tensors and shapes llama.cpp's gpt-oss loader (and the trainer) expect from the counts. */
function checkGptOssShapes(file: GgufFile, counts: Map<string, number[]>): void {
  const fail = (code: string, message: string): never => {
    throw new GgufError(code, message, { file: file.path });
  };
  const scalar = (key: string): number => {
    const v = counts.get(key);
    if (!v) return fail("gguf-missing-key", `gpt-oss.${key} is missing`);
    if (v.length !== 1 || v[0] < 1) return fail("gguf-bad-value", `gpt-oss.${key} must be one count of at least 1`);
    return v[0];
  };
  const embd = scalar("embedding_length");
  const heads = scalar("attention.head_count");
  const headDim = counts.has("attention.key_length") ? scalar("attention.key_length") : Math.floor(embd / heads);
  const experts = scalar("expert_count");
  const expertsUsed = scalar("expert_used_count");
  if (expertsUsed > experts) fail("gguf-bad-value", `gpt-oss.expert_used_count ${expertsUsed} exceeds gpt-oss.expert_count ${experts}`);
  if (headDim < 2 || headDim % 2 !== 0)
    fail("gguf-bad-value", `the head dimension ${headDim} must be even and at least 2 (RoPE rotates pairs)`);
  scalar("context_length");
  const embedding = file.tensors.find((t) => t.name === "token_embd.weight");
  if (embedding?.shape.length !== 2) return fail("gguf-bad-shape", `tensor "token_embd.weight" is missing or not 2-dimensional`);
  if (embedding.shape[1] > COUNT_LIMITS.vocab_size)
    fail("gguf-bad-shape", `token_embd.weight has ${embedding.shape[1]} rows, more than ${COUNT_LIMITS.vocab_size}`);
  const h = {
    embd,
    layers: scalar("block_count"),
    heads,
    kvHeads: scalar("attention.head_count_kv"),
    headDim,
    experts,
    expertFfn: scalar("expert_feed_forward_length"),
    vocab: embedding.shape[1],
  } as SmokeHyperparameters;
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  for (const spec of smokeTensorSpecs(h)) {
    const t = byName.get(spec.name);
    if (!t) fail("gguf-missing-tensor", `tensor "${spec.name}" is missing (the gpt-oss architecture needs it)`);
    if (t!.shape.length !== spec.shape.length || t!.shape.some((d, i) => d !== spec.shape[i])) {
      fail(
        "gguf-bad-shape",
        `tensor "${spec.name}" has shape [${t!.shape.join(", ")}], the hyperparameters need [${spec.shape.join(", ")}]`,
      );
    }
  }
}
