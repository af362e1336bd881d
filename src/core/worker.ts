// Starting a worker thread on one of our modules, both from the compiled build and from the
// TypeScript sources (tsx, vitest), where a plain Worker cannot load a .ts file.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * A worker running the module `name` beside `callerUrl` (the caller's import.meta.url): name.js
 * when the caller is compiled, otherwise name.ts loaded through tsx's tsImport API by a small
 * eval'd script.
 */
export function startModuleWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const tsxApi = JSON.stringify(tsxEsmApiUrl());
  const script = `import(${tsxApi}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(callerUrl)}));`;
  return new Worker(script, { eval: true, workerData });
}

/** tsx's ESM API entry, from its package.json exports ("./esm/api", import condition). */
function tsxEsmApiUrl(): string {
  const manifestPath = createRequire(import.meta.url).resolve("tsx/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifestPath), manifest.exports["./esm/api"].import.default)).href;
}
