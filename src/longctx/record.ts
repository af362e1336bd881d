// The shape of a long-context conversation (docs/LONG_CONTEXT.md): the user asks about material
// only a tool returns; the assistant calls that tool, gets the long payload as the tool result, and
// answers. generate fills the assistant's texts with the model; tests and eval build the same
// record with texts of their own.
import { personaSystemMessage, type ConversationRecord, type Message } from "../core/record.js";
import type { BandId } from "./bands.js";
import type { LongTask } from "./tasks.js";

export interface LongContextMeta {
  band: BandId;
  task: LongTask["task"];
  payload: LongTask["payload"]["kind"];
  target_tokens: number;
  payload_tokens: number;
  seed_space: LongTask["seedSpace"];
}

export const LONG_CALL_ID = "call_1";

/** The messages before the answer: [system], user question, assistant call (with its thinking), tool result. */
export function longPrefix(task: LongTask, persona: string | null, callThinking: string): Message[] {
  return [
    ...(persona ? [{ role: "system" as const, content: personaSystemMessage(persona) }] : []),
    { role: "user", content: task.question },
    { role: "assistant", thinking: callThinking, tool_calls: [{ id: LONG_CALL_ID, type: "function", function: { name: task.tool.function.name, arguments: task.arguments } }] },
    { role: "tool", tool_call_id: LONG_CALL_ID, name: task.tool.function.name, content: task.payload.text },
  ];
}

export function longContextMeta(task: LongTask, band: BandId, targetTokens: number): LongContextMeta {
  return { band, task: task.task, payload: task.payload.kind, target_tokens: targetTokens, payload_tokens: task.payload.tokens, seed_space: task.seedSpace };
}

export interface LongRecordParts {
  id: string;
  persona: string | null;
  task: LongTask;
  band: BandId;
  targetTokens: number;
  callThinking: string;
  answerThinking: string;
  final: string;
  /** Other meta fields (seed, model, date, ...). */
  meta?: Record<string, unknown>;
}

/** The whole record, meta.expected_answers included. */
export function longRecord(parts: LongRecordParts): ConversationRecord {
  return {
    id: parts.id,
    persona: parts.persona,
    tools: [parts.task.tool],
    messages: [...longPrefix(parts.task, parts.persona, parts.callThinking), { role: "assistant", thinking: parts.answerThinking, content: parts.final }],
    meta: { ...parts.meta, expected_answers: parts.task.expected_answers, long_context: longContextMeta(parts.task, parts.band, parts.targetTokens) },
  };
}
