// Deterministic seeds: a record's seed is a stable hash of (run seed, persona, index, attempt), so
// a rerun, a resume or another machine picks the same scenario, turns and sampling seeds.
import { createHash } from "node:crypto";

/** uint32 from sha256 of the parts joined with NUL (stable across Node versions and platforms). */
export function stableHash(...parts: (string | number)[]): number {
  return createHash("sha256").update(parts.map(String).join("\0")).digest().readUInt32LE(0);
}

export const recordSeed = (runSeed: number, persona: string | null, index: number, attempt: number): number =>
  stableHash("record", runSeed, persona ?? "none", index, attempt);

/** mulberry32: a small, fast, well-mixed PRNG for the record's choices (not for cryptography). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next uint32. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}
