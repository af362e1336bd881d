// Tool signatures as the Hugging Face gpt-oss chat template renders them (its
// render_typescript_type / render_tool_namespace macros), quirks included, and the template's
// `tojson` filter. Only for the `hf` dialect; the reference rendering is in typescript.ts.
import { stringifyJson } from "../core/json.js";
import type { JsonSchema, ToolDefinition } from "../core/record.js";

type Schema = JsonSchema;

/** Jinja `tojson` (Python json.dumps default separators ", " and ": "; non-ASCII kept; numbers as written). */
export function pyJson(value: unknown): string {
  return stringifyJson(value ?? null, { style: "python" });
}

const asSchema = (value: unknown): Schema | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Schema) : undefined;

/** Jinja truthiness of a value. */
const truthy = (value: unknown): boolean => {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
};

/** Jinja's string form of a value concatenated with `+` (Python str()). */
const pyStr = (value: unknown): string => (typeof value === "string" ? value : pyJson(value));

const SCALAR_ARRAYS: Record<string, string> = {
  string: "string[]",
  number: "number[]",
  integer: "number[]",
  boolean: "boolean[]",
};

function arrayType(schema: Schema): string {
  const items = asSchema(schema.items);
  let out: string;
  if (!items || !truthy(items)) out = "any[]";
  else if (typeof items.type === "string" && SCALAR_ARRAYS[items.type]) out = SCALAR_ARRAYS[items.type];
  else {
    const inner = hfType(items);
    out = inner === "object | object" || inner.length > 50 ? "any[]" : `${inner}[]`;
  }
  return schema.nullable ? `${out} | null` : out;
}

function oneOfType(variants: unknown[]): string {
  const schemas = variants.map((v) => asSchema(v) ?? {});
  if (schemas.length > 1 && schemas.some((v) => v.type === "object")) return "any";
  return schemas
    .map((variant) => {
      let out = hfType(variant);
      if (truthy(variant.description)) out += `// ${pyStr(variant.description)}`;
      // The template's untrimmed `{{ ... }}` keeps the indentation before it (trim_blocks ate the newline).
      if ("default" in variant) out += `                    // default: ${pyJson(variant.default)}`;
      return out;
    })
    .join(" | \n");
}

/** Nested object: the template leaves a newline and indentation before each property's type. */
function objectType(schema: Schema): string {
  const props = asSchema(schema.properties);
  if (!props || !truthy(props)) return "object";
  const required = Array.isArray(schema.required) ? schema.required : [];
  const rendered = Object.entries(props).map(([name, spec]) => {
    const optional = required.includes(name) ? "" : "?";
    return `${name}${optional}: \n                ${hfType(asSchema(spec) ?? {})}`;
  });
  return `{\n${rendered.join(", ")}}`;
}

function hfType(schema: Schema): string {
  if (schema.type === "array") return arrayType(schema);
  if (Array.isArray(schema.type) && schema.type.length > 0) return schema.type.map(pyStr).join(" | ");
  if (truthy(schema.oneOf)) return oneOfType(schema.oneOf as unknown[]);
  switch (schema.type) {
    case "string":
      if (truthy(schema.enum)) return `"${(schema.enum as unknown[]).map(pyStr).join('" | "')}"`;
      return schema.nullable ? "string | null" : "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
      return objectType(schema);
    default:
      return "any";
  }
}

function parameterLine(name: string, spec: Schema, required: unknown[]): string {
  let out = truthy(spec.description) ? `// ${pyStr(spec.description)}\n` : "";
  out += `${name}${required.includes(name) ? "" : "?"}: ${hfType(spec)}`;
  if ("default" in spec) {
    if (truthy(spec.enum)) out += `, // default: ${pyStr(spec.default)}`;
    else if (truthy(spec.oneOf)) out += `// default: ${pyStr(spec.default)}`;
    else out += `, // default: ${pyJson(spec.default)}`;
  }
  return `${out},\n`;
}

function toolSignature(tool: ToolDefinition): string {
  const fn = tool.function;
  let out = `// ${fn.description ?? ""}\ntype ${fn.name} = `;
  const params = asSchema(fn.parameters);
  const props = asSchema(params?.properties);
  if (!params || !props || !truthy(props)) return `${out}() => any;\n\n`;
  const required = Array.isArray(params.required) ? params.required : [];
  out += "(_: {\n";
  for (const [name, spec] of Object.entries(props)) out += parameterLine(name, asSchema(spec) ?? {}, required);
  return `${out}}) => any;\n\n`;
}

export function renderHfFunctionsNamespace(tools: ToolDefinition[]): string {
  return `## functions\n\nnamespace functions {\n\n${tools.map(toolSignature).join("")}} // namespace functions`;
}
