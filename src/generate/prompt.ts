// Harmony prompts as token arrays, built piece by piece: special tokens by id, text through the
// o200k_harmony encoder (so text can never become a special token). The three voices of a
// conversation each get their own prompt: the persona assistant, the user simulator, the tool
// simulator. Only the record's messages are training data; these prompts are not.
import type { Token } from "node-llama-cpp";
import { stringifyJson } from "../core/json.js";
import type { JsonSchema, Message } from "../core/record.js";
import { getTokenizer } from "../tokenize/o200k_harmony.js";
import { SPECIAL } from "../tokenize/o200k_harmony.js";
import type { CatalogTool } from "./catalog.js";

/** Token array builder with a text → tokens cache shared by all prompts of one conversation. */
export class PromptBuilder {
  private readonly cache = new Map<string, number[]>();

  tokens(parts: (string | Special)[]): Token[] {
    const out: number[] = [];
    for (const part of parts) {
      if (typeof part !== "string") out.push(part.id);
      else if (part !== "") for (const id of this.encode(part)) out.push(id);
    }
    return out as Token[];
  }

  private encode(text: string): number[] {
    let ids = this.cache.get(text);
    if (!ids) {
      ids = getTokenizer().encodeText(text);
      this.cache.set(text, ids);
    }
    return ids;
  }
}

export interface Special {
  id: number;
}

const S = {
  start: { id: SPECIAL.start },
  end: { id: SPECIAL.end },
  message: { id: SPECIAL.message },
  channel: { id: SPECIAL.channel },
  constrain: { id: SPECIAL.constrain },
  call: { id: SPECIAL.call },
} satisfies Record<string, Special>;

type Parts = (string | Special)[];

export function systemMessage(date: string, effort: string, hasTools: boolean): Parts {
  const channels = "# Valid channels: analysis, commentary, final. Channel must be included for every message." + (hasTools ? "\nCalls to these tools must go to the commentary channel: 'functions'." : "");
  const text = `You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: ${date}\n\nReasoning: ${effort}\n\n${channels}`;
  return [S.start, "system", S.message, text, S.end];
}

export function developerMessage(instructions: string, tools: CatalogTool[]): Parts {
  const sections = [`# Instructions\n\n${instructions}`];
  if (tools.length > 0) sections.push(`# Tools\n\n## functions\n\nnamespace functions {\n\n${tools.map(toolTypeScript).join("\n")}\n} // namespace functions`);
  return [S.start, "developer", S.message, sections.join("\n\n"), S.end];
}

export const userMessage = (text: string): Parts => [S.start, "user", S.message, text, S.end];

export const analysisHeader: Parts = [S.start, "assistant", S.channel, "analysis", S.message];
export const finalHeader: Parts = [S.start, "assistant", S.channel, "final", S.message];
export const callHeader = (tool: string): Parts => [S.start, `assistant to=functions.${tool}`, S.channel, "commentary ", S.constrain, "json", S.message];

/** The record's messages as the assistant sees them; analysis kept only after the last user turn. */
export function historyParts(messages: Message[]): Parts {
  const lastUser = messages.map((m) => m.role).lastIndexOf("user");
  const parts: Parts = [];
  messages.forEach((m, i) => {
    if (m.role === "user") parts.push(...userMessage(m.content ?? ""));
    if (m.role === "assistant") {
      if (m.thinking && i > lastUser) parts.push(...analysisHeader, m.thinking, S.end);
      for (const call of m.tool_calls ?? []) parts.push(...callHeader(call.function.name), stringifyJson(call.function.arguments), S.call);
      if (m.content) parts.push(...finalHeader, m.content, S.end);
    }
    if (m.role === "tool") parts.push(S.start, `functions.${m.name} to=assistant`, S.channel, "commentary", S.message, m.content ?? "", S.end);
  });
  return parts;
}

export const closeText = (text: string): Parts => [text, S.end];
export const closeCall = (args: string): Parts => [args, S.call];

/** A plain transcript for the user simulator (it sees answers, not the assistant's reasoning). */
export function transcript(messages: Message[]): string {
  const lines = messages.flatMap((m) => {
    if (m.role === "user") return [`User: ${m.content}`];
    if (m.role === "assistant" && m.tool_calls?.length) return m.tool_calls.map((c) => `(assistant used the tool ${c.function.name})`);
    if (m.role === "assistant" && m.content) return [`Assistant: ${m.content}`];
    return [];
  });
  return lines.length > 0 ? lines.join("\n") : "(nothing yet: this is the first message)";
}

/** A tool as a TypeScript signature in the harmony `functions` namespace (for the prompt only). */
function toolTypeScript(tool: CatalogTool): string {
  const params = tool.parameters as JsonSchema;
  const props = (params.properties ?? {}) as Record<string, JsonSchema>;
  const doc = `// ${tool.description}\n`;
  if (Object.keys(props).length === 0) return `${doc}type ${tool.name} = () => any;\n`;
  return `${doc}type ${tool.name} = (_: ${objectType(params, "")}) => any;\n`;
}

function objectType(schema: JsonSchema, indent: string): string {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const lines = Object.entries(props).map(([name, prop]) => {
    const comment = prop.description ? `${indent}// ${prop.description}\n` : "";
    const dflt = prop.default !== undefined ? ` // default: ${typeof prop.default === "string" ? prop.default : JSON.stringify(prop.default)}` : "";
    return `${comment}${indent}${name}${required.has(name) ? "" : "?"}: ${typeOf(prop, indent)},${dflt}`;
  });
  return `{\n${lines.join("\n")}\n${indent}}`;
}

function typeOf(schema: JsonSchema, indent: string): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.type)) return (schema.type as string[]).map((t) => typeOf({ ...schema, type: t }, indent)).join(" | ");
  switch (schema.type) {
    case "integer":
    case "number":
      return "number";
    case "array":
      return `${typeOf((schema.items ?? {}) as JsonSchema, indent)}[]`;
    case "object":
      return objectType(schema, indent);
    case "string":
    case "boolean":
    case "null":
      return schema.type;
    default:
      return "any";
  }
}
