// Small, fast non-cryptographic hashes and a compact set of 64-bit hashes.
// Used for exact-duplicate detection (a 64-bit hash per normalized text; at a billion
// texts the chance of any false collision is ~3 %, at a million ~3e-8) and for MinHash.

/** murmur3's 32-bit finalizer: a bijection that mixes every input bit into every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit hash of a string's UTF-16 code units (FNV-1a style loop, murmur finalizer), seeded. */
export function hashString32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return fmix32(h ^ text.length);
}

/** Two independent 32-bit halves of a 64-bit hash. */
export function hashString64(text: string): [number, number] {
  return [hashString32(text, 0x9e3779b9), hashString32(text, 0x7f4a7c15)];
}

/**
 * Open-addressing set of 64-bit keys stored as (hi, lo) pairs in one Uint32Array:
 * 8 bytes per entry at load ≤ 1/2, i.e. ≤ 16 bytes per distinct text.
 */
export class Hash64Set {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let size = 16;
    while (size < initialCapacity * 2) size *= 2;
    this.slots = new Uint32Array(size * 2);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds the key; returns true if it was already present. */
  addOrHas(hi: number, lo: number): boolean {
    // (0, 0) marks an empty slot, so that one key is stored as (0, 1).
    if (hi === 0 && lo === 0) lo = 1;
    let i = fmix32(lo ^ Math.imul(hi, 0x27d4eb2f)) & this.mask;
    for (;;) {
      const h = this.slots[2 * i];
      const l = this.slots[2 * i + 1];
      if (h === 0 && l === 0) break;
      if (h === hi >>> 0 && l === lo >>> 0) return true;
      i = (i + 1) & this.mask;
    }
    this.slots[2 * i] = hi;
    this.slots[2 * i + 1] = lo;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.grow();
    return false;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.addOrHas(old[i], old[i + 1]);
    }
  }
}
