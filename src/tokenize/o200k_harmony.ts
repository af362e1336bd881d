// The o200k_harmony encoding: o200k_base's byte-pair ranks and split pattern plus
// the harmony special tokens (ids 199998..201087). See ../shared/HARMONY.md.
//
// Safety rule: text is ALWAYS encoded as ordinary text. Special tokens are emitted only
// by the renderer, by id, never by parsing text.
import { createRequire } from "node:module";
import { Tiktoken } from "tiktoken/lite";

const require = createRequire(import.meta.url);

export const N_VOCAB = 201_088;

/** Ids of the special tokens the renderer and packer use. */
export const SPECIAL = {
  startoftext: 199998,
  endoftext: 199999,
  return: 200002,
  constrain: 200003,
  channel: 200005,
  start: 200006,
  end: 200007,
  message: 200008,
  call: 200012,
  endofprompt: 200018,
} as const;

export const PAD_ID = SPECIAL.endoftext;

/** Every special token of o200k_harmony, name → id (1,090 entries). */
export function harmonySpecialTokens(): Map<string, number> {
  const named: Record<number, string> = {
    199998: "<|startoftext|>",
    199999: "<|endoftext|>",
    200002: "<|return|>",
    200003: "<|constrain|>",
    200005: "<|channel|>",
    200006: "<|start|>",
    200007: "<|end|>",
    200008: "<|message|>",
    200012: "<|call|>",
    200018: "<|endofprompt|>",
  };
  const out = new Map<string, number>();
  for (let id = 199998; id < N_VOCAB; id++) out.set(named[id] ?? `<|reserved_${id}|>`, id);
  return out;
}

interface O200kBaseFile {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

let baseFile: O200kBaseFile | undefined;
/** o200k_base as shipped by the npm `tiktoken` package (compressed rank list + split pattern). */
export function loadO200kBase(): O200kBaseFile {
  baseFile ??= require("tiktoken/encoders/o200k_base.json") as O200kBaseFile;
  return baseFile;
}

/**
 * The mergeable ranks: bytes of token `rank` for rank 0..199,997.
 * The file's format is lines of "<first-token-b64> <first-rank> <b64> <b64> ...".
 */
export function loadRankBytes(): Buffer[] {
  const out: Buffer[] = [];
  for (const line of loadO200kBase().bpe_ranks.split("\n")) {
    if (!line) continue;
    const parts = line.split(" ");
    let rank = Number(parts[1]);
    for (let i = 2; i < parts.length; i++) out[rank++] = Buffer.from(parts[i], "base64");
  }
  return out;
}

export interface Tokenizer {
  readonly nVocab: number;
  /** Encode text as ordinary tokens; special-token strings inside it stay plain text. */
  encodeText(text: string): number[];
  /** Raw bytes of a token sequence (special tokens as their names). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array;
  /** Text of a token sequence (lossy where a token splits a UTF-8 character). */
  decode(ids: ArrayLike<number>): string;
}

const specialById = new Map<number, string>();
for (const [name, id] of harmonySpecialTokens()) specialById.set(id, name);
export function specialName(id: number): string | undefined {
  return specialById.get(id);
}

/** Baseline implementation over tiktoken's WASM core. */
class WasmTokenizer implements Tokenizer {
  readonly nVocab = N_VOCAB;
  private readonly core: Tiktoken;
  constructor() {
    const base = loadO200kBase();
    const specials = Object.fromEntries(harmonySpecialTokens());
    this.core = new Tiktoken(base.bpe_ranks, specials, base.pat_str);
  }
  encodeText(text: string): number[] {
    // allowed_special = none, disallowed_special = none: specials in text are ordinary text.
    return Array.from(this.core.encode(text, [], []));
  }
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    return this.core.decode(Uint32Array.from(ids as ArrayLike<number>));
  }
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder().decode(this.decodeBytes(ids));
  }
}

let shared: Tokenizer | undefined;
/** The process-wide o200k_harmony tokenizer. */
export function getTokenizer(): Tokenizer {
  shared ??= new WasmTokenizer();
  return shared;
}
