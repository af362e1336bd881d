// Every schema in schemas/ against the JSON Schema 2020-12 meta-schema: the check the tool skips
// at each start (validate/schemas.ts ownSchemasAjv) is made here, once, on every file and on the
// verdict schemas judge builds from one of them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { personaGuessSchema, turnVerdictSchema } from "../../src/judge/rubric.js";
import { schemasDir } from "../../src/validate/schemas.js";

const addFormats = formatsModule.default;
const files = readdirSync(schemasDir()).filter((n) => n.endsWith(".schema.json"));

/** A strict Ajv that checks each schema against the meta-schema, with the tool schema $ref'd by others. */
function metaCheckingAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateSchema: true });
  addFormats(ajv, ["date"]);
  ajv.addSchema(JSON.parse(readFileSync(join(schemasDir(), "tool.schema.json"), "utf8")) as object);
  return ajv;
}

describe("schemas/", () => {
  it("holds the five schemas the tool loads", () => {
    expect(files.sort()).toEqual([
      "conversation.schema.json",
      "judge-verdict.schema.json",
      "manifest.schema.json",
      "pipeline.schema.json",
      "tool.schema.json",
    ]);
  });

  for (const name of files) {
    it(`${name} is a valid 2020-12 schema and compiles strictly`, () => {
      const schema = JSON.parse(readFileSync(join(schemasDir(), name), "utf8")) as object;
      const ajv = metaCheckingAjv();
      expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true);
      if (name !== "tool.schema.json") expect(() => ajv.compile(schema)).not.toThrow();
    });
  }

  it("the verdict schemas judge builds from judge-verdict.schema.json are valid 2020-12 schemas too", () => {
    const ajv = metaCheckingAjv();
    const flags = [false, true];
    const built = [
      personaGuessSchema(),
      ...flags.flatMap((tools) => flags.flatMap((trap) => flags.map((persona) => turnVerdictSchema({ tools, trap, persona })))),
    ];
    expect(built).toHaveLength(9);
    for (const schema of built) expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true);
  });

  it("the check catches a schema the meta-schema refuses", () => {
    const ajv = metaCheckingAjv();
    expect(ajv.validateSchema({ type: "string", minLength: "3" })).toBe(false);
  });
});
