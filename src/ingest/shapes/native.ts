// Our own record (src/core/record.ts): recognised without copying, so native input keeps the
// speed and behaviour it had before shapes existed. Anything off the schema is left for validation.
import { isObject, type Obj } from "./common.js";

const RECORD_KEYS = new Set(["id", "persona", "tools", "messages", "meta"]);
const MESSAGE_KEYS = new Set(["role", "content", "thinking", "tool_calls", "tool_call_id", "name"]);

/**
 * True for a record written in our format: an id, a persona key, and only our keys on the record
 * and its messages, with no content-part lists and every tool message named. Such a value needs
 * no conversion; everything else with `messages` goes through the OpenAI adapter.
 */
export function isNative(value: Obj): boolean {
  if (typeof value.id !== "string" || !("persona" in value) || !Array.isArray(value.messages)) return false;
  for (const key in value) if (!RECORD_KEYS.has(key)) return false;
  const messages = value.messages as unknown[];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!isObject(message)) continue; // not a message at all: validation reports it
    for (const key in message) if (!MESSAGE_KEYS.has(key)) return false;
    if (Array.isArray(message.content)) return false;
    if (message.role === "tool" && message.name === undefined) return false;
  }
  return true;
}
