// Deterministic seeds: a record's seed is a stable hash of (run seed, persona, index, attempt), so
// a rerun, a resume or another machine picks the same scenario, turns and sampling seeds.
import { Rng, stableHash } from "../core/prng.js";

export { Rng, stableHash };

export const recordSeed = (runSeed: number, persona: string | null, index: number, attempt: number): number =>
  stableHash("record", runSeed, persona ?? "none", index, attempt);
