// Tool checks at generation time: each tool's `parameters` and `result` schemas compiled once with
// Ajv, and the executor registry. Grammars keep generated JSON inside the schema's shape; Ajv
// catches what a grammar cannot express (a "date" of 2026-02-31, say), and that step is retried.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import type { CatalogTool } from "./catalog.js";
import { EXECUTORS } from "./executors/index.js";

const addFormats = formatsModule.default;

export class ToolSchemas {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
  private readonly parameters = new Map<string, ValidateFunction>();
  private readonly results = new Map<string, ValidateFunction>();

  constructor(tools: Iterable<CatalogTool>) {
    addFormats(this.ajv);
    for (const tool of tools) {
      this.parameters.set(tool.name, this.ajv.compile(tool.parameters));
      this.results.set(tool.name, this.ajv.compile(tool.result));
    }
  }

  /** null when valid, else Ajv's errors as one line. */
  checkArguments(tool: string, args: unknown): string | null {
    return describe(this.parameters.get(tool), args);
  }

  checkResult(tool: string, result: unknown): string | null {
    return describe(this.results.get(tool), result);
  }
}

function describe(validate: ValidateFunction | undefined, value: unknown): string | null {
  if (!validate) return "unknown tool";
  if (validate(value)) return null;
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
}

/** Runs a tool's deterministic executor (the catalog guarantees the name exists). */
export function execute(tool: CatalogTool, args: Record<string, unknown>): Record<string, unknown> {
  return EXECUTORS[tool.executor as string](args);
}

/**
 * A planned tool failure in the tool's own error shape: `error` set, every nullable field null, a
 * field named like an argument echoing it (calculator's `expression`),
 * checked against its result schema; null when the tool declares no such shape (nothing is injected).
 */
export function injectedError(tool: CatalogTool, schemas: ToolSchemas, args: Record<string, unknown>): Record<string, unknown> | null {
  const props = (tool.result.properties ?? {}) as Record<string, { type?: unknown }>;
  if (!("error" in props)) return null;
  const result: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(props)) {
    const nullable = Array.isArray(prop.type) && prop.type.includes("null");
    if (key === "error") result[key] = "service temporarily unavailable (timeout); try again";
    else if (nullable) result[key] = null;
    else if (key in args) result[key] = args[key];
    else return null;
  }
  return schemas.checkResult(tool.name, result) === null ? result : null;
}
