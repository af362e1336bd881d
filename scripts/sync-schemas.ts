// The persona registry (PERSONAS in src/core/record.ts) is the one list of personas; the JSON
// Schemas in schemas/ carry copies of it for users who validate without datagen. This script
// writes those copies from the registry (`npx tsx scripts/sync-schemas.ts`), and with --check
// only reports whether they match (test/persona-registry.test.ts runs the check).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PERSONAS } from "../src/core/record.js";
import { projectRoot } from "../src/core/project.js";

interface PersonaEnum {
  file: string;
  /** What the enum holds besides the personas: null (no persona) or "none" (the pipeline's word for it). */
  extra: string;
}

export const PERSONA_ENUMS: PersonaEnum[] = [
  { file: "schemas/conversation.schema.json", extra: "null" },
  { file: "schemas/pipeline.schema.json", extra: '"none"' },
];

// An `"enum": [ … ]` array whose first entry is a persona; its items are rewritten, one per line.
const ENUM = /("enum":\s*\[)(\s*)"lawful_good"[^\]]*\]/;

/** The schema file's text with its persona enum written from the registry. */
export function syncedSchemaText(text: string, extra: string): string {
  const match = ENUM.exec(text);
  if (!match) throw new Error("no persona enum found");
  const lineStart = text.lastIndexOf("\n", match.index) + 1;
  const indent = /^\s*/.exec(text.slice(lineStart))![0];
  const items = [...PERSONAS.map((p) => JSON.stringify(p)), extra].map((v) => `${indent}  ${v}`).join(",\n");
  return text.slice(0, match.index) + `${match[1]}\n${items}\n${indent}]` + text.slice(match.index + match[0].length);
}

/** Files whose persona enum differs from the registry. */
export function staleSchemas(root = projectRoot()): string[] {
  return PERSONA_ENUMS.filter(({ file, extra }) => {
    const text = readFileSync(join(root, file), "utf8");
    const enumValues = (JSON.stringify(JSON.parse(text)).match(/\["lawful_good"[^\]]*\]/) ?? [""])[0];
    return enumValues !== JSON.stringify([...PERSONAS, JSON.parse(extra)]) || syncedSchemaText(text, extra) !== text;
  }).map((p) => p.file);
}

if (process.argv[1]?.endsWith("sync-schemas.ts")) {
  const root = projectRoot();
  if (process.argv.includes("--check")) {
    const stale = staleSchemas(root);
    if (stale.length > 0) {
      console.error(`persona lists differ from PERSONAS (src/core/record.ts) in: ${stale.join(", ")}; run npx tsx scripts/sync-schemas.ts`);
      process.exit(1);
    }
  } else {
    for (const { file, extra } of PERSONA_ENUMS)
      writeFileSync(join(root, file), syncedSchemaText(readFileSync(join(root, file), "utf8"), extra));
  }
}
