// Hermes function calling (NousResearch): tools as JSON inside <tools>…</tools> in the system
// prompt, calls as <tool_call>{"name": …, "arguments": …}</tool_call> in assistant text, results as
// <tool_response>…</tool_response> in tool turns. Comes as ShareGPT `conversations` (system, human,
// gpt, tool) or as `messages`. Source: NousResearch/Hermes-Function-Calling README (prompt format).
import type { ConversationRecord, Message, ToolCall, ToolDefinition } from "../../core/record.js";
import { type Conversion, isObject, notJson, parseStrict, ShapeReject, toolDefinitions, type Obj, type ShapeErrorCode } from "./common.js";
import { pythonLiteralToJson } from "./python-literal.js";
import { finishRecord } from "./sharegpt.js";
import { CallPairing, callFrom, turnsOf, type Turn } from "./turns.js";

export function adaptHermes(value: Obj, conv: Conversion): ConversationRecord {
  const list = Array.isArray(value.conversations) ? value.conversations : value.messages;
  if (!Array.isArray(list)) throw new ShapeReject("shape_mismatch", "not a Hermes record: no `conversations` or `messages` list");
  const turns = turnsOf(list, conv, Array.isArray(value.conversations) ? "from" : "role");
  const tools: ToolDefinition[] = [];
  const messages: Message[] = [];
  const pairing = new CallPairing();
  turns.forEach((turn, i) => {
    if (turn.role === "tool") {
      for (const body of responses(turn, i)) messages.push(pairing.result(body));
      return;
    }
    pairing.moveOn();
    if (turn.role === "system" && typeof turn.text === "string" && turn.text.includes("<tools>")) {
      const { bodies, rest } = taggedBlocks(turn.text, "tools", i, "invalid_embedded_json", true);
      for (const body of bodies) tools.push(...parseTools(body, i, conv));
      if (bodies.length > 0) conv.drop("system <tools> block (declared as tools)");
      if (rest.trim() !== "") messages.push({ role: "system", content: rest.trim() });
      return;
    }
    if (turn.role === "assistant" && typeof turn.text === "string" && turn.text.includes("tool_call>")) {
      const message = assistantWithCalls(turn.text, i, conv);
      pairing.called(message.tool_calls ?? []);
      messages.push(message);
      return;
    }
    if (turn.role === "call")
      throw new ShapeReject("unknown_sender", `turn ${i}: a function_call turn in a Hermes record (use --from sharegpt)`);
    messages.push({ role: turn.role, content: turn.text as string });
  });
  const consumed = Array.isArray(value.conversations) ? ["conversations"] : ["messages"];
  return finishRecord(value, messages, conv, consumed, tools.length > 0 ? tools : undefined);
}

/** True when a turn list carries Hermes tags (the adapter for `auto` detection). */
export function hasHermesTags(turns: { role: unknown; text: unknown }[]): boolean {
  return turns.some(({ role, text }) => {
    if (typeof text !== "string") return false;
    if (role === "system") return text.includes("<tools>");
    if (role === "gpt" || role === "assistant") return text.includes("tool_call>");
    if (role === "tool") return text.includes("<tool_response>");
    return false;
  });
}

function assistantWithCalls(text: string, turn: number, conv: Conversion): Message {
  const { bodies, rest } = taggedBlocks(text, "tool_call", turn, "malformed_tool_call");
  const calls: ToolCall[] = bodies.map((body, k) => {
    const what = `turn ${turn}: <tool_call> ${k + 1}`;
    const parsed = parseHermesValue(body.trim(), `${what} body`, conv, "malformed_tool_call");
    return callFrom(parsed, what, conv, "malformed_tool_call");
  });
  // Text around the calls is the commentary preamble; only the whitespace next to the tags goes.
  const preamble = rest.trim();
  return preamble === "" ? { role: "assistant", tool_calls: calls } : { role: "assistant", content: preamble, tool_calls: calls };
}

function responses(turn: Turn, index: number): unknown[] {
  if (typeof turn.text !== "string" || !turn.text.includes("<tool_response>")) return [turn.text];
  const { bodies, rest } = taggedBlocks(turn.text, "tool_response", index, "malformed_tool_call");
  if (rest.trim() !== "") throw new ShapeReject("malformed_tool_call", `turn ${index}: text outside <tool_response> tags in a tool turn`);
  return bodies.map((b) => b.trim());
}

/**
 * The bodies of every <tag>…</tag> and the text around them; an unclosed or stray tag is a reject.
 * With `keepEmpty`, an empty pair stays in the text: Hermes prompts mention "<tools></tools>" in prose.
 */
export function taggedBlocks(
  text: string,
  tag: string,
  turn: number,
  code: "malformed_tool_call" | "invalid_embedded_json",
  keepEmpty = false,
): { bodies: string[]; rest: string } {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const bodies: string[] = [];
  let rest = "";
  let outside = "";
  let at = 0;
  for (;;) {
    const start = text.indexOf(open, at);
    if (start === -1) break;
    const end = text.indexOf(close, start + open.length);
    if (end === -1) throw new ShapeReject(code, `turn ${turn}: ${open} without ${close}`);
    const body = text.slice(start + open.length, end);
    outside += text.slice(at, start);
    if (keepEmpty && body.trim() === "") rest += text.slice(at, end + close.length);
    else {
      rest += text.slice(at, start);
      bodies.push(body);
    }
    at = end + close.length;
  }
  rest += text.slice(at);
  outside += text.slice(at);
  if (outside.includes(close)) throw new ShapeReject(code, `turn ${turn}: ${close} without ${open}`);
  return { bodies, rest };
}

/** A <tools> body: a JSON list, or JSON objects one after another (as the Hermes prompt lists them). */
function parseTools(body: string, turn: number, conv: Conversion): ToolDefinition[] {
  const pieces = splitJsonValues(body.trim());
  const values = pieces.flatMap((piece, k) => {
    const value = parseHermesValue(piece, `turn ${turn}: <tools> entry ${k + 1}`, conv, "invalid_embedded_json");
    return Array.isArray(value) ? value : [value];
  });
  if (!values.every(isObject)) throw new ShapeReject("invalid_embedded_json", `turn ${turn}: <tools> must hold tool objects`);
  return toolDefinitions(values, "<tools>", conv);
}

/**
 * A Hermes body: JSON, or failing that a Python literal (str() of a dict, as much Hermes data is
 * written) rewritten as JSON and read by the same strict parser; reported among what was changed.
 */
function parseHermesValue(text: string, what: string, conv: Conversion, code: ShapeErrorCode): unknown {
  const json = parseStrict(text, conv);
  if (!("error" in json)) return json.value;
  if (json.error.code !== "invalid_json") throw notJson(code, what, json);
  const rewritten = pythonLiteralToJson(text);
  if ("error" in rewritten)
    throw new ShapeReject(code, `${what} is neither JSON (${json.error.message}) nor a Python literal (${rewritten.error})`);
  const python = parseStrict(rewritten.json, conv);
  if ("error" in python) throw notJson(code, `${what} (a Python literal)`, python);
  conv.drop("Hermes bodies written as Python literals (read as JSON)");
  return python.value;
}

/**
 * Cuts text holding JSON values one after another into one piece per value, by bracket depth
 * outside strings. Only finds the boundaries: each piece is then parsed by the strict parser,
 * which reports anything malformed.
 */
export function splitJsonValues(text: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let quote = ""; // the open string's quote: " (JSON) or ' (Python literal)
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = "";
      continue;
    }
    if (start === -1) {
      if (/\s/.test(ch)) continue;
      if (ch !== "{" && ch !== "[") return [text]; // not a run of objects: let the parser say why
      start = i;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) {
        pieces.push(text.slice(start, i + 1));
        start = -1;
      }
    }
  }
  if (start !== -1) pieces.push(text.slice(start));
  return pieces.length > 0 ? pieces : [text];
}
