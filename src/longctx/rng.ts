// Seeded choices of the long-context generators: string seeds hashed to 32 bits (sha256, stable on
// every platform), then the project's one PRNG (core/prng.ts mulberry32).
import { createHash } from "node:crypto";
import { mulberry32 } from "../core/prng.js";

/** uint32 from sha256 of the parts joined with NUL. */
export function hashSeed(...parts: (string | number)[]): number {
  return createHash("sha256").update(parts.map(String).join("\0")).digest().readUInt32LE(0);
}

export class LongRng {
  private readonly uniform: () => number;

  constructor(...seedParts: (string | number)[]) {
    this.uniform = mulberry32(hashSeed(...seedParts));
  }

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

  /** An index drawn with the given weights. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** `count` distinct items in random order (all of them when count >= items.length). */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, Math.min(count, copy.length));
  }

  hex(digits: number): string {
    let out = "";
    for (let i = 0; i < digits; i++) out += "0123456789abcdef"[this.int(0, 15)];
    return out;
  }
}
