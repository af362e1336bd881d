// Streaming accumulation of raw-conversation statistics: one RecordFacts at a time, memory
// bounded by the reservoirs (quantiles.ts), the duplicate trackers (duplicates.ts) and one
// small entry per persona, per tool and per reason code.
import { PERSONAS } from "../core/record.js";
import type { ReasonCode } from "../core/reasons.js";
import { ratio, DuplicateTracker, type DuplicateFigures } from "./duplicates.js";
import type { RecordFacts } from "./facts.js";
import { JudgedAccumulator, type JudgedFigures } from "./judged.js";
import { MINHASH } from "./minhash.js";
import { Reservoir, type Distribution } from "./quantiles.js";
import { REFUSAL_PHRASES } from "./refusals.js";

/** Values kept per persona for the length histograms of the HTML report. */
export const HISTOGRAM_SAMPLE = 5_000;
/** Located examples kept per problem kind. */
const EXAMPLES = 20;

export interface LocatedProblem {
  file: string;
  line: number;
  id?: string;
  code: ReasonCode;
  message: string;
}

export interface PersonaFigures {
  records: number;
  share: number;
  tokens_total: number;
  tokens_trained: number;
  tokens_mean: number;
  tool_calls: number;
  refusals: number;
  refusal_rate: number;
}

export interface DocumentsFigures {
  documents: number;
  per_record: number;
  tokens_per_record: number;
  repeated_prefix_tokens: number;
  /** repeated_prefix_tokens / all rendered tokens. */
  repeated_prefix_share: number;
  analysis_tokens_dropped: number;
}

export interface RawFigures {
  files: string[];
  records: number;
  by_persona: Record<string, number>;
  personas: Record<string, PersonaFigures>;
  invalid: { total: number; by_code: Record<string, number>; examples: LocatedProblem[] };
  messages: Distribution;
  turns: Distribution;
  tool_calls: {
    total: number;
    conversations_with_tools: number;
    per_conversation: Distribution;
    by_tool: Record<string, number>;
  };
  tokens: {
    total: number;
    trained: number;
    trained_fraction: number;
    per_conversation: { total: Distribution; trained: Distribution };
    channels: { analysis: number; commentary: number; final: number };
    channel_shares: { analysis: number; commentary: number; final: number };
  };
  rejects: { files: string[]; total: number; by_reason: Record<string, number> };
  /** What --documents costs: documents per record, tokens per record, the share spent on repeated prefixes. */
  documents: DocumentsFigures;
  duplicates: { method: string; user_prompts: DuplicateFigures; assistant_replies: DuplicateFigures };
  refusals: {
    method: string;
    phrases: number;
    conversations: number;
    rate: number;
    by_persona: Record<string, { conversations: number; refusals: number; rate: number }>;
  };
  /** Only when some record or reject was written by datagen judge (judged.ts). */
  judged?: JudgedFigures;
}

interface PersonaAccumulator {
  records: number;
  tokensTotal: number;
  tokensTrained: number;
  toolCalls: number;
  refusals: number;
  lengths: Reservoir;
}

export class RawAccumulator {
  private readonly files: string[] = [];
  private records = 0;
  private readonly personas = new Map<string, PersonaAccumulator>();
  private readonly invalidByCode = new Map<string, number>();
  private readonly invalidExamples: LocatedProblem[] = [];
  private invalidTotal = 0;
  private readonly messages = new Reservoir(undefined, 11);
  private readonly turns = new Reservoir(undefined, 12);
  private readonly toolCallsPerConversation = new Reservoir(undefined, 13);
  private readonly byTool = new Map<string, number>();
  private conversationsWithTools = 0;
  private readonly tokensTotal = new Reservoir(undefined, 14);
  private readonly documents = { documents: 0, repeatedPrefix: 0, analysisDropped: 0 };
  private readonly tokensTrained = new Reservoir(undefined, 15);
  private readonly channels = { analysis: 0, commentary: 0, final: 0 };
  private readonly rejectFiles: string[] = [];
  private readonly rejectsByReason = new Map<string, number>();
  private rejectsTotal = 0;
  private readonly userPrompts: DuplicateTracker;
  private readonly assistantReplies: DuplicateTracker;
  private readonly judged = new JudgedAccumulator();

  constructor(signatureCapacity?: number) {
    this.userPrompts = new DuplicateTracker(signatureCapacity);
    this.assistantReplies = new DuplicateTracker(signatureCapacity);
  }

  addFile(path: string): void {
    this.files.push(path);
  }

  addRecord(facts: RecordFacts): void {
    this.records++;
    this.documents.documents += facts.tokens.documents ?? 1;
    this.documents.repeatedPrefix += facts.tokens.repeatedPrefix ?? 0;
    this.documents.analysisDropped += facts.tokens.analysisDropped ?? 0;
    const persona = this.persona(facts.persona);
    persona.records++;
    persona.tokensTotal += facts.tokens.total;
    persona.tokensTrained += facts.tokens.trained;
    persona.toolCalls += facts.toolCalls.length;
    persona.lengths.add(facts.tokens.total);
    if (facts.refusal) persona.refusals++;
    this.messages.add(facts.messages);
    this.turns.add(facts.turns);
    this.toolCallsPerConversation.add(facts.toolCalls.length);
    if (facts.toolCalls.length > 0) this.conversationsWithTools++;
    for (const tool of facts.toolCalls) increment(this.byTool, tool);
    this.tokensTotal.add(facts.tokens.total);
    this.tokensTrained.add(facts.tokens.trained);
    this.channels.analysis += facts.tokens.analysis;
    this.channels.commentary += facts.tokens.commentary;
    this.channels.final += facts.tokens.final;
    for (const fp of facts.userPrompts) this.userPrompts.add(fp);
    for (const fp of facts.assistantReplies) this.assistantReplies.add(fp);
    this.judged.addRecord(facts.judge);
  }

  addInvalid(problem: LocatedProblem): void {
    this.invalidTotal++;
    increment(this.invalidByCode, problem.code);
    if (this.invalidExamples.length < EXAMPLES) this.invalidExamples.push(problem);
  }

  addRejectFile(path: string): void {
    this.rejectFiles.push(path);
  }

  addReject(reason: string, value?: unknown): void {
    this.rejectsTotal++;
    increment(this.rejectsByReason, reason);
    this.judged.addReject(reason, value);
  }

  /** Per persona, a sample of tokens per conversation (for histograms). */
  lengthSamples(): Map<string, Float64Array> {
    return new Map([...this.sortedPersonas()].map(([name, p]) => [name, p.lengths.sample()]));
  }

  figures(): RawFigures {
    const personas = this.sortedPersonas();
    const channelTotal = this.channels.analysis + this.channels.commentary + this.channels.final;
    const tokensTotal = this.tokensTotal.summary();
    const tokensTrained = this.tokensTrained.summary();
    let refusalConversations = 0;
    for (const p of personas.values()) refusalConversations += p.refusals;
    const judged = this.judged.figures();
    return {
      files: this.files,
      records: this.records,
      by_persona: Object.fromEntries([...personas].map(([name, p]) => [name, p.records])),
      personas: Object.fromEntries([...personas].map(([name, p]) => [name, this.personaFigures(p)])),
      invalid: { total: this.invalidTotal, by_code: sortedObject(this.invalidByCode), examples: this.invalidExamples },
      messages: this.messages.summary(),
      turns: this.turns.summary(),
      tool_calls: {
        total: this.toolCallsPerConversation.summary().sum,
        conversations_with_tools: this.conversationsWithTools,
        per_conversation: this.toolCallsPerConversation.summary(),
        by_tool: sortedObject(this.byTool),
      },
      tokens: {
        total: tokensTotal.sum,
        trained: tokensTrained.sum,
        trained_fraction: ratio(tokensTrained.sum, tokensTotal.sum),
        per_conversation: { total: tokensTotal, trained: tokensTrained },
        channels: { ...this.channels },
        channel_shares: {
          analysis: ratio(this.channels.analysis, channelTotal),
          commentary: ratio(this.channels.commentary, channelTotal),
          final: ratio(this.channels.final, channelTotal),
        },
      },
      rejects: { files: this.rejectFiles, total: this.rejectsTotal, by_reason: sortedObject(this.rejectsByReason) },
      documents: {
        documents: this.documents.documents,
        per_record: ratio(this.documents.documents, this.records),
        tokens_per_record: ratio(tokensTotal.sum, this.records),
        repeated_prefix_tokens: this.documents.repeatedPrefix,
        repeated_prefix_share: ratio(this.documents.repeatedPrefix, tokensTotal.sum),
        analysis_tokens_dropped: this.documents.analysisDropped,
      },
      duplicates: {
        method:
          `exact: 64-bit hash of normalized text (NFKC, lower case, whitespace collapsed); near: MinHash over ` +
          `${MINHASH.shingleWords}-word shingles, ${MINHASH.hashes} hashes, LSH ${MINHASH.bands} bands x ${MINHASH.rows} rows, ` +
          `estimated Jaccard >= ${MINHASH.threshold} (exact duplicates included); a text counts when an earlier text matches it`,
        user_prompts: this.userPrompts.figures(),
        assistant_replies: this.assistantReplies.figures(),
      },
      refusals: {
        method:
          `assistant final messages containing one of ${REFUSAL_PHRASES.length} stock refusal phrases or an in-voice refusal of the ` +
          `persona (src/stats/refusals.ts), per conversation`,
        phrases: REFUSAL_PHRASES.length,
        conversations: refusalConversations,
        rate: ratio(refusalConversations, this.records),
        by_persona: Object.fromEntries(
          [...personas].map(([name, p]) => [name, { conversations: p.records, refusals: p.refusals, rate: ratio(p.refusals, p.records) }]),
        ),
      },
      ...(judged ? { judged } : {}),
    };
  }

  private personaFigures(p: PersonaAccumulator): PersonaFigures {
    return {
      records: p.records,
      share: ratio(p.records, this.records),
      tokens_total: p.tokensTotal,
      tokens_trained: p.tokensTrained,
      tokens_mean: ratio(p.tokensTotal, p.records),
      tool_calls: p.toolCalls,
      refusals: p.refusals,
      refusal_rate: ratio(p.refusals, p.records),
    };
  }

  private persona(name: string): PersonaAccumulator {
    let p = this.personas.get(name);
    if (!p) {
      p = {
        records: 0,
        tokensTotal: 0,
        tokensTrained: 0,
        toolCalls: 0,
        refusals: 0,
        lengths: new Reservoir(HISTOGRAM_SAMPLE, 100 + this.personas.size),
      };
      this.personas.set(name, p);
    }
    return p;
  }

  private sortedPersonas(): Map<string, PersonaAccumulator> {
    return sortByPersona(this.personas);
  }
}

/** The model card's grid order, then other names, then "none". */
export function personaOrder(name: string): number {
  const i = (PERSONAS as readonly string[]).indexOf(name);
  return i >= 0 ? i : name === "none" ? PERSONAS.length + 1 : PERSONAS.length;
}

/** A persona-keyed map in grid order. */
export function sortByPersona<T>(map: Map<string, T>): Map<string, T> {
  return new Map([...map].sort(([a], [b]) => personaOrder(a) - personaOrder(b) || a.localeCompare(b)));
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sortedObject(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb)));
}
