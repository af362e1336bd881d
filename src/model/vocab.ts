// o200k_harmony in GGUF's "gpt2" (byte-level BPE) tokenizer form: token strings, merges, token types.
//
// GGUF stores a byte-level BPE vocabulary as text: each token's bytes mapped through GPT-2's
// byte-to-unicode table, plus an ordered list of merges "left right". tiktoken ships only ranks, but
// the merges follow from them: BPE-merging a token's bytes with only the ranks below its own leaves
// exactly two parts, and those two parts are its merge (checked for all 199,742 multi-byte tokens).
// Ordering the merges by the rank of the merged token makes llama.cpp's BPE equal tiktoken's.
import { N_VOCAB, harmonySpecialTokens, loadRankBytes } from "../tokenize/o200k_harmony.js";

/** llama.cpp token types (llama_token_type). */
export const TOKEN_TYPE = { normal: 1, control: 3 } as const;

export interface GgufVocab {
  tokens: string[];
  merges: string[];
  tokenTypes: Int32Array;
}

/** GPT-2's reversible byte → printable character table (printable bytes keep their code point). */
export function byteToUnicode(): string[] {
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : next++);
  }
  return table;
}

function bytesToUnicode(bytes: Uint8Array, table: readonly string[]): string {
  let s = "";
  for (const b of bytes) s += table[b];
  return s;
}

/**
 * Ranks of byte strings in an open-addressing hash table (FNV-1a, linear probing, every hit confirmed
 * byte by byte). Why not a Map<string, number>: building a string key per lookup cost ~175 ns here;
 * this table looks up a byte range in place, with no allocation.
 */
export class RankIndex {
  private readonly slots: Int32Array; // rank + 1, 0 = empty
  private readonly mask: number;
  constructor(readonly ranks: readonly Uint8Array[]) {
    let size = 1;
    while (size < ranks.length * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let r = 0; r < ranks.length; r++) {
      let slot = hashRange(ranks[r], 0, ranks[r].length) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = r + 1;
    }
  }

  /** Rank of bytes[start, end), or -1. */
  rank(bytes: Uint8Array, start: number, end: number): number {
    let slot = hashRange(bytes, start, end) & this.mask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) return -1;
      if (sameBytes(this.ranks[entry - 1], bytes, start, end)) return entry - 1;
      slot = (slot + 1) & this.mask;
    }
  }
}

function hashRange(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

function sameBytes(a: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== bytes[start + i]) return false;
  return true;
}

/**
 * Where byte-pair merging of token `rank`'s bytes stops, lowest rank first, using only ranks below
 * `rank`: the part boundaries (0, ..., bytes.length). Only the pairs next to a merge change, so only
 * those are looked up again.
 */
export function mergeBounds(bytes: Uint8Array, rank: number, index: RankIndex): number[] {
  const bounds: number[] = [];
  for (let i = 0; i <= bytes.length; i++) bounds.push(i);
  // pairs[i]: rank of parts i and i+1 merged (or `rank` when that is no usable token).
  const pairs: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i++) pairs.push(pairRank(bytes, bounds, i, rank, index));
  for (;;) {
    let at = -1;
    let best = rank;
    for (let i = 0; i < pairs.length; i++) {
      if (pairs[i] < best) {
        best = pairs[i];
        at = i;
      }
    }
    if (at < 0) return bounds;
    bounds.splice(at + 1, 1);
    pairs.splice(at, 1);
    if (at > 0) pairs[at - 1] = pairRank(bytes, bounds, at - 1, rank, index);
    if (at < pairs.length) pairs[at] = pairRank(bytes, bounds, at, rank, index);
  }
}

function pairRank(bytes: Uint8Array, bounds: number[], i: number, rank: number, index: RankIndex): number {
  const r = index.rank(bytes, bounds[i], bounds[i + 2]);
  return r < 0 ? rank : r;
}

let cached: GgufVocab | undefined;

/** The full o200k_harmony vocabulary (201,088 tokens) and its merges, in GGUF form. */
export function o200kHarmonyGgufVocab(): GgufVocab {
  cached ??= buildVocab();
  return cached;
}

function buildVocab(): GgufVocab {
  const ranks = loadRankBytes();
  const table = byteToUnicode();
  const index = new RankIndex(ranks);

  const tokens: string[] = new Array(N_VOCAB);
  const tokenTypes = new Int32Array(N_VOCAB).fill(TOKEN_TYPE.normal);
  const merges: string[] = [];
  for (let r = 0; r < ranks.length; r++) {
    tokens[r] = bytesToUnicode(ranks[r], table);
    if (ranks[r].length < 2) continue;
    const bounds = mergeBounds(ranks[r], r, index);
    if (bounds.length !== 3) throw new Error(`o200k rank ${r} does not split into one merge (${bounds.length - 1} parts)`);
    const left = bytesToUnicode(ranks[r].subarray(0, bounds[1]), table);
    const right = bytesToUnicode(ranks[r].subarray(bounds[1]), table);
    merges.push(`${left} ${right}`);
  }
  for (const [name, id] of harmonySpecialTokens()) {
    tokens[id] = name;
    tokenTypes[id] = TOKEN_TYPE.control;
  }
  for (let id = 0; id < N_VOCAB; id++) if (tokens[id] === undefined) throw new Error(`o200k_harmony has no token ${id}`);
  return { tokens, merges, tokenTypes };
}
