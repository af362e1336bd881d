// Seeded choices of the long-context generators: string seeds hashed to 32 bits (sha256, stable on
// every platform), then the project's one PRNG and choice helper (core/prng.ts).
import { Rng, stableHash } from "../core/prng.js";

/** uint32 from sha256 of the parts joined with NUL. */
export const hashSeed = stableHash;

export class LongRng extends Rng {
  constructor(...seedParts: (string | number)[]) {
    super(stableHash(...seedParts));
  }
}
