// The role/text turns that ShareGPT-style (`conversations` of {from, value}) and Hermes records
// are made of, and the pairing of tool results with the calls they answer.
import type { Message, ToolCall } from "../../core/record.js";
import { type Conversion, describe, isObject, ShapeReject, type Obj } from "./common.js";

export type TurnRole = "system" | "user" | "assistant" | "call" | "tool";

export interface Turn {
  role: TurnRole;
  /** The turn's text (a non-string value is kept for validation or the caller to reject). */
  text: unknown;
}

/** ShareGPT / LLaMA-Factory sender names (data/README.md tags) and the Hermes / OpenAI role names. */
const SENDERS: Record<string, TurnRole> = {
  system: "system",
  human: "user",
  user: "user",
  gpt: "assistant",
  assistant: "assistant",
  function_call: "call",
  observation: "tool",
  tool: "tool",
};

/** `conversations` entries ({from, value}) or `messages` entries ({role, content}) as turns. */
export function turnsOf(list: unknown[], conv: Conversion, sender: "from" | "role"): Turn[] {
  const text = sender === "from" ? "value" : "content";
  const where = sender === "from" ? "conversations" : "messages";
  return list.map((entry, i) => {
    if (!isObject(entry)) throw new ShapeReject("shape_mismatch", `${where}[${i}] is ${describe(entry)}, not a turn`);
    const name = entry[sender];
    const role = typeof name === "string" && Object.hasOwn(SENDERS, name) ? SENDERS[name] : undefined;
    if (role === undefined) {
      throw new ShapeReject(
        "unknown_sender",
        `${where}[${i}].${sender} is ${JSON.stringify(name)} (known: ${Object.keys(SENDERS).join(", ")})`,
      );
    }
    for (const key of Object.keys(entry)) if (key !== sender && key !== text && entry[key] != null) conv.drop(`${where}[].${key}`);
    return { role, text: entry[text] };
  });
}

/** Tool results take the id and name of the waiting calls in order, as every shape here lists them. */
export class CallPairing {
  private pending: ToolCall[] = [];
  private unmatched = 0;

  /** Calls just made (they wait for results until the next non-tool turn). */
  called(calls: ToolCall[]): void {
    this.pending = [...calls];
  }

  /** A non-tool turn: nothing waits any more. */
  moveOn(): void {
    this.pending = [];
  }

  /** A tool message for `content`; a result nobody waits for gets an id no call has (validation reports it). */
  result(content: unknown): Message {
    const call = this.pending.shift();
    if (call) return { role: "tool", tool_call_id: call.id, name: call.function.name, content: content as string };
    this.unmatched++;
    return { role: "tool", tool_call_id: `unmatched_result_${this.unmatched}`, name: "unknown", content: content as string };
  }
}

/** A call object {name, arguments} (arguments an object or a JSON string, kept as given). */
export function callFrom(
  value: unknown,
  what: string,
  conv: Conversion,
  code: "invalid_embedded_json" | "malformed_tool_call" = "invalid_embedded_json",
): ToolCall {
  if (!isObject(value) || typeof value.name !== "string" || value.name === "") {
    throw new ShapeReject(code, `${what} must be an object with a "name" string, got ${describe(value)}`);
  }
  const args = value.arguments ?? value.parameters;
  if (args === undefined) throw new ShapeReject(code, `${what} (call to ${value.name}) has no "arguments"`);
  for (const key of Object.keys(value)) if (!["name", "arguments", "parameters", "id"].includes(key)) conv.drop(`calls[].${key}`);
  const id = typeof value.id === "string" && value.id !== "" ? value.id : conv.callId();
  return { id, type: "function", function: { name: value.name, arguments: args as Obj | string } };
}
