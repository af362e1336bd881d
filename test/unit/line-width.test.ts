// Biome formats code to biome.json's lineWidth but leaves long strings and comments as they are;
// this holds every line of src/ to that width (a long message is split with +, a comment wrapped).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/core/project.js";

const root = projectRoot();
const lineWidth: number = JSON.parse(readFileSync(join(root, "biome.json"), "utf8")).formatter.lineWidth;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );

describe("line width", () => {
  it(`no line in src/ is over biome.json's lineWidth in characters`, () => {
    expect(lineWidth).toBeGreaterThanOrEqual(80);
    const long = files(join(root, "src")).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) => ([...line].length > lineWidth ? [`${relative(root, file)}:${i + 1} (${[...line].length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});
