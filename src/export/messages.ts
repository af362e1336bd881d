// hf-messages rows: a record's messages and tools in the shape transformers' apply_chat_template
// takes (tool-call arguments as objects), each column a JSON string: Parquet cannot type free-form
// JSON Schema parameters, so the consumer parses them (docs/TRAINING.md shows the one-line map).
import { stringifyJson } from "../core/json.js";
import { callArguments, type ConversationRecord } from "../core/record.js";
import type { ColumnSpec } from "./types.js";

export const HF_MESSAGES_COLUMNS: ColumnSpec[] = [
  { name: "id", kind: "string" },
  { name: "messages", kind: "string" },
  { name: "tools", kind: "string" },
];

export function hfMessagesRow(record: ConversationRecord): { id: string; messages: string; tools: string } {
  const messages = record.messages.map((m) => {
    const out: Record<string, unknown> = { role: m.role, content: m.content ?? "" };
    if (m.thinking) out.thinking = m.thinking;
    if (m.tool_calls?.length)
      out.tool_calls = m.tool_calls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.function.name, arguments: callArguments(c) },
      }));
    if (m.tool_call_id !== undefined) out.tool_call_id = m.tool_call_id;
    if (m.name !== undefined) out.name = m.name;
    return out;
  });
  // stringifyJson: numbers as the input wrote them (core/json.ts), as the renders print them.
  return { id: record.id, messages: stringifyJson(messages), tools: stringifyJson(record.tools ?? []) };
}
