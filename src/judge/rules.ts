// The rules that need no model (docs/JUDGE.md, Rules): exact and near-duplicate removal across all
// inputs, contamination against a holdout/eval file, per-persona phrase caps, refusal detection.
// Every decision depends only on the inputs and the settings, in input order, so a resumed run
// makes the same decisions: of a cluster of duplicates the first record in input order is kept,
// and of the records repeating a capped phrase the first ones (up to the cap) are kept.
import type { ConversationRecord } from "../core/record.js";
import { isFinalReply, NO_PERSONA } from "../stats/facts.js";
import { hashString32, hashString64 } from "../stats/hash.js";
import { minhashSignature, NearDuplicateIndex } from "../stats/minhash.js";
import { matchRefusal } from "../stats/refusals.js";
import { phrases } from "../stats/judged.js";
import { normalizeText, words } from "../stats/text.js";

export { phrases };

export interface RuleSettings {
  /** Reject near-duplicates (MinHash, estimated Jaccard >= 0.8) as well as exact ones. */
  nearDuplicates: boolean;
  /** Words per phrase (n-gram) for the phrase statistics. */
  phraseWords: number;
  /** A phrase may appear in at most this share of a persona's records (1 turns the cap off). */
  maxPhraseShare: number;
  /** A phrase must appear in at least this many of a persona's records before it is capped. */
  minPhraseRecords: number;
  /** Words per n-gram of the contamination check. */
  contaminationWords: number;
  /** Reject a record when one of its texts shares at least this share of its n-grams with the --against file. */
  maxContamination: number;
  /** Without a model: reject a refusal of a benign request and a harmful request answered (meta.request_harmful). */
  refusalRule: boolean;
}

export const DEFAULT_RULES: RuleSettings = {
  nearDuplicates: true,
  phraseWords: 4,
  maxPhraseShare: 0.3,
  minPhraseRecords: 5,
  contaminationWords: 8,
  maxContamination: 0.5,
  refusalRule: true,
};

/** Rule reject reasons; the record's meta.judge.reasons and the reject's reason. */
export type RuleReason =
  | "duplicate_id"
  | "exact_duplicate"
  | "near_duplicate"
  | "contaminated"
  | "phrase_cap"
  | "refusal_missing"
  | "refusal_unexpected";

export interface RuleFindings {
  duplicate_of: string | null;
  near_duplicate_of: string | null;
  /** Highest share of one text's n-grams found in the --against file (null without --against). */
  contamination: number | null;
  capped_phrases: string[];
  refusal: { detected: boolean; phrase: string | null };
}

/** The words a persona's answers are compared on: every assistant final of the record. */
export function answerTexts(record: ConversationRecord): string[] {
  return record.messages.filter(isFinalReply).map((m) => m.content as string);
}

/** User messages and assistant finals: what duplicates and contamination compare. */
function conversationTexts(record: ConversationRecord): string[] {
  const compared = record.messages.filter((m) => (m.role === "user" || isFinalReply(m)) && typeof m.content === "string");
  return compared.map((m) => m.content as string);
}

function recordPhrases(record: ConversationRecord, n: number): Set<string> {
  const all = new Set<string>();
  for (const text of answerTexts(record)) for (const p of phrases(text, n)) all.add(p);
  return all;
}

const personaKey = (record: ConversationRecord): string => record.persona ?? NO_PERSONA;

/** n-gram hashes of an eval/holdout file's texts: what a training record must not repeat. */
export class ContaminationIndex {
  private readonly grams = new Set<number>();
  private readonly wholeTexts = new Set<string>();
  texts = 0;

  constructor(readonly n: number) {}

  add(text: string): void {
    const w = words(normalizeText(text));
    if (w.length < 3) return;
    this.texts++;
    if (w.length < this.n) this.wholeTexts.add(w.join(" "));
    for (const h of gramHashes(w, this.n)) this.grams.add(h);
  }

  /** Share of the text's n-grams found in the index (1 for a short text equal to an indexed one). */
  overlap(text: string): number {
    const w = words(normalizeText(text));
    if (w.length < 3) return 0;
    if (w.length < this.n) return this.wholeTexts.has(w.join(" ")) ? 1 : 0;
    const hashes = gramHashes(w, this.n);
    let hit = 0;
    for (const h of hashes) if (this.grams.has(h)) hit++;
    return hit / hashes.length;
  }
}

function gramHashes(w: string[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + n <= w.length; i++) out.push(hashString32(w.slice(i, i + n).join(" "), 11));
  return out;
}

export interface FirstPassDecision {
  reason: RuleReason | null;
  duplicate_of: string | null;
  near_duplicate_of: string | null;
  contamination: number | null;
}

/**
 * Pass 1 over every input, in order: duplicate ids, exact and near duplicates, contamination, and
 * the per-persona phrase counts of the records that survive them. Keeps one small entry per record.
 */
export class FirstPass {
  private readonly ids = new Set<string>();
  private readonly exact = new Map<string, string>();
  private readonly near = new NearDuplicateIndex();
  private readonly nearIds: string[] = [];
  private readonly decisions = new Map<string, FirstPassDecision>();
  /** persona → phrase → records containing it; persona → records counted. */
  private readonly phraseCounts = new Map<string, Map<string, number>>();
  private readonly personaRecords = new Map<string, number>();
  readonly counts = { records: 0, duplicate_id: 0, exact_duplicate: 0, near_duplicate: 0, contaminated: 0 };
  /** --against: records checked, how many share any n-gram with it, and the highest overlap seen. */
  readonly contamination = { checked: 0, overlapping: 0, max_overlap: 0 };

  constructor(
    private readonly settings: RuleSettings,
    private readonly against: ContaminationIndex | null,
  ) {}

  observe(record: ConversationRecord): void {
    this.counts.records++;
    const decision: FirstPassDecision = { reason: null, duplicate_of: null, near_duplicate_of: null, contamination: null };
    if (this.ids.has(record.id)) {
      decision.reason = "duplicate_id";
      this.counts.duplicate_id++;
      // The first record with this id keeps its decision; this one is judged by position, not by id.
      return;
    }
    this.ids.add(record.id);
    this.decisions.set(record.id, decision);
    const texts = conversationTexts(record);
    const normalized = normalizeText(texts.join("\n"));
    const [hi, lo] = hashString64(normalized);
    const first = this.exact.get(`${hi}:${lo}`);
    const sig = normalized ? minhashSignature(normalized) : undefined;
    const match = sig ? this.near.matchAndAdd(sig) : -1;
    if (sig) this.nearIds.push(record.id);
    if (first !== undefined) {
      decision.reason = "exact_duplicate";
      decision.duplicate_of = first;
      this.counts.exact_duplicate++;
    } else {
      this.exact.set(`${hi}:${lo}`, record.id);
      if (this.settings.nearDuplicates && match !== -1) {
        decision.reason = "near_duplicate";
        decision.near_duplicate_of = this.nearIds[match];
        this.counts.near_duplicate++;
      }
    }
    if (this.against) {
      decision.contamination = Math.max(0, ...texts.map((t) => (this.against as ContaminationIndex).overlap(t)));
      this.contamination.checked++;
      if (decision.contamination > 0) this.contamination.overlapping++;
      this.contamination.max_overlap = Math.max(this.contamination.max_overlap, decision.contamination);
      if (decision.reason === null && decision.contamination >= this.settings.maxContamination) {
        decision.reason = "contaminated";
        this.counts.contaminated++;
      }
    }
    if (decision.reason !== null) return;
    const persona = personaKey(record);
    this.personaRecords.set(persona, (this.personaRecords.get(persona) ?? 0) + 1);
    let counts = this.phraseCounts.get(persona);
    if (!counts) this.phraseCounts.set(persona, (counts = new Map()));
    for (const p of recordPhrases(record, this.settings.phraseWords)) counts.set(p, (counts.get(p) ?? 0) + 1);
  }

  /** The first pass's decision of a record seen at this position (a repeated id is duplicate_id). */
  decision(record: ConversationRecord, firstOfId: boolean): FirstPassDecision {
    if (!firstOfId) return { reason: "duplicate_id", duplicate_of: record.id, near_duplicate_of: null, contamination: null };
    return this.decisions.get(record.id) as FirstPassDecision;
  }

  /** The capped phrases of each persona, for pass 2. */
  phraseCaps(): PhraseCaps {
    const caps = new Map<string, Map<string, { allowed: number; found: number; kept: number }>>();
    const top = new Map<string, { phrase: string; records: number; share: number }[]>();
    for (const [persona, counts] of this.phraseCounts) {
      const records = this.personaRecords.get(persona) ?? 0;
      const allowed = Math.max(1, Math.floor(this.settings.maxPhraseShare * records));
      const capped = new Map<string, { allowed: number; found: number; kept: number }>();
      const repeated: { phrase: string; records: number; share: number }[] = [];
      for (const [phrase, n] of counts) {
        if (n < 2) continue;
        repeated.push({ phrase, records: n, share: n / records });
        const cappable = n >= this.settings.minPhraseRecords && n > allowed && this.settings.maxPhraseShare < 1;
        if (cappable) capped.set(phrase, { allowed, found: n, kept: 0 });
      }
      repeated.sort((a, b) => b.records - a.records || a.phrase.localeCompare(b.phrase));
      top.set(persona, repeated.slice(0, 10));
      if (capped.size > 0) caps.set(persona, capped);
    }
    return new PhraseCaps(caps, top, this.settings.phraseWords);
  }
}

/** Pass 2's phrase cap: in input order, a record repeating a capped phrase past its allowance is rejected. */
export class PhraseCaps {
  constructor(
    private readonly caps: Map<string, Map<string, { allowed: number; found: number; kept: number }>>,
    /** persona → its most repeated phrases (records containing each), for run.json and the report. */
    readonly top: Map<string, { phrase: string; records: number; share: number }[]>,
    private readonly n: number,
  ) {}

  /** The capped phrases this record would exceed (empty: keep it, and count its phrases). */
  admit(record: ConversationRecord): string[] {
    const capped = this.caps.get(personaKey(record));
    if (!capped) return [];
    const mine = [...recordPhrases(record, this.n)].filter((p) => capped.has(p));
    const over = mine.filter((p) => {
      const cap = capped.get(p) as { kept: number; allowed: number };
      return cap.kept >= cap.allowed;
    });
    if (over.length > 0) return over.sort();
    for (const p of mine) (capped.get(p) as { kept: number }).kept++;
    return [];
  }

  /** persona → capped phrase → { allowed, found }, for run.json. */
  summary(): Record<string, Record<string, { allowed: number; found: number }>> {
    const phrases = (m: Map<string, { allowed: number; found: number }>) =>
      Object.fromEntries([...m].map(([p, c]) => [p, { allowed: c.allowed, found: c.found }]));
    return Object.fromEntries([...this.caps].map(([persona, m]) => [persona, phrases(m)]));
  }
}

/** The refusal heuristic over a record's finals, in its persona's voice (stats/refusals.ts). */
export function detectRecordRefusal(record: ConversationRecord): { detected: boolean; phrase: string | null } {
  for (const text of answerTexts(record)) {
    const phrase = matchRefusal(text, record.persona);
    if (phrase) return { detected: true, phrase };
  }
  return { detected: false, phrase: null };
}

/** Without a model: the refusal heuristic against meta.request_harmful. */
export function refusalRuleReason(record: ConversationRecord, refusal: { detected: boolean }): RuleReason | null {
  const harmful = record.meta?.request_harmful;
  if (harmful === true && !refusal.detected) return "refusal_missing";
  if (harmful === false && refusal.detected) return "refusal_unexpected";
  return null;
}
