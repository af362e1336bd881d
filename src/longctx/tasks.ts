// Long-context tasks whose answers code knows (docs/LONG_CONTEXT.md): one needle, several needles,
// multi-hop variable tracking, aggregation (most frequent, count, sum, counted on the payload's
// final units) and questions whose answer is not there ("not found"). `seedSpace` splits the keys
// (project × attribute, variable values) into disjoint train and eval sets, so an eval item's
// needle never appears as a training needle.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../core/project.js";
import type { ToolDefinition } from "../core/record.js";
import { factUnit, formatCents, makePayload, vocab, type Insert, type Payload, type PayloadKind } from "./payloads.js";
import { hashSeed, LongRng } from "./rng.js";

export const LONG_TASKS = ["single_needle", "multi_needle", "variable_tracking", "aggregation", "not_found"] as const;
export type LongTaskKind = (typeof LONG_TASKS)[number];
export type SeedSpace = "train" | "eval";

export interface LongTaskOptions {
  task: LongTaskKind;
  payload: PayloadKind;
  /** Tokens of the payload (the tool result's text). */
  targetTokens: number;
  seed: string;
  seedSpace: SeedSpace;
  haystack?: string;
}

export interface LongTask {
  task: LongTaskKind;
  seedSpace: SeedSpace;
  payload: Payload;
  /** The tool the assistant calls to get the payload, and its arguments. */
  tool: ToolDefinition;
  arguments: Record<string, string>;
  question: string;
  /** Strings the final answer must contain (case-insensitive; meta.expected_answers). */
  expected_answers: string[];
  /** The facts put into the payload (needles, assignments, distractors), for audit. */
  facts: string[];
}

interface TaskTexts {
  notFoundRule: string;
  notFoundAnswer: string;
  where: Record<PayloadKind, string>;
  single_needle: string[];
  multi_needle: string[];
  variable_tracking: string[];
  aggregation: {
    most_frequent: Record<PayloadKind, string>;
    count: Record<PayloadKind, string>;
    sum: Partial<Record<PayloadKind, string>>;
  };
  tools: Record<PayloadKind, { name: string; description: string; argument: string }>;
}

let textsCache: TaskTexts | undefined;
function texts(): TaskTexts {
  textsCache ??= JSON.parse(readFileSync(join(projectRoot(), "data", "longctx", "tasks.json"), "utf8")) as TaskTexts;
  return textsCache;
}

/** Every 5th key (by hash) is reserved for eval; the others are training keys. */
export const keySpace = (key: string): SeedSpace => (hashSeed("longctx-space", key) % 5 === 0 ? "eval" : "train");

/** The tool definition of a payload kind (one string parameter). */
export function payloadTool(kind: PayloadKind): ToolDefinition {
  const t = texts().tools[kind];
  return {
    type: "function",
    function: {
      name: t.name,
      description: t.description,
      parameters: { type: "object", properties: { [t.argument]: { type: "string" } }, required: [t.argument], additionalProperties: false },
    },
  };
}

interface Fact {
  project: string;
  attribute: string;
  value: string;
}

/** Distinct (project, attribute) keys of the given space. */
function drawKeys(rng: LongRng, space: SeedSpace, count: number): Fact[] {
  const v = vocab();
  const out: Fact[] = [];
  const seen = new Set<string>();
  for (let tries = 0; out.length < count && tries < 10_000; tries++) {
    const project = rng.pick(v.projects);
    const attribute = rng.pick(v.attributes);
    const key = `${project}/${attribute}`;
    if (seen.has(key) || keySpace(key) !== space) continue;
    seen.add(key);
    const value = `${rng.int(1000, 9999)}-${letter(rng)}${letter(rng)}`;
    out.push({ project, attribute, value });
  }
  return out;
}

const letter = (rng: LongRng): string => "ABCDEFGHJKLMNPQRSTUVWXYZ"[rng.int(0, 23)];
const sentenceOf = (f: Fact): string => `the ${f.attribute} of project ${f.project} is ${f.value}.`;
const fill = (pattern: string, slots: Record<string, string>): string =>
  pattern.replace(/\{(\w+)\}/g, (_, s: string) => slots[s] ?? `{${s}}`);

export function makeLongTask(options: LongTaskOptions): LongTask {
  const rng = new LongRng("task", options.seedSpace, options.task, options.payload, options.seed);
  const t = texts();
  const kind = options.payload;
  const plan = PLANNERS[options.task](rng, kind, options.seedSpace);
  const payload = makePayload(kind, {
    seed: `${options.seedSpace}:${options.seed}`,
    targetTokens: options.targetTokens,
    haystack: options.haystack,
    inserts: plan.inserts,
  });
  const where = fill(t.where[kind], { source: payload.source });
  const answered = plan.finish(payload);
  const tool = payloadTool(kind);
  return {
    task: options.task,
    seedSpace: options.seedSpace,
    payload,
    tool,
    arguments: { [t.tools[kind].argument]: payload.source },
    question: fill(answered.question, { where }),
    expected_answers: answered.expected,
    facts: payload.units.filter((u) => u.inserted).map((u) => u.text),
  };
}

interface TaskPlan {
  inserts: Insert[];
  /** The question and answers, once the payload is made (aggregation counts its units). */
  finish(payload: Payload): { question: string; expected: string[] };
}

const withRule = (question: string): string => `${question} ${texts().notFoundRule}`;

const PLANNERS: Record<LongTaskKind, (rng: LongRng, kind: PayloadKind, space: SeedSpace) => TaskPlan> = {
  single_needle(rng, kind, space) {
    const [needle, ...distractors] = drawKeys(rng, space, 1 + rng.int(0, 2));
    const inserts = [needle, ...distractors].map((f) => ({ text: factUnit(kind, rng, sentenceOf(f)), depth: rng.next() }));
    const question = withRule(fill(rng.pick(texts().single_needle), { attribute: needle.attribute, project: needle.project }));
    return { inserts, finish: () => ({ question, expected: [needle.value] }) };
  },

  multi_needle(rng, kind, space) {
    const wanted = rng.int(2, 4);
    const facts = drawKeys(rng, space, wanted + rng.int(1, 2));
    const inserts = facts.map((f) => ({ text: factUnit(kind, rng, sentenceOf(f)), depth: rng.next() }));
    const asked = facts.slice(0, wanted);
    const list = asked.map((f) => `the ${f.attribute} of project ${f.project}`);
    const question = withRule(
      fill(rng.pick(texts().multi_needle), { list: `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}` }),
    );
    return { inserts, finish: () => ({ question, expected: asked.map((f) => f.value) }) };
  },

  not_found(rng, kind, space) {
    // Near misses are there (the same project or attribute in other facts); the asked key is not.
    const [absent, ...present] = drawKeys(rng, space, 3 + rng.int(0, 2));
    const neighbours = present.map((f, i) =>
      i === 0
        ? { ...f, project: absent.project, attribute: f.attribute === absent.attribute ? otherAttribute(absent.attribute) : f.attribute }
        : f,
    );
    const inserts = neighbours.map((f) => ({ text: factUnit(kind, rng, sentenceOf(f)), depth: rng.next() }));
    const question = withRule(fill(rng.pick(texts().single_needle), { attribute: absent.attribute, project: absent.project }));
    return { inserts, finish: () => ({ question, expected: [texts().notFoundAnswer] }) };
  },

  variable_tracking(rng, kind, space) {
    const names = new Set<string>();
    const name = () => {
      for (;;) {
        const n = Array.from({ length: 3 }, () => "bcdfghjkmnpqrstvwxz"[rng.int(0, 18)])
          .join("")
          .toUpperCase();
        if (!names.has(n)) return (names.add(n), n);
      }
    };
    const chains = Array.from({ length: 1 + rng.int(1, 2) }, (_, c) => {
      let value = rng.int(10_000, 99_999);
      // The asked chain's starting value belongs to the seed space; distractor chains take any value.
      while (c === 0 && keySpace(`value/${value}`) !== space) value = rng.int(10_000, 99_999);
      return { value, vars: Array.from({ length: rng.int(3, 5) }, name) };
    });
    const inserts: Insert[] = [];
    for (const chain of chains) {
      // Each hop sits deeper than the one it copies: reading in order resolves it.
      const depths = chain.vars.map(() => rng.next()).sort((a, b) => a - b);
      chain.vars.forEach((v, i) =>
        inserts.push({ text: factUnit(kind, rng, `VAR ${v} = ${i === 0 ? chain.value : chain.vars[i - 1]}`), depth: depths[i] }),
      );
    }
    const asked = chains[0];
    const question = fill(rng.pick(texts().variable_tracking), { name: asked.vars[asked.vars.length - 1] });
    return { inserts, finish: () => ({ question, expected: [String(asked.value)] }) };
  },

  aggregation(rng, kind) {
    const inserts = kind === "haystack" ? incidentNotes(rng) : [];
    const mode = rng.next();
    return {
      inserts,
      finish: (payload) => {
        const agg = texts().aggregation;
        const groups = new Map<string, { count: number; cents: number }>();
        for (const unit of payload.units) {
          const group = unit.group ?? (unit.inserted ? incidentGroup(unit.text) : undefined);
          if (group === undefined) continue;
          const g = groups.get(group) ?? { count: 0, cents: 0 };
          g.count++;
          g.cents += unit.amountCents ?? 0;
          groups.set(group, g);
        }
        const ranked = [...groups].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
        if (ranked.length === 0) return { question: fill(agg.count[kind], { group: "anyone" }), expected: ["0"] };
        const unique = ranked.length === 1 || ranked[0][1].count > ranked[1][1].count;
        if (mode < 0.4 && unique) return { question: agg.most_frequent[kind], expected: [ranked[0][0]] };
        const [group, g] = ranked[Math.floor(rng.next() * Math.min(3, ranked.length))];
        if (mode >= 0.7 && agg.sum[kind]) return { question: fill(agg.sum[kind] as string, { group }), expected: [formatCents(g.cents)] };
        return { question: fill(agg.count[kind], { group }), expected: [String(g.count)] };
      },
    };
  },
};

function otherAttribute(attribute: string): string {
  const all = vocab().attributes;
  return all[(all.indexOf(attribute) + 1) % all.length];
}

const INCIDENT = /^Note: incident — the (\w+) service failed/;
const incidentGroup = (text: string): string | undefined => INCIDENT.exec(text)?.[1];

/** A user's corpus has no tags to count: aggregation over it counts planted incident notes. */
function incidentNotes(rng: LongRng): Insert[] {
  const services = rng.sample(vocab().services, 4);
  const inserts: Insert[] = [];
  services.forEach((service, i) => {
    for (let n = rng.int(1, 3) * (services.length - i); n > 0; n--)
      inserts.push({
        text:
          `Note: incident — the ${service} service failed at ` +
          `${String(rng.int(0, 23)).padStart(2, "0")}:${String(rng.int(0, 59)).padStart(2, "0")}.`,
        depth: rng.next(),
      });
  });
  return inserts;
}
