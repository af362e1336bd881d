// ShareGPT / LLaMA-Factory records: `conversations` of {from, value} with the senders system,
// human, gpt, function_call (value: a JSON call or list of calls) and observation (the result);
// `tools` as a JSON string or list of functions; `system` as a top-level field.
// Source: LLaMA-Factory data/README.md, "Sharegpt Format" (hiyouga/LLaMA-Factory).
import type { ConversationRecord, Message } from "../../core/record.js";
import { type Conversion, maybeEmbedded, parseEmbedded, personaFromMessages, ShapeReject, toolDefinitions, type Obj } from "./common.js";
import { CallPairing, callFrom, turnsOf } from "./turns.js";

export function adaptShareGpt(value: Obj, conv: Conversion): ConversationRecord {
  if (!Array.isArray(value.conversations)) throw new ShapeReject("shape_mismatch", "not a ShareGPT record: no `conversations` list");
  const messages: Message[] = [];
  if (value.system != null && value.system !== "") messages.push({ role: "system", content: value.system as string });
  const pairing = new CallPairing();
  for (const turn of turnsOf(value.conversations, conv, "from")) {
    if (turn.role === "tool") {
      messages.push(pairing.result(turn.text));
      continue;
    }
    if (turn.role === "call") {
      const parsed = typeof turn.text === "string" ? parseEmbedded(turn.text, "function_call value", conv) : turn.text;
      const calls = (Array.isArray(parsed) ? parsed : [parsed]).map((c, k) =>
        callFrom(c, `function_call value${Array.isArray(parsed) ? `[${k}]` : ""}`, conv),
      );
      pairing.called(calls);
      messages.push({ role: "assistant", tool_calls: calls });
      continue;
    }
    pairing.moveOn();
    messages.push({ role: turn.role, content: turn.text as string });
  }
  return finishRecord(value, messages, conv, ["conversations", "system"]);
}

/** id, persona, tools and meta around converted messages; other top-level fields are dropped. */
export function finishRecord(
  value: Obj,
  messages: Message[],
  conv: Conversion,
  consumed: string[],
  tools?: ConversationRecord["tools"],
): ConversationRecord {
  const record: ConversationRecord = {
    id: conv.recordId(value.id),
    persona: value.persona === undefined ? personaFromMessages(messages) : (value.persona as string | null),
    messages,
  };
  const declared =
    tools ??
    (value.tools == null || value.tools === "" ? undefined : toolDefinitions(maybeEmbedded(value.tools, "tools", conv), "tools", conv));
  if (declared !== undefined && declared.length > 0) record.tools = declared;
  if (value.meta !== undefined) record.meta = value.meta as ConversationRecord["meta"];
  for (const key of Object.keys(value)) {
    if (!["id", "persona", "tools", "meta", ...consumed].includes(key)) conv.drop(key);
  }
  return record;
}
