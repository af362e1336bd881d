// An item as the model sees it: the harmony rendering of src/render (the same text a trained model
// was trained on: "Persona: X" as the developer instructions, the conversation, no loss mask), then
// the assistant's turn opened on the analysis channel (or straight on final with no thinking budget).
import type { ConversationRecord, Message } from "../core/record.js";
import { personaSystemMessage } from "../core/record.js";
import { harmonyMessages } from "../render/harmony.js";
import { TokenWriter, type HarmonyMessage } from "../render/message.js";

/** The harmony system message's fields; fixed so that every run asks exactly the same tokens. */
export interface PromptSettings {
  date: string;
  reasoningEffort: "low" | "medium" | "high";
}

/** The conversation before the assistant's next turn: persona system message, the item's messages, earlier answers. */
export function conversationOf(persona: string | null, messages: Message[]): Message[] {
  return persona === null ? messages : [{ role: "system", content: personaSystemMessage(persona) }, ...messages];
}

function tokensOf(messages: HarmonyMessage[]): number[] {
  const writer = new TokenWriter();
  for (const m of messages) writer.writeMessage(m);
  return writer.tokens;
}

/** Prompt ids up to the open analysis message (thinking) or the open final message. */
export function promptTokens(
  persona: string | null,
  messages: Message[],
  settings: PromptSettings,
  channel: "analysis" | "final",
): number[] {
  const record: ConversationRecord = {
    id: "eval",
    persona,
    messages: conversationOf(persona, messages),
    meta: { date: settings.date, reasoning_effort: settings.reasoningEffort },
  };
  // The open message is written as a whole message and its terminator dropped: the model continues its content.
  const open: HarmonyMessage = { role: "assistant", author: "assistant", channel, content: "", terminator: "end" };
  const ids = tokensOf([...harmonyMessages(record), open]);
  return ids.slice(0, -1);
}

/** The prompt after the thinking: the closed analysis message, then the open final message. */
export function finalAfterThinking(persona: string | null, messages: Message[], settings: PromptSettings, thinking: string): number[] {
  const record: ConversationRecord = {
    id: "eval",
    persona,
    messages: conversationOf(persona, messages),
    meta: { date: settings.date, reasoning_effort: settings.reasoningEffort },
  };
  const analysis: HarmonyMessage = { role: "assistant", author: "assistant", channel: "analysis", content: thinking, terminator: "end" };
  const open: HarmonyMessage = { role: "assistant", author: "assistant", channel: "final", content: "", terminator: "end" };
  return tokensOf([...harmonyMessages(record), analysis, open]).slice(0, -1);
}
