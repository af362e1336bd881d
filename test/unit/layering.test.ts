// The house's two import rules, checked over every static import in src/: no module imports itself
// back through a chain of imports (type-only imports included: a cycle of types still means the
// types live in the wrong file), and a stage imports only stages below it in STAGE_ORDER.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/core/project.js";

/** Lowest first: a stage may import any stage listed before it, never one after it. */
const STAGE_ORDER = [
  ["core"],
  ["tokenize", "model"],
  ["ingest", "longctx"],
  ["validate"],
  ["render"],
  ["pack", "import"],
  ["stats", "export", "train", "generate"],
  ["judge"],
  ["eval"],
  ["cli"],
];
const RANK = new Map(STAGE_ORDER.flatMap((names, rank) => names.map((n) => [n, rank] as const)));

const SRC = join(projectRoot(), "src");
const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));
const stageOf = (file: string): string => relative(SRC, file).split("/")[0];

/** file → the project files it imports (static imports and re-exports, dynamic import() too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(/(?:^(?:import|export)\b[^;]*?from\s+|import\(\s*)"(\.{1,2}\/[^"]+)"/gm)].map((m) =>
      normalize(join(dirname(file), m[1].replace(/\.js$/, ".ts"))),
    );
    graph.set(file, targets);
  }
  return graph;
}

describe("the import graph of src/", () => {
  const graph = importGraph();

  it("reads every module and finds the imports (the check is not vacuous)", () => {
    expect(graph.size).toBeGreaterThan(150);
    expect([...graph.values()].flat().length).toBeGreaterThan(500);
    for (const targets of graph.values()) for (const t of targets) expect(graph.has(t), t).toBe(true);
  });

  it("every stage folder is placed in STAGE_ORDER", () => {
    expect([...new Set([...graph.keys()].map(stageOf))].filter((s) => !RANK.has(s) && !s.endsWith(".ts"))).toEqual([]);
  });

  it("no stage imports a stage above it", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const [from, to] = [stageOf(file), stageOf(target)];
        if (from !== to && (RANK.get(to) ?? 0) > (RANK.get(from) ?? 0)) upward.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no import cycle", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(SRC, f)).join(" → "));
        else if (!state.has(next)) visit(next, [...path, next]);
      }
      state.set(file, "done");
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });
});
