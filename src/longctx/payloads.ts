// Long tool payloads made by code (docs/LONG_CONTEXT.md): files of a codebase, a book chapter, log
// files, a CSV table, search result pages and a mailbox, each built unit by unit from the seed
// (word lists and sentence patterns in data/longctx/vocab.json) until it reaches the token length
// asked for, measured with the project's o200k_harmony tokenizer; or lines of a user's corpus
// (`haystack`). Tasks (tasks.ts) insert their facts as units in the payload's own style and read
// the tags of the units that made it in (aggregation answers are counted on the final text).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../core/project.js";
import { getTokenizer } from "../tokenize/o200k_harmony.js";
import { readHaystack } from "./haystack.js";
import type { PayloadUnit, UnitSource } from "./units.js";
export type { PayloadUnit, UnitSource } from "./units.js";
import { LongRng } from "./rng.js";

export const PAYLOAD_KINDS = ["codebase", "document", "logs", "table", "search", "mailbox", "haystack"] as const;
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];
/** The kinds made by code (haystack reads the user's files). */
export const GENERATED_KINDS = PAYLOAD_KINDS.filter((k) => k !== "haystack");

/** A unit a task places at a relative depth (0 = start, 1 = end) of the payload. */
export interface Insert {
  text: string;
  depth: number;
}

export interface PayloadOptions {
  seed: string;
  /** Length of the payload text in o200k_harmony tokens (it ends at most this long). */
  targetTokens: number;
  /** haystack kind: the corpus folder. */
  haystack?: string;
  inserts?: Insert[];
}

export interface Payload {
  kind: PayloadKind;
  text: string;
  tokens: number;
  units: PayloadUnit[];
  /** The name the tool is called with (a path, a folder, a query). */
  source: string;
  /** haystack: files read, relative to the corpus folder. */
  files?: string[];
}

export interface Vocab {
  firstNames: string[];
  lastNames: string[];
  cities: string[];
  regions: string[];
  projects: string[];
  attributes: string[];
  services: string[];
  logInfo: string[];
  logWarn: string[];
  logErrors: { code: string; text: string }[];
  codeModules: string[];
  codeNouns: string[];
  codeVerbs: string[];
  todoOwners: string[];
  docTopics: string[];
  docSentences: string[];
  emailSubjects: string[];
  emailBodies: string[];
  days: string[];
  searchDomains: string[];
  searchSnippets: string[];
  tableProducts: string[];
}

let vocabCache: Vocab | undefined;
export function vocab(): Vocab {
  vocabCache ??= JSON.parse(readFileSync(join(projectRoot(), "data", "longctx", "vocab.json"), "utf8")) as Vocab;
  return vocabCache;
}

/** Zipf-like weights, so that "the most frequent" has one clear answer more often than not. */
const skewed = (n: number): number[] => Array.from({ length: n }, (_, i) => 1 / (i + 1));

function fill(rng: LongRng, pattern: string, extra: Record<string, string> = {}): string {
  const v = vocab();
  return pattern.replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (slot in extra) return extra[slot];
    switch (slot) {
      case "ms":
        return String(rng.int(2, 2400));
      case "pct":
        return String(rng.int(1, 99));
      case "n":
        return String(rng.int(2, 90));
      case "hex":
        return rng.hex(8);
      case "service":
        return rng.pick(v.services);
      case "city":
        return rng.pick(v.cities);
      case "topic":
        return rng.pick(v.docTopics);
      case "name":
        return `${rng.pick(v.firstNames)} ${rng.pick(v.lastNames)}`;
      case "project":
        return rng.pick(v.projects);
      case "region":
        return rng.pick(v.regions);
      case "day":
        return rng.pick(v.days);
      default:
        return slot;
    }
  });
}

/** A clock that only moves forward (log lines, mail dates). */
function clock(rng: LongRng, stepSeconds: number): () => string {
  let t = Date.UTC(2026, rng.int(0, 10), rng.int(1, 27), rng.int(0, 12));
  return () => {
    t += rng.int(1, stepSeconds) * 1000 + rng.int(0, 999);
    return new Date(t).toISOString();
  };
}

function logSource(rng: LongRng): UnitSource {
  const v = vocab();
  const errors = rng.sample(v.logErrors, rng.int(5, v.logErrors.length));
  const weights = skewed(errors.length);
  const now = clock(rng, 20);
  const service = rng.pick(v.services);
  return {
    source: `/var/log/${service}/${service}-${rng.int(1, 28).toString().padStart(2, "0")}.log`,
    next: () => {
      const r = rng.next();
      const where = `[${rng.pick(v.services)}]`;
      if (r < 0.07) {
        const error = errors[rng.weighted(weights)];
        return { text: `${now()} ERROR ${where} ${error.code} ${fill(rng, error.text)}`, group: error.code };
      }
      if (r < 0.17) return { text: `${now()} WARN  ${where} ${fill(rng, rng.pick(v.logWarn))}` };
      return { text: `${now()} INFO  ${where} ${fill(rng, rng.pick(v.logInfo))}` };
    },
  };
}

function codebaseSource(rng: LongRng): UnitSource {
  const v = vocab();
  const owners = rng.sample(v.todoOwners, 5);
  const weights = skewed(owners.length);
  let chunksLeft = 0;
  const repo = rng.pick(v.projects).toLowerCase();
  const fn = () => `${rng.pick(v.codeVerbs)}${cap(rng.pick(v.codeNouns))}`;
  return {
    source: `${repo}/src`,
    next: () => {
      if (chunksLeft === 0) {
        chunksLeft = rng.int(3, 9);
        const module = rng.pick(v.codeModules);
        const noun = rng.pick(v.codeNouns);
        return {
          text:
            `\n// ===== file: src/${module}/${noun}-${rng.pick(v.codeVerbs)}.ts =====\n` +
            `import { ${cap(noun)}Store } from "../${rng.pick(v.codeModules)}/store.js";\n` +
            `import { logger } from "../core/logger.js";`,
        };
      }
      chunksLeft--;
      const r = rng.next();
      const noun = rng.pick(v.codeNouns);
      if (r < 0.12) {
        const owner = owners[rng.weighted(weights)];
        return {
          text: `// TODO(${owner}): ${rng.pick(v.codeVerbs)} the ${noun} cache before ${rng.pick(v.codeVerbs)}ing it again`,
          group: owner,
        };
      }
      if (r < 0.35) {
        const fields = rng.sample(v.codeNouns, rng.int(2, 4)).map((f) => `  ${f}Id: ${rng.pick(["string", "number", "boolean", "Date"])};`);
        return { text: `export interface ${cap(noun)}${cap(rng.pick(v.codeNouns))} {\n${fields.join("\n")}\n}` };
      }
      const name = fn();
      const arg = rng.pick(v.codeNouns);
      const lines = [
        `export async function ${name}(${arg}: ${cap(arg)}, limit = ${rng.int(2, 500)}): Promise<${cap(noun)}[]> {`,
        `  const items = await ${fn()}(${arg}.id, { retries: ${rng.int(1, 5)} });`,
        `  if (items.length > limit) logger.warn("${name}: %d items over limit", items.length);`,
        rng.next() < 0.5
          ? `  const seen = new Set(items.map((item) => item.${rng.pick(v.codeNouns)}Id));`
          : `  items.sort((a, b) => a.${rng.pick(v.codeNouns)}Id - b.${rng.pick(v.codeNouns)}Id);`,
        `  return items.slice(0, limit);`,
        `}`,
      ];
      return { text: lines.join("\n") };
    },
  };
}

function documentSource(rng: LongRng): UnitSource {
  const v = vocab();
  const cast = Array.from({ length: 6 }, () => `${rng.pick(v.firstNames)} ${rng.pick(v.lastNames)}`).filter(
    (n, i, all) => all.indexOf(n) === i,
  );
  const weights = skewed(cast.length);
  const topic = rng.pick(v.docTopics);
  const named = v.docSentences.filter((s) => s.startsWith("{name}"));
  const plain = v.docSentences.filter((s) => !s.includes("{name}"));
  let chapter = 0;
  let paragraphs = 0;
  return {
    source: `${cap(topic.replace(/^the /, ""))}: a history`,
    next: () => {
      if (paragraphs === 0) {
        paragraphs = rng.int(6, 14);
        return { text: `\nChapter ${++chapter}\n` };
      }
      paragraphs--;
      // One character per paragraph, named in its first sentence: the count is the paragraphs that name them.
      const who = cast[rng.weighted(weights)];
      const sentences = [fill(rng, rng.pick(named), { name: who, topic })];
      for (let i = rng.int(2, 5); i > 0; i--) sentences.push(fill(rng, rng.pick(plain), { topic }));
      return { text: sentences.join(" "), group: who };
    },
  };
}

function tableSource(rng: LongRng): UnitSource {
  const v = vocab();
  const regions = rng.sample(v.regions, 5);
  const weights = skewed(regions.length);
  let order = rng.int(10_000, 80_000);
  const now = clock(rng, 3600 * 6);
  return {
    source: `sales_${rng.int(2021, 2026)}.csv`,
    header: [{ text: "order_id,date,region,product,quantity,unit_price,amount,note", fixed: true }],
    next: () => {
      const region = regions[rng.weighted(weights)];
      const quantity = rng.int(1, 40);
      const priceCents = rng.int(199, 49_999);
      const amountCents = quantity * priceCents;
      const text =
        `SO-${++order},${now().slice(0, 10)},${region},${rng.pick(v.tableProducts)},` +
        `${quantity},${money(priceCents)},${money(amountCents)},`;
      return { text, group: region, amountCents };
    },
  };
}

function searchSource(rng: LongRng): UnitSource {
  const v = vocab();
  const domains = rng.sample(v.searchDomains, 5);
  const weights = skewed(domains.length);
  const query = `${rng.pick(v.docTopics)} ${rng.pick(v.services)}`;
  let page = 0;
  let left = 0;
  let rank = 0;
  return {
    source: query,
    next: () => {
      if (left === 0) {
        left = 10;
        return { text: `\n--- Results page ${++page} for "${query}" ---` };
      }
      left--;
      const domain = domains[rng.weighted(weights)];
      const title = fill(rng, rng.pick(v.emailSubjects)).replace(/^(Re|Fwd): /, "");
      return {
        text: `[${++rank}] ${title} — https://${domain}/${rng.hex(6)}\n    ${fill(rng, rng.pick(v.searchSnippets))}`,
        group: domain,
      };
    },
  };
}

function mailboxSource(rng: LongRng): UnitSource {
  const v = vocab();
  const people = Array.from({ length: 6 }, () => `${rng.pick(v.firstNames)} ${rng.pick(v.lastNames)}`).filter(
    (n, i, all) => all.indexOf(n) === i,
  );
  const weights = skewed(people.length);
  const now = clock(rng, 3600 * 3);
  const owner = `${rng.pick(v.firstNames)} ${rng.pick(v.lastNames)}`;
  return {
    source: `INBOX (${owner})`,
    next: () => {
      const from = people[rng.weighted(weights)];
      const body = Array.from({ length: rng.int(1, 3) }, () => fill(rng, rng.pick(v.emailBodies))).join(" ");
      const text = [
        `From: ${from} <${email(from)}>`,
        `To: ${owner} <${email(owner)}>`,
        `Date: ${now()}`,
        `Subject: ${fill(rng, rng.pick(v.emailSubjects))}`,
        "",
        body,
        "",
      ].join("\n");
      return { text, group: from };
    },
  };
}

const SOURCES: Record<Exclude<PayloadKind, "haystack">, (rng: LongRng) => UnitSource> = {
  codebase: codebaseSource,
  document: documentSource,
  logs: logSource,
  table: tableSource,
  search: searchSource,
  mailbox: mailboxSource,
};

/**
 * A payload of at most `targetTokens` tokens (and within a few hundred of it): units from the
 * seed's source, then the task's inserts at their depths. The same kind and options give the same text.
 */
export function makePayload(kind: PayloadKind, options: PayloadOptions): Payload {
  if (!Number.isInteger(options.targetTokens) || options.targetTokens < 64)
    throw new RangeError(`payload targetTokens must be an integer >= 64, got ${options.targetTokens}`);
  const rng = new LongRng("payload", kind, options.seed);
  const source = kind === "haystack" ? readHaystack(requireHaystack(options.haystack), rng, options.targetTokens) : SOURCES[kind](rng);
  const tokenizer = getTokenizer();
  const count = (text: string) => tokenizer.encodeText(text).length + 1;
  const inserts = (options.inserts ?? []).map((i) => ({ ...i, tokens: count(i.text) }));
  let budget = options.targetTokens - inserts.reduce((sum, i) => sum + i.tokens, 0);
  const units: PayloadUnit[] = [];
  for (const unit of source.header ?? []) {
    units.push(unit);
    budget -= count(unit.text);
  }
  const fixedCount = units.length;
  // A unit too long for what is left is skipped; a few in a row end the fill.
  const pull = (into: PayloadUnit[], room: number): void => {
    for (let misses = 0; misses < 4; ) {
      const unit = source.next();
      if (!unit) return;
      const size = count(unit.text);
      if (size > room) {
        misses++;
        continue;
      }
      misses = 0;
      into.push(unit);
      room -= size;
    }
  };
  pull(units, budget);
  const body = units.slice(fixedCount);
  // Inserts at their depths, deepest last so that earlier positions stay put.
  const placed = inserts.map((insert, order) => ({ insert, order, at: Math.round(Math.min(1, Math.max(0, insert.depth)) * body.length) }));
  placed.sort((a, b) => b.at - a.at || b.order - a.order);
  for (const { insert, at } of placed) body.splice(at, 0, { text: insert.text, inserted: true });
  let all = [...units.slice(0, fixedCount), ...body];
  stampInserted(all);
  const measure = () => tokenizer.encodeText(all.map((u) => u.text).join("\n")).length;
  let tokens = measure();
  // Per-unit counts overestimate (merges across the newlines): top up from the source while it falls short.
  for (let round = 0; round < 4 && options.targetTokens - tokens > 32; round++) {
    const more: PayloadUnit[] = [];
    pull(more, options.targetTokens - tokens - 1);
    if (more.length === 0) break;
    all = [...all, ...more];
    tokens = measure();
  }
  // ... and can also fall short of them: drop generated units from the end until it fits.
  while (tokens > options.targetTokens) {
    const last = findLastIndex(all, (u) => !u.inserted && !u.fixed);
    if (last < 0) break;
    all = all.filter((_, i) => i !== last);
    tokens = measure();
  }
  const text = all.map((u) => u.text).join("\n");
  return { kind, text, tokens, units: all, source: source.source, ...(source.files ? { files: source.files } : {}) };
}

// A log note takes the time of the line before it, so that the file's clock never runs backwards.
const TIME_OF_PREVIOUS = "{time-of-previous-line}";
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;
function stampInserted(units: PayloadUnit[]): void {
  let time = "2026-01-01T00:00:00.000Z";
  for (const unit of units) {
    if (unit.inserted && unit.text.startsWith(TIME_OF_PREVIOUS)) unit.text = time + unit.text.slice(TIME_OF_PREVIOUS.length);
    time = ISO_TIME.exec(unit.text)?.[0] ?? time;
  }
}

function requireHaystack(dir: string | undefined): string {
  if (!dir) throw new RangeError("the haystack payload needs a corpus folder (--haystack DIR)");
  return dir;
}

function findLastIndex<T>(items: T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i])) return i;
  return -1;
}

/** How a task's fact or assignment reads inside each kind of payload. */
export function factUnit(kind: PayloadKind, rng: LongRng, sentence: string): string {
  const v = vocab();
  switch (kind) {
    case "logs":
      return `${TIME_OF_PREVIOUS} INFO  [${rng.pick(v.services)}] note: ${sentence}`;
    case "codebase":
      return `// NOTE: ${sentence}`;
    case "table":
      return `SO-${rng.int(90_000, 99_999)},2026-06-${String(rng.int(10, 28))},n/a,n/a,0,0.00,0.00,"${sentence.replace(/"/g, '""')}"`;
    case "search":
      return `[*] Notice — https://${rng.pick(v.searchDomains)}/${rng.hex(6)}\n    ${cap(sentence)}`;
    case "mailbox":
      return [
        `From: Records Office <records@example.org>`,
        `To: everyone@example.org`,
        `Date: 2026-06-${String(rng.int(10, 28))}T09:00:00.000Z`,
        `Subject: For the record`,
        "",
        `For the record: ${sentence}`,
        "",
      ].join("\n");
    case "document":
      return `A note pinned inside the cover read: ${sentence}`;
    case "haystack":
      return `Note: ${sentence}`;
  }
}

export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const money = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
export const formatCents = money;
const email = (name: string): string =>
  `${name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z ]/g, "")
    .replace(/ /g, ".")}@example.org`;
