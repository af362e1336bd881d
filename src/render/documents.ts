// A record → the training documents it is cut into: `--documents auto | turns | conversation`
// (docs/RENDERING.md, "Documents"). `conversation` is the whole-record rendering of the dialect
// (harmony's auto_drop_analysis verbatim); `turns` is one document per assistant turn, rendered as an
// inference server would prompt that turn (earlier turns' analysis dropped) plus the turn itself,
// analysis kept, only that turn trained; `auto` is one whole-record document, analysis kept, when no
// analysis comes before the last turn (nothing is then shown that inference would not show), else `turns`.
import type { ConversationRecord } from "../core/record.js";
import { harmonyMessages } from "./harmony.js";
import { hfMessages } from "./hf.js";
import { buildMask } from "./mask.js";
import { TokenWriter, type HarmonyMessage, type MessageSpan, type RenderPiece } from "./message.js";
import type { Dialect, DocumentMode, MaskMode } from "./names.js";

/** One assistant turn: record messages [start, end) after a user message (or before the first). */
export interface Turn {
  start: number;
  end: number;
}

export interface DocumentRendering {
  /** The record's id, or `ID#k` (k = turn, from 1) when the record is cut into several documents. */
  id: string;
  /** The turn this document trains (1-based), or null for a whole-record document. */
  turn: number | null;
  tokens: number[];
  mask: Uint8Array;
  pieces: RenderPiece[];
  spans: MessageSpan[];
  /** Tokens before the trained turn's first message: the prompt of that turn (0 for whole records). */
  prefixTokens: number;
}

export interface RecordDocuments {
  documents: DocumentRendering[];
  /** Tokens of the record's analysis (`thinking`) that no document trains it with: the cost of the mode. */
  analysisTokensDropped: number;
  /** Prefix tokens of every document after the record's first: context rendered again. */
  repeatedPrefixTokens: number;
}

export interface DocumentOptions {
  dialect: Dialect;
  mask: MaskMode;
  documents: DocumentMode;
}

/** The record's assistant turns, in order; a stretch without an assistant message is no turn. */
export function assistantTurns(record: ConversationRecord): Turn[] {
  const turns: Turn[] = [];
  let start = 0;
  const close = (end: number): void => {
    if (record.messages.slice(start, end).some((m) => m.role === "assistant")) turns.push({ start, end });
  };
  record.messages.forEach((message, i) => {
    if (message.role !== "user") return;
    close(i);
    start = i + 1;
  });
  close(record.messages.length);
  return turns;
}

const hasThinking = (record: ConversationRecord, i: number): boolean =>
  record.messages[i].role === "assistant" && Boolean(record.messages[i].thinking);

/** auto: whole record unless some analysis comes before the last turn. */
function needsTurns(record: ConversationRecord, turns: Turn[]): boolean {
  const last = turns.at(-1);
  if (last === undefined) return false;
  for (let i = 0; i < last.start; i++) if (hasThinking(record, i)) return true;
  return false;
}

interface Plan {
  turn: Turn | null;
  messages: HarmonyMessage[];
}

/** The record up to the end of `turn`, rendered with only that turn's analysis (hf: the template on that cut). */
function turnMessages(record: ConversationRecord, turn: Turn, dialect: Dialect): HarmonyMessage[] {
  const cut: ConversationRecord = { ...record, messages: record.messages.slice(0, turn.end) };
  return dialect === "hf" ? hfMessages(cut) : harmonyMessages(cut, { keepFrom: turn.start });
}

function plan(record: ConversationRecord, { dialect, documents }: DocumentOptions): Plan[] {
  const conversation = (): Plan[] => [{ turn: null, messages: dialect === "hf" ? hfMessages(record) : harmonyMessages(record) }];
  if (documents === "conversation") return conversation();
  const turns = assistantTurns(record);
  if (turns.length === 0) return conversation();
  if (documents === "auto" && !needsTurns(record, turns)) {
    // No analysis before the last turn: the whole record is every turn's inference context. Keep all analysis.
    return [{ turn: null, messages: dialect === "hf" ? hfMessages(record) : harmonyMessages(record, { keepFrom: 0 }) }];
  }
  return turns.map((turn) => ({ turn, messages: turnMessages(record, turn, dialect) }));
}

const inTurn = (turn: Turn, message: HarmonyMessage): boolean => (message.source ?? -1) >= turn.start;

/** Renders the record's documents under the mode, with what the mode costs. */
export function renderDocuments(record: ConversationRecord, options: DocumentOptions): RecordDocuments {
  const plans = plan(record, options);
  const split = plans.length > 1;
  const kept = new Set<number>();
  let repeatedPrefixTokens = 0;
  const documents = plans.map((p, k): DocumentRendering => {
    const writer = new TokenWriter();
    const spans = p.messages.map((message) => writer.writeMessage(message));
    const trainedSpans = p.turn === null ? spans : spans.filter((s) => inTurn(p.turn!, s.message));
    for (const s of trainedSpans) if (s.message.channel === "analysis" && s.message.source !== undefined) kept.add(s.message.source);
    const prefixTokens = p.turn === null ? 0 : (trainedSpans[0]?.start ?? writer.tokens.length);
    if (k > 0) repeatedPrefixTokens += prefixTokens;
    const turn = p.turn === null ? null : k + 1;
    return {
      id: split ? `${record.id}#${k + 1}` : record.id,
      turn,
      tokens: writer.tokens,
      mask: buildMask(writer.tokens.length, trainedSpans, options.mask),
      pieces: writer.pieces,
      spans,
      prefixTokens,
    };
  });
  return { documents, analysisTokensDropped: droppedAnalysisTokens(record, kept), repeatedPrefixTokens };
}

/** Tokens of each `thinking` that no document trains, as its analysis message would render. */
function droppedAnalysisTokens(record: ConversationRecord, kept: Set<number>): number {
  let dropped = 0;
  let writer: TokenWriter | undefined;
  record.messages.forEach((message, i) => {
    if (!hasThinking(record, i) || kept.has(i)) return;
    writer ??= new TokenWriter();
    const analysis = {
      role: "assistant",
      author: "assistant",
      channel: "analysis",
      content: message.thinking!,
      terminator: "end",
    } as const;
    const span = writer.writeMessage(analysis);
    dropped += span.terminator + 1 - span.start;
  });
  return dropped;
}
