// OpenAI chat completions / Hugging Face `messages` records, including API-response dumps and
// HF thinking sets (Multilingual-Thinking: `thinking` on assistant turns, `reasoning_language`).
// Sources: OpenAI API reference, "Chat Completions: create" (messages, tool_calls, refusal,
// annotations, audio, legacy function_call/functions); HuggingFaceH4/Multilingual-Thinking card.
import type { ConversationRecord, Message, ToolCall } from "../../core/record.js";
import { type Conversion, isObject, maybeEmbedded, personaFromMessages, ShapeReject, toolDefinitions, type Obj } from "./common.js";

/** Where assistant reasoning may come from, in order of preference. */
const REASONING_KEYS = ["thinking", "reasoning_content", "reasoning"] as const;

/** Top-level fields of a thinking set that repeat what `messages` already holds. */
const THINKING_SET_COPIES = new Set(["developer", "user", "analysis", "final"]);

const EFFORTS = new Set(["low", "medium", "high"]);

export function adaptOpenAI(value: Obj, conv: Conversion): ConversationRecord {
  if (!Array.isArray(value.messages)) throw new ShapeReject("shape_mismatch", "not an OpenAI / HF messages record: no `messages` list");
  const messages = adaptMessages(value.messages, conv);
  const record: ConversationRecord = {
    id: conv.recordId(value.id),
    persona: value.persona === undefined ? personaFromMessages(messages) : (value.persona as string | null),
    messages,
  };
  const tools = value.tools ?? value.functions;
  if (value.tools != null && value.functions != null) conv.drop("functions (tools given too)");
  if (tools != null) record.tools = toolDefinitions(maybeEmbedded(tools, "tools", conv), "tools", conv);
  const meta = metaOf(value, conv);
  if (meta !== undefined) record.meta = meta;
  return record;
}

function metaOf(value: Obj, conv: Conversion): ConversationRecord["meta"] {
  // A meta that is not an object is kept as it is, for validation to report.
  if (value.meta !== undefined && !isObject(value.meta)) {
    for (const key of Object.keys(value)) if (!RECORD_KEYS.includes(key)) conv.drop(droppedName(key));
    return value.meta as ConversationRecord["meta"];
  }
  let meta = isObject(value.meta) ? { ...value.meta } : undefined;
  for (const key of Object.keys(value)) {
    if (RECORD_KEYS.includes(key)) continue;
    const field = value[key];
    if (key === "reasoning_language" && typeof field === "string") {
      meta = { ...meta, reasoning_language: field };
    } else if (key === "reasoning_effort" && typeof field === "string" && EFFORTS.has(field) && meta?.reasoning_effort === undefined) {
      meta = { ...meta, reasoning_effort: field as "low" | "medium" | "high" };
    } else {
      conv.drop(droppedName(key));
    }
  }
  return meta;
}

const droppedName = (key: string): string => (THINKING_SET_COPIES.has(key) ? `${key} (copy of messages)` : key);

/** Top-level keys the record keeps (or, for functions, turns into tools). */
const RECORD_KEYS = ["id", "persona", "messages", "tools", "functions", "meta"];

interface PendingCall {
  id: string;
  name: string;
}

/** Converts every message, giving ids to calls without one and tool results the id and name of their call. */
function adaptMessages(list: unknown[], conv: Conversion): Message[] {
  const taken = existingCallIds(list);
  let pending: PendingCall[] = [];
  return list.map((raw, i) => {
    if (!isObject(raw)) return raw as Message; // validation reports it
    const message = adaptMessage(raw, i, conv, taken);
    if (message.role === "tool") {
      answerPending(message, pending);
    } else {
      pending = [];
      for (const call of message.tool_calls ?? [])
        if (isObject(call) && isObject(call.function)) pending.push({ id: call.id, name: call.function.name });
    }
    return message;
  });
}

function existingCallIds(list: unknown[]): Set<string> {
  const ids = new Set<string>();
  for (const m of list) {
    if (!isObject(m) || !Array.isArray(m.tool_calls)) continue;
    for (const c of m.tool_calls) if (isObject(c) && typeof c.id === "string") ids.add(c.id);
  }
  return ids;
}

/** The tool message's call: its own tool_call_id, else the next waiting call (of its name, if it has one). */
function answerPending(message: Message, pending: PendingCall[]): void {
  let at = -1;
  if (typeof message.tool_call_id === "string") at = pending.findIndex((p) => p.id === message.tool_call_id);
  else at = pending.findIndex((p) => message.name === undefined || p.name === message.name);
  if (at === -1) return;
  const [call] = pending.splice(at, 1);
  message.tool_call_id ??= call.id;
  if (message.name === undefined && typeof call.name === "string") message.name = call.name;
}

function adaptMessage(raw: Obj, index: number, conv: Conversion, taken: Set<string>): Message {
  const role = raw.role === "function" ? "tool" : raw.role;
  const out: Obj = { role };
  if (raw.content !== undefined) out.content = contentText(raw.content, index);
  const thinking = reasoningOf(raw, conv);
  if (thinking !== undefined) out.thinking = thinking;
  const calls = toolCalls(raw, conv, taken);
  if (calls !== undefined) out.tool_calls = calls;
  if (raw.tool_call_id != null) out.tool_call_id = raw.tool_call_id;
  if (raw.name != null) {
    if (role === "tool" || (role !== "system" && role !== "developer" && role !== "user" && role !== "assistant")) out.name = raw.name;
    else conv.drop(`messages[].name (${String(role)})`);
  }
  refusal(raw, out, conv);
  for (const key of Object.keys(raw)) {
    if (!HANDLED.has(key)) conv.drop(`messages[].${key}`);
  }
  return out as unknown as Message;
}

const HANDLED = new Set(["role", "content", "tool_calls", "function_call", "tool_call_id", "name", "refusal", ...REASONING_KEYS]);

/** A refusal with no content is what the assistant said, so it becomes the content; otherwise it is dropped. */
function refusal(raw: Obj, out: Obj, conv: Conversion): void {
  if (raw.refusal === undefined) return;
  if (
    typeof raw.refusal === "string" &&
    raw.refusal !== "" &&
    (out.content == null || out.content === "") &&
    out.tool_calls === undefined
  ) {
    out.content = raw.refusal;
  } else {
    conv.drop("messages[].refusal");
  }
}

/**
 * String content as is; a list of text parts joined (an assistant's `refusal` part is text it said);
 * other part types (image, audio, file) cannot be trained on as text.
 */
function contentText(content: unknown, index: number): unknown {
  if (!Array.isArray(content)) return content;
  let text = "";
  for (const part of content) {
    if (typeof part === "string") text += part;
    else if (
      isObject(part) &&
      (part.type === "text" || part.type === "input_text" || part.type === "output_text") &&
      typeof part.text === "string"
    )
      text += part.text;
    else if (isObject(part) && part.type === "refusal" && typeof part.refusal === "string") text += part.refusal;
    else {
      const type = isObject(part) && typeof part.type === "string" ? part.type : typeof part;
      throw new ShapeReject("unsupported_content", `message ${index}: content part of type "${type}" is not text and cannot be rendered`);
    }
  }
  return text;
}

function reasoningOf(raw: Obj, conv: Conversion): unknown {
  let chosen: unknown;
  for (const key of REASONING_KEYS) {
    const value = raw[key];
    if (value == null) continue;
    if (chosen === undefined && (typeof value === "string" || key === "thinking")) chosen = value;
    else if (value !== chosen) conv.drop(`messages[].${key}`);
  }
  return chosen;
}

function toolCalls(raw: Obj, conv: Conversion, taken: Set<string>): unknown[] | undefined {
  const legacy = raw.function_call;
  if (raw.tool_calls == null && legacy == null) return undefined;
  if (raw.tool_calls != null && legacy != null) conv.drop("messages[].function_call (tool_calls given too)");
  if (raw.tool_calls != null) return Array.isArray(raw.tool_calls) ? raw.tool_calls.map((c) => toolCall(c, conv, taken)) : [raw.tool_calls];
  return [toolCall({ function: legacy }, conv, taken)];
}

/** `{id, type, function: {name, arguments}}`, or the flat `{name, arguments}` some HF sets use. */
function toolCall(call: unknown, conv: Conversion, taken: Set<string>): unknown {
  if (!isObject(call)) return call;
  if (call.type !== undefined && call.type !== "function") return call; // validation reports it
  const flat = call.function === undefined && typeof call.name === "string";
  const fn = flat ? call : call.function;
  if (!isObject(fn)) return call;
  for (const key of Object.keys(call)) {
    if (!["id", "type", "function", ...(flat ? ["name", "arguments"] : [])].includes(key)) conv.drop(`messages[].tool_calls[].${key}`);
  }
  if (!flat)
    for (const key of Object.keys(fn)) if (key !== "name" && key !== "arguments") conv.drop(`messages[].tool_calls[].function.${key}`);
  const id = typeof call.id === "string" && call.id !== "" ? call.id : conv.callId(taken);
  const out: ToolCall = {
    id,
    type: "function",
    function: { name: fn.name as string, arguments: fn.arguments as ToolCall["function"]["arguments"] },
  };
  return out;
}
