// The persona registry (PERSONAS) is the one list: the schemas' copies are written from it
// (scripts/sync-schemas.ts) and every persona has exactly one card in templates/personas/.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PERSONAS } from "../../src/core/record.js";
import { projectRoot } from "../../src/core/project.js";
import { PERSONA_ENUMS, staleSchemas, syncedSchemaText } from "../../scripts/sync-schemas.js";

describe("persona registry", () => {
  it("the schemas' persona lists are the registry's", () => {
    expect(staleSchemas()).toEqual([]);
  });

  it("the check sees a schema that lacks a persona, and the sync writes it back", () => {
    const { file, extra } = PERSONA_ENUMS[0];
    const text = readFileSync(join(projectRoot(), file), "utf8");
    const edited = text.replace(/\s*"chaotic_evil",/, "");
    expect(edited).not.toBe(text);
    expect(JSON.parse(edited).properties.persona.enum).not.toContain("chaotic_evil");
    expect(syncedSchemaText(edited, extra)).toBe(text);
  });

  it("every persona has one card and every card a persona", () => {
    const cards = readdirSync(join(projectRoot(), "templates/personas"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => f.slice(0, -3));
    expect(cards.sort()).toEqual([...PERSONAS].sort());
  });
});
