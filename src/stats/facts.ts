// What the report needs from one record, computed independently of every other record
// (so it can run in a worker thread): counts, token figures, text fingerprints, refusal flag.
import type { ConversationRecord, Message } from "../core/record.js";
import { hashString64 } from "./hash.js";
import { judgeFacts, type JudgeFacts } from "./judged.js";
import { minhashSignature } from "./minhash.js";
import { isRefusal } from "./refusals.js";
import { normalizeText } from "./text.js";

/** The persona key used in every table: a null persona is "none". */
export const NO_PERSONA = "none";

export interface TokenFacts {
  /** Tokens of the rendered document. */
  total: number;
  /** Tokens with mask 1 under the chosen mask mode. */
  trained: number;
  /** Tokens of assistant messages by channel (header through terminator). */
  analysis: number;
  commentary: number;
  final: number;
  /** Documents the record became under --documents (absent: 1), prefix tokens rendered again, analysis no document trains. */
  documents?: number;
  repeatedPrefix?: number;
  analysisDropped?: number;
}

export interface TextFingerprint {
  /** 64-bit hash of the normalized text, as two 32-bit halves. */
  hi: number;
  lo: number;
  signature?: Uint32Array;
}

export interface RecordFacts {
  id: string;
  persona: string;
  messages: number;
  /** User messages: one turn is a user message and the assistant's answer to it. */
  turns: number;
  /** The tool name of every tool call, in order. */
  toolCalls: string[];
  tokens: TokenFacts;
  userPrompts: TextFingerprint[];
  assistantReplies: TextFingerprint[];
  /** Some assistant final message matches the refusal heuristic (see refusals.ts). */
  refusal: boolean;
  /** Records with meta.judge (datagen judge): what the judged-data tables need (judged.ts). */
  judge?: JudgeFacts;
}

export type TokenCounter = (record: ConversationRecord) => TokenFacts;

/** An assistant reply on the final channel: text content and no tool calls. */
export function isFinalReply(message: Message): boolean {
  return (
    message.role === "assistant" && !message.tool_calls?.length && typeof message.content === "string" && message.content.trim() !== ""
  );
}

export function recordFacts(record: ConversationRecord, countTokens: TokenCounter): RecordFacts {
  const toolCalls: string[] = [];
  const userPrompts: TextFingerprint[] = [];
  const assistantReplies: TextFingerprint[] = [];
  let turns = 0;
  let refusal = false;
  for (const message of record.messages) {
    if (message.role === "user") {
      turns++;
      const fp = fingerprint(message.content ?? "");
      if (fp) userPrompts.push(fp);
    }
    for (const call of message.tool_calls ?? []) toolCalls.push(call.function.name);
    if (isFinalReply(message)) {
      const fp = fingerprint(message.content as string);
      if (fp) assistantReplies.push(fp);
      if (isRefusal(message.content as string, record.persona)) refusal = true;
    }
  }
  return {
    id: record.id,
    persona: record.persona ?? NO_PERSONA,
    messages: record.messages.length,
    turns,
    toolCalls,
    tokens: countTokens(record),
    userPrompts,
    assistantReplies,
    refusal,
    judge: judgeFacts(record),
  };
}

/** Exact-match hash and MinHash signature of a text's normalized form; undefined if empty. */
export function fingerprint(text: string): TextFingerprint | undefined {
  const normalized = normalizeText(text);
  if (!normalized) return undefined;
  const [hi, lo] = hashString64(normalized);
  return { hi, lo, signature: minhashSignature(normalized) };
}
