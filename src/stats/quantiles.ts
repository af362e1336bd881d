// Percentiles in bounded memory: a bounded reservoir. Exact while a metric has at most
// `capacity` values (100,000 by default: 800 kB); past that, a uniform random sample of
// `capacity` values (Vitter's algorithm R, seeded, so reports are reproducible), whose
// percentile error is about ±0.3 percentile points at p50 and less in the tails' rank terms.
// The count, sum, min and max are always exact.
import { mulberry32 } from "../core/prng.js";

export const DEFAULT_RESERVOIR = 100_000;

export interface Distribution {
  count: number;
  sum: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** True while every value is kept, i.e. the percentiles are exact. */
  exact: boolean;
}

export class Reservoir {
  private readonly values: Float64Array;
  private kept = 0;
  private seen = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private readonly random: () => number;

  constructor(
    readonly capacity = DEFAULT_RESERVOIR,
    seed = 1,
  ) {
    this.values = new Float64Array(capacity);
    this.random = mulberry32(seed);
  }

  add(value: number): void {
    this.seen++;
    this.total += value;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    if (this.kept < this.capacity) {
      this.values[this.kept++] = value;
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.capacity) this.values[j] = value;
  }

  get count(): number {
    return this.seen;
  }

  /** The kept values (all of them while exact), unsorted. */
  sample(): Float64Array {
    return this.values.slice(0, this.kept);
  }

  summary(): Distribution {
    const sorted = this.sample().sort();
    return {
      count: this.seen,
      sum: this.total,
      mean: this.seen ? this.total / this.seen : 0,
      min: this.seen ? this.lo : 0,
      p50: nearestRank(sorted, 50),
      p90: nearestRank(sorted, 90),
      p99: nearestRank(sorted, 99),
      max: this.seen ? this.hi : 0,
      exact: this.seen <= this.capacity,
    };
  }
}

/** Nearest-rank percentile: the smallest value with at least p % of the values ≤ it. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}
