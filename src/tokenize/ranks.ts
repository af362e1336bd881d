// The byte-pair ranks as one flat byte pool plus an open-addressing hash table keyed by
// the bytes, so a lookup allocates nothing: hash a byte range of a scratch buffer, probe.
// (That no two ranks share bytes is checked by a test: every token looks up to its own rank.)

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes[start, end). */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h >>> 0;
}

/** Bytes [start, start + 4) of bytes[start, end) as a little-endian word, zero-padded. */
export function packWord(bytes: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n >= 4) return bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16) | (bytes[start + 3] << 24);
  let word = 0;
  for (let i = 0; i < n; i++) word |= bytes[start + i] << (8 * i);
  return word;
}

/**
 * Per slot four int32s: the FNV hash, ((length << 18) | rank) + 1 (0 = empty), and the first
 * 8 bytes of the token, zero-padded. A probe reads one cache line; only tokens longer than
 * 8 bytes (a quarter of them) touch the byte pool to compare the rest.
 */
const SLOT_INTS = 4;

export class RankTable {
  /** Bytes of token r are pool[offsets[r], offsets[r + 1]). */
  readonly pool: Uint8Array;
  readonly offsets: Uint32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(pool: Uint8Array, offsets: Uint32Array) {
    this.pool = pool;
    this.offsets = offsets;
    const size = tableSizeFor(offsets.length - 1);
    this.slots = new Int32Array(size * SLOT_INTS);
    this.mask = size - 1;
    for (let rank = 0; rank < offsets.length - 1; rank++) this.insert(rank);
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  private insert(rank: number): void {
    const start = this.offsets[rank];
    const end = this.offsets[rank + 1];
    if (end - start > 255 || end === start) throw new Error(`o200k ranks: token ${rank} has ${end - start} bytes`);
    const hash = hashBytes(this.pool, start, end);
    let slot = hash & this.mask;
    while (this.slots[slot * SLOT_INTS + 1] !== 0) slot = (slot + 1) & this.mask;
    const at = slot * SLOT_INTS;
    this.slots[at] = hash | 0;
    this.slots[at + 1] = (((end - start) << 18) | rank) + 1;
    this.slots[at + 2] = packWord(this.pool, start, Math.min(end, start + 4));
    this.slots[at + 3] = end - start > 4 ? packWord(this.pool, start + 4, Math.min(end, start + 8)) : 0;
  }

  /** Rank of bytes[start, end), or -1 when those bytes are not a token. */
  lookup(bytes: Uint8Array, start: number, end: number): number {
    return this.lookupHashed(hashBytes(bytes, start, end), bytes, start, end);
  }

  lookupHashed(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const w0 = packWord(bytes, start, length > 4 ? start + 4 : end);
    const w1 = length > 4 ? packWord(bytes, start + 4, length > 8 ? start + 8 : end) : 0;
    const slots = this.slots;
    const tag = hash | 0;
    let slot = hash & this.mask;
    for (;;) {
      const at = slot * SLOT_INTS;
      const info = slots[at + 1];
      if (info === 0) return -1;
      if (slots[at] === tag && (info - 1) >>> 18 === length && slots[at + 2] === w0 && slots[at + 3] === w1) {
        const rank = (info - 1) & 0x3ffff;
        if (length <= 8 || this.tailEquals(rank, bytes, start, end)) return rank;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Bytes after the first 8 of token `rank` equal bytes[start + 8, end) (lengths already equal). */
  private tailEquals(rank: number, bytes: Uint8Array, start: number, end: number): boolean {
    const from = this.offsets[rank];
    const pool = this.pool;
    for (let i = 8; i < end - start; i++) if (pool[from + i] !== bytes[start + i]) return false;
    return true;
  }

  /** Append the bytes of token `rank` to out at `at`; returns the new end. */
  copyBytes(rank: number, out: Uint8Array, at: number): number {
    const from = this.offsets[rank];
    const to = this.offsets[rank + 1];
    const pool = this.pool;
    for (let i = from; i < to; i++) out[at++] = pool[i];
    return at;
  }

  tokenLength(rank: number): number {
    return this.offsets[rank + 1] - this.offsets[rank];
  }
}

/** Power of two with load factor at most 1/2. */
function tableSizeFor(count: number): number {
  let size = 1;
  while (size < count * 2) size <<= 1;
  return size;
}

const BASE64_VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
})();

/**
 * Parse tiktoken npm's compressed rank list: lines of "<first-b64> <first-rank> <b64> <b64> …",
 * each b64 field the bytes of the next rank. One pass, decoding straight into one pool.
 */
export function parseRankList(text: string): { pool: Uint8Array; offsets: Uint32Array } {
  const scratch = new Uint8Array(Math.ceil(text.length * 0.75));
  let scratchUsed = 0;
  let starts: Uint32Array = new Uint32Array(1 << 18);
  let lengths: Uint32Array = new Uint32Array(1 << 18);
  let count = 0;
  let i = 0;
  while (i < text.length) {
    let lineEnd = text.indexOf("\n", i);
    if (lineEnd < 0) lineEnd = text.length;
    const firstSpace = text.indexOf(" ", i);
    const rankEnd = text.indexOf(" ", firstSpace + 1);
    if (firstSpace < 0 || firstSpace >= lineEnd) {
      i = lineEnd + 1; // blank line
      continue;
    }
    let rank = Number(text.slice(firstSpace + 1, rankEnd < 0 || rankEnd > lineEnd ? lineEnd : rankEnd));
    for (let field = rankEnd + 1; rankEnd >= 0 && field <= lineEnd; ) {
      let fieldEnd = text.indexOf(" ", field);
      if (fieldEnd < 0 || fieldEnd > lineEnd) fieldEnd = lineEnd;
      if (rank >= starts.length) [starts, lengths] = [grow(starts), grow(lengths)];
      starts[rank] = scratchUsed;
      lengths[rank] = decodeBase64Into(text, field, fieldEnd, scratch, scratchUsed);
      scratchUsed += lengths[rank];
      count = Math.max(count, ++rank);
      field = fieldEnd + 1;
    }
    i = lineEnd + 1;
  }
  const offsets = new Uint32Array(count + 1);
  for (let r = 0; r < count; r++) offsets[r + 1] = offsets[r] + lengths[r];
  const pool = new Uint8Array(offsets[count]);
  for (let r = 0; r < count; r++) pool.set(scratch.subarray(starts[r], starts[r] + lengths[r]), offsets[r]);
  return { pool, offsets };
}

function grow(array: Uint32Array): Uint32Array {
  const grown = new Uint32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** Decode base64 text[start, end) into out at `at`; returns the byte count. */
function decodeBase64Into(text: string, start: number, end: number, out: Uint8Array, at: number): number {
  const first = at;
  let bits = 0;
  let nbits = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) break;
    const v = c < 128 ? BASE64_VALUES[c] : -1;
    if (v < 0) throw new Error(`o200k ranks: bad base64 character at ${i}`);
    bits = ((bits << 6) | v) & 0xffff; // at most 13 live bits
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out[at++] = (bits >> nbits) & 0xff;
    }
  }
  return at - first;
}
