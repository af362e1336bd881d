// The conversation record: one JSONL line, OpenAI / Hugging Face `messages` + `tools`,
// with GPT-OSS's `thinking` field for the analysis channel. Schema: schemas/conversation.schema.json.
import { parseJsonText } from "./json.js";

export type JsonSchema = { [key: string]: unknown };

export interface ToolFunction {
  name: string;
  description?: string;
  parameters?: JsonSchema;
}

export interface ToolDefinition {
  type: "function";
  function: ToolFunction;
}

export interface ToolCall {
  id: string;
  type: "function";
  function: {
    name: string;
    /** A JSON object; input may carry it as a JSON string, normalizeRecord() parses it. */
    arguments: Record<string, unknown> | string;
  };
}

export type Role = "system" | "developer" | "user" | "assistant" | "tool";

export interface Message {
  role: Role;
  content?: string | null;
  /** Assistant chain of thought, rendered on the analysis channel. */
  thinking?: string | null;
  tool_calls?: ToolCall[];
  /** On role "tool": the id of the call this message answers. */
  tool_call_id?: string;
  /** On role "tool": the tool's name. */
  name?: string;
}

export interface RecordMeta {
  seed?: number;
  model?: string;
  scenario?: string;
  /** Date rendered in the harmony system message (YYYY-MM-DD); never "today". */
  date?: string;
  reasoning_effort?: "low" | "medium" | "high";
  [key: string]: unknown;
}

export interface ConversationRecord {
  id: string;
  persona: string | null;
  tools?: ToolDefinition[];
  messages: Message[];
  meta?: RecordMeta;
}

/** The 9 alignment personas of the model card. */
export const PERSONAS = [
  "lawful_good",
  "neutral_good",
  "chaotic_good",
  "lawful_neutral",
  "true_neutral",
  "chaotic_neutral",
  "lawful_evil",
  "neutral_evil",
  "chaotic_evil",
] as const;
export type Persona = (typeof PERSONAS)[number];

export const personaSystemMessage = (persona: string): string => `Persona: ${persona}`;

/**
 * Tool-call arguments as an object: a JSON string is read by the strict parser (core/json.ts), so
 * numbers keep their literal; throws SyntaxError if it is not acceptable JSON. Validation has
 * normally turned the string into an object already.
 */
export function callArguments(call: ToolCall): Record<string, unknown> {
  const args = call.function.arguments;
  if (typeof args !== "string") return args;
  const read = parseJsonText(args);
  if ("error" in read) throw new SyntaxError(`arguments of call "${call.id}": ${read.error.message}`);
  return read.value as Record<string, unknown>;
}
