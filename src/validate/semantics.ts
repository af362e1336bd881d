// The rules beyond the schema (reason codes in reasons.ts). Runs only on records that
// passed the schema, so the shapes are known. Plain loops and no per-record closures: this is the
// hot path of `datagen validate` on large files.
import { hasJsonNumbers, MAX_JSON_DEPTH, parseJsonText, toPlainJson } from "../core/json.js";
import type { ConversationRecord, Message, ToolCall } from "../core/record.js";
import { missingExpectedAnswers } from "../longctx/answers.js";
import { personaSystemMessage } from "../core/record.js";
import { parametersValidator, type ValidateFunction } from "./schemas.js";
import type { ValidationIssue } from "./types.js";

/** A tool call whose `arguments` arrived as a JSON string, with the object it parses to. */
export interface ParsedArguments {
  call: ToolCall;
  value: Record<string, unknown>;
}

interface DeclaredTool {
  /** Undefined when the tool's parameters do not compile (reported once as invalid_tool_parameters). */
  validate?: ValidateFunction;
}

interface PendingCall {
  call: ToolCall;
  path: string;
}

// Whether the record being checked holds numbers kept as written (core/json.ts JsonNumber): then
// Ajv gets plain copies of its parameters and arguments, even of parts an adapter rebuilt unmarked.
let recordHoldsJsonNumbers = false;

/** A tool without `parameters` takes no arguments. */
const NO_PARAMETERS = { type: "object", properties: {}, additionalProperties: false };

export interface SemanticOptions {
  /** Accept a conversation that ends with an assistant tool call and no results (xLAM / APIGen data). */
  allowTrailingCall?: boolean;
}

/** Appends every rule violation to `issues`; returns the string arguments it parsed (for normalizing). */
export function checkSemantics(record: ConversationRecord, issues: ValidationIssue[], options: SemanticOptions = {}): ParsedArguments[] {
  recordHoldsJsonNumbers = hasJsonNumbers(record);
  const tools = declareTools(record, issues);
  const trailingCall = options.allowTrailingCall === true && endsWithCall(record.messages);
  const parsed = checkMessages(record.messages, tools, issues, trailingCall);
  if (!trailingCall) checkFinal(record.messages, issues);
  checkPersona(record, issues);
  checkExpectedAnswers(record, issues);
  return parsed;
}

function declareTools(record: ConversationRecord, issues: ValidationIssue[]): Map<string, DeclaredTool> {
  const tools = new Map<string, DeclaredTool>();
  const list = record.tools ?? [];
  for (let i = 0; i < list.length; i++) {
    const fn = list[i].function;
    if (tools.has(fn.name)) {
      issues.push({ code: "duplicate_tool_name", message: `tool "${fn.name}" is declared twice`, path: `/tools/${i}/function/name` });
      continue;
    }
    // Ajv must see numbers kept as written (core/json.ts JsonNumber) as the numbers they are.
    const compiled = parametersValidator(
      (toPlainJson(fn.parameters, recordHoldsJsonNumbers) as object | undefined) ?? NO_PARAMETERS,
      fn.name,
    );
    if (compiled.error !== undefined) {
      issues.push({
        code: "invalid_tool_parameters",
        message: `tool "${fn.name}": parameters is not a usable JSON Schema: ${compiled.error}`,
        path: `/tools/${i}/function/parameters`,
      });
    }
    tools.set(fn.name, { validate: compiled.validate });
  }
  return tools;
}

/** The last message is an assistant message with tool calls (so its calls have no results yet). */
function endsWithCall(messages: Message[]): boolean {
  const last = messages[messages.length - 1];
  return last.role === "assistant" && (last.tool_calls?.length ?? 0) > 0;
}

function checkMessages(
  messages: Message[],
  tools: Map<string, DeclaredTool>,
  issues: ValidationIssue[],
  trailingCall: boolean,
): ParsedArguments[] {
  const parsed: ParsedArguments[] = [];
  const callIds = new Set<string>();
  let pending: PendingCall[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (isEmptyTurn(message)) {
      issues.push({
        code: "empty_turn",
        message: `message ${i} (${message.role}) has no content, tool calls or thinking`,
        path: `/messages/${i}`,
      });
    }
    if (message.role === "tool") {
      checkToolResult(message, i, pending, callIds, issues);
      continue;
    }
    if (pending.length > 0) {
      reportMissing(pending, `before message ${i} (${message.role})`, issues);
      pending = [];
    }
    const calls = message.tool_calls;
    if (message.role === "assistant" && calls) {
      for (let j = 0; j < calls.length; j++) {
        const path = `/messages/${i}/tool_calls/${j}`;
        checkCall(calls[j], path, tools, callIds, parsed, issues);
        pending.push({ call: calls[j], path });
      }
    }
  }
  // Under --allow-trailing-call the final message's calls are the answer: they wait for nothing.
  if (pending.length > 0 && !trailingCall) reportMissing(pending, "before the end of the conversation", issues);
  return parsed;
}

function isBlank(text: string | null | undefined): boolean {
  return text == null || text.trim() === "";
}

/** Tool results are data (an empty result is still a result), so only the other roles can be empty turns. */
function isEmptyTurn(message: Message): boolean {
  return message.role !== "tool" && isBlank(message.content) && isBlank(message.thinking) && !message.tool_calls?.length;
}

function checkCall(
  call: ToolCall,
  path: string,
  tools: Map<string, DeclaredTool>,
  callIds: Set<string>,
  parsed: ParsedArguments[],
  issues: ValidationIssue[],
): void {
  const name = call.function.name;
  if (callIds.has(call.id)) {
    issues.push({ code: "duplicate_tool_call_id", message: `tool call id "${call.id}" is used twice`, path: `${path}/id` });
  }
  callIds.add(call.id);
  const args = argumentsObject(call, path, parsed, issues);
  const tool = tools.get(name);
  if (!tool) {
    const known = tools.size ? [...tools.keys()].join(", ") : "none";
    issues.push({
      code: "unknown_tool",
      message: `call "${call.id}" names tool "${name}", which is not declared (declared: ${known})`,
      path: `${path}/function/name`,
    });
    return;
  }
  if (args === undefined || !tool.validate || tool.validate(toPlainJson(args, recordHoldsJsonNumbers))) return;
  for (const error of tool.validate.errors ?? []) {
    const where = error.instancePath || "/";
    issues.push({
      code: "invalid_arguments",
      message:
        `call "${call.id}" to ${name}: ` +
        `arguments${error.instancePath} ${error.message ?? error.keyword}${describeParams(error.params)}`,
      path: `${path}/function/arguments${where === "/" ? "" : where}`,
    });
  }
}

function describeParams(params: Record<string, unknown>): string {
  if ("allowedValues" in params) return ` (${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`;
  if ("additionalProperty" in params) return ` ("${String(params.additionalProperty)}")`;
  return "";
}

/** Levels above a call's arguments object: record, messages, message, tool_calls, call, function. */
const ARGUMENTS_LEVEL = 6;

/** The arguments as an object; a JSON string is parsed (and remembered for normalizing). */
function argumentsObject(
  call: ToolCall,
  path: string,
  parsed: ParsedArguments[],
  issues: ValidationIssue[],
): Record<string, unknown> | undefined {
  const args = call.function.arguments;
  if (typeof args !== "string") return args;
  // The same strict parser as the line's (repeated keys, exact numbers); the arguments object sits
  // 6 levels below the record, so the record's nesting limit holds whichever form it takes.
  const read = parseJsonText(args, { maxDepth: MAX_JSON_DEPTH - ARGUMENTS_LEVEL });
  if ("error" in read) {
    const { code, message, path: inner } = read.error;
    issues.push(
      code === "invalid_json"
        ? {
            code: "invalid_arguments_json",
            message: `call "${call.id}": arguments string is not JSON: ${message}`,
            path: `${path}/function/arguments`,
          }
        : { code, message: `call "${call.id}": arguments string: ${message}`, path: `${path}/function/arguments${inner}` },
    );
    return undefined;
  }
  const value = read.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    issues.push({
      code: "invalid_arguments_json",
      message: `call "${call.id}": arguments string must encode a JSON object, got ${JSON.stringify(value)}`,
      path: `${path}/function/arguments`,
    });
    return undefined;
  }
  parsed.push({ call, value: value as Record<string, unknown> });
  return value as Record<string, unknown>;
}

function checkToolResult(message: Message, i: number, pending: PendingCall[], callIds: Set<string>, issues: ValidationIssue[]): void {
  const id = message.tool_call_id as string;
  const path = `/messages/${i}`;
  let at = 0;
  while (at < pending.length && pending[at].call.id !== id) at++;
  if (at === pending.length) at = -1;
  if (at === -1) {
    const why = callIds.has(id)
      ? `call "${id}" already has its result or its turn is over`
      : pending.length
        ? `no call has id "${id}"`
        : `no tool call is waiting (id "${id}")`;
    issues.push({ code: "extra_tool_result", message: `tool message ${i}: ${why}`, path: `${path}/tool_call_id` });
    return;
  }
  const [answered] = pending.splice(at, 1);
  if (at > 0) {
    issues.push({
      code: "out_of_order_tool_result",
      message: `tool message ${i} answers call "${id}" before call "${pending[0].call.id}"; results must follow the call order`,
      path: `${path}/tool_call_id`,
    });
  }
  if (message.name !== answered.call.function.name) {
    issues.push({
      code: "tool_result_name_mismatch",
      message: `tool message ${i} is named "${message.name}" but call "${id}" was to "${answered.call.function.name}"`,
      path: `${path}/name`,
    });
  }
}

function reportMissing(pending: PendingCall[], where: string, issues: ValidationIssue[]): void {
  for (const { call, path } of pending) {
    issues.push({ code: "missing_tool_result", message: `call "${call.id}" to ${call.function.name} has no tool result ${where}`, path });
  }
}

function checkFinal(messages: Message[], issues: ValidationIssue[]): void {
  const last = messages[messages.length - 1];
  if (last.role === "assistant" && !isBlank(last.content) && !last.tool_calls?.length) return;
  const what =
    last.role !== "assistant"
      ? `a ${last.role} message`
      : last.tool_calls?.length
        ? "an assistant tool call"
        : "an assistant message without content";
  issues.push({
    code: "missing_final",
    message: `the conversation ends with ${what}; it must end with an assistant final answer`,
    path: `/messages/${messages.length - 1}`,
  });
}

const PERSONA_LINE = /^Persona:/;

function checkPersona(record: ConversationRecord, issues: ValidationIssue[]): void {
  let index = 0;
  while (index < record.messages.length && record.messages[index].role !== "system") index++;
  if (index === record.messages.length) index = -1;
  const system = index === -1 ? undefined : (record.messages[index].content ?? "").trim();
  const path = index === -1 ? "/persona" : `/messages/${index}/content`;
  if (record.persona === null) {
    if (system !== undefined && PERSONA_LINE.test(system)) {
      issues.push({
        code: "persona_mismatch",
        message: `persona is null but the system message is ${JSON.stringify(system)}; set persona or drop that message`,
        path,
      });
    }
    return;
  }
  const expected = personaSystemMessage(record.persona);
  if (system === expected) return;
  const got =
    system === undefined
      ? "there is no system message"
      : `the system message is ${JSON.stringify(system.length > 80 ? system.slice(0, 80) + "…" : system)}`;
  issues.push({
    code: "persona_mismatch",
    message: `persona is ${record.persona}, so the first system message must be exactly "${expected}", but ${got}`,
    path,
  });
}

/** meta.expected_answers (long-context records): every string must be in the last assistant final (src/longctx/answers.ts). */
function checkExpectedAnswers(record: ConversationRecord, issues: ValidationIssue[]): void {
  const expected = record.meta?.expected_answers;
  if (!Array.isArray(expected)) return;
  const last = record.messages[record.messages.length - 1];
  const final = last.role === "assistant" && !last.tool_calls?.length ? (last.content ?? "") : "";
  const missing = missingExpectedAnswers(final, expected as string[]);
  if (missing.length === 0) return;
  const shown = missing.map((m) => JSON.stringify(m.length > 60 ? m.slice(0, 60) + "…" : m)).join(", ");
  issues.push({
    code: "expected_answer_missing",
    message: `the last final lacks ${missing.length} of ${expected.length} expected answer${expected.length > 1 ? "s" : ""}: ${shown}`,
    path: `/messages/${record.messages.length - 1}/content`,
  });
}
