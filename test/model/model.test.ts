// The smoke model: made once into the cache, read back by our GGUF module, loaded by node-llama-cpp
// on CPU: same token ids as our o200k_harmony, Harmony chat wrapper, generation. One model load.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HarmonyChatWrapper, LlamaChatSession, LlamaLogLevel, getLlama, resolveChatWrapper } from "node-llama-cpp";
import type { Llama, LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGguf, readTensorData, writeGguf } from "../../src/model/gguf.js";
import { SMOKE_DEFAULTS, ensureSmokeModel, makeSmokeModel, smokeHyperparameters, smokeTensorSpecs } from "../../src/model/smoke.js";
import { TOKEN_TYPE, o200kHarmonyGgufVocab } from "../../src/model/vocab.js";
import { N_VOCAB, SPECIAL, getTokenizer, harmonySpecialTokens } from "../../src/tokenize/o200k_harmony.js";

const scratch = mkdtempSync(join(tmpdir(), "datagen-model-"));
let modelPath: string;
let llama: Llama;
let model: LlamaModel;
let context: LlamaContext;

beforeAll(async () => {
  modelPath = await ensureSmokeModel();
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath });
  // Always pass threads; one thread is fastest for this tiny model.
  context = await model.createContext({ contextSize: 1024, threads: 1 });
});

afterAll(async () => {
  await context?.dispose();
  await model?.dispose();
  await llama?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe("ensureSmokeModel", () => {
  it("reuses the cached file: a second call returns the same path and does not rewrite it", async () => {
    const before = statSync(modelPath);
    const again = await ensureSmokeModel();
    expect(again).toBe(modelPath);
    const after = statSync(modelPath);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(modelPath).toMatch(/gpt-oss-smoke-[0-9a-f]{16}\.gguf$/);
  });

  it("gives concurrent callers one valid file (temp file + rename), named by the options", async () => {
    const options = { cacheDir: scratch, embd: 32, layers: 1, experts: 2, expertsUsed: 1 };
    const [a, b] = await Promise.all([ensureSmokeModel(options), ensureSmokeModel(options)]);
    expect(a).toBe(b);
    expect(a).not.toBe(join(scratch, modelPath.split("/").at(-1)!));
    const file = readGguf(a);
    expect(file.tensors.length).toBe(smokeTensorSpecs(smokeHyperparameters(options)).length);
    expect(statSync(a).size).toBe(file.fileSize);
    expect(readFileSync(a).subarray(0, 4).toString()).toBe("GGUF");
    // Deterministic: the same options give the same bytes; another seed gives other weights.
    const { cacheDir: _, ...modelOptions } = options;
    const again = await makeSmokeModel(join(scratch, "again.gguf"), modelOptions);
    expect(readFileSync(again.path).equals(readFileSync(a))).toBe(true);
    const reseeded = await makeSmokeModel(join(scratch, "reseeded.gguf"), { ...modelOptions, seed: 2 });
    expect(reseeded.bytes).toBe(again.bytes);
    expect(readFileSync(reseeded.path).equals(readFileSync(a))).toBe(false);
  });
});

describe("smoke model file", () => {
  it("carries the gpt-oss hyperparameters with the types llama.cpp checks", () => {
    const file = readGguf(modelPath);
    const m = file.metadata;
    const typeOf = (key: string) => m.get(key)?.type;
    const valueAt = (key: string) => m.get(key)?.value;
    expect(valueAt("general.architecture")).toBe("gpt-oss");
    expect(valueAt("general.name")).toContain("gpt-oss");
    for (const key of [
      "block_count",
      "context_length",
      "embedding_length",
      "attention.head_count",
      "attention.head_count_kv",
      "attention.key_length",
      "attention.sliding_window",
      "expert_count",
      "expert_used_count",
      "expert_feed_forward_length",
      "rope.scaling.original_context_length",
    ]) {
      expect(typeOf(`gpt-oss.${key}`), key).toBe("uint32");
    }
    for (const key of ["attention.layer_norm_rms_epsilon", "rope.freq_base", "rope.scaling.factor"]) {
      expect(typeOf(`gpt-oss.${key}`), key).toBe("float32");
    }
    expect(valueAt("gpt-oss.attention.key_length")).toBe(64);
    expect(valueAt("gpt-oss.rope.scaling.type")).toBe("yarn");
    expect(valueAt("gpt-oss.rope.freq_base")).toBe(150_000);
    expect(valueAt("gpt-oss.context_length")).toBe(131_072);
    expect(valueAt("tokenizer.ggml.pre")).toBe("gpt-4o");
    expect(valueAt("tokenizer.ggml.eos_token_id")).toBe(SPECIAL.return);
    const tokenType = m.get("tokenizer.ggml.token_type")!;
    expect(tokenType.type === "array" && tokenType.itemType).toBe("int32");
    const tokens = valueAt("tokenizer.ggml.tokens") as string[];
    expect(tokens.length).toBe(N_VOCAB);
    expect((valueAt("tokenizer.ggml.merges") as string[]).length).toBe(199_742);
    const types = tokenType.value as Int32Array;
    for (const [name, id] of harmonySpecialTokens()) {
      expect(tokens[id]).toBe(name);
      expect(types[id]).toBe(TOKEN_TYPE.control);
    }
    expect(types.filter((t) => t === TOKEN_TYPE.control).length).toBe(1090);
    const specs = smokeTensorSpecs(smokeHyperparameters());
    expect(file.tensors.map((t) => [t.name, t.shape])).toEqual(specs.map((s) => [s.name, s.shape]));
    expect(SMOKE_DEFAULTS.headDim).toBe(64);
  });

  it("has merges whose two halves are tokens, in rank order of the merged token", () => {
    const { tokens, merges } = o200kHarmonyGgufVocab();
    const id = new Map(tokens.map((t, i) => [t, i]));
    const bad: string[] = [];
    let previous = -1;
    for (const merge of merges) {
      const [left, right, ...rest] = merge.split(" ");
      const merged = id.get(left + right);
      if (rest.length || merged === undefined || !id.has(left) || !id.has(right) || merged <= previous) bad.push(merge);
      previous = merged ?? previous;
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(merges.length).toBe(199_742);
  });

  it("is re-written byte for byte after our reader reads it", async () => {
    const file = readGguf(modelPath);
    const copy = join(scratch, "copy.gguf");
    await writeGguf(copy, { metadata: file.metadata, tensors: file.tensors.map((t) => ({ ...t, data: () => readTensorData(file, t) })) });
    expect(readFileSync(copy).equals(readFileSync(modelPath))).toBe(true);
  });
});

const VARIED_TEXT = [
  "Hello, world!",
  "It's, we'll, they've, I'M, she'd DON'T",
  "function add(a, b) {\n\treturn a + b; // sum\n}\n",
  "def f(x):\n    return x ** 2  # square\n\n\n",
  "naïve café résumé Ångström façade",
  "日本語のテキストと中文文本，한국어 텍스트",
  "emoji: 🤖👩‍💻🏳️‍🌈 and flags 🇳🇴",
  "digits 1234567890 3.14159 1e-10 0x1F 2024-11-26",
  "   leading and trailing spaces   ",
  "tabs\tand\nnewlines\r\n\r\n  mixed \t \n",
  '{"city": "Oslo", "temp_c": -3}',
  "Ελληνικά, русский текст, עברית, العربية",
  "text, not special: <|return|> <|call|> <|endoftext|> <|startoftext|> <|reserved_200013|>",
  "",
  "a",
  " ".repeat(40),
];

describe("node-llama-cpp with the smoke model (CPU)", () => {
  it("tokenizes text to exactly our o200k_harmony ids", () => {
    const tokenizer = getTokenizer();
    let compared = 0;
    for (const text of VARIED_TEXT) {
      expect(Array.from(model.tokenize(text)), JSON.stringify(text)).toEqual(tokenizer.encodeText(text));
      compared++;
    }
    // Seeded random strings mixing scripts, digits, punctuation and whitespace runs.
    const pool = [..."abcXYZ019 .,;'\"!?-_\n\t  ()[]{}<>|éüßçñ日本語中文한글😀🤖€£ʼ"];
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let n = 0; n < 200; n++) {
      const text = Array.from({ length: 1 + Math.floor(next() * 60) }, () => pool[Math.floor(next() * pool.length)]).join("");
      expect(Array.from(model.tokenize(text)), JSON.stringify(text)).toEqual(tokenizer.encodeText(text));
      compared++;
    }
    expect(compared).toBe(VARIED_TEXT.length + 200);
  });

  it("reads special tokens as single ids when specials are allowed", () => {
    const text = "<|start|>assistant<|channel|>analysis<|message|>hi<|end|><|return|>";
    const plain = (t: string) => getTokenizer().encodeText(t);
    expect(Array.from(model.tokenize(text, true))).toEqual([
      SPECIAL.start,
      ...plain("assistant"),
      SPECIAL.channel,
      ...plain("analysis"),
      SPECIAL.message,
      ...plain("hi"),
      200007,
      SPECIAL.return,
    ]);
    expect(model.tokens.eos).toBe(SPECIAL.return);
    expect(model.tokens.bos).toBe(SPECIAL.startoftext);
  });

  it("promotes five harmony markers in text even with specials off (llama.cpp marks them USER_DEFINED)", () => {
    // llama-vocab.cpp's "quick hack for gpt-oss" makes <|channel|> <|message|> <|start|> <|constrain|>
    // (and <|end|>, once dropped from the end-of-generation set) user-defined, and llama.cpp parses
    // user-defined tokens in any text. The same happens with a real gpt-oss GGUF. So text that may hold
    // these markers must reach node-llama-cpp as token ids from our tokenizer, never as a string.
    const promoted = ["<|start|>", "<|channel|>", "<|message|>", "<|constrain|>", "<|end|>"];
    for (const marker of promoted) {
      const ids = Array.from(model.tokenize(`a${marker}b`, false));
      expect(ids, marker).toEqual([
        ...getTokenizer().encodeText("a"),
        harmonySpecialTokens().get(marker)!,
        ...getTokenizer().encodeText("b"),
      ]);
    }
    for (const marker of ["<|return|>", "<|call|>", "<|endoftext|>", "<|startoftext|>", "<|endofprompt|>"]) {
      expect(Array.from(model.tokenize(`a${marker}b`, false)), marker).toEqual(getTokenizer().encodeText(`a${marker}b`));
    }
  });

  it("picks the Harmony chat wrapper", () => {
    expect(resolveChatWrapper(model)).toBeInstanceOf(HarmonyChatWrapper);
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    expect(session.chatWrapper).toBeInstanceOf(HarmonyChatWrapper);
    session.dispose({ disposeSequence: true });
  });

  it("generates tokens", async () => {
    const sequence = context.getSequence();
    const generated: number[] = [];
    for await (const token of sequence.evaluate(getTokenizer().encodeText("The weather in Oslo is") as Token[], { temperature: 0 })) {
      generated.push(token);
      if (generated.length === 16) break;
    }
    expect(generated.length).toBe(16);
    for (const token of generated) expect(token >= 0 && token < N_VOCAB).toBe(true);
    sequence.dispose();
  });
});
