// Near-duplicate detection: MinHash signatures over word shingles, indexed with LSH bands.
//
// Method and parameters (defaults):
// - shingles: every run of 3 consecutive words of the normalized text (a text of fewer than
//   3 words is one shingle); each shingle hashed to 32 bits;
// - signature: 64 MinHash values, value i = min over shingles of fmix32(shingleHash ^ seed_i);
// - LSH: 8 bands of 8 rows; two texts become candidates when one band is identical, which
//   happens with probability 1 - (1 - J^8)^8 for Jaccard similarity J (0.5 at J ≈ 0.77,
//   0.98 at J = 0.9, > 0.999 at J = 0.95);
// - a candidate is a near-duplicate when its signatures agree in ≥ 80 % of positions
//   (the estimate of J, ±0.05 at one standard deviation);
// - bounded: at most `capacity` signatures are stored (100,000 by default: ~26 MB of
//   signatures plus ~10 MB of index); past the cap, texts are still checked against the
//   stored ones but not added, so later near-duplicates of unstored texts are missed
//   (the report says how many texts were stored);
// - bounded time: at most 200 stored signatures are compared per query (templated data can put
//   thousands of texts in one bucket); past that a near-duplicate may be missed.
import { fmix32, hashString32 } from "./hash.js";
import { words } from "./text.js";

export const MINHASH = { shingleWords: 3, hashes: 64, bands: 8, rows: 8, threshold: 0.8 } as const;
export const DEFAULT_SIGNATURE_CAPACITY = 100_000;
const MAX_COMPARISONS = 200;

// Hash function i of the signature: x ↦ (x · A_i + B_i) mod 2^32 with odd A_i, applied to the
// shingle's (already well mixed) 32-bit hash: a cheap bijection per i, with independent constants.
const MULTIPLIERS = Uint32Array.from({ length: MINHASH.hashes }, (_, i) => fmix32(0x2545f491 + i * 0x9e3779b9) | 1);
const OFFSETS = Uint32Array.from({ length: MINHASH.hashes }, (_, i) => fmix32(0x68e31da4 + i * 0x85ebca6b));

/** The MinHash signature of a normalized text, or undefined for an empty text. */
export function minhashSignature(normalized: string): Uint32Array | undefined {
  const shingles = shingleHashes(normalized);
  if (shingles.length === 0) return undefined;
  const sig = new Uint32Array(MINHASH.hashes).fill(0xffffffff);
  for (let s = 0; s < shingles.length; s++) {
    const x = shingles[s];
    for (let i = 0; i < MINHASH.hashes; i++) {
      const v = (Math.imul(x, MULTIPLIERS[i]) + OFFSETS[i]) >>> 0;
      if (v < sig[i]) sig[i] = v;
    }
  }
  return sig;
}

/** Distinct 32-bit hashes of the text's word 3-shingles (each word hashed once). */
function shingleHashes(normalized: string): Uint32Array {
  const w = words(normalized);
  if (w.length === 0) return normalized ? Uint32Array.of(hashString32(normalized, 7)) : new Uint32Array(0);
  const h = w.map((word) => hashString32(word, 7));
  const n = MINHASH.shingleWords;
  if (h.length < n) return Uint32Array.of(fmix32(h.reduce((acc, x) => Math.imul(acc, 0x9e3779b1) ^ x, h.length)));
  const out = new Uint32Array(h.length - n + 1);
  for (let i = 0; i + n <= h.length; i++) out[i] = fmix32(Math.imul(h[i], 0x9e3779b1) ^ Math.imul(h[i + 1], 0x85ebca77) ^ h[i + 2]);
  // Repeated shingles do not change a minimum: no need to deduplicate.
  return out;
}

/** Fraction of equal positions: the MinHash estimate of Jaccard similarity. */
export function signatureSimilarity(a: Uint32Array, aOffset: number, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < MINHASH.hashes; i++) if (a[aOffset + i] === b[i]) same++;
  return same / MINHASH.hashes;
}

/** Stored signatures plus, per band, a chained hash table from band key to stored index. */
export class NearDuplicateIndex {
  private readonly signatures: Uint32Array;
  private readonly bandKeys: Uint32Array;
  private readonly next: Int32Array;
  private readonly heads: Int32Array;
  private readonly tableMask: number;
  private readonly checkedStamp: Int32Array;
  private stored = 0;
  private queries = 0;

  constructor(readonly capacity = DEFAULT_SIGNATURE_CAPACITY) {
    let tableSize = 16;
    while (tableSize < capacity * 2) tableSize *= 2;
    this.tableMask = tableSize - 1;
    this.signatures = new Uint32Array(capacity * MINHASH.hashes);
    this.bandKeys = new Uint32Array(capacity * MINHASH.bands);
    this.next = new Int32Array(capacity * MINHASH.bands);
    this.heads = new Int32Array(tableSize * MINHASH.bands).fill(-1);
    this.checkedStamp = new Int32Array(capacity).fill(-1);
  }

  get size(): number {
    return this.stored;
  }

  /** True when a stored text is a near-duplicate of this one; stores it while there is room. */
  checkAndAdd(sig: Uint32Array): boolean {
    return this.matchAndAdd(sig) !== -1;
  }

  /** The storage index (order of addition) of a stored near-duplicate of this text, or -1; stores it while there is room. */
  matchAndAdd(sig: Uint32Array): number {
    const stamp = this.queries++;
    const keys = bandKeys(sig);
    let found = -1;
    let comparisons = 0;
    for (let b = 0; b < MINHASH.bands && found === -1 && comparisons < MAX_COMPARISONS; b++) {
      for (let j = this.heads[b * (this.tableMask + 1) + (keys[b] & this.tableMask)]; j !== -1; j = this.next[j * MINHASH.bands + b]) {
        if (this.bandKeys[j * MINHASH.bands + b] !== keys[b] || this.checkedStamp[j] === stamp) continue;
        this.checkedStamp[j] = stamp;
        if (++comparisons > MAX_COMPARISONS) break;
        if (signatureSimilarity(this.signatures, j * MINHASH.hashes, sig) >= MINHASH.threshold) {
          found = j;
          break;
        }
      }
    }
    if (this.stored < this.capacity) this.store(sig, keys);
    return found;
  }

  private store(sig: Uint32Array, keys: Uint32Array): void {
    const j = this.stored++;
    this.signatures.set(sig, j * MINHASH.hashes);
    for (let b = 0; b < MINHASH.bands; b++) {
      const head = b * (this.tableMask + 1) + (keys[b] & this.tableMask);
      this.bandKeys[j * MINHASH.bands + b] = keys[b];
      this.next[j * MINHASH.bands + b] = this.heads[head];
      this.heads[head] = j;
    }
  }
}

function bandKeys(sig: Uint32Array): Uint32Array {
  const keys = new Uint32Array(MINHASH.bands);
  for (let b = 0; b < MINHASH.bands; b++) {
    let h = 0x3c6ef372 + b;
    for (let r = 0; r < MINHASH.rows; r++) h = fmix32(h ^ sig[b * MINHASH.rows + r]);
    keys[b] = h;
  }
  return keys;
}
