// Biome formats code to biome.json's lineWidth but leaves long strings and comments as they are;
// this holds every line of src/ to that width (a long message is split with +, a comment wrapped).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/core/project.js";

const root = projectRoot();
const lineWidth: number = JSON.parse(readFileSync(join(root, "biome.json"), "utf8")).formatter.lineWidth;
const src = join(root, "src");
const sources = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".ts"));

describe("line width", () => {
  it(`no line in src/ is over biome.json's lineWidth in characters`, () => {
    expect(lineWidth).toBeGreaterThanOrEqual(80);
    expect(sources.length).toBeGreaterThan(100);
    const long = sources.flatMap((name) =>
      readFileSync(join(src, name), "utf8")
        .split("\n")
        .flatMap((line, i) => ([...line].length > lineWidth ? [`src/${name}:${i + 1} (${[...line].length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});
