// Input adapter: lets `pack` take any OpenAI / Hugging Face style chat record (`messages` + `tools`)
// besides ours. Missing `id` becomes "<file>:<line>"; missing `persona` is read from a
// "Persona: <alignment>" system message, else null; content given as a list of text parts is
// joined; a tool message without `name` gets the name of the call it answers; top-level keys
// outside our schema and null-valued extra message keys (OpenAI's "refusal": null, …) are dropped.
// Anything else is left to validation, which reports it with a reason code.
import { carryJsonNumbers } from "../core/json.js";
import { PERSONAS } from "../core/record.js";

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** False when adaptRecord would make the id up from the record's place ("<file>:<line>"). */
export function hasOwnId(value: unknown): boolean {
  return isObject(value) && value.id !== undefined && value.id !== null;
}

export function adaptRecord(value: unknown, file: string, line: number): unknown {
  if (!isObject(value) || !Array.isArray(value.messages)) return value;
  const messages = value.messages.map(adaptMessage);
  nameToolResults(messages);
  if (value.id !== undefined && value.persona !== undefined && messages.every((m, k) => m === (value.messages as unknown[])[k])) {
    return value; // already our format: no copy
  }
  const out: Obj = {
    id: value.id ?? `${file}:${line}`,
    persona: value.persona === undefined ? personaFromSystem(messages) : value.persona,
  };
  if (value.tools !== undefined) out.tools = value.tools;
  out.messages = carryJsonNumbers(value.messages, messages);
  if (value.meta !== undefined) out.meta = value.meta;
  // The rebuilt record keeps the mark that it holds numbers kept as written (core/json.ts).
  return carryJsonNumbers(value, out);
}

const MESSAGE_KEYS = new Set(["role", "content", "thinking", "tool_calls", "tool_call_id", "name"]);

function adaptMessage(message: unknown): unknown {
  if (!isObject(message)) return message;
  let out = message;
  const nullExtras = Object.keys(message).filter((k) => !MESSAGE_KEYS.has(k) && message[k] === null);
  if (nullExtras.length > 0) out = Object.fromEntries(Object.entries(message).filter(([k]) => !nullExtras.includes(k)));
  if (Array.isArray(out.content)) {
    const texts = (out.content as unknown[]).map((p) => (isObject(p) && p.type === "text" && typeof p.text === "string" ? p.text : undefined));
    // non-text parts are left for validation to reject
    if (texts.every((t) => t !== undefined)) out = { ...out, content: texts.join("") };
  }
  return out;
}

function nameToolResults(messages: unknown[]): void {
  const callNames = new Map<string, string>();
  messages.forEach((m, k) => {
    if (!isObject(m)) return;
    if (Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls) {
        if (isObject(call) && typeof call.id === "string" && isObject(call.function) && typeof call.function.name === "string") {
          callNames.set(call.id, call.function.name);
        }
      }
    }
    if (m.role === "tool" && m.name === undefined && typeof m.tool_call_id === "string") {
      const name = callNames.get(m.tool_call_id);
      if (name !== undefined) messages[k] = { ...m, name };
    }
  });
}

function personaFromSystem(messages: unknown[]): string | null {
  const system = messages.find((m) => isObject(m) && m.role === "system");
  const content = isObject(system) && typeof system.content === "string" ? system.content : "";
  const match = /^Persona: (\w+)$/.exec(content);
  return match && (PERSONAS as readonly string[]).includes(match[1]) ? match[1] : null;
}
