// Length bands and the length mix of a plan (docs/LONG_CONTEXT.md). A long job is one planned
// conversation's long-context part: its band, target length, task, payload kind and seed. The mix
// gives each band a share of the conversations; counts are apportioned by largest remainder, so a
// share above zero gets at least one conversation once the run has as many as there are bands.
import { LONG_TASKS, type LongTaskKind, type SeedSpace } from "./tasks.js";
import { GENERATED_KINDS, type PayloadKind } from "./payloads.js";
import { LongRng } from "./rng.js";

export const MAX_CONTEXT = 131_072;

export const BANDS = [
  { id: "4k-8k", min: 4096, max: 8192 },
  { id: "8k-16k", min: 8192, max: 16_384 },
  { id: "16k-32k", min: 16_384, max: 32_768 },
  { id: "32k-64k", min: 32_768, max: 65_536 },
  { id: "64k-128k", min: 65_536, max: MAX_CONTEXT },
] as const;
export type BandId = (typeof BANDS)[number]["id"];
export const BAND_IDS = BANDS.map((b) => b.id) as BandId[];

export interface LengthMix {
  /** Share of the conversations per band (they need not sum to 1: they are normalized). */
  bands: Partial<Record<BandId, number>>;
  /** Tasks drawn in turn (default: all five). */
  tasks?: LongTaskKind[];
  /** Payload kinds drawn in turn (default: the six generated kinds; "haystack" needs --haystack). */
  payloads?: PayloadKind[];
  /** Tokens kept free for the answer's thinking and final (and the prompt around the payload). */
  answerBudget: number;
  /** Share of all conversations that are long (the rest are ordinary short ones). */
  share?: number;
}

export interface LongJob {
  band: BandId;
  /** Whole conversation, rendered, in tokens (the band's range, at most MAX_CONTEXT less the answer budget). */
  targetTokens: number;
  task: LongTaskKind;
  payload: PayloadKind;
  seed: string;
  seedSpace: SeedSpace;
}

/** Conversations per band for `count` conversations (largest remainder; ties to the longer band). */
export function apportion(count: number, bands: Partial<Record<BandId, number>>): Map<BandId, number> {
  const entries = BAND_IDS.map((id) => [id, Math.max(0, bands[id] ?? 0)] as const).filter(([, share]) => share > 0);
  const total = entries.reduce((s, [, share]) => s + share, 0);
  const out = new Map<BandId, number>();
  if (total === 0 || count <= 0) return out;
  const exact = entries.map(([id, share]) => ({ id, exact: (count * share) / total }));
  let left = count;
  for (const e of exact) {
    out.set(e.id, Math.floor(e.exact));
    left -= Math.floor(e.exact);
  }
  const order = [...exact].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || BAND_IDS.indexOf(b.id) - BAND_IDS.indexOf(a.id));
  for (let i = 0; left > 0; i++, left--) out.set(order[i % order.length].id, (out.get(order[i % order.length].id) ?? 0) + 1);
  return out;
}

/** The band's target length for one job: uniform in the band, capped so the answer still fits MAX_CONTEXT. */
export function bandTarget(band: BandId, rng: LongRng, answerBudget: number): number {
  const b = BANDS.find((x) => x.id === band) as (typeof BANDS)[number];
  const max = Math.min(b.max, MAX_CONTEXT - answerBudget);
  return rng.int(b.min, Math.max(b.min, max - 1));
}

export function bandOf(tokens: number): BandId | null {
  for (const b of BANDS) if (tokens >= b.min && tokens < b.max) return b.id;
  return tokens === MAX_CONTEXT ? "64k-128k" : null;
}

/** `count` long jobs in a deterministic order for (seed, seedSpace): bands by the mix, tasks and payloads in turn. */
export function planLongJobs(count: number, mix: LengthMix, seed: string, seedSpace: SeedSpace = "train"): LongJob[] {
  const rng = new LongRng("length-mix", seedSpace, seed);
  const tasks = mix.tasks?.length ? mix.tasks : [...LONG_TASKS];
  const payloads = mix.payloads?.length ? mix.payloads : [...GENERATED_KINDS];
  const bands: BandId[] = [];
  for (const [band, n] of apportion(count, mix.bands)) for (let i = 0; i < n; i++) bands.push(band);
  // Shuffled so that an interrupted run has a bit of every band, not only the short ones.
  const order = rng.sample(bands, bands.length);
  const taskStart = rng.int(0, tasks.length - 1);
  const payloadStart = rng.int(0, payloads.length - 1);
  return order.map((band, i) => ({
    band,
    targetTokens: bandTarget(band, rng, mix.answerBudget),
    task: tasks[(taskStart + i) % tasks.length],
    // Stepping payloads by a number prime to the task cycle crosses every task with every kind.
    payload: payloads[(payloadStart + Math.floor(i / tasks.length) + i) % payloads.length],
    seed: `${seed}/${i}`,
    seedSpace,
  }));
}
