// Exact and near duplicates of one kind of text (user prompts, or assistant replies), in
// input order: a text is a duplicate when an EARLIER text matches it, so of n copies of a
// text n - 1 count. Exact: equal 64-bit hash of the normalized text (Hash64Set, 16 bytes per
// distinct text). Near: MinHash + LSH (minhash.ts), exact duplicates included.
import type { TextFingerprint } from "./facts.js";
import { Hash64Set } from "./hash.js";
import { DEFAULT_SIGNATURE_CAPACITY, NearDuplicateIndex } from "./minhash.js";

export interface DuplicateFigures {
  texts: number;
  exact_duplicates: number;
  exact_rate: number;
  near_duplicates: number;
  near_rate: number;
  /** Signatures kept for near-duplicate search (≤ the cap; later texts are only checked). */
  signatures_stored: number;
}

export class DuplicateTracker {
  private readonly exact = new Hash64Set();
  private readonly near: NearDuplicateIndex;
  private texts = 0;
  private exactDuplicates = 0;
  private nearDuplicates = 0;

  constructor(signatureCapacity = DEFAULT_SIGNATURE_CAPACITY) {
    this.near = new NearDuplicateIndex(signatureCapacity);
  }

  add(fp: TextFingerprint): void {
    this.texts++;
    if (this.exact.addOrHas(fp.hi, fp.lo)) this.exactDuplicates++;
    if (fp.signature && this.near.checkAndAdd(fp.signature)) this.nearDuplicates++;
  }

  figures(): DuplicateFigures {
    return {
      texts: this.texts,
      exact_duplicates: this.exactDuplicates,
      exact_rate: ratio(this.exactDuplicates, this.texts),
      near_duplicates: this.nearDuplicates,
      near_rate: ratio(this.nearDuplicates, this.texts),
      signatures_stored: this.near.size,
    };
  }
}

export function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}
