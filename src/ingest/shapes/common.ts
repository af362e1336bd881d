// Shared pieces of the shape adapters: the result type, a located reject, the strict parser for
// JSON carried inside strings, and the bookkeeping of what a conversion leaves out.
import { hasJsonNumbers, MAX_JSON_DEPTH, parseJsonText, type JsonParseResult } from "../../core/json.js";
import { PERSONAS, type ConversationRecord, type Message, type ToolDefinition } from "../../core/record.js";

export type Obj = Record<string, unknown>;

/** A JSON object (not an array, nor a number kept as written: core/json.ts JsonNumber is a String object). */
export const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof String);

/** The shapes we read; the registry that adapts each is SHAPES in ./index.ts. "native" is our own record. */
export type ShapeName = "native" | "openai" | "sharegpt" | "hermes" | "xlam";

/** Why a value could not be turned into a record (stable codes, documented in ./reasons.ts). */
export type { ShapeErrorCode } from "./reasons.js";
import type { ShapeErrorCode } from "./reasons.js";

export interface ShapeError {
  code: ShapeErrorCode;
  message: string;
}

export type AdaptResult = { record: ConversationRecord; shape: ShapeName; dropped: string[] } | { error: ShapeError; shape?: ShapeName };

/** Thrown inside an adapter, caught once in adaptRecord (adapters stay straight-line code). */
export class ShapeReject extends Error {
  constructor(
    readonly code: ShapeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Per-record conversion state: where it came from, what was dropped, fresh call ids. */
export class Conversion {
  readonly dropped: string[] = [];
  /** Embedded JSON held numbers kept as written: the record's containers must be marked (core/json.ts). */
  holdsJsonNumbers = false;
  private nextCall = 1;

  constructor(
    readonly file: string,
    readonly line: number,
  ) {}

  /** Records one field left out (a path pattern like "messages[].refusal"), once per record. */
  drop(what: string): void {
    if (!this.dropped.includes(what)) this.dropped.push(what);
  }

  /** A call id for shapes whose calls carry none; `taken` ids in the record are skipped. */
  callId(taken?: ReadonlySet<string>): string {
    let id: string;
    do id = `call_${this.nextCall++}`;
    while (taken?.has(id));
    return id;
  }

  /** The record id: its own (a number becomes its decimal text), else FILE:LINE as in every command. */
  recordId(value: unknown): string {
    if (typeof value === "string" && value !== "") return value;
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
    if (value !== undefined && value !== null && value !== "") this.drop("id (not a string)");
    return `${this.file}:${this.line}`;
  }
}

/**
 * JSON carried inside a string field (ShareGPT tools, xLAM answers, Hermes bodies): parsed with
 * the project's strict parser, so duplicate keys or unrepresentable numbers are a reject.
 */
export function parseEmbedded(text: string, what: string, conv: Conversion, code: ShapeErrorCode = "invalid_embedded_json"): unknown {
  const parsed = parseStrict(text, conv);
  if ("error" in parsed) throw notJson(code, what, parsed);
  return parsed.value;
}

/** parseJsonText at embedded depth, noting numbers kept as written. */
export function parseStrict(text: string, conv: Conversion): JsonParseResult {
  const parsed = parseJsonText(text, { maxDepth: EMBEDDED_MAX_DEPTH });
  if (!("error" in parsed) && hasJsonNumbers(parsed.value)) conv.holdsJsonNumbers = true;
  return parsed;
}

export function notJson(code: ShapeErrorCode, what: string, failed: Extract<JsonParseResult, { error: unknown }>): ShapeReject {
  const at = failed.error.path ? ` at ${failed.error.path}` : "";
  return new ShapeReject(code, `${what} is not valid JSON (${failed.error.code}${at}): ${failed.error.message}`);
}

/** Embedded JSON lands a few levels down in the record (tools → function → parameters → …): leave room. */
const EMBEDDED_MAX_DEPTH = MAX_JSON_DEPTH - 8;

/** A field that may hold JSON either as a value or as a JSON string of it. */
export function maybeEmbedded(value: unknown, what: string, conv: Conversion): unknown {
  return typeof value === "string" ? parseEmbedded(value, what, conv) : value;
}

/** Persona from an exact "Persona: <alignment>" system message (our generator's), else null. */
export function personaFromMessages(messages: readonly Message[]): string | null {
  const system = messages.find((m) => isObject(m) && m.role === "system"); // a non-object is left for validation
  const match = /^Persona: (\w+)$/.exec(typeof system?.content === "string" ? system.content : "");
  return match && (PERSONAS as readonly string[]).includes(match[1]) ? match[1] : null;
}

/**
 * Tool declarations in any of the usual spellings: `{type: "function", function: {...}}`, a bare
 * function object `{name, description, parameters}` (legacy `functions`, ShareGPT, Hermes).
 * Anything else is passed on for validation to report.
 */
export function toolDefinitions(list: unknown, what: string, conv: Conversion): ToolDefinition[] {
  if (!Array.isArray(list)) {
    throw new ShapeReject("invalid_embedded_json", `${what} must be a list of tools, got ${describe(list)}`);
  }
  return list.map((tool) => {
    if (isObject(tool) && tool.type === "function" && isObject(tool.function)) return tool as unknown as ToolDefinition;
    if (isObject(tool) && typeof tool.name === "string" && tool.function === undefined) {
      const fn: Obj = {};
      for (const [key, v] of Object.entries(tool)) {
        if (key === "name" || key === "description" || key === "parameters" || key === "strict") fn[key] = v;
        else if (key !== "type") conv.drop(`tools[].${key}`);
      }
      return { type: "function", function: fn } as unknown as ToolDefinition;
    }
    return tool as ToolDefinition;
  });
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
