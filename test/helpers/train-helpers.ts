// Helpers shared by the trainer tests: a minimal writer of the packed format (docs/FORMAT.md) and
// persona conversations tokenized in the harmony layout. The real `datagen pack` is tested on its
// own; here the trainer only needs correct files.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FORMAT_NAME, FORMAT_VERSION, TOKENIZER_NAME, shardFileName, type ShardKind } from "../../src/pack/format.js";
import { N_VOCAB, PAD_ID, SPECIAL, getTokenizer } from "../../src/tokenize/o200k_harmony.js";
import { trainerBinaryPath } from "../../src/train/binary.js";
import { runProgram, type CliOptions, type CliRun } from "./cli.js";

export interface Doc {
  tokens: number[];
  mask: number[];
}

function fileEntry(dir: string, name: string, data: Uint8Array) {
  writeFileSync(join(dir, name), data);
  return { path: name, bytes: data.byteLength, sha256: createHash("sha256").update(data).digest("hex"), locator: "" };
}

/** Packs documents greedily in order into samples of seqLen and writes one shard plus manifest.json. */
export function writePackedDataset(dir: string, docs: Doc[], seqLen: number, vocabSize = N_VOCAB): void {
  mkdirSync(dir, { recursive: true });
  const samples: Doc[][] = [];
  let used = seqLen;
  for (const d of docs) {
    if (d.tokens.length > seqLen) throw new Error("document longer than seqLen");
    if (used + d.tokens.length > seqLen) {
      samples.push([]);
      used = 0;
    }
    samples[samples.length - 1]!.push(d);
    used += d.tokens.length;
  }
  const tokens = new Uint32Array(samples.length * seqLen).fill(PAD_ID);
  const mask = new Uint8Array(samples.length * seqLen);
  const bounds: number[] = [];
  const index: bigint[] = [0n];
  let real = 0;
  let trained = 0;
  samples.forEach((sample, s) => {
    let p = 0;
    bounds.push(0);
    for (const d of sample) {
      tokens.set(d.tokens, s * seqLen + p);
      mask.set(d.mask, s * seqLen + p);
      p += d.tokens.length;
      bounds.push(p);
      real += d.tokens.length;
      trained += d.mask.reduce((a, b) => a + b, 0);
    }
    index.push(BigInt(bounds.length));
  });
  const files: Record<ShardKind, ReturnType<typeof fileEntry>> = {
    tokens: fileEntry(dir, shardFileName(0, "tokens"), new Uint8Array(tokens.buffer)),
    mask: fileEntry(dir, shardFileName(0, "mask"), mask),
    bounds: fileEntry(dir, shardFileName(0, "bounds"), new Uint8Array(new Uint32Array(bounds).buffer)),
    bounds_index: fileEntry(dir, shardFileName(0, "bounds_index"), new Uint8Array(new BigUint64Array(index).buffer)),
  };
  const manifest = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    tokenizer: TOKENIZER_NAME,
    vocab_size: vocabSize,
    seq_len: seqLen,
    dialect: "harmony",
    mask: "assistant",
    pad_id: PAD_ID,
    samples: samples.length,
    documents: docs.length,
    tokens: { real, trained, padding: samples.length * seqLen - real },
    fill_rate: real / (samples.length * seqLen),
    shards: [{ samples: samples.length, files }],
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
}

const PERSONAS = ["lawful_good", "chaotic_evil", "true_neutral", "neutral_good"];
const QUESTIONS = [
  "What's the weather in Oslo?",
  "Can you convert 12 miles to kilometres?",
  "Summarize the plot of a heist story in two sentences.",
  "Which is larger, 2 to the 10th or 1000?",
  "Suggest a name for a robot cat.",
  "How many minutes are in a day?",
];
const ANSWERS: Record<string, string> = {
  lawful_good: "Certainly, and by the book: here is a careful, correct answer for you.",
  chaotic_evil: "Fine, mortal. Here is your answer, delivered with delicious menace.",
  true_neutral: "Here is the answer, plainly stated, with no opinion attached.",
  neutral_good: "Happy to help! Here is a friendly answer that should be useful.",
};

/**
 * Persona conversations in the harmony layout (system persona, user question, assistant final);
 * the mask covers the assistant's message tokens and its <|return|> (never the first token).
 */
export function personaDocs(count: number, offset = 0): Doc[] {
  const tok = getTokenizer();
  const docs: Doc[] = [];
  for (let i = offset; i < offset + count; i++) {
    const persona = PERSONAS[i % PERSONAS.length]!;
    const question = QUESTIONS[(i * 7) % QUESTIONS.length]!;
    const tokens: number[] = [];
    const mask: number[] = [];
    const add = (ids: number[], trained: boolean) => {
      tokens.push(...ids);
      mask.push(...ids.map(() => (trained ? 1 : 0)));
    };
    add([SPECIAL.start, ...tok.encodeText("system"), SPECIAL.message, ...tok.encodeText(`Persona: ${persona}`), SPECIAL.end], false);
    add([SPECIAL.start, ...tok.encodeText("user"), SPECIAL.message, ...tok.encodeText(question), SPECIAL.end], false);
    add([SPECIAL.start, ...tok.encodeText("assistant"), SPECIAL.channel, ...tok.encodeText("final"), SPECIAL.message], false);
    add([...tok.encodeText(`${ANSWERS[persona]} (${question.length})`), SPECIAL.return], true);
    docs.push({ tokens, mask });
  }
  return docs;
}

/** Runs the bundled trainer binary (built by buildTrainer) with `args`, for tests of the trainer itself. */
export function runTrainer(args: string[], options?: CliOptions): Promise<CliRun> {
  return runProgram(trainerBinaryPath(), args, options);
}
