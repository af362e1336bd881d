// The record schemas, compiled once per process (lazily, on first use). Tool `parameters` schemas
// are compiled once per distinct schema text, in a bounded cache, on a separate Ajv instance so
// that user schemas (their $id, their unknown keywords) cannot interfere with ours.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { projectRoot } from "../core/project.js";

// ajv-formats is CommonJS: under NodeNext its default import is module.exports, whose `default` is the plugin.
const addFormats = formatsModule.default;

export type { ErrorObject, ValidateFunction };

/** The schemas/ folder of the project. */
export function schemasDir(): string {
  return join(projectRoot(), "schemas");
}

export function loadSchema(name: "conversation" | "tool"): Record<string, unknown> {
  return JSON.parse(readFileSync(join(schemasDir(), `${name}.schema.json`), "utf8")) as Record<string, unknown>;
}

/**
 * An Ajv for the project's own schemas (schemas/ and what judge builds from them): strict, but
 * not checking each schema against the 2020-12 meta-schema at every start, which was half of a
 * compile (about 55 of 105 ms for the conversation schema). test/unit/schemas.test.ts runs that
 * check on every file in schemas/ and on the verdict schemas judge builds, instead.
 */
export function ownSchemasAjv(options: Options = {}): Ajv2020 {
  return new Ajv2020({ strict: true, allowUnionTypes: true, ...options, validateSchema: false });
}

let recordValidator: ValidateFunction | undefined;

/** The compiled conversation schema (tool schema $ref'd inside); compiled on first call only. */
export function conversationValidator(): ValidateFunction {
  recordValidator ??= compileConversationSchema();
  return recordValidator;
}

function compileConversationSchema(): ValidateFunction {
  const ajv = ownSchemasAjv({ allErrors: true });
  addFormats(ajv, ["date"]);
  ajv.addSchema(loadSchema("tool"));
  return ajv.compile(loadSchema("conversation"));
}

/** Most distinct tool schemas kept compiled; a dataset with more just recompiles the evicted ones. */
export const PARAMETERS_CACHE_SIZE = 512;

interface CachedParameters {
  schema: object;
  validate?: ValidateFunction;
  error?: string;
}

let parametersAjv: Ajv2020 | undefined;
const parametersCache = new Map<string, CachedParameters>();

function toolAjv(): Ajv2020 {
  parametersAjv ??= createToolAjv();
  return parametersAjv;
}

function createToolAjv(): Ajv2020 {
  // strict: false — tool schemas in the wild carry keywords Ajv does not know (e.g. "x-order");
  // addUsedSchema: false — two tools may use the same $id with different bodies.
  const ajv = new Ajv2020({ allErrors: true, strict: false, addUsedSchema: false });
  addFormats(ajv);
  return ajv;
}

/**
 * The compiled validator for a tool's `parameters`, or the reason it does not compile; cached by
 * the schema's JSON text.
 */
export function parametersValidator(schema: object, toolName = ""): CachedParameters {
  // Datasets repeat the same few tools on every line: comparing with the schema this tool name had
  // last time is several times cheaper than building the JSON key (stringify was ~9% of validate).
  const recent = recentByName.get(toolName);
  if (recent !== undefined && sameJson(schema, recent.schema)) return recent.entry;
  const key = JSON.stringify(schema);
  const entry = parametersCache.get(key) ?? compileParameters(schema, key);
  if (recentByName.size >= PARAMETERS_CACHE_SIZE) recentByName.clear();
  recentByName.set(toolName, { schema, entry });
  return entry;
}

const recentByName = new Map<string, { schema: object; entry: CachedParameters }>();

function compileParameters(schema: object, key: string): CachedParameters {
  const entry: CachedParameters = { schema };
  try {
    entry.validate = toolAjv().compile(schema);
  } catch (e) {
    entry.error = (e as Error).message;
  }
  if (parametersCache.size >= PARAMETERS_CACHE_SIZE) evictOldest();
  parametersCache.set(key, entry);
  return entry;
}

function evictOldest(): void {
  const [key, entry] = parametersCache.entries().next().value as [string, CachedParameters];
  parametersCache.delete(key);
  // Ajv keeps its own cache keyed by the schema object; drop it too so memory stays bounded.
  toolAjv().removeSchema(entry.schema);
}

/** Number of compiled parameter schemas held (for tests of the bound). */
export function parametersCacheSize(): number {
  return parametersCache.size;
}

/** Deep equality of two JSON values (key order ignored, as it does not change a schema's meaning). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let count = 0;
  for (const key in ra) {
    if (!Object.hasOwn(rb, key) || !sameJson(ra[key], rb[key])) return false;
    count++;
  }
  for (const _key in rb) if (--count < 0) return false;
  return count === 0;
}
