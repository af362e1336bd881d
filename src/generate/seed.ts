// Deterministic seeds: a record's seed is a stable hash of (run seed, persona, index, attempt), so
// a rerun, a resume or another machine picks the same scenario, turns and sampling seeds.
import { createHash } from "node:crypto";
import { mulberry32 } from "../core/prng.js";

/** uint32 from sha256 of the parts joined with NUL (stable across Node versions and platforms). */
export function stableHash(...parts: (string | number)[]): number {
  return createHash("sha256").update(parts.map(String).join("\0")).digest().readUInt32LE(0);
}

export const recordSeed = (runSeed: number, persona: string | null, index: number, attempt: number): number =>
  stableHash("record", runSeed, persona ?? "none", index, attempt);

/** The record's choices, from the project's one seeded PRNG (mulberry32; not for cryptography). */
export class Rng {
  private readonly uniform: () => number;

  constructor(seed: number) {
    this.uniform = mulberry32(seed);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.uniform();
  }

  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}
