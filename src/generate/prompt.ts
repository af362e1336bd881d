// Generation prompts as token arrays, written by src/render (the one harmony writer): the persona
// assistant's prompt is the record rendered so far, with the same system text, developer text and
// tool namespace the model is trained on, plus hidden guidance in the instructions; then the header
// of the message to generate. The user and tool simulators get plain harmony messages the same way.
// Text goes through the o200k_harmony encoder, so it can never become a special token.
import type { ConversationRecord, Message, ToolDefinition } from "../core/record.js";
import { conversationMessages, developerText, systemText } from "../render/harmony.js";
import { messageParts, TokenWriter, type HarmonyMessage } from "../render/message.js";
import { getTokenizer } from "../tokenize/o200k_harmony.js";

export type Token = number;

/** The conversation so far as the assistant sees it when it writes its next message. */
export interface AssistantContext {
  tools: ToolDefinition[];
  /** Persona system message (if any) and hidden guidance: the developer message's instructions. */
  instructions: string;
  history: Message[];
  date: string;
  effort: "low" | "medium" | "high";
}

/** Analysis of earlier turns is not shown again (harmony drops it once a final follows). */
function withoutOldAnalysis(history: Message[]): Message[] {
  const lastUser = history.map((m) => m.role).lastIndexOf("user");
  return history.map((m, i) => (m.role === "assistant" && m.thinking && i < lastUser ? { ...m, thinking: undefined } : m));
}

/** The assistant's prompt up to (not including) the message it writes next. */
export function assistantPrefix(context: AssistantContext): Token[] {
  const record: ConversationRecord = {
    id: "prompt",
    persona: null,
    tools: context.tools,
    messages: [{ role: "developer", content: context.instructions }, ...withoutOldAnalysis(context.history)],
    meta: { date: context.date, reasoning_effort: context.effort },
  };
  const messages: HarmonyMessage[] = [plain("system", systemText(record))];
  const developer = developerText(record);
  if (developer !== undefined) messages.push(plain("developer", developer));
  messages.push(...conversationMessages(record));
  return write(messages);
}

/** A simulator's prompt: system, developer instructions, one user message (no tools). */
export function simulatorPrompt(date: string, instructions: string, ask: string): Token[] {
  const record: ConversationRecord = {
    id: "simulator",
    persona: null,
    messages: [{ role: "developer", content: instructions }],
    meta: { date, reasoning_effort: "low" },
  };
  return [
    ...write([plain("system", systemText(record)), plain("developer", developerText(record) as string), plain("user", ask)]),
    ...header(FINAL),
  ];
}

const plain = (role: "system" | "developer" | "user", content: string): HarmonyMessage => ({
  role,
  author: role,
  content,
  terminator: "end",
});

function write(messages: HarmonyMessage[]): Token[] {
  const writer = new TokenWriter();
  for (const m of messages) writer.writeMessage(m);
  return writer.tokens;
}

/** The tokens of a message up to and including <|message|>: what the model continues from. */
export function header(message: Omit<HarmonyMessage, "content" | "terminator">): Token[] {
  const parts = messageParts({ ...message, content: "", terminator: "end" });
  const out: Token[] = [];
  // The last two parts are the content and the terminator.
  for (const part of parts.slice(0, -2)) {
    if ("special" in part) out.push(part.special);
    else out.push(...getTokenizer().encodeText(part.text));
  }
  return out;
}

export const ANALYSIS = { role: "assistant", author: "assistant", channel: "analysis" } as const;
export const FINAL = { role: "assistant", author: "assistant", channel: "final" } as const;
export const callTo = (tool: string) =>
  ({
    role: "assistant",
    author: "assistant",
    recipient: `functions.${tool}`,
    channel: "commentary",
    contentType: { type: "json", constrained: true },
  }) as const;

/** A finished message of the assistant (its analysis), appended to a prefix. */
export function closedMessage(message: Omit<HarmonyMessage, "terminator">): Token[] {
  return write([{ ...message, terminator: "end" }]);
}

/** A plain transcript for the user simulator (it sees answers, not the assistant's reasoning). */
export function transcript(messages: Message[]): string {
  const lines = messages.flatMap((m) => {
    if (m.role === "user") return [`User: ${m.content}`];
    if (m.role === "assistant" && m.tool_calls?.length) return m.tool_calls.map((c) => `(assistant used the tool ${c.function.name})`);
    if (m.role === "assistant" && m.content) return [`Assistant: ${m.content}`];
    return [];
  });
  return lines.length > 0 ? lines.join("\n") : "(nothing yet: this is the first message)";
}
