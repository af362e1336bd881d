// JSON Schema → the schema we hand to node-llama-cpp's grammar builder. Two jobs:
// 1. Keep only what the grammar understands (type, properties, required, enum, const, items, ...);
//    a type list becomes a oneOf so each branch keeps its own bounds.
// 2. Bound every free string and array (a random or weak model rarely closes a string
//    by itself). The result accepts a SUBSET of the original, so what it generates validates.
// Keywords the grammar cannot express (minimum, pattern, calendar validity of a "date") are
// checked after generation with Ajv; see ToolSchemas in tools.ts.
import type { JsonSchema } from "../core/record.js";

export interface GrammarLimits {
  maxStringLength: number;
  maxArrayItems: number;
}

const GRAMMAR_FORMATS = new Set(["date", "time", "date-time"]);

export function toGrammarSchema(schema: JsonSchema, limits: GrammarLimits): JsonSchema {
  if ("const" in schema) return { const: schema.const };
  if (Array.isArray(schema.enum)) return { enum: schema.enum };
  const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches)) return { oneOf: branches.map((b) => toGrammarSchema({ ...b }, limits)) };
  if (Array.isArray(schema.type)) {
    const types = schema.type as string[];
    if (types.length === 1) return toGrammarSchema({ ...schema, type: types[0] }, limits);
    return { oneOf: types.map((type) => toGrammarSchema({ ...schema, type }, limits)) };
  }
  switch (schema.type) {
    case "string":
      return stringSchema(schema, limits);
    case "array":
      return arraySchema(schema, limits);
    case "object":
      return objectSchema(schema, limits);
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type: schema.type };
    default:
      // No type: the grammar cannot bound "any JSON"; a short string is a valid instance of it.
      return { type: "string", maxLength: limits.maxStringLength };
  }
}

function stringSchema(schema: JsonSchema, limits: GrammarLimits): JsonSchema {
  if (typeof schema.format === "string" && GRAMMAR_FORMATS.has(schema.format)) return { type: "string", format: schema.format };
  const maxLength = Math.min(typeof schema.maxLength === "number" ? schema.maxLength : Infinity, limits.maxStringLength);
  const minLength = Math.min(typeof schema.minLength === "number" ? schema.minLength : 0, maxLength);
  return minLength > 0 ? { type: "string", minLength, maxLength } : { type: "string", maxLength };
}

function arraySchema(schema: JsonSchema, limits: GrammarLimits): JsonSchema {
  const minItems = typeof schema.minItems === "number" ? schema.minItems : 0;
  const maxItems = Math.max(minItems, Math.min(typeof schema.maxItems === "number" ? schema.maxItems : Infinity, limits.maxArrayItems));
  const items =
    schema.items && typeof schema.items === "object"
      ? toGrammarSchema(schema.items as JsonSchema, limits)
      : { type: "string", maxLength: limits.maxStringLength };
  return { type: "array", items, ...(minItems > 0 ? { minItems } : {}), maxItems };
}

function objectSchema(schema: JsonSchema, limits: GrammarLimits): JsonSchema {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const bounded: Record<string, JsonSchema> = {};
  for (const [key, value] of Object.entries(properties)) bounded[key] = toGrammarSchema(value, limits);
  const required = Array.isArray(schema.required) ? (schema.required as string[]).filter((k) => k in properties) : [];
  // Only declared properties: valid whatever the original says about additional ones.
  return { type: "object", properties: bounded, required, additionalProperties: false };
}

/** The decision value that means "answer now" (no tool may take this name). */
export const ANSWER = "answer";

/**
 * The assistant's next-step choice as one JSON string: a tool name, or "answer". A bare string
 * (not an object) keeps the constrained part short: a random or weak model spends few tokens on it.
 */
export function decisionSchema(toolNames: string[]): JsonSchema {
  return { enum: [ANSWER, ...toolNames] };
}
