// The `hf` dialect: what the Hugging Face gpt-oss chat template (trl/chat_templates/gptoss.jinja,
// the "original GPT-OSS chat template") renders for a training conversation. Differences from
// `harmony` are listed in docs/RENDERING.md; this reproduces the template's behaviour, quirks
// included, except the date, which comes from meta.date (the template prints the render date).
import { DataError } from "../core/errors.js";
import { callArguments, type ConversationRecord, type Message } from "../core/record.js";
import { systemText } from "./harmony.js";
import { renderHfFunctionsNamespace, pyJson } from "./hf-typescript.js";
import type { HarmonyMessage } from "./message.js";

const unrenderable = (record: ConversationRecord, message: string): DataError =>
  new DataError("hf_unrenderable", message, { id: record.id });

/** The template takes messages[0] as developer instructions when it is a system/developer message. */
function splitInstructions(record: ConversationRecord): { instructions: string; loop: Message[] } {
  const first = record.messages[0];
  if (first && (first.role === "system" || first.role === "developer")) {
    return { instructions: first.content ?? "", loop: record.messages.slice(1) };
  }
  return { instructions: "", loop: record.messages };
}

function developerText(record: ConversationRecord, instructions: string): string | undefined {
  const tools = record.tools ?? [];
  if (!instructions && tools.length === 0) return undefined;
  let text = instructions ? `# Instructions\n\n${instructions}\n\n` : "";
  if (tools.length > 0) text += `# Tools\n\n${renderHfFunctionsNamespace(tools)}`;
  return text;
}

const assistantOn = (channel: string, content: string, terminator: "end" | "return" = "end"): HarmonyMessage => ({
  role: "assistant",
  author: "assistant",
  channel,
  content,
  terminator,
});

const hasCalls = (message: Message): boolean => (message.tool_calls?.length ?? 0) > 0;

export function hfMessages(record: ConversationRecord): HarmonyMessage[] {
  const out: HarmonyMessage[] = [{ role: "system", author: "system", content: systemText(record), terminator: "end" }];
  const { instructions, loop } = splitInstructions(record);
  const developer = developerText(record, instructions);
  if (developer !== undefined) out.push({ role: "developer", author: "developer", content: developer, terminator: "end" });
  let lastToolCall: string | undefined;
  const offset = record.messages.length - loop.length;
  loop.forEach((message, index) => {
    const from = out.length;
    if (message.role === "user") {
      out.push({ role: "user", author: "user", content: message.content ?? "", terminator: "end" });
    } else if (message.role === "tool") {
      if (lastToolCall === undefined) throw unrenderable(record, "a tool message without a preceding assistant tool call");
      out.push({
        role: "tool",
        author: `functions.${lastToolCall}`,
        recipient: "assistant",
        channel: "commentary",
        content: pyJson(message.content ?? ""),
        terminator: "end",
      });
    } else if (message.role === "assistant" && hasCalls(message)) {
      // Analysis before a call is kept only while no later final exists; only the first call renders.
      const laterFinal = loop.slice(index + 1).some((m) => m.role === "assistant" && !hasCalls(m));
      if (message.content && message.thinking) {
        throw unrenderable(record, "the hf template cannot render content and thinking together with tool calls");
      }
      const reasoning = message.content || message.thinking;
      if (reasoning && !laterFinal) out.push(assistantOn("analysis", reasoning));
      const call = message.tool_calls![0];
      out.push({
        role: "assistant",
        author: "assistant",
        recipient: `functions.${call.function.name}`,
        channel: "commentary",
        contentType: { type: "json", constrained: false },
        content: pyJson(callArguments(call)),
        terminator: "call",
      });
      lastToolCall = call.function.name;
    } else if (message.role === "assistant" && index === loop.length - 1) {
      if (typeof message.thinking === "string") out.push(assistantOn("analysis", message.thinking));
      out.push(assistantOn("final", message.content ?? "", "return"));
    } else if (message.role === "assistant") {
      // Earlier turns render final-only: the template drops their chain of thought.
      out.push(assistantOn("final", message.content ?? ""));
      lastToolCall = undefined;
    }
    // system/developer messages after the first render nothing in the template.
    for (let i = from; i < out.length; i++) out[i].source = index + offset;
  });
  return out;
}
