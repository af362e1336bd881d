// Catalogs as registries: tools (data/tools), persona cards and prompt
// templates (templates/). Loaded once per run; an unknown name lists the known ones.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { parseJsonText } from "../core/json.js";
import type { JsonSchema, ToolDefinition } from "../core/record.js";
import { EXECUTORS } from "./executors/index.js";
import { ANSWER } from "./grammar-schema.js";
import { parseLeakPatterns } from "./leaks.js";

export interface CatalogTool {
  name: string;
  domain: string;
  description: string;
  parameters: JsonSchema;
  /** JSON Schema of the tool's result (what the executor returns or the simulator must produce). */
  result: JsonSchema;
  /** Name of a deterministic executor (src/generate/executors); absent: simulated. */
  executor?: string;
}

export interface Templates {
  personaCards: Map<string, string>;
  assistant: string;
  personaSection: string;
  noPersonaSection: string;
  decide: string;
  userSimulator: string;
  toolSimulator: string;
  /** templates/prompts/leak-phrases.txt: what reasoning and finals must not say. */
  leakPatterns: RegExp[];
}

/** Every .json file of the given files and folders (folders sorted, not recursive). */
function jsonFiles(paths: string[]): string[] {
  return paths.flatMap((p) => {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new DataError("catalog_missing", `catalog path does not exist`, { file: p });
    }
    if (!stat.isDirectory()) return [p];
    return readdirSync(p)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => join(p, f));
  });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new DataError("invalid_catalog", `not readable: ${(err as Error).message}`, { file });
  }
  // The records' parser checks it (a repeated key, an integer-like key out of place would reach
  // the generated records changed); the value stays JSON.parse's: catalogs hold plain numbers.
  const read = parseJsonText(text);
  if ("error" in read) throw new DataError("invalid_catalog", `not acceptable JSON (${read.error.code}): ${read.error.message}`, { file });
  return JSON.parse(text);
}

export function loadTools(paths: string[]): Map<string, CatalogTool> {
  const tools = new Map<string, CatalogTool>();
  for (const file of jsonFiles(paths)) {
    const list = readJson(file);
    if (!Array.isArray(list)) throw new DataError("invalid_catalog", "a tool catalog is a JSON array of tools", { file });
    list.forEach((tool: CatalogTool, i) => {
      const where = { file, id: `[${i}] ${tool?.name ?? "?"}` };
      if (!tool?.name || !tool.description || !tool.parameters || !tool.result)
        throw new DataError("invalid_catalog", "a tool needs name, description, parameters and result", where);
      if (tool.name === ANSWER)
        throw new DataError("reserved_tool_name", `"${ANSWER}" is reserved for the assistant's decision to answer`, where);
      if (tools.has(tool.name)) throw new DataError("duplicate_tool_name", `tool "${tool.name}" is defined twice`, where);
      if (tool.executor && !EXECUTORS[tool.executor])
        throw new DataError(
          "unknown_executor",
          `executor "${tool.executor}" is unknown; known: ${Object.keys(EXECUTORS).join(", ")}`,
          where,
        );
      tools.set(tool.name, tool);
    });
  }
  if (tools.size === 0) throw new DataError("invalid_catalog", "no tools found", { file: paths.join(", ") });
  return tools;
}

export function loadTemplates(dir: string, personas: readonly string[]): Templates {
  const read = (rel: string): string => {
    try {
      return readFileSync(join(dir, rel), "utf8").trim();
    } catch {
      throw new DataError("template_missing", "template file not found", { file: join(dir, rel) });
    }
  };
  return {
    personaCards: new Map(personas.map((p) => [p, read(join("personas", `${p}.md`))])),
    assistant: read("prompts/assistant.md"),
    personaSection: read("prompts/persona-section.md"),
    noPersonaSection: read("prompts/no-persona-section.md"),
    decide: read("prompts/decide.md"),
    userSimulator: read("prompts/user-simulator.md"),
    toolSimulator: read("prompts/tool-simulator.md"),
    leakPatterns: leakPatterns(join(dir, "prompts", "leak-phrases.txt"), read("prompts/leak-phrases.txt")),
  };
}

function leakPatterns(file: string, text: string): RegExp[] {
  try {
    return parseLeakPatterns(text, file);
  } catch (err) {
    throw new DataError("invalid_template", (err as Error).message, { file });
  }
}

/** Fills {{name}} placeholders; an unknown placeholder is a template bug, so it throws. */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`template placeholder {{${name}}} has no value`);
    return String(values[name]);
  });
}

/** The record's `tools` entry: the chat-format definition (no result schema, no executor). */
export function toolDefinition(tool: CatalogTool): ToolDefinition {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}
