// The in-process implementation of the model interface (types.ts): one GGUF, one context with N
// parallel sequences (node-llama-cpp batches the sequences' tokens into shared decode calls), and a
// small token loop over sequence.evaluate(). A session is one of the context's sequences.
//
// Prompts are token arrays we build ourselves (prompt.ts): llama.cpp's gpt-oss vocabulary marks
// <|start|>, <|channel|>, <|message|> and <|constrain|> as user-defined tokens, so model.tokenize()
// turns those strings inside TEXT into special tokens even with specials off. Text therefore goes
// through our o200k_harmony encoder, which never does.
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import {
  getLlama,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { DataError, UsageError } from "../../core/errors.js";
import type { JsonSchema } from "../../core/record.js";
import { N_VOCAB, SPECIAL } from "../../tokenize/o200k_harmony.js";
import type { GpuChoice } from "../config.js";
import {
  traceEntry,
  type Generated,
  type GenerateRequest,
  type GenerationModel,
  type ModelSession,
  type TokenCounters,
  type TraceEntry,
} from "./types.js";

export interface LlmOptions {
  modelPath: string;
  gpu: GpuChoice;
  threads: number;
  sequences: number;
  contextSize: number;
}

/** Physical cores on Linux (distinct core ids in /proc/cpuinfo), else the logical count. */
export function physicalCores(): number {
  try {
    const cores = new Set(
      readFileSync("/proc/cpuinfo", "utf8")
        .split("\n\n")
        .map((block) => `${/physical id\s*:\s*(\d+)/.exec(block)?.[1]}:${/core id\s*:\s*(\d+)/.exec(block)?.[1]}`),
    );
    cores.delete("undefined:undefined");
    if (cores.size > 0) return Math.min(cores.size, availableParallelism());
  } catch {
    // not Linux: fall through
  }
  return availableParallelism();
}

export class LocalModel implements GenerationModel {
  readonly counters: TokenCounters = { generated: 0, prompt: 0, calls: 0 };
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  onCall?: (entry: TraceEntry) => void;
  private readonly free: LlamaContextSequence[];

  private constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly sequences: LlamaContextSequence[],
  ) {
    this.free = [...sequences];
  }

  static async load(options: LlmOptions): Promise<LocalModel> {
    const llama = await getLlama({ gpu: options.gpu === "cpu" ? false : options.gpu, build: "never", logLevel: LlamaLogLevel.error }).catch(
      (err: unknown) => {
        throw new UsageError(
          `--gpu ${options.gpu}: node-llama-cpp has no usable prebuilt binary for it here ` +
            `(${err instanceof Error ? err.message : String(err)}); try --gpu auto or --gpu cpu`,
        );
      },
    );
    // A GGUF that is well-formed but not a model llama.cpp can load (a missing key, another
    // architecture) fails with a bare "Failed to load model"; its reason is in the log line above.
    const model = await llama.loadModel({ modelPath: options.modelPath }).catch((err: unknown) => {
      throw new DataError(
        "model_load_failed",
        `node-llama-cpp could not load this model (${err instanceof Error ? err.message : String(err)}; ` +
          `the reason is in its log above); give a gpt-oss GGUF`,
        { file: options.modelPath },
      );
    });
    checkHarmonyVocabulary(model, options.modelPath);
    // Past the trained context the model is undefined, and llama.cpp would first try to allocate it all.
    const trained = model.trainContextSize;
    if (options.contextSize > trained) {
      await model.dispose();
      throw new UsageError(
        `contextSize ${options.contextSize} (the pipeline's) exceeds ${options.modelPath}'s trained context of ${trained} tokens`,
      );
    }
    const context = await model.createContext({
      sequences: options.sequences,
      contextSize: options.contextSize,
      threads: options.threads,
      // Keep the whole KV cache of sliding-window layers so a prompt's cached prefix stays reusable
      // after we erase the tail of the previous step.
      swaFullCache: true,
    });
    const sequences = Array.from({ length: options.sequences }, () => context.getSequence());
    return new LocalModel(llama, model, context, sequences);
  }

  get capacity(): number {
    return this.sequences.length;
  }

  get device(): string {
    return this.llama.gpu === false ? "cpu" : this.llama.gpu;
  }

  /** Runs `work` on a free sequence (the caller's concurrency never exceeds the sequence count). */
  async withSession<T>(work: (session: ModelSession) => Promise<T>): Promise<T> {
    const sequence = this.free.pop();
    if (!sequence) throw new Error("no free sequence: concurrency exceeds the context's sequences");
    try {
      // A conversation starts from an empty cache, so that it does not depend on which conversation
      // ran on this sequence before (a resumed run gives the same records; docs/DETERMINISM.md).
      // Conversations share only the first few dozen prompt tokens: reusing them saved nothing.
      await sequence.clearHistory();
      return await work({ contextSize: sequence.contextSize, generate: (request, signal) => this.generate(sequence, request, signal) });
    } finally {
      this.free.push(sequence);
    }
  }

  /** The grammar of a JSON schema, built once per distinct schema. */
  private grammarFor(schema: JsonSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.llama.createGrammarForJsonSchema(schema as never) as Promise<LlamaGrammar>;
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  /**
   * Generates on `sequence` from `prompt`, reusing the sequence's cached prefix: only the tokens
   * after the first difference are evaluated. Stops at any special token (ids >= <|startoftext|>),
   * when a grammar's JSON object is complete, or after maxTokens.
   */
  private async generate(sequence: LlamaContextSequence, request: GenerateRequest, signal?: AbortSignal): Promise<Generated> {
    const grammar = request.schema ? await this.grammarFor(request.schema) : undefined;
    const started = performance.now();
    const fresh = await alignSequence(sequence, request.prompt as Token[]);
    this.counters.prompt += fresh.length;
    this.counters.calls++;
    const grammarEvaluationState = grammar ? new LlamaGrammarEvaluationState({ model: this.model, grammar }) : undefined;
    const tokens: Token[] = [];
    let finish: Generated["finish"] = "length";
    let text = "";
    const iterator = sequence.evaluate(fresh, { ...request.sampling, seed: request.seed, grammarEvaluationState, yieldEogToken: true });
    for await (const token of iterator) {
      if (token >= SPECIAL.startoftext || this.model.isEogToken(token)) {
        finish = "stop";
        break;
      }
      tokens.push(token);
      this.counters.generated++;
      if (grammar && jsonObjectComplete(this.model, tokens)) {
        finish = "json";
        break;
      }
      if (tokens.length >= request.maxTokens || signal?.aborted) break;
    }
    text = this.model.detokenize(tokens);
    this.onCall?.(
      traceEntry(request, { generated: tokens.length, finish, evaluated: fresh.length, seconds: (performance.now() - started) / 1000 }),
    );
    return { tokens, text, finish };
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

/** Erases the sequence's tokens after the common prefix; returns the prompt tokens still to evaluate. */
async function alignSequence(sequence: LlamaContextSequence, prompt: Token[]): Promise<Token[]> {
  const cached = sequence.nextTokenIndex;
  // At least the last prompt token must be evaluated to get its next-token logits.
  const keep = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
  if (keep < cached) await sequence.eraseContextTokenRanges([{ start: keep, end: cached }]);
  return prompt.slice(keep);
}

/** True once the generated text is a whole JSON object or string (checked only when it ends with "}" or a quote). */
function jsonObjectComplete(model: LlamaModel, tokens: Token[]): boolean {
  const last = model.detokenize(tokens.slice(-1)).trimEnd();
  if (!last.endsWith("}") && !last.endsWith('"')) return false;
  try {
    JSON.parse(model.detokenize(tokens));
    return true;
  } catch {
    return false;
  }
}

/** generate builds harmony prompts with o200k_harmony ids: refuse a model with another vocabulary. */
function checkHarmonyVocabulary(model: LlamaModel, path: string): void {
  const expected: [string, number][] = [
    ["<|start|>", SPECIAL.start],
    ["<|message|>", SPECIAL.message],
    ["<|return|>", SPECIAL.return],
    ["<|call|>", SPECIAL.call],
  ];
  for (const [name, id] of expected) {
    const ids = model.tokenize(name, true);
    if (ids.length !== 1 || ids[0] !== id) {
      throw new UsageError(
        `${path}: generate needs a gpt-oss model with the o200k_harmony tokenizer (${N_VOCAB} tokens; ${name} = ${id}, ` +
          `this model gives [${ids.join(", ")}])`,
      );
    }
  }
}
