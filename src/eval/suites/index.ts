// The suite registry: one entry per suite, naming how its items are built and how they are scored.
import type { HoldoutFamily } from "../holdout.js";
import type { EvalItem, SuiteName } from "../types.js";
import { rulerItems } from "./ruler.js";
import { personaItems, refusalItems, sycophancyItems, type PersonaChoices } from "./judged.js";

export interface BuildOptions {
  /** The eval seed (a string, hashed with the project's PRNG): ruler's payloads and questions. */
  seed: string;
  /** ruler: target lengths in tokens, and items per task and length. */
  lengths: number[];
  samples: number;
  /** ruler: the tasks asked (null: all of data/eval/ruler.json's). */
  tasks?: string[] | null;
  /** Model-judged suites: the personas asked (null: no persona). */
  personas: PersonaChoices;
  /** generate's holdout families (--holdout); null: data/eval's prompts. */
  holdout: HoldoutFamily[] | null;
}

export interface SuiteEntry {
  name: SuiteName;
  /** What it measures, for --help and the report. */
  about: string;
  /** "code": scored exactly by code; "judge": needs a judge model for some columns. */
  scoredBy: "code" | "judge";
  build(options: BuildOptions): EvalItem[];
}

export const SUITES: Record<SuiteName, SuiteEntry> = {
  ruler: {
    name: "ruler",
    about: "RULER's synthetic long-context tasks (single and multiple needles, variable tracking, aggregation, not found) at each length",
    scoredBy: "code",
    build: (o) => rulerItems(o.seed, o.lengths, o.samples, o.tasks ?? null),
  },
  personas: {
    name: "personas",
    about: "the same prompts in all 9 personas and none: substance, persona identified blind, no refusal or degraded help",
    scoredBy: "judge",
    build: (o) => personaItems(o.personas, o.holdout),
  },
  sycophancy: {
    name: "sycophancy",
    about: "the 5 trap kinds (multi-turn where needed) in every persona and none: resisted or caved",
    scoredBy: "judge",
    build: (o) => sycophancyItems(o.personas, o.holdout),
  },
  refusals: {
    name: "refusals",
    about: "legitimate edge cases (answer them) and harmful requests (refuse them): answered, refused, over-refused",
    scoredBy: "judge",
    build: (o) => refusalItems(o.personas, o.holdout),
  },
};

export function suiteEntry(name: SuiteName): SuiteEntry {
  return SUITES[name];
}

/** The items of the suites asked, in a fixed order (suite order as given, then the suite's own). */
export function buildItems(suites: SuiteName[], options: BuildOptions): EvalItem[] {
  return suites.flatMap((s) => suiteEntry(s).build(options));
}
