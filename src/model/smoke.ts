// The embedded default model: a tiny, deterministic, random-weight gpt-oss GGUF that carries the full
// o200k_harmony tokenizer. node-llama-cpp loads it like the real model (and picks its Harmony chat
// wrapper from general.name), so the pipeline runs on a fresh machine with no download. Its text is
// noise: real use passes --model a real GGUF (e.g. gpt-oss-20b).
//
// Architecture facts follow llama.cpp's gpt-oss loader (src/models/openai-moe.cpp): exactly these
// tensors and shapes, every attention bias, sinks, MoE experts with biases, sliding window on even
// layers (pattern 2), YaRN metadata; counts are UINT32, epsilons and rope values FLOAT32.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../core/errors.js";
import { splitmix32 } from "../core/prng.js";
import { projectRoot } from "../core/project.js";
import { N_VOCAB, SPECIAL } from "../tokenize/o200k_harmony.js";
import { GGML_TYPE, type GgufMetadata, type GgufTensorInput, bytesOf, f32ToBf16, f32ToF16, gv, writeGguf } from "./gguf.js";
import { o200kHarmonyGgufVocab } from "./vocab.js";

/** Bump when the bytes makeSmokeModel writes for the same options change (invalidates caches). */
export const SMOKE_GENERATOR_VERSION = 1;

export const WEIGHT_TYPES = ["f32", "f16", "bf16"] as const;
export type WeightType = (typeof WEIGHT_TYPES)[number];

export interface SmokeModelOptions {
  /** Hidden size (default 64). */
  embd?: number;
  /** Transformer blocks (default 2: one sliding-window layer, one full-attention layer). */
  layers?: number;
  /** Query heads (default 4). */
  heads?: number;
  /** Key/value heads (default 2: two query heads per kv head, as gpt-oss groups 8:1). */
  kvHeads?: number;
  /** Head size (default 64, as gpt-oss). */
  headDim?: number;
  /** Experts per MoE layer (default 4). */
  experts?: number;
  /** Experts routed per token (default 2). */
  expertsUsed?: number;
  /** Hidden size of each expert (default: embd, as gpt-oss). */
  expertFfn?: number;
  /** Sliding window of the even layers (default 128, as gpt-oss). */
  slidingWindow?: number;
  /** Trained context length written to the metadata (default 131072, as gpt-oss). */
  contextLength?: number;
  /** PRNG seed of the weights (default 1). */
  seed?: number;
  /** Type of the two vocabulary matrices, token_embd and output (default f16; the rest is f32). */
  weightType?: WeightType;
  /**
   * Raise the logits of the harmony stop tokens (<|end|>, <|return|>, <|call|>) so texts end by
   * themselves (default 0: off, the bytes of earlier versions). Residual dimension 0 is held at a
   * constant (every token's embedding, no block writes to it), and the output rows of the stop
   * tokens read it with this weight: every position gets the same extra logit, stopBoost × that
   * constant after the final norm. generate's smoke model uses GENERATE_STOP_BOOST.
   */
  stopBoost?: number;
}

/** The stop boost of generate's smoke model: texts end by themselves often (docs/GENERATE.md). */
export const GENERATE_STOP_BOOST = 1.25;

/** The residual value of the constant dimension when stopBoost is on. */
const STOP_DIMENSION_VALUE = 4;
const STOP_TOKENS = [SPECIAL.end, SPECIAL.return, SPECIAL.call];

export type SmokeHyperparameters = Required<SmokeModelOptions> & {
  ropeFreqBase: number;
  ropeScalingFactor: number;
  ropeOriginalContext: number;
  yarnBetaFast: number;
  yarnBetaSlow: number;
  rmsEps: number;
  vocab: number;
};

export const SMOKE_DEFAULTS: Required<SmokeModelOptions> = {
  embd: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  headDim: 64,
  experts: 4,
  expertsUsed: 2,
  expertFfn: 64,
  slidingWindow: 128,
  contextLength: 131_072,
  seed: 1,
  weightType: "f16",
  stopBoost: 0,
};

export const SMOKE_MODEL_NOTE =
  "the smoke model has random weights: its text is noise, useful only to exercise the pipeline; " +
  "for real data pass --model a GGUF such as gpt-oss-20b";

/** Options with defaults filled in and checked (UsageError on an impossible combination). */
export function smokeHyperparameters(options: SmokeModelOptions = {}): SmokeHyperparameters {
  const o = { ...SMOKE_DEFAULTS, expertFfn: options.embd ?? SMOKE_DEFAULTS.embd, ...stripUndefined(options) };
  for (const key of [
    "embd",
    "layers",
    "heads",
    "kvHeads",
    "headDim",
    "experts",
    "expertsUsed",
    "expertFfn",
    "slidingWindow",
    "contextLength",
  ] as const) {
    if (!Number.isInteger(o[key]) || o[key] <= 0) throw new UsageError(`smoke model: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new UsageError(`smoke model: seed must be a non-negative integer, got ${o.seed}`);
  if (o.heads % o.kvHeads !== 0) throw new UsageError(`smoke model: heads (${o.heads}) must be a multiple of kvHeads (${o.kvHeads})`);
  if (o.expertsUsed > o.experts) throw new UsageError(`smoke model: expertsUsed (${o.expertsUsed}) exceeds experts (${o.experts})`);
  if (o.headDim % 2 !== 0) throw new UsageError(`smoke model: headDim must be even for RoPE, got ${o.headDim}`);
  if (!(Number.isFinite(o.stopBoost) && o.stopBoost >= 0))
    throw new UsageError(`smoke model: stopBoost must be a number >= 0, got ${o.stopBoost}`);
  if (!WEIGHT_TYPES.includes(o.weightType))
    throw new UsageError(`smoke model: weightType must be one of ${WEIGHT_TYPES.join(", ")}, got ${o.weightType}`);
  return {
    ...o,
    ropeFreqBase: 150_000,
    ropeScalingFactor: 32,
    ropeOriginalContext: 4096,
    yarnBetaFast: 32,
    yarnBetaSlow: 1,
    rmsEps: 1e-5,
    vocab: N_VOCAB,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// Deterministic weights

/** xoshiro128** seeded through splitmix32: one independent stream per tensor (seed + name). */
class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, name: string) {
    let x = seed >>> 0;
    for (let i = 0; i < name.length; i++) x = Math.imul(x ^ name.charCodeAt(i), 0x01000193);
    const next = splitmix32(x);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [-1, 1). */
  nextSigned(): number {
    return (this.nextU32() >>> 8) / 8_388_608 - 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** `count` values: center + uniform noise of standard deviation `std`. */
function randomValues(seed: number, name: string, count: number, std: number, center = 0): Float32Array {
  const rng = new Prng(seed, name);
  const half = std * Math.sqrt(3); // uniform on [-a, a] has std a/sqrt(3)
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = center + half * rng.nextSigned();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tensors

interface TensorSpec {
  name: string;
  shape: number[];
  std: number;
  center?: number;
  /** The vocabulary matrices take the chosen weight type; everything else is F32. */
  big?: boolean;
}

/** Exactly the tensors llama.cpp's gpt-oss loader creates, in ggml shape order (ne[0] first). */
export function smokeTensorSpecs(h: SmokeHyperparameters): TensorSpec[] {
  const { embd: E, heads, kvHeads, headDim: D, experts: X, expertFfn: F, vocab: V } = h;
  const q = heads * D;
  const kv = kvHeads * D;
  const specs: TensorSpec[] = [{ name: "token_embd.weight", shape: [E, V], std: 1, big: true }];
  for (let i = 0; i < h.layers; i++) {
    const b = `blk.${i}`;
    specs.push(
      { name: `${b}.attn_norm.weight`, shape: [E], std: 0.1, center: 1 },
      { name: `${b}.attn_q.weight`, shape: [E, q], std: 1 / Math.sqrt(E) },
      { name: `${b}.attn_q.bias`, shape: [q], std: 0.1 },
      { name: `${b}.attn_k.weight`, shape: [E, kv], std: 1 / Math.sqrt(E) },
      { name: `${b}.attn_k.bias`, shape: [kv], std: 0.1 },
      { name: `${b}.attn_v.weight`, shape: [E, kv], std: 1 / Math.sqrt(E) },
      { name: `${b}.attn_v.bias`, shape: [kv], std: 0.1 },
      { name: `${b}.attn_output.weight`, shape: [q, E], std: 1 / Math.sqrt(q) },
      { name: `${b}.attn_output.bias`, shape: [E], std: 0.1 },
      { name: `${b}.attn_sinks.weight`, shape: [heads], std: 0.5 },
      { name: `${b}.post_attention_norm.weight`, shape: [E], std: 0.1, center: 1 },
      { name: `${b}.ffn_gate_inp.weight`, shape: [E, X], std: 1 / Math.sqrt(E) },
      { name: `${b}.ffn_gate_inp.bias`, shape: [X], std: 0.1 },
      { name: `${b}.ffn_gate_exps.weight`, shape: [E, F, X], std: 1 / Math.sqrt(E) },
      { name: `${b}.ffn_gate_exps.bias`, shape: [F, X], std: 0.1 },
      { name: `${b}.ffn_up_exps.weight`, shape: [E, F, X], std: 1 / Math.sqrt(E) },
      { name: `${b}.ffn_up_exps.bias`, shape: [F, X], std: 0.1 },
      { name: `${b}.ffn_down_exps.weight`, shape: [F, E, X], std: 1 / Math.sqrt(F) },
      { name: `${b}.ffn_down_exps.bias`, shape: [E, X], std: 0.1 },
    );
  }
  specs.push(
    { name: "output_norm.weight", shape: [E], std: 0.1, center: 1 },
    { name: "output.weight", shape: [E, V], std: 1 / Math.sqrt(E), big: true },
  );
  return specs;
}

const GGML_OF: Record<WeightType, number> = { f32: GGML_TYPE.F32, f16: GGML_TYPE.F16, bf16: GGML_TYPE.BF16 };
/** general.file_type (llama_ftype): ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32. */
const FTYPE_OF: Record<WeightType, number> = { f32: 0, f16: 1, bf16: 32 };

function tensorInput(spec: TensorSpec, h: SmokeHyperparameters): GgufTensorInput {
  const weightType = spec.big ? h.weightType : "f32";
  return {
    name: spec.name,
    shape: spec.shape,
    type: GGML_OF[weightType],
    data: () => {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const values = randomValues(h.seed, spec.name, count, spec.std, spec.center);
      if (h.stopBoost > 0) applyStopBoost(spec, values, h);
      if (weightType === "f16") return bytesOf(f32ToF16(values));
      if (weightType === "bf16") return bytesOf(f32ToBf16(values));
      return bytesOf(values);
    },
  };
}

/**
 * stopBoost: dimension 0 of the residual stream is STOP_DIMENSION_VALUE in every token embedding and
 * nothing writes to it (the attention output and expert down projections have zero rows for it), so
 * it reaches the final norm unchanged; only the stop tokens' output rows read it.
 */
function applyStopBoost(spec: TensorSpec, values: Float32Array, h: SmokeHyperparameters): void {
  const E = h.embd;
  if (spec.name === "token_embd.weight") {
    for (let v = 0; v < h.vocab; v++) values[v * E] = STOP_DIMENSION_VALUE;
  } else if (spec.name === "output.weight") {
    for (let v = 0; v < h.vocab; v++) values[v * E] = 0;
    for (const v of STOP_TOKENS) values[v * E] = h.stopBoost;
  } else if (/attn_output\.weight$/.test(spec.name)) {
    const q = spec.shape[0];
    values.fill(0, 0, q); // output row 0 (ggml: ne0 = q inputs per output)
  } else if (/attn_output\.bias$/.test(spec.name)) {
    values[0] = 0;
  } else if (/ffn_down_exps\.weight$/.test(spec.name)) {
    const [F, , X] = spec.shape;
    for (let x = 0; x < X; x++) values.fill(0, x * F * E, x * F * E + F);
  } else if (/ffn_down_exps\.bias$/.test(spec.name)) {
    for (let x = 0; x < spec.shape[1]; x++) values[x * E] = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Metadata

export function smokeMetadata(h: SmokeHyperparameters): GgufMetadata {
  const arch = "gpt-oss";
  const vocab = o200kHarmonyGgufVocab();
  return new Map([
    ["general.architecture", gv.str(arch)],
    ["general.type", gv.str("model")],
    // node-llama-cpp picks HarmonyChatWrapper from a name containing "gpt-oss".
    ["general.name", gv.str("gpt-oss smoke (random weights)")],
    ["general.description", gv.str(`datagen's embedded test model: ${SMOKE_MODEL_NOTE}`)],
    ["general.file_type", gv.u32(FTYPE_OF[h.weightType])],
    ["general.quantization_version", gv.u32(2)],
    ["general.alignment", gv.u32(32)],
    [`${arch}.block_count`, gv.u32(h.layers)],
    [`${arch}.context_length`, gv.u32(h.contextLength)],
    [`${arch}.embedding_length`, gv.u32(h.embd)],
    [`${arch}.feed_forward_length`, gv.u32(h.expertFfn)],
    [`${arch}.attention.head_count`, gv.u32(h.heads)],
    [`${arch}.attention.head_count_kv`, gv.u32(h.kvHeads)],
    [`${arch}.attention.key_length`, gv.u32(h.headDim)],
    [`${arch}.attention.value_length`, gv.u32(h.headDim)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gv.f32(h.rmsEps)],
    [`${arch}.attention.sliding_window`, gv.u32(h.slidingWindow)],
    [`${arch}.expert_count`, gv.u32(h.experts)],
    [`${arch}.expert_used_count`, gv.u32(h.expertsUsed)],
    [`${arch}.expert_feed_forward_length`, gv.u32(h.expertFfn)],
    [`${arch}.rope.dimension_count`, gv.u32(h.headDim)],
    [`${arch}.rope.freq_base`, gv.f32(h.ropeFreqBase)],
    [`${arch}.rope.scaling.type`, gv.str("yarn")],
    [`${arch}.rope.scaling.factor`, gv.f32(h.ropeScalingFactor)],
    [`${arch}.rope.scaling.original_context_length`, gv.u32(h.ropeOriginalContext)],
    // llama.cpp's gpt-oss loader uses its defaults (32, 1) and ignores these; our trainer reads them.
    [`${arch}.rope.scaling.yarn_beta_fast`, gv.f32(h.yarnBetaFast)],
    [`${arch}.rope.scaling.yarn_beta_slow`, gv.f32(h.yarnBetaSlow)],
    ["tokenizer.ggml.model", gv.str("gpt2")],
    ["tokenizer.ggml.pre", gv.str("gpt-4o")],
    ["tokenizer.ggml.tokens", gv.strings(vocab.tokens)],
    ["tokenizer.ggml.token_type", gv.numbers("int32", vocab.tokenTypes)],
    ["tokenizer.ggml.merges", gv.strings(vocab.merges)],
    ["tokenizer.ggml.bos_token_id", gv.u32(SPECIAL.startoftext)],
    ["tokenizer.ggml.eos_token_id", gv.u32(SPECIAL.return)],
    ["tokenizer.ggml.padding_token_id", gv.u32(SPECIAL.endoftext)],
    ["tokenizer.ggml.add_bos_token", gv.bool(false)],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Entry points

export interface SmokeModelResult {
  path: string;
  bytes: number;
  seconds: number;
  hyperparameters: SmokeHyperparameters;
}

/** Write the smoke model to `path` (atomically: temp file + rename). */
export async function makeSmokeModel(path: string, options: SmokeModelOptions = {}): Promise<SmokeModelResult> {
  const started = performance.now();
  const h = smokeHyperparameters(options);
  const tensors = smokeTensorSpecs(h).map((spec) => tensorInput(spec, h));
  const { bytes } = await writeGguf(path, { metadata: smokeMetadata(h), tensors });
  return { path, bytes, seconds: (performance.now() - started) / 1000, hyperparameters: h };
}

/** DATAGEN_CACHE_DIR, or <project root>/.cache/datagen. */
export function cacheDir(): string {
  return process.env.DATAGEN_CACHE_DIR || join(projectRoot(), ".cache", "datagen");
}

/** Cache file name: a hash of the resolved options and the generator version. */
export function smokeModelFileName(options: SmokeModelOptions = {}): string {
  const { stopBoost, ...h } = smokeHyperparameters(options);
  // Off, the key (and file name) is that of the models made before the option existed.
  const key = JSON.stringify({ generator: SMOKE_GENERATOR_VERSION, ...h, ...(stopBoost > 0 ? { stopBoost } : {}) });
  return `gpt-oss-smoke-${createHash("sha256").update(key).digest("hex").slice(0, 16)}.gguf`;
}

/**
 * Path of the cached smoke model for these options, made on first use. Concurrent callers are safe:
 * each writes its own temporary file and renames it into place, and the bytes are deterministic.
 */
export async function ensureSmokeModel(options: SmokeModelOptions & { cacheDir?: string } = {}): Promise<string> {
  const { cacheDir: dir = cacheDir(), ...modelOptions } = options;
  const path = join(dir, smokeModelFileName(modelOptions));
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  await makeSmokeModel(path, modelOptions);
  return path;
}
