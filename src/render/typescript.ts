// JSON Schema → the TypeScript-like tool signatures of the harmony developer message.
// Rules are those of openai/harmony's reference renderer (src/encoding.rs,
// json_schema_to_typescript / template_tools_section); the code is ours.
import { stringifyJson } from "../core/json.js";
import type { JsonSchema, ToolDefinition } from "../core/record.js";

type Schema = JsonSchema;

const asSchema = (value: unknown): Schema | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Schema) : undefined;

const isEnum = (schema: Schema): boolean => Array.isArray(schema.enum) && schema.enum.length > 0;

/** serde_json's compact Display of a JSON value (numbers as written in the input). */
const compactJson = (value: unknown): string => stringifyJson(value);

/** `default: X` — a string default is quoted unless the schema is an enum. */
function defaultComment(schema: Schema): string | undefined {
  if (!("default" in schema)) return undefined;
  const value = schema.default;
  if (typeof value === "string") return isEnum(schema) ? `default: ${value}` : `default: "${value}"`;
  return `default: ${compactJson(value)}`;
}

const withNullable = (schema: Schema, type: string): string =>
  schema.nullable === true && !type.includes("null") ? `${type} | null` : type;

/** A oneOf union where it is the whole schema: each variant on its own ` | ` line. */
function topLevelOneOf(variants: unknown[], indent: string): string {
  let out = "";
  for (const raw of variants) {
    const variant = asSchema(raw) ?? {};
    out += `\n${indent} | `;
    out += withNullable(variant, schemaToTypescript(variant, `${indent}   `));
    const comments: string[] = [];
    if (typeof variant.description === "string") comments.push(variant.description);
    const dflt = defaultComment(variant);
    if (dflt) comments.push(dflt);
    if (comments.length > 0) out += ` // ${comments.join(" ")}`;
  }
  return out;
}

/** Comment lines above a property: title, description (unless oneOf), examples. */
function propertyComments(prop: Schema, indent: string): string {
  let out = "";
  if (typeof prop.title === "string") out += `${indent}// ${prop.title}\n${indent}//\n`;
  if (prop.oneOf === undefined && typeof prop.description === "string") out += `${indent}// ${prop.description}\n`;
  if (Array.isArray(prop.examples) && prop.examples.length > 0) {
    out += `${indent}// Examples:\n`;
    for (const example of prop.examples) if (typeof example === "string") out += `${indent}// - "${example}"\n`;
  }
  return out;
}

/** A property whose schema is a oneOf: name on its own line, one variant per line. */
function oneOfProperty(key: string, optional: string, prop: Schema, variants: unknown[], indent: string): string {
  let out = "";
  const propertyDesc = typeof prop.description === "string" ? prop.description : undefined;
  const first = asSchema(variants[0]);
  const skipDesc = propertyDesc !== undefined && first?.description === propertyDesc;
  const descAbove = !skipDesc && propertyDesc !== undefined;
  if (descAbove) out += `${indent}// ${propertyDesc}\n`;
  const dflt = defaultComment(prop);
  if (dflt) out += `${indent}// ${dflt}\n`;
  out += `${indent}${key}${optional}:\n`;
  variants.forEach((raw, i) => {
    const variant = asSchema(raw) ?? {};
    out += `${indent} | ${withNullable(variant, schemaToTypescript(variant, `${indent}   `))}`;
    const comments: string[] = [];
    if (!(i === 0 && descAbove) && typeof variant.description === "string" && variant.description !== propertyDesc) {
      comments.push(variant.description);
    }
    const variantDefault = defaultComment(variant);
    if (variantDefault) comments.push(variantDefault);
    if (comments.length > 0) out += ` // ${comments.join(" ")}`;
    out += "\n";
  });
  return `${out}${indent},\n`;
}

function objectToTypescript(schema: Schema, indent: string): string {
  let out = typeof schema.description === "string" ? `${indent}// ${schema.description}\n` : "";
  out += "{\n";
  const props = asSchema(schema.properties);
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : []);
  for (const [key, raw] of Object.entries(props ?? {})) {
    const prop = asSchema(raw) ?? {};
    const optional = required.has(key) ? "" : "?";
    out += propertyComments(prop, indent);
    if (Array.isArray(prop.oneOf)) {
      out += oneOfProperty(key, optional, prop, prop.oneOf, indent);
      continue;
    }
    out += `${indent}${key}${optional}: ${withNullable(prop, schemaToTypescript(prop, `${indent}    `))},`;
    const dflt = defaultComment(prop);
    if (dflt) out += ` // ${dflt}`;
    out += "\n";
  }
  return `${out}${indent}}`;
}

function stringToTypescript(schema: Schema): string {
  const values = Array.isArray(schema.enum) ? schema.enum.filter((v): v is string => typeof v === "string") : [];
  return values.length > 0 ? values.map((v) => `"${v}"`).join(" | ") : "string";
}

const mapScalarType = (type: string): string => (type === "integer" ? "number" : type);

/** The TypeScript-like type of one JSON Schema, as the reference renders it. */
export function schemaToTypescript(schema: Schema, indent: string): string {
  if (Array.isArray(schema.oneOf)) return topLevelOneOf(schema.oneOf, indent);
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t): t is string => typeof t === "string").map(mapScalarType);
    if (types.length > 0) return types.join(" | ");
  }
  switch (schema.type) {
    case "object":
      return objectToTypescript(schema, indent);
    case "string":
      return stringToTypescript(schema);
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "array": {
      const items = asSchema(schema.items);
      return items ? `${schemaToTypescript(items, indent)}[]` : "Array<any>";
    }
    default:
      return "any";
  }
}

/** Lines as Rust's str::lines() gives them: no empty last line after a trailing newline. */
export function textLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  if (text.endsWith("\n")) lines.pop();
  return lines;
}

/** `namespace functions { … } // namespace functions` with one entry per tool. */
export function renderFunctionsNamespace(tools: ToolDefinition[]): string {
  const lines = ["## functions\n", "namespace functions {\n"];
  for (const { function: fn } of tools) {
    for (const line of textLines(fn.description ?? "")) lines.push(`// ${line}`);
    const params = asSchema(fn.parameters);
    lines.push(params ? `type ${fn.name} = (_: ${schemaToTypescript(params, "")}) => any;\n` : `type ${fn.name} = () => any;\n`);
  }
  lines.push("} // namespace functions");
  return lines.join("\n");
}
