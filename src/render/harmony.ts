// The `harmony` dialect: openai/harmony's training rendering of a record (see docs/RENDERING.md).
import { stringifyJson } from "../core/json.js";
import { callArguments, type ConversationRecord, type Message, type ToolCall } from "../core/record.js";
import type { HarmonyMessage } from "./message.js";
import { renderFunctionsNamespace } from "./typescript.js";

export const MODEL_IDENTITY = "You are ChatGPT, a large language model trained by OpenAI.";
export const KNOWLEDGE_CUTOFF = "2024-06";
const CHANNELS_LINE = "# Valid channels: analysis, commentary, final. Channel must be included for every message.";
const TOOLS_CHANNEL_LINE = "Calls to these tools must go to the commentary channel: 'functions'.";

export const hasFunctionTools = (record: ConversationRecord): boolean => (record.tools?.length ?? 0) > 0;

/** System message text; the date only from meta.date so renders are reproducible. */
export function systemText(record: ConversationRecord): string {
  const top = [MODEL_IDENTITY, `Knowledge cutoff: ${KNOWLEDGE_CUTOFF}`];
  if (record.meta?.date) top.push(`Current date: ${record.meta.date}`);
  const reasoning = `Reasoning: ${record.meta?.reasoning_effort ?? "medium"}`;
  const channels = hasFunctionTools(record) ? `${CHANNELS_LINE}\n${TOOLS_CHANNEL_LINE}` : CHANNELS_LINE;
  return [top.join("\n"), reasoning, channels].join("\n\n");
}

/** The record's own system (and developer) messages become the developer instructions. */
export function instructionsOf(record: ConversationRecord): string | undefined {
  const parts = record.messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => m.content ?? "")
    .filter((text) => text !== "");
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}

/** Developer message text, or undefined when there are neither instructions nor tools. */
export function developerText(record: ConversationRecord): string | undefined {
  const sections: string[] = [];
  const instructions = instructionsOf(record);
  if (instructions !== undefined) sections.push("# Instructions", instructions);
  if (hasFunctionTools(record)) sections.push(["# Tools", renderFunctionsNamespace(record.tools ?? [])].join("\n\n"));
  return sections.length > 0 ? sections.join("\n\n") : undefined;
}

const plain = (role: "system" | "developer" | "user", content: string): HarmonyMessage => ({
  role,
  author: role,
  content,
  terminator: "end",
});

const assistantOn = (channel: string, content: string): HarmonyMessage => ({
  role: "assistant",
  author: "assistant",
  channel,
  content,
  terminator: "end",
});

const toolCallMessage = (call: ToolCall): HarmonyMessage => ({
  role: "assistant",
  author: "assistant",
  recipient: `functions.${call.function.name}`,
  channel: "commentary",
  contentType: { type: "json", constrained: true },
  // Compact JSON, key order as given, numbers as written in the input.
  content: stringifyJson(callArguments(call)),
  terminator: "call",
});

/** analysis (thinking), then either a commentary preamble + one message per call, or the final. */
function assistantMessages(message: Message): HarmonyMessage[] {
  const out: HarmonyMessage[] = [];
  if (message.thinking) out.push(assistantOn("analysis", message.thinking));
  const calls = message.tool_calls ?? [];
  if (calls.length > 0) {
    if (message.content) out.push(assistantOn("commentary", message.content));
    for (const call of calls) out.push(toolCallMessage(call));
  } else if (typeof message.content === "string") {
    out.push(assistantOn("final", message.content));
  }
  return out;
}

/** Conversation messages in harmony form (system/developer messages went into the developer message). */
export function conversationMessages(record: ConversationRecord): HarmonyMessage[] {
  const out: HarmonyMessage[] = [];
  const callNames = new Map<string, string>();
  record.messages.forEach((message, source) => {
    const from = out.length;
    if (message.role === "user") out.push(plain("user", message.content ?? ""));
    if (message.role === "assistant") {
      for (const call of message.tool_calls ?? []) callNames.set(call.id, call.function.name);
      out.push(...assistantMessages(message));
    }
    if (message.role === "tool") {
      const name = (message.tool_call_id && callNames.get(message.tool_call_id)) || message.name || "unknown";
      out.push({
        role: "tool",
        author: `functions.${name}`,
        recipient: "assistant",
        channel: "commentary",
        content: message.content ?? "",
        terminator: "end",
      });
    }
    for (let i = from; i < out.length; i++) out[i].source = source;
  });
  return out;
}

/**
 * The reference's auto_drop_analysis: when the last assistant message is a final, analysis
 * messages before the FIRST final are dropped; otherwise nothing is dropped.
 */
export function dropAnalysis(messages: HarmonyMessage[]): HarmonyMessage[] {
  const lastAssistant = messages.findLast((m) => m.role === "assistant");
  if (lastAssistant?.channel !== "final") return messages;
  const firstFinal = messages.findIndex((m) => m.channel === "final");
  return messages.filter((m, i) => !(i < firstFinal && m.channel === "analysis"));
}

/** In training rendering the last message, if it is an assistant final, ends with <|return|>. */
export function endWithReturn(messages: HarmonyMessage[]): HarmonyMessage[] {
  const last = messages.at(-1);
  if (last?.role === "assistant" && last.channel === "final") last.terminator = "return";
  return messages;
}

/**
 * Which analysis a rendering keeps: `reference` is auto_drop_analysis above (the `conversation`
 * documents); `{ keepFrom }` drops the analysis of every record message before index keepFrom and
 * keeps the rest (a `turns` document keeps only its own turn's; keepFrom 0 keeps all).
 */
export type AnalysisRule = "reference" | { keepFrom: number };

function applyAnalysisRule(messages: HarmonyMessage[], rule: AnalysisRule): HarmonyMessage[] {
  if (rule === "reference") return dropAnalysis(messages);
  return messages.filter((m) => !(m.channel === "analysis" && m.role === "assistant" && (m.source ?? 0) < rule.keepFrom));
}

export function harmonyMessages(record: ConversationRecord, analysis: AnalysisRule = "reference"): HarmonyMessage[] {
  const out = [plain("system", systemText(record))];
  const developer = developerText(record);
  if (developer !== undefined) out.push(plain("developer", developer));
  out.push(...applyAnalysisRule(conversationMessages(record), analysis));
  return endWithReturn(out);
}
