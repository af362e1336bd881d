// xLAM / APIGen records (Salesforce xlam-function-calling-60k): `query` (the user's request),
// `tools` (JSON string: a list of {name, description, parameters}, parameters a map of
// name → {type: "str" | "int" | "float" | "bool" | "List[int]" | …, description, default}, with
// ", optional" in the type of optional ones) and `answers` (JSON string: a list of {name, arguments}).
// Becomes a user turn and one assistant message with those calls; no tool results exist, so the
// record ends with a call (accepted under --allow-trailing-call).
// Source: the Salesforce/xlam-function-calling-60k dataset card, "JSON Data Format for Query and Answers".
import type { ConversationRecord, JsonSchema, ToolDefinition } from "../../core/record.js";
import { type Conversion, describe, isObject, maybeEmbedded, ShapeReject, type Obj } from "./common.js";
import { finishRecord } from "./sharegpt.js";
import { callFrom } from "./turns.js";

export function adaptXlam(value: Obj, conv: Conversion): ConversationRecord {
  if (value.query === undefined || value.answers === undefined) {
    throw new ShapeReject("shape_mismatch", "not an xLAM record: needs `query`, `tools` and `answers`");
  }
  const answers = maybeEmbedded(value.answers, "answers", conv);
  if (!Array.isArray(answers)) throw new ShapeReject("invalid_embedded_json", `answers must be a list of calls, got ${describe(answers)}`);
  const calls = answers.map((a, k) => callFrom(a, `answers[${k}]`, conv));
  const tools = value.tools == null || value.tools === "" ? [] : maybeEmbedded(value.tools, "tools", conv);
  if (!Array.isArray(tools)) throw new ShapeReject("invalid_embedded_json", `tools must be a list, got ${describe(tools)}`);
  const declared = tools.map((tool, k) => xlamTool(tool, k, conv));
  return finishRecord(
    value,
    [
      { role: "user", content: value.query as string },
      { role: "assistant", tool_calls: calls },
    ],
    conv,
    ["query", "answers"],
    declared,
  );
}

function xlamTool(tool: unknown, index: number, conv: Conversion): ToolDefinition {
  if (!isObject(tool) || typeof tool.name !== "string") {
    throw new ShapeReject("invalid_embedded_json", `tools[${index}] must be an object with a "name", got ${describe(tool)}`);
  }
  const fn: Obj = { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  if (tool.parameters !== undefined) fn.parameters = parametersSchema(tool.parameters, tool.name, conv);
  for (const key of Object.keys(tool)) if (!["name", "description", "parameters"].includes(key)) conv.drop(`tools[].${key}`);
  return { type: "function", function: fn } as unknown as ToolDefinition;
}

/** The parameter map as a JSON Schema object; a value that already is one is kept. */
function parametersSchema(parameters: unknown, tool: string, conv: Conversion): unknown {
  if (!isObject(parameters)) return parameters; // validation reports it
  if (parameters.type === "object" && (parameters.properties === undefined || isObject(parameters.properties))) return parameters;
  const properties: Obj = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(parameters)) {
    if (!isObject(spec))
      throw new ShapeReject("invalid_embedded_json", `tool ${tool}: parameter ${name} must be an object, got ${describe(spec)}`);
    const { schema, optional } = parameterSchema(spec, conv);
    properties[name] = schema;
    // A parameter with a default may be left out even where the type does not say ", optional".
    if (!optional && spec.default === undefined) required.push(name);
  }
  const schema: Obj = { type: "object", properties };
  if (required.length > 0) schema.required = required;
  return schema;
}

function parameterSchema(spec: Obj, conv: Conversion): { schema: Obj; optional: boolean } {
  const schema: Obj = {};
  let optional = false;
  if (typeof spec.type === "string") {
    const match = /^(.*?),\s*optional\s*$/i.exec(spec.type);
    optional = match !== null || /^Optional\[/.test(spec.type.trim());
    const typeSchema = pythonType(match ? match[1] : spec.type);
    if (typeSchema === undefined) conv.drop(`tools[].parameters type "${spec.type}" (no JSON Schema equivalent; any value accepted)`);
    else Object.assign(schema, typeSchema);
  } else if (spec.type !== undefined) {
    conv.drop("tools[].parameters type (not a string)");
  }
  if (spec.description !== undefined) schema.description = spec.description;
  if (spec.default !== undefined) schema.default = spec.default;
  if (spec.enum !== undefined) schema.enum = spec.enum;
  for (const key of Object.keys(spec))
    if (!["type", "description", "default", "enum"].includes(key)) conv.drop(`tools[].parameters.${key}`);
  return { schema, optional };
}

const SIMPLE_TYPES: Record<string, string> = {
  str: "string",
  string: "string",
  int: "integer",
  integer: "integer",
  float: "number",
  number: "number",
  bool: "boolean",
  boolean: "boolean",
  dict: "object",
  object: "object",
  list: "array",
  array: "array",
  tuple: "array",
  set: "array",
};

/** A Python type annotation as written in xLAM ("int", "List[str]", "Optional[float]", "Dict[str, Any]"). */
export function pythonType(annotation: string): JsonSchema | undefined {
  const text = annotation.trim();
  const simple = SIMPLE_TYPES[text.toLowerCase()];
  if (simple !== undefined) return { type: simple };
  if (text === "Any" || text === "any") return {};
  const generic = /^(\w+)\[(.*)\]$/.exec(text);
  if (!generic) return undefined;
  const [, outer, inner] = generic;
  const kind = outer.toLowerCase();
  if (kind === "optional") return pythonType(inner);
  if (kind === "list" || kind === "set" || kind === "sequence") {
    const items = pythonType(inner);
    return items === undefined || Object.keys(items).length === 0 ? { type: "array" } : { type: "array", items };
  }
  if (kind === "tuple") return { type: "array" };
  if (kind === "dict" || kind === "mapping") return { type: "object" };
  return undefined;
}
