// Our byte-pair encoder: split text into pieces (split.ts), then per piece
//   1. the whole piece is a token (most pieces of ordinary text) → one table probe;
//   2. the piece was seen recently → the bounded piece cache;
//   3. otherwise byte-pair merging by rank, lowest rank first, leftmost on ties — the rule
//      of tiktoken's `_byte_pair_merge` — linear scans for short pieces, a heap for long ones.
// Pieces are UTF-8 encoded into one scratch buffer; nothing is allocated per piece (but for
// the heap path of pieces over 128 bytes).
import { FNV_OFFSET, FNV_PRIME, type RankTable } from "./ranks.js";
import { nextPieceEnd } from "./split.js";

export interface BpeOptions {
  /** Entries in the piece → ids cache; 0 disables it. Default 65,536 (about 5 MB). */
  cacheEntries?: number;
}

const NO_RANK = 0x7fffffff;
/** Pieces longer than this (bytes) merge with a heap: O(n log n) instead of O(n²). */
const LINEAR_MERGE_MAX_BYTES = 128;
/** Longer pieces are not cached: rarely repeated, and they would crowd out the rest. */
const CACHE_MAX_PIECE_BYTES = 96;

/**
 * A growable uint32 id list. Pushing millions of ids onto a JS array was measured ~5x slower
 * than typed writes plus one copy into a preallocated array at the end (toArray).
 */
export class IdBuffer {
  ids = new Uint32Array(1024);
  count = 0;

  push(id: number): void {
    if (this.count === this.ids.length) this.grow(this.count + 1);
    this.ids[this.count++] = id;
  }

  append(source: Uint32Array, from: number, to: number): void {
    if (this.count + (to - from) > this.ids.length) this.grow(this.count + (to - from));
    const ids = this.ids;
    let at = this.count;
    for (let i = from; i < to; i++) ids[at++] = source[i]; // cached pieces are a few ids: no subarray
    this.count = at;
  }

  private grow(needed: number): void {
    const grown = new Uint32Array(Math.max(needed, this.ids.length * 2));
    grown.set(this.ids.subarray(0, this.count));
    this.ids = grown;
  }

  /** The ids as a plain array; empties the buffer (and drops a huge backing store). */
  toArray(): number[] {
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.ids[i];
    this.count = 0;
    if (this.ids.length > 1 << 20) this.ids = new Uint32Array(1024);
    return out;
  }
}

export class BytePairEncoder {
  private scratch = new Uint8Array(1024);
  private readonly cache: PieceCache | undefined;
  private readonly merger: Merger;

  constructor(
    private readonly ranks: RankTable,
    options: BpeOptions = {},
  ) {
    const entries = options.cacheEntries ?? 65_536;
    this.cache = entries > 0 ? new PieceCache(entries) : undefined;
    this.merger = new Merger(ranks);
  }

  /** Append the ordinary-token ids of `text` to `out`. */
  encode(text: string, out: IdBuffer): void {
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      const end = nextPieceEnd(text, pos);
      if (3 * (end - pos) > this.scratch.length) this.scratch = new Uint8Array(6 * (end - pos));
      const bytes = this.scratch;
      const length = encodeUtf8Hashed(text, pos, end, bytes);
      const hash = pieceHash;
      pos = end;
      const rank = this.ranks.lookupHashed(hash, bytes, 0, length);
      if (rank >= 0) {
        out.push(rank);
        continue;
      }
      const cache = this.cache;
      if (cache === undefined || length > CACHE_MAX_PIECE_BYTES) {
        this.merger.merge(bytes, length, out);
      } else if (!cache.appendIds(hash, bytes, length, out)) {
        const before = out.count;
        this.merger.merge(bytes, length, out);
        cache.put(hash, bytes, length, out, before);
      }
    }
  }
}

let pieceHash = 0;

/**
 * encodeUtf8 and, in the same pass, hashBytes of the result (left in `pieceHash`): pieces are
 * short and mostly ASCII, so one loop over the chars beats two over chars and bytes.
 */
function encodeUtf8Hashed(text: string, start: number, end: number, out: Uint8Array): number {
  let h = FNV_OFFSET;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    out[i - start] = c;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  let length = i - start;
  if (i < end) {
    const tail = encodeUtf8(text, i, end, out, length);
    for (let k = length; k < length + tail; k++) h = Math.imul(h ^ out[k], FNV_PRIME);
    length += tail;
  }
  pieceHash = h >>> 0;
  return length;
}

/**
 * UTF-8 of text[start, end) into out at offset (room for 3 × (end − start)); returns the byte length.
 * A lone surrogate becomes U+FFFD (EF BF BD), as TextEncoder, Python tiktoken and
 * gpt-tokenizer do.
 */
export function encodeUtf8(text: string, start: number, end: number, out: Uint8Array, offset = 0): number {
  let at = offset;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
    } else if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
        out[at++] = 0xf0 | (c >> 18);
        out[at++] = 0x80 | ((c >> 12) & 0x3f);
        out[at++] = 0x80 | ((c >> 6) & 0x3f);
        out[at++] = 0x80 | (c & 0x3f);
      } else {
        out[at++] = 0xef;
        out[at++] = 0xbf;
        out[at++] = 0xbd;
      }
    } else {
      out[at++] = 0xe0 | (c >> 12);
      out[at++] = 0x80 | ((c >> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at - offset;
}

/**
 * Rank of the concatenation of two tokens, memoized by the pair of ranks: an O(1) probe
 * instead of hashing and comparing bytes. Bounded: cleared when half full.
 */
export class PairRanks {
  private static readonly SLOTS = 1 << 17;
  /** Per slot: left rank (-1 = empty), right rank, merged rank — one cache line per probe. */
  private readonly entries = new Int32Array(PairRanks.SLOTS * 4).fill(-1);
  private used = 0;

  constructor(private readonly ranks: RankTable) {}

  /** Rank of bytes[start, end) = token a followed by token b, or NO_RANK. */
  get(a: number, b: number, bytes: Uint8Array, start: number, end: number): number {
    const entries = this.entries;
    const mask = PairRanks.SLOTS - 1;
    let slot = ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> 15) & mask;
    for (;;) {
      const left = entries[slot << 2];
      if (left === -1) break;
      if (left === a && entries[(slot << 2) + 1] === b) return entries[(slot << 2) + 2];
      slot = (slot + 1) & mask;
    }
    const rank = this.ranks.lookup(bytes, start, end);
    const value = rank < 0 ? NO_RANK : rank;
    if (++this.used > PairRanks.SLOTS >> 1) {
      entries.fill(-1);
      this.used = 1;
      slot = ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> 15) & mask;
    }
    entries[slot << 2] = a;
    entries[(slot << 2) + 1] = b;
    entries[(slot << 2) + 2] = value;
    return value;
  }
}

/** Byte-pair merging of one piece, with reusable scratch arrays. */
export class Merger {
  private bounds = new Int32Array(LINEAR_MERGE_MAX_BYTES + 1);
  private partRanks = new Int32Array(LINEAR_MERGE_MAX_BYTES + 1);
  private pairRanks = new Int32Array(LINEAR_MERGE_MAX_BYTES + 1);
  private readonly byteRanks = new Int32Array(256);
  private readonly pairs: PairRanks;

  constructor(readonly ranks: RankTable) {
    const one = new Uint8Array(1);
    for (let b = 0; b < 256; b++) {
      one[0] = b;
      this.byteRanks[b] = ranks.lookup(one, 0, 1);
    }
    this.pairs = new PairRanks(ranks);
  }

  /** Append the ids of bytes[0, length) (not itself a token, length ≥ 2) to out. */
  merge(bytes: Uint8Array, length: number, out: IdBuffer): void {
    if (length <= LINEAR_MERGE_MAX_BYTES) this.mergeLinear(bytes, length, out);
    else this.mergeWithHeap(bytes, length, out);
  }

  /** tiktoken's algorithm: scan for the lowest-ranked adjacent pair, merge it, repeat. */
  mergeLinear(bytes: Uint8Array, length: number, out: IdBuffer): void {
    const bounds = this.bounds; // part i is bytes[bounds[i], bounds[i + 1])
    const partRanks = this.partRanks; // rank of part i
    const pairRanks = this.pairRanks; // rank of part i joined with part i + 1
    const pairs = this.pairs;
    let parts = length;
    for (let i = 0; i <= length; i++) bounds[i] = i;
    for (let i = 0; i < length; i++) partRanks[i] = this.byteRanks[bytes[i]];
    for (let i = 0; i < length - 1; i++) pairRanks[i] = pairs.get(partRanks[i], partRanks[i + 1], bytes, i, i + 2);
    for (;;) {
      let best = NO_RANK;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        if (pairRanks[i] < best) {
          best = pairRanks[i];
          at = i;
        }
      }
      if (at < 0) break;
      partRanks[at] = best;
      // Remove part at + 1 (plain loops: copyWithin's call overhead dominates at these sizes).
      for (let i = at + 1; i < parts; i++) {
        bounds[i] = bounds[i + 1];
        partRanks[i] = partRanks[i + 1];
        pairRanks[i] = pairRanks[i + 1];
      }
      parts--;
      if (at + 1 < parts) {
        pairRanks[at] = pairs.get(best, partRanks[at + 1], bytes, bounds[at], bounds[at + 2]);
      } else {
        pairRanks[at] = NO_RANK;
      }
      if (at > 0) pairRanks[at - 1] = pairs.get(partRanks[at - 1], best, bytes, bounds[at - 1], bounds[at + 1]);
    }
    for (let i = 0; i < parts; i++) out.push(partRanks[i]);
  }

  /**
   * The same merges in the same order for long pieces: parts as a linked list, candidate
   * pairs in a min-heap keyed by (rank, start) — lowest rank, then leftmost — with stale
   * entries skipped when popped.
   */
  mergeWithHeap(bytes: Uint8Array, length: number, out: IdBuffer): void {
    const next = new Int32Array(length + 1); // part starting at s ends at next[s]
    const prev = new Int32Array(length + 1);
    const partRank = new Int32Array(length + 1); // rank of the part starting at s
    const pairRank = new Int32Array(length).fill(NO_RANK); // rank of the pair starting at s
    const alive = new Uint8Array(length + 1).fill(1);
    for (let s = 0; s <= length; s++) {
      next[s] = s + 1;
      prev[s] = s - 1;
      if (s < length) partRank[s] = this.byteRanks[bytes[s]];
    }
    const heap = new KeyHeap(length);
    const refresh = (s: number): void => {
      const right = next[s];
      const rank = right < length ? this.pairs.get(partRank[s], partRank[right], bytes, s, next[right]) : NO_RANK;
      pairRank[s] = rank;
      if (rank !== NO_RANK) heap.push(rank * 0x1_0000_0000 + s);
    };
    for (let s = 0; s < length - 1; s++) refresh(s);
    while (heap.size > 0) {
      const key = heap.pop();
      const s = key % 0x1_0000_0000;
      const rank = (key - s) / 0x1_0000_0000;
      if (!alive[s] || pairRank[s] !== rank) continue;
      const gone = next[s];
      alive[gone] = 0;
      next[s] = next[gone];
      prev[next[gone]] = s;
      partRank[s] = rank;
      refresh(s);
      if (s > 0) refresh(prev[s]);
    }
    for (let s = 0; s < length; s = next[s]) out.push(partRank[s]);
  }
}

/** Binary min-heap of float keys (rank · 2³² + start: exact in a double). */
class KeyHeap {
  private keys: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(Math.max(16, capacity));
  }
  push(key: number): void {
    if (this.size === this.keys.length) {
      const grown = new Float64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    const keys = this.keys;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= key) break;
      keys[i] = keys[parent];
      i = parent;
    }
    keys[i] = key;
  }
  pop(): number {
    const keys = this.keys;
    const top = keys[0];
    const last = keys[--this.size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && keys[child + 1] < keys[child]) child++;
      if (keys[child] >= last) break;
      keys[i] = keys[child];
      i = child;
    }
    keys[i] = last;
    return top;
  }
}

/**
 * Bounded piece → ids cache in flat typed arrays (no per-entry objects, nothing for the GC
 * to trace). When it fills up it is cleared: simple, bounded, and the hot pieces of the
 * next stretch of text come straight back.
 */
export class PieceCache {
  private readonly slots: Int32Array; // entry + 1, 0 = empty
  private readonly mask: number;
  private readonly hashes: Uint32Array;
  private readonly keyStart: Uint32Array;
  private readonly keyLength: Uint32Array;
  private readonly idStart: Uint32Array;
  private readonly idCount: Uint32Array;
  private readonly keyPool: Uint8Array;
  private readonly idPool: Uint32Array;
  private entries = 0;
  private keyUsed = 0;
  private idUsed = 0;

  constructor(private readonly maxEntries: number) {
    let size = 1;
    while (size < maxEntries * 2) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.hashes = new Uint32Array(maxEntries);
    this.keyStart = new Uint32Array(maxEntries);
    this.keyLength = new Uint32Array(maxEntries);
    this.idStart = new Uint32Array(maxEntries);
    this.idCount = new Uint32Array(maxEntries);
    this.keyPool = new Uint8Array(maxEntries * 24);
    this.idPool = new Uint32Array(maxEntries * 8);
  }

  /** If bytes[0, length) is cached, append its ids to out and return true. */
  appendIds(hash: number, bytes: Uint8Array, length: number, out: IdBuffer): boolean {
    let slot = hash & this.mask;
    for (;;) {
      const entry = this.slots[slot] - 1;
      if (entry < 0) return false;
      if (this.hashes[entry] === hash && this.keyEquals(entry, bytes, length)) {
        const from = this.idStart[entry];
        const to = from + this.idCount[entry];
        out.append(this.idPool, from, to);
        return true;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Remember that bytes[0, length) encodes to out's ids from `from` on. */
  put(hash: number, bytes: Uint8Array, length: number, out: IdBuffer, from: number): void {
    const count = out.count - from;
    if (count > this.idPool.length || length > this.keyPool.length) return;
    if (this.entries === this.maxEntries || this.keyUsed + length > this.keyPool.length || this.idUsed + count > this.idPool.length) {
      this.clear();
    }
    const entry = this.entries++;
    this.hashes[entry] = hash;
    this.keyStart[entry] = this.keyUsed;
    this.keyLength[entry] = length;
    for (let i = 0; i < length; i++) this.keyPool[this.keyUsed++] = bytes[i];
    this.idStart[entry] = this.idUsed;
    this.idCount[entry] = count;
    for (let i = from; i < out.count; i++) this.idPool[this.idUsed++] = out.ids[i];
    let slot = hash & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry + 1;
  }

  private keyEquals(entry: number, bytes: Uint8Array, length: number): boolean {
    if (this.keyLength[entry] !== length) return false;
    const from = this.keyStart[entry];
    const pool = this.keyPool;
    for (let i = 0; i < length; i++) if (pool[from + i] !== bytes[i]) return false;
    return true;
  }

  private clear(): void {
    this.slots.fill(0);
    this.entries = 0;
    this.keyUsed = 0;
    this.idUsed = 0;
  }
}
