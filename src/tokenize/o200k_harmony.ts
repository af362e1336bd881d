// The o200k_harmony encoding: o200k_base's byte-pair ranks and split pattern plus
// the harmony special tokens (ids 199998..201087). See docs/RENDERING.md.
//
// Safety rule: text is ALWAYS encoded as ordinary text. Special tokens are emitted only
// by the renderer, by id, never by parsing text.
import { createRequire } from "node:module";
import type { Tiktoken } from "tiktoken/lite";
import { BytePairEncoder, IdBuffer, type BpeOptions } from "./bpe.js";
import { parseRankList, RankTable } from "./ranks.js";

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

/** The mergeable ranks as one byte pool: token `rank` is pool[offsets[rank], offsets[rank + 1]). */
export function loadRankPool(): { pool: Uint8Array; offsets: Uint32Array } {
  return parseRankList(loadO200kBase().bpe_ranks);
}

/** The mergeable ranks: bytes of token `rank` for rank 0..199,997 (views of one fresh pool). */
export function loadRankBytes(): Buffer[] {
  const { pool, offsets } = loadRankPool();
  const out: Buffer[] = [];
  for (let rank = 0; rank + 1 < offsets.length; rank++) {
    out.push(Buffer.from(pool.buffer, pool.byteOffset + offsets[rank], offsets[rank + 1] - offsets[rank]));
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

/** Our TypeScript byte-pair encoder (bpe.ts): the fast path. */
class BpeTokenizer implements Tokenizer {
  readonly nVocab = N_VOCAB;
  private readonly encoder: BytePairEncoder;
  private readonly ids = new IdBuffer();
  constructor(
    private readonly ranks: RankTable,
    options: BpeOptions,
  ) {
    this.encoder = new BytePairEncoder(ranks, options);
  }
  encodeText(text: string): number[] {
    this.ids.count = 0;
    this.encoder.encode(text, this.ids);
    return this.ids.toArray();
  }
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let length = 0;
    for (let i = 0; i < ids.length; i++) length += this.byteLength(ids[i]);
    const out = new Uint8Array(length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < this.ranks.size) at = this.ranks.copyBytes(id, out, at);
      else at += textEncoder.encodeInto(specialName(id)!, out.subarray(at)).written;
    }
    return out;
  }
  decode(ids: ArrayLike<number>): string {
    return textDecoder.decode(this.decodeBytes(ids));
  }
  private byteLength(id: number): number {
    if (Number.isInteger(id) && id >= 0 && id < this.ranks.size) return this.ranks.tokenLength(id);
    const name = specialName(id);
    if (name === undefined) throw new RangeError(`token id ${id} is outside o200k_harmony (0..${N_VOCAB - 1})`);
    return name.length; // special names are ASCII
  }
}

const textEncoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is text, not a byte-order mark to strip.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

let rankTable: RankTable | undefined;
/** The rank table, built once per thread (about 0.1 s). */
function sharedRankTable(): RankTable {
  if (rankTable === undefined) {
    const { pool, offsets } = loadRankPool();
    rankTable = new RankTable(pool, offsets);
  }
  return rankTable;
}

/** Our byte-pair encoder; `cacheEntries: 0` disables its piece cache (for benchmarks). */
export function createBpeTokenizer(options: BpeOptions = {}): Tokenizer {
  return new BpeTokenizer(sharedRankTable(), options);
}

/** tiktoken's WASM core (the npm `tiktoken` package): an independent check, several times slower. */
export function createWasmTokenizer(): Tokenizer {
  return new WasmTokenizer();
}

/** Baseline implementation over tiktoken's WASM core. */
class WasmTokenizer implements Tokenizer {
  readonly nVocab = N_VOCAB;
  private readonly core: Tiktoken;
  constructor() {
    const base = loadO200kBase();
    const specials = Object.fromEntries(harmonySpecialTokens());
    // Loaded on demand: the WASM module costs start-up time that getTokenizer() should not pay.
    const { Tiktoken: WasmCore } = require("tiktoken/lite") as typeof import("tiktoken/lite");
    this.core = new WasmCore(base.bpe_ranks, specials, base.pat_str);
  }
  encodeText(text: string): number[] {
    // allowed_special = none, disallowed_special = none: specials in text are ordinary text.
    return Array.from(this.core.encode(text, [], []));
  }
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    return this.core.decode(Uint32Array.from(ids as ArrayLike<number>));
  }
  decode(ids: ArrayLike<number>): string {
    return textDecoder.decode(this.decodeBytes(ids));
  }
}

let shared: Tokenizer | undefined;
/**
 * The o200k_harmony tokenizer of this thread (each worker thread builds its own in ~0.2 s).
 * Our byte-pair encoder with its piece cache: the fastest token-identical option measured
 * (docs/BENCHMARKS.md, "Tokenizer").
 */
export function getTokenizer(): Tokenizer {
  shared ??= createBpeTokenizer();
  return shared;
}
